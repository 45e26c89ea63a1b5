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
const MELODY_ROWS = [];           // one octave and a fifth, top row highest
for (let p = 79; p >= 60; p--) MELODY_ROWS.push({ name: "C C# D D# E F F# G G# A A# B".split(" ")[p % 12] + (Math.floor(p / 12) - 1), pitch: p });
const PAD_KEYS = "asdfghjkl";

const state = {
  ws: null, hello: null, model: null, kind: "drums", rows: DRUM_ROWS,
  call: [], reply: [],            // call[row][step] = velocity (0 = off); reply: list of notes
  playing: false, phrase: 0, replies: 0, pending: null, sentPhrase: -1,
  trajectory: { call: [], reply: [] }, midiOut: null, seq: 1,
};
window.latentjam = state;         // for the browser end-to-end test and the curious

// ------------------------------------------------------------------------------ connection
const token = new URLSearchParams(location.search).get("token");
function connect() {
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
  }
  chooseModel(msg.default_model);
  setStatus("connected", "open");
}

function chooseModel(name) {
  const info = state.hello.models[name];
  state.model = name; state.kind = info.kind;
  state.rows = info.kind === "drums" ? (info.drum_rows || DRUM_ROWS) : MELODY_ROWS;
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
    label.append(document.createTextNode(`${attr} `), input, document.createTextNode(" "), out);
    input.addEventListener("input", () => { out.textContent = input.value; });
    box.appendChild(label);
  }
  buildGrids();
}

