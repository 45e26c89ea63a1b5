// latentjam jam page: step grid, pads, Web MIDI, a synthesised WebAudio kit and piano, tempo with
// count-in, knobs, the model's reply on the grid, and a rotatable 3-D view of both trajectories.
// Plain JavaScript, no libraries, no network beyond the jam server. GPL-3.0-or-later.
"use strict";

const STEPS = 32;                 // two bars of 16th notes
const PHRASE_BARS = 2;
const DRUM_ROWS = [               // fallback; the server's hello sends the model's own table
  { name: "kick", pitch: 36 }, { name: "snare", pitch: 38 }, { name: "closed hat", pitch: 42 },
  { name: "open hat", pitch: 46 }, { name: "low tom", pitch: 43 }, { name: "mid tom", pitch: 47 },
  { name: "high tom", pitch: 50 }, { name: "crash", pitch: 49 }, { name: "ride", pitch: 51 },
];
const GM_TO_ROW = {};             // incoming MIDI drum pitch -> row (the converters' GM folding)
[[35, 36], [27, 28, 31, 32, 33, 34, 37, 38, 39, 40, 56, 65, 66, 75, 85],
 [22, 42, 44, 54, 68, 69, 70, 71, 73, 78, 80], [26, 46, 67, 72, 74, 79, 81],
 [29, 41, 43, 45, 61, 64, 84], [47, 48, 60, 63, 77, 86, 87], [30, 50, 62, 76, 83],
 [49, 52, 55, 57, 58], [51, 53, 59, 82]].forEach((ps, row) => ps.forEach(p => { GM_TO_ROW[p] = row; }));
const MELODY_ROWS = [];           // three octaves, C3 to C6, top row highest
for (let p = 84; p >= 48; p--) MELODY_ROWS.push({ name: "C C# D D# E F F# G G# A A# B".split(" ")[p % 12] + (Math.floor(p / 12) - 1), pitch: p });
const PAD_KEYS = "asdfghjkl";     // drums: one key per row
const MODE_WORDS = { call: "call & response", continuous: "continuous",
                     drumify: "drumify: your rhythm -> a groove" };
const NUDGE_WORDS = { density: "sparser ↔ denser", velocity: "softer ↔ louder",
                      offset: "timing: earlier ↔ later", pitch: "lower ↔ higher" };
const PIANO_KEYS = "awsedftgyhujkolp;";  // melody: a piano keyboard from C (a) to E above (;)

const state = {
  ws: null, hello: null, model: null, kind: "drums", rows: DRUM_ROWS,
  call: [], reply: [],            // call[row][step] = velocity (0 = off); reply: list of notes
  live: [],                       // pad hits of the phrase being played: {row, step, velocity}
  octave: 60, lastCall: null,     // melody keys: the pitch of "a"; the last call sent
  playing: false, phrase: 0, replies: 0, pending: null, sentPhrase: -1,
  trajectory: { call: [], reply: [] }, midiOut: null, seq: 1,
  recalls: [],                    // replies that brought an earlier moment back: {at, exchange, role}
};
window.latentjam = state;         // for the browser end-to-end test and the curious
const view = { yaw: 0.6, pitch: 0.35, dragging: false, lx: 0, ly: 0, centre: null, extent: 0 };
state.view = view;

