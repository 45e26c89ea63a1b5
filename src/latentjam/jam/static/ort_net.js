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
  class OrtDrumify {                      // the shipped drumify model: taps -> a full groove
    static async load() {
      const net = new OrtDrumify();
      net.enc = await ort.InferenceSession.create("models/drumify/encode.onnx");   // unused
      net.dec = await ort.InferenceSession.create("models/drumify/decode.onnx");
      return net;
    }
    // taps (T * 3: tapped, velocity, offset), z (Nz) -> a drum window (T * 27) like the Python
    // DrumifyVAE.drumify: a cell hits when its logit is >= 0, and every tapped step that would
    // stay silent gets its most likely class, so the groove keeps every tap
    async groove(taps, z, T) {
      const out = await this.dec.run({
        taps: new ort.Tensor("float32", Float32Array.from(taps), [1, T, 3]),
        z: new ort.Tensor("float32", Float32Array.from(z), [1, z.length]),
      });
      const logits = out.hit_logits.data, vel = out.velocities.data, off = out.offsets.data;
      const K = 9, grid = new Float64Array(T * 3 * K);
      for (let t = 0; t < T; t++) {
        let any = false, best = 0;
        for (let k = 0; k < K; k++) {
          if (logits[t * K + k] > logits[t * K + best]) best = k;
          if (logits[t * K + k] >= 0) { any = true; this.put(grid, t, k, vel, off); }
        }
        if (!any && taps[t * 3] > 0.5) this.put(grid, t, best, vel, off);
      }
      return grid;
    }
    put(grid, t, k, vel, off) {
      const K = 9, at = t * 3 * K;
      grid[at + k] = 1; grid[at + K + k] = vel[t * K + k]; grid[at + 2 * K + k] = off[t * K + k];
    }
  }
  window.LatentjamOrtNet = OrtNet;
  window.LatentjamOrtDrumify = OrtDrumify;
})();
