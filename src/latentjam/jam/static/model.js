// latentjam in the browser: the drum / melody VAE's encoder and decoder (greedy, or sampled at a
// temperature like the Python model's `decode(sample=True)`) written out in plain JavaScript (no
// runtime library), reading the weights a static site ships as JSON
// (`latentjam export-site`). The same arithmetic as latentjam.models (GRU gates r, z, n as in
// PyTorch; bidirectional encoder; conductor GRU one step per bar; bar GRU one step per 16th),
// in float64. GPL-3.0-or-later.
"use strict";

(function () {
  function floats(b64) {               // base64 little-endian float32 -> Float32Array (the
    const bin = atob(b64), bytes = new Uint8Array(bin.length);   // values are float32 anyway;
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);  // arithmetic is float64)
    return new Float32Array(bytes.buffer);
  }
  function sparseInput(w, b, x, rows, cols, out, from = 0, to = cols) {
    // out = w[:, from:to] @ x[from:to] + b, skipping zero inputs (one-hot notes, sparse grids)
    if (b) out.set(b); else out.fill(0);
    for (let c = from; c < to; c++) {
      const v = x[c];
      if (v === 0) continue;
      for (let r = 0; r < rows; r++) out[r] += w[r * cols + c] * v;
    }
    return out;
  }
  function linear(w, b, x, rows, cols, out) {   // out (rows) = w (rows x cols) @ x (cols) + b
    const tail = cols - (cols % 4);
    for (let r = 0; r < rows; r++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, c = 0;
      const o = r * cols;
      for (; c < tail; c += 4) {
        s0 += w[o + c] * x[c]; s1 += w[o + c + 1] * x[c + 1];
        s2 += w[o + c + 2] * x[c + 2]; s3 += w[o + c + 3] * x[c + 3];
      }
      let s = (b ? b[r] : 0) + ((s0 + s1) + (s2 + s3));
      for (; c < cols; c++) s += w[o + c] * x[c];
      out[r] = s;
    }
    return out;
  }
  const sigmoid = (v) => 1 / (1 + Math.exp(-v));

  class GRU {                           // one direction of one nn.GRU layer
    constructor(p, name, input, hidden) {
      this.wi = floats(p[`${name}.weight_ih`]); this.bi = floats(p[`${name}.bias_ih`]);
      this.wh = floats(p[`${name}.weight_hh`]); this.bh = floats(p[`${name}.bias_hh`]);
      this.input = input; this.hidden = hidden;
      this.gi = new Float64Array(3 * hidden); this.gh = new Float64Array(3 * hidden);
    }
    step(x, h, inputPart = null) {      // x (input), h (hidden) -> new h (a new array)
      // inputPart: a precomputed share of the input product (plus bias); x's other columns
      // (sparse) are added to it
      const H = this.hidden, gi = this.gi, gh = this.gh, out = new Float64Array(H);
      if (inputPart) {
        gi.set(inputPart);
        for (let c = 0; c < x.length; c++) {
          const v = x[c];
          if (v === 0) continue;
          for (let r = 0; r < 3 * H; r++) gi[r] += this.wi[r * this.input + c] * v;
        }
      } else if (this.sparse) {
        sparseInput(this.wi, this.bi, x, 3 * H, this.input, gi);
      } else {
        linear(this.wi, this.bi, x, 3 * H, this.input, gi);
      }
      linear(this.wh, this.bh, h, 3 * H, H, gh);
      for (let j = 0; j < H; j++) {
        const r = sigmoid(gi[j] + gh[j]), u = sigmoid(gi[H + j] + gh[H + j]);
        const n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
        out[j] = (1 - u) * n + u * h[j];
      }
      return out;
    }
  }

  class JamNet {
    constructor(spec) {
      const p = spec.weights, c = spec.config;
      this.info = spec.info; this.kind = c.data;
      this.T = c.steps; this.D = c.feature_dim; this.Nz = c.latent_dim;
      this.bars = c.bars; this.S = c.steps / c.bars; this.K = this.kind === "drums" ? this.D / 3 : this.D;
      this.enc = []; let size = this.D;
      c.encoder_hidden.forEach((H, l) => {
        const pair = [new GRU(p, `encoder.layers.${l}`, size, H), new GRU(p, `encoder.layers.${l}.reverse`, size, H)];
        if (l === 0) pair.forEach(g => { g.sparse = true; });   // the grids are mostly zeros
        this.enc.push(pair);
        size = 2 * H;
      });
      this.encW = floats(p["encoder.to_params.weight"]); this.encB = floats(p["encoder.to_params.bias"]);
      this.encIn = size;
      this.zc = [floats(p["decoder.z_to_conductor.weight"]), floats(p["decoder.z_to_conductor.bias"])];
      this.Hc = c.conductor_hidden;
      this.cond = new GRU(p, "decoder.conductor", 1, this.Hc);
      this.c2s = [floats(p["decoder.conductor_to_state.weight"]), floats(p["decoder.conductor_to_state.bias"])];
      this.hidden = c.decoder_hidden;
      this.layers = []; size = this.D + this.Hc;
      this.hidden.forEach((H, l) => { this.layers.push(new GRU(p, `decoder.layers.${l}`, size, H)); size = H; });
      this.out = [floats(p["decoder.to_params.weight"]), floats(p["decoder.to_params.bias"])];
      this.P = this.out[1].length;
    }
    encode(x) {                         // x: Float64Array (T * D) -> mu (Nz)
      let seq = [];
      for (let t = 0; t < this.T; t++) seq.push(x.subarray(t * this.D, (t + 1) * this.D));
      let last = null;
      for (const [fw, bw] of this.enc) {
        const H = fw.hidden, outs = seq.map(() => new Float64Array(2 * H));
        let h = new Float64Array(H);
        for (let t = 0; t < this.T; t++) { h = fw.step(seq[t], h); outs[t].set(h, 0); }
        const hf = h;
        h = new Float64Array(H);
        for (let t = this.T - 1; t >= 0; t--) { h = bw.step(seq[t], h); outs[t].set(h, H); }
        last = new Float64Array(2 * H); last.set(hf, 0); last.set(h, H);
        seq = outs;
      }
      const params = linear(this.encW, this.encB, last, 2 * this.Nz, this.encIn, new Float64Array(2 * this.Nz));
      return params.slice(0, this.Nz);
    }
    decode(z, temperature = 0, random = Math.random) {
      // z (Nz) -> one window Float64Array (T * D): greedy at temperature 0, else each step drawn
      // from the head's distribution at that temperature with `random()` (uniform in [0, 1))
      const Hc = this.Hc, out = new Float64Array(this.T * this.D);
      let h = linear(this.zc[0], this.zc[1], z, Hc, this.Nz, new Float64Array(Hc)).map(Math.tanh);
      const zero = new Float64Array(1), total = this.hidden.reduce((a, b) => a + b, 0);
      let prev = new Float64Array(this.D), t = 0;
      const params = new Float64Array(this.P);
      for (let bar = 0; bar < this.bars; bar++) {
        h = this.cond.step(zero, h);
        const init = linear(this.c2s[0], this.c2s[1], h, total, Hc, new Float64Array(total)).map(Math.tanh);
        // the bar embedding's share of layer 0's input product is the same at every step
        const first = this.layers[0], embed = new Float64Array(this.D + Hc);
        embed.set(h, this.D);
        const barPart = sparseInput(first.wi, first.bi, embed, 3 * first.hidden, first.input,
                                    new Float64Array(3 * first.hidden), this.D, this.D + Hc);
        let at = 0;
        const states = this.hidden.map((H) => { const s = init.slice(at, at + H); at += H; return s; });
        for (let s = 0; s < this.S; s++, t++) {
          let inp = prev;                 // layer 0: the previous step (sparse) + barPart
          this.layers.forEach((g, i) => {
            states[i] = i === 0 ? g.step(inp, states[i], barPart) : g.step(inp, states[i]);
            inp = states[i];
          });
          linear(this.out[0], this.out[1], inp, this.P, this.hidden[this.hidden.length - 1], params);
          prev = this.choose(params, temperature, random);
          out.set(prev, t * this.D);
        }
      }
      return out;
    }
    choose(params, temperature = 0, random = Math.random) {
      // one step in the converter's layout: drums, a hit where the logit is > 0 (greedy) or
      // where random() < sigmoid(logit / temperature); melody, the most likely event or a draw
      // from softmax(params / temperature)
      const step = new Float64Array(this.D), K = this.K, temp = Math.max(temperature, 1e-3);
      if (this.kind === "drums") {
        for (let k = 0; k < K; k++) {
          const hit = temperature > 0 ? random() < sigmoid(params[k] / temp) : params[k] > 0;
          if (hit) {
            step[k] = 1; step[K + k] = sigmoid(params[K + k]); step[2 * K + k] = Math.tanh(params[2 * K + k]);
          }
        }
      } else {
        let best = 0;
        for (let k = 1; k < this.D; k++) if (params[k] > params[best]) best = k;
        if (temperature > 0) {
          const top = params[best], weights = new Float64Array(this.D);
          let total = 0;
          for (let k = 0; k < this.D; k++) { weights[k] = Math.exp((params[k] - top) / temp); total += weights[k]; }
          let r = random() * total;
          for (best = 0; best < this.D - 1; best++) { r -= weights[best]; if (r < 0) break; }
        }
        step[best] = 1;
      }
      return step;
    }
  }
  window.LatentjamNet = JamNet;
})();