// ------------------------------------------------------------------------------ connection
const token = new URLSearchParams(location.search).get("token");
function connect() {
  if (window.LATENTJAM_SITE) { startLocal(window.LATENTJAM_SITE); return; }  // a static site
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${proto}//${location.host}/ws` + (token ? `?token=${encodeURIComponent(token)}` : "");
  const ws = new WebSocket(url);
  state.ws = ws;
  setStatus("connecting…", "connecting");
  ws.onopen = () => setStatus("connected", "open");
  ws.onclose = () => { setStatus("disconnected — retrying", "error"); setTimeout(connect, 1500); };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === "hello") onHello(msg);
    else if (msg.type === "reply") onReply(msg);
    else if (msg.type === "error") setStatus(`error: ${msg.message}`, "error");
  };
}
// ------------------------------------------------------------- the static site (no server)
// `latentjam export-site` ships the models and ort_net.js (ONNX Runtime, the default) or
// model.js (plain JavaScript) runs them here: a call is encoded, its point moved by the radius knob (Gaussian, Math.random), decoded greedily at
// temperature 0 or sampled at the temperature knob (as the server does).
const local = { nets: {}, exchange: 0 };
state.local = local;
async function startLocal(site) {
  setStatus("loading the models…", "connecting");
  const models = {};
  for (const name of site.models) {
    const spec = await (await fetch(`models/${name}.json`)).json();
    local.nets[name] = site.runtime === "onnx" ? await window.LatentjamOrtNet.load(name, spec)
                                               : new window.LatentjamNet(spec);
    if (site.drumify && spec.info.kind === "drums" && !local.drumify) {
      local.drumify = await window.LatentjamOrtDrumify.load();
    }
    models[name] = spec.info;
  }
  state.ws = { readyState: WebSocket.OPEN, send: (text) => setTimeout(() => localAnswer(JSON.parse(text)), 0) };
  onHello({ type: "hello", models, default_model: site.default_model, attribute_range: 3,
            knobs: { temperature: { min: 0, max: 2 }, bits: { min: 0, max: 0 },
                     radius: { min: 0, max: 3 }, recall: { min: 0, max: 0 } } });
  setStatus("connected (models run in this page)", "open");
}
function gaussian() { return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()); }
function notesToGrid(net, notes) {     // the call's notes -> one window (T * D), converter layout
  const T = net.T, D = net.D, x = new Float64Array(T * D), info = net.info;
  if (net.kind === "drums") {
    const K = net.K;
    for (const n of notes) {
      const k = (info.pitch_to_class || [])[n.pitch];
      if (k === undefined || k < 0 || n.step < 0 || n.step >= T) continue;
      const at = n.step * D, v = (n.velocity || 100) / 127;
      if (x[at + k] && x[at + K + k] >= v) continue;   // the loudest hit per class and step
      x[at + k] = 1; x[at + K + k] = v; x[at + 2 * K + k] = Math.max(-1, Math.min(1, n.offset || 0));
    }
  } else {
    const codes = new Array(T).fill(0);                // 0 hold, 1 note off, 2.. note-on
    const sorted = [...notes].sort((a, b) => a.step - b.step || b.pitch - a.pitch);
    for (const n of sorted) if (n.step >= 0 && n.step < T && n.pitch >= 21 && n.pitch <= 108 && codes[n.step] < 2) codes[n.step] = n.pitch - 21 + 2;
    for (const n of sorted) {
      const end = n.step + Math.round(n.duration || 0);
      if (n.duration && end < T && codes[end] === 0) codes[end] = 1;
    }
    let sounding = false;
    codes.forEach((c, t) => {
      if (c === 0 && !sounding) c = 1;                 // silence before the first note
      sounding = c >= 2 || (c === 0 && sounding);
      x[t * D + c] = 1;
    });
  }
  return x;
}
function gridToNotes(net, grid) {       // one decoded window -> reply notes
  const T = net.T, D = net.D, notes = [];
  if (net.kind === "drums") {
    const K = net.K, pitches = net.info.output_pitches;
    for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) {
      if (grid[t * D + k] <= 0.5) continue;
      const velocity = Math.max(1, Math.min(127, Math.round(grid[t * D + K + k] * 127)));
      const offset = Math.round(Math.max(-1, Math.min(0.999, grid[t * D + 2 * K + k])) * 1e4) / 1e4;
      notes.push({ pitch: pitches[k], velocity, step: t, offset: t === 0 ? Math.max(0, offset) : offset });
    }
  } else {
    let open = null;
    for (let t = 0; t <= T; t++) {
      let code = 0;
      if (t < T) for (let c = 1; c < D; c++) if (grid[t * D + c] > grid[t * D + code]) code = c;
      if (t === T || code >= 1) {
        if (open) { open.duration = t - open.step; notes.push(open); open = null; }
        if (t < T && code >= 2) open = { pitch: code - 2 + 21, velocity: 100, step: t, offset: 0 };
      }
    }
  }
  return notes;
}
function project(info, z) {
  return info.projection_components.map(row => row.reduce((a, w, i) => a + w * (z[i] - info.projection_mean[i]), 0));
}
async function localAnswer(msg) {   // the nets of model.js answer at once, ort_net.js's async
  if (msg.type !== "call") return;
  const t0 = performance.now(), net = local.nets[msg.model];
  if (msg.params && msg.params.mode === "drumify" && local.drumify && net.kind === "drums") {
    return localDrumify(msg, net, t0);
  }
  const mu = await net.encode(notesToGrid(net, msg.notes));
  const radius = (msg.params && msg.params.radius) || 0;
  const z = mu.map(v => v + radius * gaussian());
  const temperature = (msg.params && msg.params.temperature) || 0;
  const notes = gridToNotes(net, await net.decode(z, temperature));
  localReply(msg, net, notes, mu, z, t0);
}
function localReply(msg, net, notes, callZ, replyZ, t0) {   // the server's reply, made here
  const ms = performance.now() - t0;
  local.exchange += 1;
  const r5 = (p) => p.map(v => Math.round(v * 1e5) / 1e5);
  onReply({ type: "reply", session: "page", model: msg.model, bars: 2, steps_per_bar: 16, notes,
            position: { call: r5(project(net.info, callZ)), reply: r5(project(net.info, replyZ)) },
            seed: 0, exchange: local.exchange, model_ms: ms, latency_ms: ms, id: msg.id });
}
async function localDrumify(msg, net, t0) {   // every note is a tap, whatever its pitch
  const T = net.T, D = net.D, K = net.K;
  const kicks = msg.notes.map(n => ({ ...n, pitch: 36 }));
  const taps = new Float64Array(T * 3), tapGrid = notesToGrid(net, kicks);
  for (let t = 0; t < T; t++) {
    if (tapGrid[t * D] > 0.5) {
      taps[t * 3] = 1; taps[t * 3 + 1] = tapGrid[t * D + K]; taps[t * 3 + 2] = tapGrid[t * D + 2 * K];
    }
  }
  const temperature = (msg.params && msg.params.temperature) || 0;
  const nz = window.LATENTJAM_SITE.drumify.latent_dim;
  const z = Array.from({ length: nz }, () => temperature * gaussian());   // N(0, T^2 I)
  const grid = await local.drumify.groove(taps, z, T);
  const notes = gridToNotes(net, grid);
  localReply(msg, net, notes, await net.encode(tapGrid), await net.encode(grid), t0);
}
function setStatus(text, kind) {
  const el = document.getElementById("status");
  el.textContent = text; el.dataset.state = kind;
}
function send(obj) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(obj)); return true; }
  setStatus("not connected", "error");
  return false;
}