// -------------------------------------------------------------------------------- the grids
function buildGrids() {
  state.call = state.rows.map(() => new Array(STEPS).fill(0));
  state.reply = [];
  for (const id of ["grid-call", "grid-reply"]) {
    const grid = document.getElementById(id);
    grid.innerHTML = "";
    state.rows.forEach((row, r) => {
      const label = document.createElement("div");
      label.className = "label"; label.textContent = (id === "grid-call" && state.kind === "drums" ? `${PAD_KEYS[r] || ""} · ` : "") + row.name;
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
function cell(gridId, r, s) { return document.querySelector(`#${gridId} .cell[data-row="${r}"][data-step="${s}"]`); }
function toggleCell(r, s, velocity) {
  const on = velocity ? true : !state.call[r][s];
  state.call[r][s] = on ? (velocity || 100) : 0;
  cell("grid-call", r, s).classList.toggle("on", on);
  if (on) { ensureAudio(); playRow(r, audio ? audio.currentTime : 0, state.call[r][s]); }
}
function clearCall() {
  state.call.forEach((row, r) => row.forEach((_, s) => { row[s] = 0; cell("grid-call", r, s).classList.remove("on"); }));
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
  document.querySelectorAll("#grid-reply .cell.on").forEach(c => c.classList.remove("on"));
  for (const n of notes) {
    const r = rowOfPitch(n.pitch);
    if (r >= 0 && n.step < STEPS) cell("grid-reply", r, n.step).classList.add("on");
  }
}

// ------------------------------------------------------------------------------ the calls
function callNotes() {
  const notes = [];
  state.call.forEach((row, r) => row.forEach((v, s) => {
    if (v) notes.push({ pitch: state.rows[r].pitch, velocity: v, step: s, offset: 0 });
  }));
  return notes;
}
function knobValue(id) { return parseFloat(document.getElementById(id).value); }
function sendCall() {
  const nudges = {};
  document.querySelectorAll("#nudges input").forEach(i => { const v = parseFloat(i.value); if (v) nudges[i.dataset.attr] = v; });
  const params = { temperature: knobValue("temperature"), radius: knobValue("radius"),
                   bits: document.getElementById("bits-on").checked ? knobValue("bits") : null,
                   mode: document.getElementById("mode").value, nudges };
  const msg = { type: "call", id: state.seq++, model: state.model, bars: PHRASE_BARS,
                qpm: knobValue("tempo"), notes: callNotes(), params };
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
  document.getElementById("reply-info").textContent =
    `reply ${state.replies}: ${msg.notes.length} notes, ${msg.latency_ms.toFixed(1)} ms`;
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
// The call leaves one 16th before its phrase ends, so the reply is back before the downbeat.
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
  const sp = stepSeconds(), horizon = audio.currentTime + 0.12;
  while (sched.t0 + sched.next * sp < horizon) {
    const abs = sched.next, t = sched.t0 + abs * sp;
    const phrase = Math.floor(abs / STEPS), s = abs % STEPS;
    if (phrase % 2 === 0) {       // your phrase: play the grid
      state.call.forEach((row, r) => { if (row[s]) playRow(r, t, row[s]); });
      if (s === STEPS - 1 && state.sentPhrase !== phrase) { state.sentPhrase = phrase; sendCall(); }
    } else {                      // the model's phrase: play its last reply
      for (const n of state.reply) if (n.step === s) playNote(n.pitch, t + (n.offset || 0) * sp / 2, n.velocity, (n.duration || 1) * sp);
    }
    sched.next += 1;
  }
  const now = currentStep();
  document.querySelectorAll(".cell.now").forEach(c => c.classList.remove("now"));
  if (now < 0) { document.getElementById("beat").textContent = `count-in ${Math.floor((now + 16) / 4) + 1}`; return; }
  const phrase = Math.floor(now / STEPS), s = now % STEPS;
  const who = phrase % 2 === 0 ? "grid-call" : "grid-reply";
  document.getElementById("beat").textContent = `${who === "grid-call" ? "you" : "model"} · bar ${Math.floor(s / 16) + 1} · beat ${Math.floor((s % 16) / 4) + 1}`;
  document.querySelectorAll(`#${who} .cell[data-step="${s}"]`).forEach(c => c.classList.add("now"));
}
// A pad hit (keyboard or MIDI): sound now; while your phrase is playing it also lands on the grid.
function pad(row, velocity) {
  if (row < 0 || row >= state.rows.length) return;
  ensureAudio();
  playRow(row, audio.currentTime, velocity);
  if (state.playing && audio.currentTime >= sched.t0) {
    const pos = (audio.currentTime - sched.t0) / stepSeconds();
    const abs = Math.round(pos), phrase = Math.floor(abs / STEPS);
    if (phrase % 2 === 0) { const s = abs % STEPS; state.call[row][s] = velocity; cell("grid-call", row, s).classList.add("on"); }
  }
}
document.addEventListener("keydown", (e) => {
  if (e.repeat || e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
  const r = PAD_KEYS.indexOf(e.key.toLowerCase());
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
const view = { yaw: 0.6, pitch: 0.35, dragging: false, lx: 0, ly: 0 };
function project3(p, scale, w, h) {
  const [x, y, z] = p;
  const cy = Math.cos(view.yaw), sy = Math.sin(view.yaw), cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
  const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;       // yaw about the vertical axis
  const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;      // then pitch about the horizontal
  const f = 3.2 / (3.2 + z2 * scale);                      // simple perspective
  return [w / 2 + x1 * scale * f * w * 0.33, h / 2 - y2 * scale * f * h * 0.45, f];
}
function drawSpace() {
  const c = document.getElementById("space"), g = c.getContext("2d"), w = c.width, h = c.height;
  g.clearRect(0, 0, w, h);
  // centre the view on the players' points and zoom to their spread (the projection's origin,
  // the training corpus' mean, may be far away from a given groove)
  const all = state.trajectory.call.concat(state.trajectory.reply);
  const centre = [0, 1, 2].map(k => (all.length ? all.reduce((a, p) => a + p[k], 0) / all.length : 0));
  let extent = 1e-6;
  for (const p of all) for (let k = 0; k < 3; k++) extent = Math.max(extent, Math.abs(p[k] - centre[k]));
  const scale = 1 / Math.max(extent, 0.25);
  const at = (p) => project3([p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]], scale, w, h);
  g.fillStyle = "#5a6272";
  g.fillText(`centre (${centre.map(v => v.toFixed(2)).join(", ")}) · half-width ${(1 / scale).toFixed(2)}`, 8, h - 8);
  g.lineWidth = 1; g.strokeStyle = "#39404d";            // axes
  [[1, 0, 0], [0, 1, 0], [0, 0, 1]].forEach((a, i) => {
    const p0 = project3(a.map(v => -v / scale), scale, w, h), p1 = project3(a.map(v => v / scale), scale, w, h);
    g.beginPath(); g.moveTo(p0[0], p0[1]); g.lineTo(p1[0], p1[1]); g.stroke();
    g.fillStyle = "#5a6272"; g.fillText("PC" + (i + 1), p1[0] + 3, p1[1]);
  });
  const colours = { call: "#4fa3ff", reply: "#ff9b42" };
  for (const who of ["call", "reply"]) {
    const pts = state.trajectory[who].map(at);
    g.strokeStyle = colours[who]; g.globalAlpha = 0.6; g.beginPath();
    pts.forEach((p, i) => (i ? g.lineTo(p[0], p[1]) : g.moveTo(p[0], p[1]))); g.stroke();
    g.globalAlpha = 1; g.fillStyle = colours[who];
    pts.forEach((p, i) => { g.beginPath(); g.arc(p[0], p[1], (i === pts.length - 1 ? 5 : 3) * p[2], 0, 7); g.fill(); });
  }
  g.strokeStyle = "#2a2f38";                              // link each call to its reply
  state.trajectory.call.forEach((p, i) => {
    const q = state.trajectory.reply[i]; if (!q) return;
    const a = at(p), b = at(q);
    g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke();
  });
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
  for (const id of ["temperature", "radius", "bits"]) {
    const input = document.getElementById(id), out = document.getElementById(id + "-out");
    input.addEventListener("input", () => { out.textContent = input.value; });
  }
  document.getElementById("model").addEventListener("change", (e) => chooseModel(e.target.value));
  document.getElementById("play").addEventListener("click", () => (state.playing ? stopTransport() : startTransport()));
  document.getElementById("send").addEventListener("click", () => sendCall());
  document.getElementById("clear").addEventListener("click", () => clearCall());
  document.getElementById("reset").addEventListener("click", () => {
    send({ type: "reset" }); state.trajectory = { call: [], reply: [] };
    document.getElementById("space").dataset.points = "0"; drawSpace();
  });
}
state.rows = DRUM_ROWS;
buildGrids();
setupControls();
setupSpace();
setupMidi();
connect();
