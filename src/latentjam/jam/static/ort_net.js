// latentjam in the browser with onnxruntime-web: the model's exported encode.onnx and
// decode.onnx (`latentjam export --format onnx`) run in ONNX Runtime's WebAssembly build
// (vendor/onnxruntime-web, MIT). The same interface as model.js's LatentjamNet, but async:
// encode(x) -> mu, decode(z, temperature, random) -> one window; the decoder's randomness is a
// (T x D) array of uniforms drawn here, so temperature 0 is the greedy decode.
// GPL-3.0-or-later.
"use strict";

(function () {
  ort.env.wasm.numThreads = 1;            // a plain static host gives no cross-origin isolation
  ort.env.wasm.wasmPaths = new URL("ort/", document.baseURI).href;   // absolute: resolved by import()

  class OrtNet {
    static async load(name, spec) {
      const net = new OrtNet(spec);
      net.enc = await ort.InferenceSession.create(`models/${name}/encode.onnx`);
      net.dec = await ort.InferenceSession.create(`models/${name}/decode.onnx`);
      return net;
    }
    constructor(spec) {
      const c = spec.config;
      this.info = spec.info; this.kind = c.data;
      this.T = c.steps; this.D = c.feature_dim; this.Nz = c.latent_dim;
      this.K = this.kind === "drums" ? this.D / 3 : this.D;
    }
    async encode(x) {                     // x (T * D) -> mu (Nz), Float64Array
      const input = new ort.Tensor("float32", Float32Array.from(x), [1, this.T, this.D]);
      return Float64Array.from((await this.enc.run({ x: input })).mu.data);
    }
    async decode(z, temperature = 0, random = Math.random) {   // z (Nz) -> window (T * D)
      const uniform = new Float32Array(this.T * this.D);
      if (temperature > 0) for (let i = 0; i < uniform.length; i++) uniform[i] = random();
      const out = await this.dec.run({
        z: new ort.Tensor("float32", Float32Array.from(z), [1, this.Nz]),
        uniform: new ort.Tensor("float32", uniform, [1, this.T, this.D]),
        temperature: new ort.Tensor("float32", Float32Array.of(temperature), [1]),
      });
      return Float64Array.from(out.windows.data);
    }
  }
  window.LatentjamOrtNet = OrtNet;
})();