function onHello(msg) {
  state.hello = msg;
  const sel = document.getElementById("model");
  sel.innerHTML = "";
  for (const name of Object.keys(msg.models)) {
    const o = document.createElement("option"); o.value = name; o.textContent = `${name} (${msg.models[name].kind})`;
    sel.appendChild(o);
  }
  sel.value = msg.default_model;
  for (const [name, knob] of Object.entries(msg.knobs || {})) {  // the server's own ranges
    const input = document.getElementById(name);
    if (input && knob.max !== null && knob.max !== undefined) { input.min = knob.min; input.max = knob.max; }
    if (input) input.disabled = knob.max === knob.min;          // a knob this host does not have
    if (name === "bits") document.getElementById("bits-on").disabled = knob.max === knob.min;
  }
  chooseModel(msg.default_model);
  setStatus("connected", "open");
}

function chooseModel(name) {
  const info = state.hello.models[name];
  state.model = name; state.kind = info.kind;
  state.rows = info.kind === "drums" ? (info.drum_rows || DRUM_ROWS) : MELODY_ROWS;
  state.directions = info.attribute_directions || {};
  const modeSel = document.getElementById("mode"), was = modeSel.value;  // the model's modes
  modeSel.innerHTML = "";
  for (const m of info.modes || ["call", "continuous"]) {
    const o = document.createElement("option");
    o.value = m; o.textContent = MODE_WORDS[m] || m;
    modeSel.appendChild(o);
  }
  modeSel.value = [...modeSel.options].some(o => o.value === was) ? was : "call";
  showHint();
  const box = document.getElementById("nudges");
  box.innerHTML = "";
  for (const attr of info.attributes || []) {
    // built node by node: a name sent by the server is text, never markup
    const label = document.createElement("label");
    const input = document.createElement("input"), out = document.createElement("output");
    const range = state.hello.attribute_range || 3;
    Object.assign(input, { type: "range", min: -range, max: range, step: 0.1, value: 0 });
    input.dataset.attr = attr;
    out.textContent = "0";
    const says = NUDGE_WORDS[attr] ? ` (${NUDGE_WORDS[attr]})` : "";
    label.title = `move the reply along the model's ${attr} vector`;
    label.append(document.createTextNode(`${attr}${says} `), input, document.createTextNode(" "), out);
    input.addEventListener("input", () => { out.textContent = input.value; });
    box.appendChild(label);
  }
  buildGrids();
}

function showHint() {
  const hint = document.getElementById("call-hint");
  hint.textContent = state.kind === "drums"
    ? "click cells, or play the pads: A S D F G H J K L (shift: accent); Web MIDI if a device is connected"
    : `click cells, or play the keys: A W S E D F T G Y H U J K O L P ; from ${noteName(state.octave)} (Z / X: octave down / up); Web MIDI if a device is connected`;
}
function noteName(p) { return "C C# D D# E F F# G G# A A# B".split(" ")[p % 12] + (Math.floor(p / 12) - 1); }

// -------------------------------------------------------------------------------- the grids
function buildGrids() {
  state.call = state.rows.map(() => new Array(STEPS).fill(0));
  state.reply = []; state.live = [];
  for (const id of ["grid-call", "grid-reply"]) {
    const grid = document.getElementById(id);
    grid.innerHTML = "";
    state.rows.forEach((row, r) => {
      const label = document.createElement("div");
      const key = id === "grid-call" ? keyOfRow(r) : "";
      label.className = "label"; label.textContent = (key ? `${key.toUpperCase()} · ` : "") + row.name;
      grid.appendChild(label);
      for (let s = 0; s < STEPS; s++) {
        const c = document.createElement("div");
        c.className = "cell" + (s % 4 === 0 ? " q" : "") + (s % 16 === 0 && s ? " bar4" : "");
        c.dataset.row = r; c.dataset.step = s;
        if (id === "grid-call") c.addEventListener("mousedown", () => toggleCell(r, s));
        grid.appendChild(c);
      }
    });
  }
}
function keyOfRow(r) {          // the computer key that plays row r ("" if none)
  if (state.kind === "drums") return PAD_KEYS[r] || "";
  return PIANO_KEYS[state.rows[r].pitch - state.octave] || "";
}
// A cell shows its note: brightness = velocity, a tick left or right of centre = micro-timing
// (offset in half-steps), "held" cells = the rest of a long note.
function paint(el, velocity, offset) {
  el.classList.add("on");
  el.style.setProperty("--v", (Math.max(1, velocity) / 127).toFixed(3));
  el.style.setProperty("--dx", Math.max(-1, Math.min(1, offset || 0)).toFixed(3));
  el.dataset.velocity = String(velocity); el.dataset.offset = String(offset || 0);
}
function unpaint(el) {
  el.classList.remove("on", "held", "live");
  delete el.dataset.velocity; delete el.dataset.offset;
}
function buildLabels() {         // the call grid's row labels (the keys move with the octave)
  document.querySelectorAll("#grid-call .label").forEach((label, r) => {
    const key = keyOfRow(r);
    label.textContent = (key ? `${key.toUpperCase()} · ` : "") + state.rows[r].name;
  });
}
function cell(gridId, r, s) { return document.querySelector(`#${gridId} .cell[data-row="${r}"][data-step="${s}"]`); }
function toggleCell(r, s, velocity) {
  const on = velocity ? true : !state.call[r][s];
  state.call[r][s] = on ? (velocity || 100) : 0;
  if (on) paint(cell("grid-call", r, s), state.call[r][s], 0); else unpaint(cell("grid-call", r, s));
  if (on) { ensureAudio(); playRow(r, audio ? audio.currentTime : 0, state.call[r][s]); }
}
function clearCall() {
  state.call.forEach((row, r) => row.forEach((_, s) => { row[s] = 0; unpaint(cell("grid-call", r, s)); }));
  state.live = [];
}
function clearLive() {            // a new phrase of yours: last phrase's pad hits are gone
  for (const h of state.live) {
    const el = cell("grid-call", h.row, h.step);
    if (state.call[h.row][h.step]) paint(el, state.call[h.row][h.step], 0); else unpaint(el);
  }
  state.live = [];
}
function rowOfPitch(pitch) {
  if (state.kind === "drums") {
    const byPitch = state.rows.findIndex(r => r.pitch === pitch);
    return byPitch >= 0 ? byPitch : (GM_TO_ROW[pitch] ?? -1);
  }
  let p = pitch;
  const top = state.rows[0].pitch, bottom = state.rows[state.rows.length - 1].pitch;
  while (p > top) p -= 12;
  while (p < bottom) p += 12;
  return state.rows.findIndex(r => r.pitch === p);
}
function showReply(notes) {
  document.querySelectorAll("#grid-reply .cell.on").forEach(unpaint);
  for (const n of notes) {
    const r = rowOfPitch(n.pitch);
    if (r < 0 || n.step >= STEPS) continue;
    paint(cell("grid-reply", r, n.step), n.velocity, n.offset);
    if (state.kind !== "drums") {  // a melody note's length: the steps it is held
      const last = Math.min(STEPS, n.step + Math.max(1, Math.round(n.duration || 1)));
      for (let s = n.step + 1; s < last; s++) cell("grid-reply", r, s).classList.add("on", "held");
    }
  }
}

// ------------------------------------------------------------------------------ the calls
function callNotes() {           // the clicked pattern plus this phrase's pad hits (with timing)
  const notes = [], taken = new Set();
  for (const h of state.live) {
    const key = `${h.row}:${h.step}`;
    if (taken.has(key)) continue;
    taken.add(key);
    notes.push({ pitch: state.rows[h.row].pitch, velocity: h.velocity, step: h.step, offset: h.offset });
  }
  state.call.forEach((row, r) => row.forEach((v, s) => {
    if (v && !taken.has(`${r}:${s}`)) notes.push({ pitch: state.rows[r].pitch, velocity: v, step: s, offset: 0 });
  }));
  return notes;
}
function knobValue(id) { return parseFloat(document.getElementById(id).value); }
function sendCall() {
  const nudges = {};
  document.querySelectorAll("#nudges input").forEach(i => { const v = parseFloat(i.value); if (v) nudges[i.dataset.attr] = v; });
  const params = { temperature: knobValue("temperature"), radius: knobValue("radius"),
                   bits: document.getElementById("bits-on").checked ? knobValue("bits") : null,
                   mode: document.getElementById("mode").value, recall: knobValue("recall"), nudges };
  const msg = { type: "call", id: state.seq++, model: state.model, bars: PHRASE_BARS,
                qpm: knobValue("tempo"), notes: callNotes(), params };
  state.lastCall = msg;
  if (send(msg)) { state.pending = msg.id; document.getElementById("reply-info").textContent = "thinking…"; }
}
function onReply(msg) {
  state.pending = null;
  state.reply = msg.notes;
  state.replies += 1;
  showReply(msg.notes);
  state.trajectory.call.push(msg.position.call);
  state.trajectory.reply.push(msg.position.reply);
  document.getElementById("space").dataset.points = String(state.trajectory.call.length + state.trajectory.reply.length);
  const memory = msg.memory || {};
  if (memory.recalled) state.recalls.push({ at: state.trajectory.reply.length - 1, ...memory.recalled });
  document.getElementById("reply-info").textContent =
    `reply ${state.replies}: ${msg.notes.length} notes, ${msg.latency_ms.toFixed(1)} ms` +
    (memory.information_rate !== undefined ? ` · session information rate ${memory.information_rate.toFixed(2)}` : "") +
    (memory.recalled ? ` · recalls exchange ${memory.recalled.exchange}` : "");
  drawSpace();
}

// ------------------------------------------------------------------------------ sound
let audio = null, noiseBuffer = null;
function ensureAudio() {
  if (!audio) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    audio = new Ctx();
    noiseBuffer = audio.createBuffer(1, audio.sampleRate, audio.sampleRate);
    const d = noiseBuffer.getChannelData(0);
    for (let i = 0; i < d.length; i++) d[i] = Math.random() * 2 - 1;
  }
  if (audio.state === "suspended") audio.resume();
  return audio;
}
function envGain(t, peak, decay) {
  const g = audio.createGain();
  g.gain.setValueAtTime(peak, t); g.gain.exponentialRampToValueAtTime(0.001, t + decay);
  g.connect(audio.destination);
  return g;
}
function tone(t, f0, f1, decay, peak) {
  const o = audio.createOscillator(); o.frequency.setValueAtTime(f0, t);
  o.frequency.exponentialRampToValueAtTime(f1, t + decay * 0.8);
  o.connect(envGain(t, peak, decay)); o.start(t); o.stop(t + decay + 0.05);
}
function noise(t, type, freq, decay, peak) {
  const s = audio.createBufferSource(); s.buffer = noiseBuffer;
  const f = audio.createBiquadFilter(); f.type = type; f.frequency.value = freq;
  s.connect(f); f.connect(envGain(t, peak, decay)); s.start(t); s.stop(t + decay + 0.05);
}
const DRUM_VOICES = {             // by output pitch; a synthesised kit, no samples needed
  36: (t, v) => tone(t, 150, 45, 0.35, v),
  38: (t, v) => { tone(t, 220, 160, 0.12, v * 0.5); noise(t, "highpass", 1500, 0.18, v * 0.7); },
  42: (t, v) => noise(t, "highpass", 7000, 0.05, v * 0.5),
  46: (t, v) => noise(t, "highpass", 6000, 0.3, v * 0.45),
  43: (t, v) => tone(t, 110, 80, 0.3, v * 0.8),
  47: (t, v) => tone(t, 160, 120, 0.25, v * 0.8),
  50: (t, v) => tone(t, 220, 170, 0.22, v * 0.8),
  49: (t, v) => noise(t, "bandpass", 5000, 1.2, v * 0.45),
  51: (t, v) => { noise(t, "bandpass", 8000, 0.6, v * 0.3); tone(t, 3200, 3000, 0.4, v * 0.05); },
};
function playNote(pitch, t, velocity, duration) {
  if (!ensureAudio()) return;
  const v = Math.max(0.05, velocity / 127);
  if (state.kind === "drums") {
    const row = rowOfPitch(pitch);
    const voice = DRUM_VOICES[pitch] || DRUM_VOICES[(state.rows[row] || {}).pitch] || DRUM_VOICES[38];
    voice(t, v);
  } else {                        // a small additive piano
    const f = 440 * Math.pow(2, (pitch - 69) / 12), len = Math.max(0.2, duration || 0.4);
    [[1, 0.5], [2, 0.2], [3, 0.08]].forEach(([h, a]) => {
      const o = audio.createOscillator(); o.frequency.value = f * h;
      o.connect(envGain(t, v * a, len + 0.6)); o.start(t); o.stop(t + len + 0.7);
    });
  }
  if (state.midiOut) {            // Web MIDI out: drums on channel 10, melody on channel 1
    const ch = state.kind === "drums" ? 9 : 0, now = performance.now();
    const at = now + Math.max(0, (t - audio.currentTime) * 1000);
    state.midiOut.send([0x90 | ch, pitch, velocity], at);
    state.midiOut.send([0x80 | ch, pitch, 0], at + (duration || 0.1) * 1000);
  }
}
function playRow(r, t, velocity) { playNote(state.rows[r].pitch, t, velocity); }
function click(t, accent) { tone(t, accent ? 1800 : 1200, accent ? 1700 : 1100, 0.05, 0.3); }

// ---------------------------------------------------------------- transport (bar-locked)
// Phrases alternate: you (the grid, plus live pads) -> the model's reply -> you -> ...
// The call leaves half a 16th before its phrase ends (a hit later than that belongs to the next
// phrase), and the model's first steps are scheduled only once its reply is back (or at the
// last moment), so a hit in the last 16th is in the call and the reply is still on the beat.
let sched = null;
function stepSeconds() { return 60 / knobValue("tempo") / 4; }
function startTransport() {
  if (!ensureAudio()) return;
  state.playing = true;
  document.getElementById("play").classList.add("active");
  document.getElementById("play").textContent = "■ stop";
  const sp = stepSeconds(), countIn = document.getElementById("countin").checked ? 16 : 0;
  const t0 = audio.currentTime + 0.1;
  for (let i = 0; i < countIn; i += 4) click(t0 + i * sp, i === 0);
  sched = { t0: t0 + countIn * sp, next: 0, countIn };
  window.sched = sched;
  state.phrase = 0; state.sentPhrase = -1;
  sched.timer = setInterval(tick, 25);
}
function stopTransport() {
  state.playing = false;
  clearInterval(sched && sched.timer);
  document.getElementById("play").classList.remove("active");
  document.getElementById("play").textContent = "▶ play";
  document.getElementById("beat").textContent = "";
  document.querySelectorAll(".cell.now").forEach(c => c.classList.remove("now"));
}
function currentStep() {          // absolute 16th since the count-in ended (may be negative)
  return Math.floor((audio.currentTime - sched.t0) / stepSeconds());
}
function tick() {
  const sp = stepSeconds(), now = audio.currentTime;
  if (sched.sendAt !== undefined && now >= sched.sendAt - 0.004) { sched.sendAt = undefined; sendCall(); }
  while (true) {
    const abs = sched.next, t = sched.t0 + abs * sp;
    const phrase = Math.floor(abs / STEPS), s = abs % STEPS;
    const waiting = phrase % 2 === 1 && (sched.sendAt !== undefined || state.pending !== null);
    if (t >= now + (waiting ? 0.03 : 0.12)) break;   // a short horizon while the reply is out
    if (phrase % 2 === 0) {       // your phrase: play the grid
      if (s === 0) clearLive();
      state.call.forEach((row, r) => { if (row[s]) playRow(r, t, row[s]); });
      if (s === STEPS - 1 && state.sentPhrase !== phrase) { state.sentPhrase = phrase; sched.sendAt = t + sp / 2; }
    } else {                      // the model's phrase: play its last reply
      for (const n of state.reply) if (n.step === s) playNote(n.pitch, t + (n.offset || 0) * sp / 2, n.velocity, (n.duration || 1) * sp);
    }
    sched.next += 1;
  }
  const step = currentStep();
  document.querySelectorAll(".cell.now").forEach(c => c.classList.remove("now"));
  if (step < 0) { document.getElementById("beat").textContent = `count-in ${Math.floor((step + 16) / 4) + 1}`; return; }
  const phrase = Math.floor(step / STEPS), s = step % STEPS;
  const who = phrase % 2 === 0 ? "grid-call" : "grid-reply";
  document.getElementById("beat").textContent = `${who === "grid-call" ? "you" : "model"} · bar ${Math.floor(s / 16) + 1} · beat ${Math.floor((s % 16) / 4) + 1}`;
  document.querySelectorAll(`#${who} .cell[data-step="${s}"]`).forEach(c => c.classList.add("now"));
}
// A pad hit (keyboard or MIDI): sound now; while your phrase is playing it also lands on the grid.
function pad(row, velocity) {
  if (row < 0 || row >= state.rows.length) return;
  ensureAudio();
  playRow(row, audio.currentTime, velocity);
  if (state.playing && audio.currentTime >= sched.t0 - stepSeconds() / 2) {
    const pos = (audio.currentTime - sched.t0) / stepSeconds();
    const abs = Math.round(pos), phrase = Math.floor(abs / STEPS);
    if (phrase % 2 === 0) {       // lands on this phrase's call, with its timing, until the phrase ends
      const s = abs % STEPS, offset = Math.max(-1, Math.min(0.99, (pos - abs) * 2));
      state.live.push({ row, step: s, velocity, offset });
      const el = cell("grid-call", row, s);
      paint(el, velocity, offset); el.classList.add("live");
    }
  }
}
document.addEventListener("keydown", (e) => {
  if (e.repeat || e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
  const key = e.key.toLowerCase();
  if (state.kind !== "drums" && (key === "z" || key === "x")) {
    state.octave = Math.max(48, Math.min(72, state.octave + (key === "z" ? -12 : 12)));
    showHint(); buildLabels(); e.preventDefault(); return;
  }
  const r = state.kind === "drums" ? PAD_KEYS.indexOf(key)
    : (PIANO_KEYS.indexOf(key) >= 0 ? rowOfPitch(state.octave + PIANO_KEYS.indexOf(key)) : -1);
  if (r >= 0) { pad(r, e.shiftKey ? 127 : 100); e.preventDefault(); }
  else if (e.key === " ") { state.playing ? stopTransport() : startTransport(); e.preventDefault(); }
});

// ------------------------------------------------------------------------------ Web MIDI
function setupMidi() {
  const el = document.getElementById("midi-status");
  if (!navigator.requestMIDIAccess) { el.textContent = "Web MIDI is not available in this browser: use the grid or the pads."; return; }
  navigator.requestMIDIAccess().then((access) => {
    const refresh = () => {
      const ins = [...access.inputs.values()], outs = [...access.outputs.values()];
      ins.forEach(i => { i.onmidimessage = (m) => {
        const [st, note, vel] = m.data;
        if ((st & 0xf0) === 0x90 && vel > 0) pad(rowOfPitch(note), vel);
      }; });
      state.midiOut = outs[0] || null;
      el.textContent = ins.length || outs.length
        ? `MIDI in: ${ins.map(i => i.name).join(", ") || "none"} · MIDI out: ${state.midiOut ? state.midiOut.name : "none"}`
        : "No MIDI device found: use the grid or the pads.";
    };
    access.onstatechange = refresh; refresh();
  }, () => { el.textContent = "Web MIDI was not allowed: use the grid or the pads."; });
}

// ------------------------------------------------------------------ the 3-D trajectory view
// The view keeps its centre (the first exchange) and only zooms out when a point would leave
// it, so a reply moves on a still map. Axis ends are named by the attribute vector (from the
// hello) that each axis follows most, e.g. "density +".
function project3(p, scale, w, h) {
  const [x, y, z] = p;
  const cy = Math.cos(view.yaw), sy = Math.sin(view.yaw), cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
  const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;       // yaw about the vertical axis
  const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;      // then pitch about the horizontal
  const f = 3.2 / (3.2 + z2 * scale);                      // simple perspective
  return [w / 2 + x1 * scale * f * w * 0.33, h / 2 - y2 * scale * f * h * 0.45, f];
}
function fitView(all) {
  if (!all.length) { view.centre = null; view.extent = 0; return; }
  if (!view.centre) {
    const first = all.length > 1 ? [state.trajectory.call[0], state.trajectory.reply[0]].filter(Boolean) : all;
    view.centre = [0, 1, 2].map(k => first.reduce((a, p) => a + p[k], 0) / first.length);
  }
  let need = 0.25;
  for (const p of all) for (let k = 0; k < 3; k++) need = Math.max(need, Math.abs(p[k] - view.centre[k]));
  if (need > view.extent) view.extent = need * 1.5;        // zoom out with room to spare, never in
}
function axisNames() {            // axis -> [attribute, sign]: each attribute names one axis at most
  const pairs = [];
  for (const [name, d] of Object.entries(state.directions || {})) {
    for (let k = 0; k < 3; k++) if (Math.abs(d[k]) > 0.5) pairs.push([Math.abs(d[k]), k, name, d[k] > 0]);
  }
  pairs.sort((a, b) => b[0] - a[0]);
  const out = {}, used = new Set();
  for (const [, k, name, positive] of pairs) {
    if (k in out || used.has(name)) continue;
    out[k] = [name, positive]; used.add(name);
  }
  return out;
}
function drawSpace() {
  const c = document.getElementById("space"), g = c.getContext("2d"), w = c.width, h = c.height;
  g.clearRect(0, 0, w, h);
  const all = state.trajectory.call.concat(state.trajectory.reply);
  fitView(all);
  const centre = view.centre || [0, 0, 0], scale = 1 / Math.max(view.extent, 0.25);
  const at = (p) => project3([p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]], scale, w, h);
  g.font = "12px system-ui, sans-serif";
  g.fillStyle = "#8a93a3";
  g.fillText("each dot is two bars · close dots sound alike · a dashed line joins a call to its reply", 8, h - 8);
  g.lineWidth = 1; g.strokeStyle = "#39404d";            // axes, named by attribute where one fits
  const names = axisNames();
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]].forEach((a, i) => {
    const p0 = project3(a.map(v => -v / scale), scale, w, h), p1 = project3(a.map(v => v / scale), scale, w, h);
    g.beginPath(); g.moveTo(p0[0], p0[1]); g.lineTo(p1[0], p1[1]); g.stroke();
    const named = names[i];
    if (named) {
      g.fillStyle = "#8a93a3";
      g.fillText(`${named[0]} ${named[1] ? "+" : "−"}`, p1[0] + 3, p1[1]);
      g.fillText(`${named[0]} ${named[1] ? "−" : "+"}`, p0[0] + 3, p0[1]);
    }
  });
  g.setLineDash([4, 3]); g.strokeStyle = "#8a93a3"; g.globalAlpha = 0.8;   // call -> reply links
  state.trajectory.call.forEach((p, i) => {
    const q = state.trajectory.reply[i]; if (!q) return;
    const a = at(p), b = at(q);
    g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke();
  });
  g.setLineDash([1, 3]); g.strokeStyle = "#ffd27a";        // a reply that recalls an earlier moment
  for (const r of state.recalls) {
    const from = state.trajectory.reply[r.at], to = (state.trajectory[r.role] || [])[r.exchange - 1];
    if (!from || !to) continue;
    const a = at(from), b = at(to);
    g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke();
    g.beginPath(); g.arc(a[0], a[1], 9, 0, 7); g.stroke();
  }
  g.setLineDash([]); g.globalAlpha = 1;
  const colours = { call: "#4fa3ff", reply: "#ff9b42" };
  for (const who of ["call", "reply"]) {
    const pts = state.trajectory[who].map(at);
    g.strokeStyle = colours[who]; g.globalAlpha = 0.6; g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(p[0], p[1]) : g.moveTo(p[0], p[1]))); g.stroke();
    g.globalAlpha = 1; g.fillStyle = colours[who];
    const seen = new Map();                                // identical points: one dot, "×n"
    pts.forEach((p, i) => {
      const key = `${Math.round(p[0])},${Math.round(p[1])}`;
      seen.set(key, (seen.get(key) || 0) + 1);
      g.beginPath(); g.arc(p[0], p[1], (i === pts.length - 1 ? 6 : 3.5) * p[2], 0, 7); g.fill();
    });
    for (const [key, n] of seen) {
      if (n < 2) continue;
      const [x, y] = key.split(",").map(Number);
      g.fillText(`×${n}`, x + 7, y + (who === "call" ? -6 : 12));
    }
  }
}
function setupSpace() {
  const c = document.getElementById("space");
  c.addEventListener("mousedown", (e) => { view.dragging = true; view.lx = e.clientX; view.ly = e.clientY; });
  window.addEventListener("mouseup", () => { view.dragging = false; });
  window.addEventListener("mousemove", (e) => {
    if (!view.dragging) return;
    view.yaw += (e.clientX - view.lx) * 0.01;
    view.pitch = Math.max(-1.5, Math.min(1.5, view.pitch + (e.clientY - view.ly) * 0.01));
    view.lx = e.clientX; view.ly = e.clientY; drawSpace();
  });
  drawSpace();
}

// ------------------------------------------------------------------------------ wiring
function setupControls() {
  for (const id of ["temperature", "radius", "bits", "recall"]) {
    const input = document.getElementById(id), out = document.getElementById(id + "-out");
    input.addEventListener("input", () => { out.textContent = input.value; });
  }
  document.getElementById("model").addEventListener("change", (e) => chooseModel(e.target.value));
  document.getElementById("play").addEventListener("click", () => (state.playing ? stopTransport() : startTransport()));
  document.getElementById("send").addEventListener("click", () => sendCall());
  document.getElementById("clear").addEventListener("click", () => clearCall());
  document.getElementById("reset").addEventListener("click", () => {
    send({ type: "reset" }); state.trajectory = { call: [], reply: [] }; state.recalls = [];
    view.centre = null; view.extent = 0;
    document.getElementById("space").dataset.points = "0"; drawSpace();
  });
}
state.rows = DRUM_ROWS;
buildGrids();
setupControls();
setupSpace();
setupMidi();
connect();
