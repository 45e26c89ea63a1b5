"""The jam's session logic: calls in, replies out, trajectories and history; synchronous.

A call of N bars (notes on the 16th-note grid) goes through the model's converter to tensors
(one window of the model's length per `model_bars` bars), is encoded to the posterior mean mu
(the call's latent point); a reply point is sampled around it (optionally through the bit-budget
channel, nudged along the model's attribute vectors), decoded, and turned back into notes. Both
points get a 3-D position from the fixed projection saved with the model. Transports call
`respond_batch` from ONE worker thread, so concurrent clients share a single batched forward pass.
The model runs here (torch); the only file I/O is `Session.save`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from latentjam.errors import LatentjamError
from latentjam.jam.grids import calls_to_drum_windows, drum_windows_to_notes
from latentjam.jam.memory import SessionMemory
from latentjam.jam.protocol import ATTRIBUTE_RANGE, STEPS_PER_BAR, Call, Note, encode_event
from latentjam.music import Sequence, Tempo, Track

STEP_BEATS = 0.25  # one 16th-note step in quarter notes
DRUM_NOTE_BEATS = 0.125  # written length of a drum hit (drums ignore it; MIDI needs one)
CONTINUOUS_PULL = 0.5  # "continuous" mode: how far the walk moves towards each new call


# ------------------------------------------------------------------------------- the model side


@dataclass
class JamModel:
    """A loaded model plus everything the jam needs beside it.

    `projection` is (mean (Nz,), components (3, Nz)): position = (z - mean) @ components.T.
    `attributes` maps a name (density, velocity, timing, ...) to a latent direction (Nz,).
    `latent_variance` (Nz,) is the per-dimension signal variance the bit-budget channel allocates
    bits over (the variance of mu over the training corpus; ones when the model did not store it).
    """

    name: str
    kind: str  # "drums" or "melody"
    model: object  # an nn.Module with encode / decode
    converter: object  # latentjam.convert.DrumGrid or MelodyOneHot
    projection: tuple[np.ndarray, np.ndarray]
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    latent_variance: np.ndarray | None = None
    projection_source: str = "checkpoint"
    # name -> (low, high): the corpus's extent along the vector, t = <z, v> / <v, v>
    attribute_extents: dict[str, tuple[float, float]] = field(default_factory=dict)

    def nudge(self, centre: np.ndarray, nudges: dict[str, float]) -> np.ndarray:
        """`centre` (Nz,) moved along each attribute vector by a knob `amount` in -3..3.

        With the corpus's extent along the vector stored (t = <z, v> / <v, v> from its 1st to
        its 99th percentile), +3 lands on the far end (e.g. the corpus's densest grooves), -3 on
        the near end (its sparsest, never silence), and amounts in between proportionally, so
        every knob moves its attribute over its whole range (a point already beyond an end stays
        where it is on that side); without a stored extent, amount x vector.
        """
        for attr, amount in nudges.items():
            vec = self.attributes[attr]
            extent = self.attribute_extents.get(attr)
            if extent is None or not amount:
                centre = centre + amount * vec
                continue
            t = float(centre @ vec) / max(float(vec @ vec), 1e-12)
            # never against the knob: a point already past the corpus's end stays put
            end = max(extent[1], t) if amount > 0 else min(extent[0], t)
            target = t + (abs(amount) / ATTRIBUTE_RANGE) * (end - t)
            centre = centre + (target - t) * vec
        return centre

    @property
    def model_bars(self) -> int:
        """Bars per model window (the converter's length)."""
        return int(self.converter.steps) // STEPS_PER_BAR

    @property
    def drum_mapping(self) -> str | None:
        """The drum grid's pitch mapping when this model reads drum grids (the fast path)."""
        from latentjam.convert import DrumGrid

        return self.converter.mapping if isinstance(self.converter, DrumGrid) else None

    @property
    def latent_dim(self) -> int:
        """Nz, the size of a latent point (the width of the projection's components (3, Nz))."""
        return int(self.projection[1].shape[1])

    def info(self) -> dict:
        """What a client needs to know to play with this model (sent in the "hello" event)."""
        info = {
            "name": self.name,
            "kind": self.kind,
            "model_bars": self.model_bars,
            "latent_dim": self.latent_dim,
            "attributes": sorted(self.attributes),
            "projection": self.projection_source,
            "attribute_directions": self.attribute_directions(),
            "modes": ["call", "continuous"] + (["drumify"] if self.kind == "drums" else []),
        }
        if self.kind == "drums":
            from latentjam.convert.drums import DRUM_CLASSES, OUTPUT_PITCHES

            info["drum_rows"] = [
                {"name": n.replace("_", " "), "pitch": p}
                for n, p in zip(DRUM_CLASSES, OUTPUT_PITCHES, strict=True)
            ]
        return info

    @property
    def memory_threshold(self) -> float:
        """Latent distance under which the session memory counts two points as the same:
        0.3 x the corpus's spread (root of the summed per-dimension variance of mu)."""
        return 0.3 * float(np.sqrt(np.sum(self.latent_variance)))

    def drumify_net(self):
        """The shipped drumify model (tap -> groove) for this drum model's "drumify" mode."""
        if self.kind != "drums":
            raise LatentjamError("drumify answers with drums: it needs a drum model")
        from latentjam.api import load_drumify

        return load_drumify()

    def attribute_directions(self) -> dict[str, list[float]]:
        """Each attribute vector seen in the 3-D view: its projection, unit length (x, y, z);
        the page labels its axes with the attribute each one follows most."""
        out = {}
        components = self.projection[1]  # (3, Nz)
        for name, vector in sorted(self.attributes.items()):
            d = components @ np.asarray(vector, dtype=np.float64)  # (3,)
            norm = float(np.linalg.norm(d))
            if norm > 0 and np.isfinite(norm):
                out[name] = [round(float(v) / norm, 4) for v in d]
        return out

    # -- tensors <-> notes -----------------------------------------------------------------

    def notes_to_windows(self, notes: tuple[Note, ...], bars: int, qpm: float) -> np.ndarray:
        """A call's notes -> model windows, shape (ceil(bars / model_bars), T, D) float32."""
        seq = notes_to_sequence(notes, drums=self.kind == "drums", qpm=qpm, bars=bars)
        n_windows = -(-bars // self.model_bars)
        window_beats = self.model_bars * STEPS_PER_BAR * STEP_BEATS
        return np.stack(
            [self.converter.to_tensor(seq, start_beat=w * window_beats) for w in range(n_windows)]
        ).astype(np.float32)

    def windows_to_notes(self, windows: np.ndarray, bars: int, qpm: float) -> list[Note]:
        """Decoded windows (n, T, D), played back to back -> notes of the first `bars` bars."""
        seq = self.converter.from_tensor(np.asarray(windows, dtype=np.float32), qpm=qpm)
        limit = bars * STEPS_PER_BAR
        return [n for n in sequence_to_notes(seq, drums=self.kind == "drums") if n.step < limit]

    # -- the batched model calls ---------------------------------------------------------------

    def encode(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Windows (B, T, D) -> posterior mean and standard deviation, each (B, Nz) float64."""
        from latentjam.models.batched import posterior

        mu, sigma = posterior(self.model, windows)
        return mu.astype(np.float64), sigma.astype(np.float64)

    def decode(self, z: np.ndarray, *, temperature: float = 0.0, seed: int = 0) -> np.ndarray:
        """Latents (B, Nz) -> converter tensors (B, T, D) float32 (binary hits / one-hot events).

        Temperature 0 takes the decoder's greedy choice at every step; above 0 it samples each
        step at that temperature from a torch generator seeded with `seed`.
        """
        import torch

        from latentjam.models.batched import decode_windows

        generator = torch.Generator().manual_seed(int(seed))
        zt = torch.as_tensor(z, dtype=torch.float32)
        out = decode_windows(self.model, zt, temperature=temperature, generator=generator)
        return out.float().numpy()

    def project(self, z: np.ndarray) -> np.ndarray:
        """Latents (..., Nz) -> 3-D positions (..., 3) by the fixed projection."""
        mean, components = self.projection
        return (np.asarray(z, dtype=np.float64) - mean) @ components.T


def fallback_projection(latent_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed orthonormal 3-D projection (seeded) for models saved without a fitted one."""
    rng = np.random.default_rng(20240601)
    q, _ = np.linalg.qr(rng.standard_normal((latent_dim, 3)))
    return np.zeros(latent_dim), q.T.copy()


def _metadata_array(metadata: dict, *keys):
    for key in keys:
        value = metadata
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return np.asarray(value, dtype=np.float64)
    return None


def jam_model_from(
    model, *, name: str, kind: str | None = None, metadata: dict | None = None, converter=None
) -> JamModel:
    """Wrap an encode/decode model and its checkpoint metadata into a `JamModel`.

    Reads from `metadata` (all optional): "projection" {"mean": (Nz,), "components": (3, Nz)},
    "attributes" {name: (Nz,)} (or {name: {"vector": (Nz,)}}), "latent_variance" (Nz,),
    "representation" / "kind" ("drums" or "melody").
    """
    metadata = dict(metadata or {})
    model.eval()
    if converter is None:
        converter = _converter_for(model, metadata, kind)
    if kind is None:  # from the converter itself, not from its tensor width
        from latentjam.convert import DrumGrid, MelodyOneHot

        if isinstance(converter, DrumGrid):
            kind = "drums"
        elif isinstance(converter, MelodyOneHot):
            kind = "melody"
        else:
            kind = type(converter).__name__
    if kind not in ("drums", "melody"):
        raise LatentjamError(f"the jam plays drum or melody models, not {kind!r}")
    latent_dim = _latent_dim(model, converter)
    mean = _metadata_array(metadata, "projection.mean", "pca.mean")
    comps = _metadata_array(metadata, "projection.components", "pca.components")
    source = "checkpoint"
    if mean is None or comps is None or comps.shape != (3, latent_dim):
        mean, comps = fallback_projection(latent_dim)
        source = "fallback (no projection saved with this model)"
    attributes, extents = {}, {}
    for attr, value in dict(metadata.get("attributes") or {}).items():
        vec = value.get("vector") if isinstance(value, dict) else value
        if vec is None:
            continue
        vec = np.asarray(vec, dtype=np.float64).reshape(-1)
        if vec.shape == (latent_dim,) and np.all(np.isfinite(vec)):
            attributes[str(attr)] = vec
            extent = value.get("extent") if isinstance(value, dict) else None
            if extent is not None and len(extent) == 2 and extent[0] < extent[1]:
                extents[str(attr)] = (float(extent[0]), float(extent[1]))
    variance = _metadata_array(metadata, "latent_variance", "channel.variance")
    if variance is None or variance.shape != (latent_dim,):
        variance = np.ones(latent_dim)
    return JamModel(
        name, kind, model, converter, (mean, comps), attributes, variance, source, extents
    )


def _converter_for(model, metadata: dict, kind: str | None):
    """The model's converter: the public API's rule (`latentjam.api.converter_for`, which also
    keeps a drum model's pitch mapping) for models that name their data; otherwise the
    metadata's "representation" or the `kind` the caller gives."""
    from latentjam import convert
    from latentjam.api import converter_for

    config = getattr(model, "config", None)
    if getattr(config, "data", None) in ("drums", "melody") or hasattr(config, "converter"):
        return converter_for(model, metadata)
    bars = int(metadata.get("bars") or getattr(config, "bars", 0) or 2)
    rep = str(metadata.get("representation") or kind or "")
    if "melody" in rep:
        return convert.MelodyOneHot(bars=bars)
    if "drum" in rep:
        return convert.DrumGrid(bars=bars)
    raise LatentjamError(
        "cannot tell whether this model plays drums or melody; "
        "save 'representation' in its metadata or pass kind="
    )


def _latent_dim(model, converter) -> int:
    import torch

    x = torch.zeros(1, int(converter.steps), int(converter.feature_dim))
    with torch.inference_mode():
        mu, _ = model.encode(x)
    return int(mu.shape[-1])


def load_jam_model(name_or_path: str) -> JamModel:
    """A shipped model by name ("drums", "melody", ...) or a checkpoint path, ready to jam."""
    from latentjam import pretrained

    loaded = pretrained.load_model(name_or_path)
    model, metadata = loaded, {}
    if isinstance(loaded, tuple):
        model, metadata = loaded[0], (loaded[1] if len(loaded) > 1 else {})
    metadata = dict(metadata or getattr(model, "metadata", None) or {})
    name = Path(str(name_or_path)).stem
    return jam_model_from(model, name=name, metadata=metadata)


# --------------------------------------------------------------------------- notes <-> music


def notes_to_sequence(
    notes, *, drums: bool, qpm: float = 120.0, bars: int | None = None
) -> Sequence:
    """Grid notes -> a `Sequence` with one track (onset = (step + offset / 2) steps).

    Melody notes without a duration last until the next note (or the end of the call).
    """
    notes = sorted(notes, key=lambda n: (n.step + n.offset / 2, n.pitch))
    starts = [(n.step + n.offset / 2) * STEP_BEATS for n in notes]
    end = (bars * STEPS_PER_BAR * STEP_BEATS) if bars else (max(starts, default=0.0) + 1.0)
    durations = []
    for i, n in enumerate(notes):
        if drums:
            durations.append(DRUM_NOTE_BEATS)
        elif n.duration > 0:
            durations.append(n.duration * STEP_BEATS)
        else:
            later = [s for s in starts[i + 1 :] if s > starts[i]]
            durations.append(max((later[0] if later else end) - starts[i], STEP_BEATS / 4))
    track = Track(
        [n.pitch for n in notes],
        [n.velocity for n in notes],
        starts,
        durations,
        is_drum=drums,
        name="call",
    )
    return Sequence([track], tempos=[Tempo(0.0, qpm)])


def sequence_to_notes(seq: Sequence, *, drums: bool, step_shift: int = 0) -> list[Note]:
    """A `Sequence` -> grid notes: nearest step, micro-timing offset in half-steps, duration."""
    tracks = [t for t in seq.tracks if t.is_drum == drums]
    track = tracks[0] if len(tracks) == 1 else seq.merged(drums=drums)
    pos = track.start / STEP_BEATS  # (n,) in steps
    step = np.floor(pos + 0.5).astype(np.int64)
    offset = np.clip(2.0 * (pos - step), -1.0, 0.999)
    early = step < 0
    step[early], offset[early] = 0, -1.0
    duration = (np.zeros(len(pos)) if drums else track.duration / STEP_BEATS).round(4)
    velocity = np.clip(track.velocity, 1, 127)
    return [
        Note(p, v, st + step_shift, o, d)
        for p, v, st, o, d in zip(
            track.pitch.tolist(),
            velocity.tolist(),
            step.tolist(),
            offset.round(4).tolist(),
            duration.tolist(),
            strict=True,
        )
    ]


# ------------------------------------------------------------------------------ the sessions


class Exchange(NamedTuple):
    """One call and its reply, as stored in the history.

    Holds no containers the garbage collector tracks (the notes as JSON text, the latents as
    numpy arrays, positions as tuples of floats): the collector sees one small object per
    exchange instead of a dozen, so a long jam's history does not grow the full collections
    that pause a bar (measured: none in 120 bars of 32 calls, against two of 16-22 ms).
    """

    call_json: str  # Call.to_json() as JSON: model, bars, reply_bars, qpm, notes..
    reply_json: str  # the reply notes (Note.to_json() of each) as JSON
    call_latent: np.ndarray  # (Nz,) mean of the call windows' posterior means
    reply_latent: np.ndarray  # (Nz,) mean of the reply windows' latents
    call_position: tuple[float, float, float]
    reply_position: tuple[float, float, float]
    seed: int
    model_ms: float
    time: float

    @property
    def call(self) -> dict:
        """The call as JSON data (model, bars, reply_bars, qpm, notes, params)."""
        return json.loads(self.call_json)

    @property
    def reply_notes(self) -> list[dict]:
        """The reply notes as JSON data."""
        return json.loads(self.reply_json)

    def to_json(self) -> dict:
        """The exchange as JSON data (time, call, seed, reply, rounded latents, positions, ms)."""
        call = self.call
        return {
            "time": self.time,
            "call": call,
            "seed": self.seed,
            "reply": {"bars": call["reply_bars"], "notes": self.reply_notes},
            "latent": {
                "call": self.call_latent.round(6).tolist(),
                "reply": self.reply_latent.round(6).tolist(),
            },
            "position": {"call": list(self.call_position), "reply": list(self.reply_position)},
            "model_ms": round(self.model_ms, 3),
        }


class Session:
    """One player's conversation with the model: its random stream, trajectory and history."""

    def __init__(
        self,
        jam_model: JamModel,
        name: str = "default",
        *,
        seed: int | None = None,
        max_history: int = 10_000,
    ):
        self.jam_model = jam_model
        self.name = name
        self.history: list[Exchange] = []
        self.max_history = max_history
        self._seeds = np.random.default_rng(seed)
        self.last_reply_latent: np.ndarray | None = None
        self.memory = SessionMemory(jam_model.memory_threshold)

    def reset(self) -> None:
        """Forget the trajectory, history and memory (the random stream continues)."""
        self.history.clear()
        self.last_reply_latent = None
        self.memory.reset()

    def respond(self, call: Call) -> dict:
        """Answer one call (see `respond_batch`)."""
        return respond_batch([(self, call)])[0]

    # -- persistence ---------------------------------------------------------------------

    def to_json(self) -> dict:
        """The whole history as JSON-ready data (enough to replay every exchange)."""
        m = self.jam_model
        return {
            "format": "latentjam-jam-session/1",
            "session": self.name,
            "model": m.info(),
            "exchanges": [e.to_json() for e in self.history],
        }

    def to_sequence(self) -> Sequence:
        """The history laid out in time: each call followed by its reply; two drum/melody tracks."""
        drums = self.jam_model.kind == "drums"
        qpm = self.history[0].call["qpm"] if self.history else 120.0
        calls, replies = [], []
        tempos = [Tempo(0.0, qpm)]
        cursor = 0.0
        for e in self.history:
            call = e.call
            if call["qpm"] != tempos[-1].qpm:  # the players changed tempo: so does the file
                tempos.append(Tempo(cursor, call["qpm"]))
            calls.append(([Note(**n) for n in call["notes"]], cursor))
            cursor += call["bars"] * STEPS_PER_BAR * STEP_BEATS
            replies.append(([Note(**n) for n in e.reply_notes], cursor))
            cursor += call["reply_bars"] * STEPS_PER_BAR * STEP_BEATS
        tracks = []
        for label, parts in (("human", calls), ("model", replies)):
            rows = []
            for notes, at in parts:
                part = notes_to_sequence(notes, drums=drums, qpm=qpm).tracks[0]
                rows.extend(
                    zip(
                        part.pitch.tolist(),
                        part.velocity.tolist(),
                        (part.start + at).tolist(),
                        part.duration.tolist(),
                        strict=True,
                    )
                )
            track = Track.from_notes(
                rows,
                is_drum=drums,
                name=label,
                program=0 if drums else (0 if label == "human" else 11),
            )
            tracks.append(track)
        return Sequence(tracks, tempos=tempos)

    def save(self, directory: str | os.PathLike, stem: str | None = None) -> tuple[Path, Path]:
        """Write the history as `<stem>.mid` + `<stem>.json` (atomically); returns both paths."""
        from latentjam.atomic import atomic_write_bytes
        from latentjam.midi import to_midi_bytes

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = stem or safe_stem(self.name)
        json_path, midi_path = directory / f"{stem}.json", directory / f"{stem}.mid"
        text = json.dumps(self.to_json(), indent=1, allow_nan=False)
        atomic_write_bytes(json_path, text.encode("utf-8"))
        atomic_write_bytes(midi_path, to_midi_bytes(self.to_sequence()))
        return midi_path, json_path


def safe_stem(name: str) -> str:
    """A session name made safe as a file name, distinct for distinct names: a name that had
    to be changed (characters replaced, or cut after 48) gets a hash of the original."""
    import hashlib

    clean = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    if clean == name and 0 < len(name) <= 48:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    return f"{clean[:48] or 'session'}-{digest}"


def _channel(
    mu: np.ndarray, bits: float, variance: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One latent (Nz,) through the bit-budget channel: `bits` spread over the dimensions by
    exact reverse water-filling on `variance`, then the Gaussian test channel (zero-rate
    dimensions send the prior mean 0)."""
    from latentjam import channel

    alloc = channel.exact_allocation(variance, bits)  # (Nz,)
    return channel.gaussian_channel(mu[None], alloc, variance, 0.0, rng)[0]


def encode_calls(jam_model: JamModel, calls: list[Call]) -> list[np.ndarray]:
    """Each call's windows encoded in one pass: a list of posterior means, each (n_i, Nz)."""
    if not calls:
        return []
    mb = jam_model.model_bars
    n_windows = [-(-call.bars // mb) for call in calls]
    if jam_model.drum_mapping is not None:  # drums: every call's grid in one numpy pass
        x = calls_to_drum_windows(
            [call.notes for call in calls],
            n_windows,
            int(jam_model.converter.steps),
            jam_model.drum_mapping,
        )
    else:
        x = np.concatenate(
            [jam_model.notes_to_windows(call.notes, call.bars, call.qpm) for call in calls]
        )  # (sum n_i, T, D)
    mu_all, _ = jam_model.encode(x)  # (sum n_i, Nz)
    return np.split(mu_all, np.cumsum(n_windows)[:-1])


SILENT_RETRIES = 3  # denser re-draws of a reply window that came out without a note


def _silent(jam_model: JamModel, windows: np.ndarray) -> np.ndarray:
    """Which decoded windows (n, T, D) hold no note, (n,) bool."""
    onsets = windows[..., :9] if jam_model.kind == "drums" else windows[..., 2:]
    return ~(onsets > 0.5).reshape(len(windows), -1).any(axis=1)


def _fill_silent_windows(
    jam_model: JamModel, z_all: np.ndarray, decoded: np.ndarray, items, plans
) -> None:
    """A reply is never silent: each window that decoded to no note is drawn again a step
    denser (along the density vector when the model has one, else further out), up to
    SILENT_RETRIES times; `z_all` and `decoded` are updated in place."""
    temperature_of = np.zeros(len(z_all))
    seed_of = np.zeros(len(z_all), dtype=np.int64)
    for (_, call), (seed, _, _, start, n) in zip(items, plans, strict=True):
        temperature_of[start : start + n] = call.params.temperature
        seed_of[start : start + n] = seed
    for attempt in range(1, SILENT_RETRIES + 1):
        rows = np.flatnonzero(_silent(jam_model, decoded))
        if not len(rows):
            return
        if "density" in jam_model.attributes:
            z_new = np.stack([jam_model.nudge(z_all[r], {"density": float(attempt)}) for r in rows])
        else:
            z_new = z_all[rows] * (1.0 + 0.5 * attempt)
        for temperature in np.unique(temperature_of[rows]):
            sub = rows[temperature_of[rows] == temperature]
            pick = np.isin(rows, sub)
            out = jam_model.decode(
                z_new[pick], temperature=float(temperature), seed=int(seed_of[sub[0]]) + attempt
            )
            took = ~_silent(jam_model, out)
            decoded[sub[took]] = out[took]
            z_all[sub[took]] = z_new[pick][took]


def respond_batch(
    items: list[tuple[Session, Call]], on_reply=None, encoded: list[np.ndarray | None] | None = None
) -> list[dict]:
    """Answer many calls (from any sessions of one model) with one encode and one decode pass.

    Per call: windows -> mu (the call point: mean over its windows); the centre is mu (mode
    "call") or a step from the previous reply towards mu ("continuous"); through the channel
    when a bit budget is set; plus attribute nudges; each reply window z = centre + radius * eps,
    eps ~ N(0, I) from the call's seed; decoded greedily (temperature 0) or sampled (calls of
    equal temperature share one pass and one generator, seeded by the first of them, so only
    the reply points and temperature-0 replies replay exactly). `encoded[i]`, when given, is
    call i's `encode_calls` result computed earlier (the calls without one are encoded here).
    Returns reply events (dicts) in the order of `items`; `on_reply(index, event)`, when given,
    is called as each one is ready.
    """
    if not items:
        return []
    jam_model = items[0][0].jam_model
    if any(s.jam_model is not jam_model for s, _ in items):
        raise ValueError("respond_batch needs calls for one model")
    if any(call.params.mode == "drumify" for _, call in items):
        return _respond_in_parts(items, on_reply, encoded)
    t0 = time.perf_counter()
    mus = list(encoded) if encoded is not None else [None] * len(items)
    todo = [i for i, mu in enumerate(mus) if mu is None]
    for i, mu in zip(todo, encode_calls(jam_model, [items[i][1] for i in todo]), strict=True):
        mus[i] = mu
    plans, z_rows, recalls = [], [], []
    for i, (session, call) in enumerate(items):
        p = call.params
        seed = int(p.seed if p.seed is not None else session._seeds.integers(2**32))
        rng = np.random.default_rng(seed)
        call_mu = mus[i].mean(axis=0)  # (Nz,)
        centre = call_mu
        if p.mode == "continuous" and session.last_reply_latent is not None:
            last = session.last_reply_latent
            centre = last + CONTINUOUS_PULL * (call_mu - last)
        if p.bits is not None:
            centre = _channel(centre, p.bits, jam_model.latent_variance, rng)
        proposal = session.memory.proposal(session.memory.add(call_mu))
        recalled = None
        if p.recall > 0 and proposal is not None and (p.recall >= 1 or rng.random() < p.recall):
            # this reply brings the earlier moment back: drawn around how the session went on
            # before, not part-way there (a point between two moments is neither)
            centre, recalled = proposal.latent, proposal
        recalls.append(recalled)
        if p.nudges:
            centre = jam_model.nudge(centre, p.nudges)
        n_reply = -(-call.reply_bars // jam_model.model_bars)
        z = centre[None] + p.radius * rng.standard_normal((n_reply, centre.shape[0]))
        plans.append((seed, rng, call_mu, len(z_rows), n_reply))
        z_rows.extend(z)
    z_all = np.asarray(z_rows)  # (sum m_i, Nz)
    decoded = np.zeros(
        (len(z_all), jam_model.converter.steps, jam_model.converter.feature_dim), dtype=np.float32
    )  # (sum m_i, T, D)
    by_temperature: dict[float, list[int]] = {}
    for (_, call), plan in zip(items, plans, strict=True):
        rows = range(plan[3], plan[3] + plan[4])
        by_temperature.setdefault(call.params.temperature, []).extend(rows)
    for temperature, rows in by_temperature.items():
        first_seed = next(
            p[0]
            for (_, c), p in zip(items, plans, strict=True)
            if c.params.temperature == temperature
        )
        decoded[rows] = jam_model.decode(z_all[rows], temperature=temperature, seed=first_seed)
    _fill_silent_windows(jam_model, z_all, decoded, items, plans)
    model_ms = (time.perf_counter() - t0) * 1000.0
    spans = [
        (plan[3], plan[4], call.reply_bars * STEPS_PER_BAR)
        for (_, call), plan in zip(items, plans, strict=True)
    ]
    if jam_model.drum_mapping is not None:
        replies = drum_windows_to_notes(decoded, spans)
    else:
        replies = [
            [
                n.to_json()
                for n in jam_model.windows_to_notes(
                    decoded[start : start + n], call.reply_bars, call.qpm
                )
            ]
            for (_, call), (start, n, _) in zip(items, spans, strict=True)
        ]
    call_mus = np.stack([plan[2] for plan in plans])  # (B, Nz)
    reply_latents = np.stack([z_all[start : start + n].mean(axis=0) for start, n, _ in spans])
    seeds = [plan[0] for plan in plans]
    return _finish(items, replies, call_mus, reply_latents, seeds, model_ms, on_reply, recalls)


def _finish(
    items, replies, call_mus, reply_latents, seeds, model_ms, on_reply, recalls=None
) -> list[dict]:
    """Record each exchange in its session (history and memory) and build the reply events
    (see `respond_batch`); `recalls[i]` is the memory's proposal reply i brought back (or None)."""
    jam_model = items[0][0].jam_model
    positions = jam_model.project(np.concatenate([call_mus, reply_latents])).round(5).tolist()
    now = time.time()
    events = []
    for i, (session, call) in enumerate(items):
        seed, call_mu = seeds[i], call_mus[i]
        reply_notes, reply_latent = replies[i], reply_latents[i]
        pos = (positions[i], positions[len(items) + i])
        exchange = Exchange(
            encode_event(call.to_json()),
            encode_event(reply_notes),
            call_mu,
            reply_latent,
            tuple(pos[0]),
            tuple(pos[1]),
            seed,
            model_ms,
            now,
        )
        session.last_reply_latent = reply_latent
        session.memory.add(reply_latent)
        session.history.append(exchange)
        if len(session.history) > session.max_history:
            del session.history[0]
        event = {
            "type": "reply",
            "session": session.name,
            "model": jam_model.name,
            "bars": call.reply_bars,
            "steps_per_bar": STEPS_PER_BAR,
            "notes": reply_notes,
            "position": {"call": pos[0], "reply": pos[1]},
            "seed": seed,
            "exchange": len(session.history),
            "model_ms": round(model_ms, 3),
            "memory": {"information_rate": round(session.memory.information_rate(), 4)},
        }
        recalled = recalls[i] if recalls is not None else None
        if recalled is not None:
            event["memory"]["recalled"] = {"exchange": recalled.exchange, "role": recalled.role}
        if call.id is not None:
            event["id"] = call.id
        events.append(event)
        if on_reply is not None:
            on_reply(i, event)
    return events


def _respond_in_parts(items, on_reply, encoded) -> list[dict]:
    """`respond_batch` for a batch mixing drumify calls with others: each part in its pass."""
    events: list[dict | None] = [None] * len(items)
    tapped = [i for i, (_, call) in enumerate(items) if call.params.mode == "drumify"]
    other = [i for i in range(len(items)) if i not in set(tapped)]
    for part, respond in ((other, None), (tapped, _respond_drumify)):
        if not part:
            continue

        def forward(j, event, part=part):
            if on_reply is not None:
                on_reply(part[j], event)

        sub = [items[i] for i in part]
        if respond is None:
            enc = None if encoded is None else [encoded[i] for i in part]
            got = respond_batch(sub, forward, enc)
        else:
            got = respond(sub, forward)
        for i, event in zip(part, got, strict=True):
            events[i] = event
    return events


def _respond_drumify(items, on_reply) -> list[dict]:
    """Drumify calls (drum models): every note of a call is a tap, whatever its pitch; the
    shipped drumify model (`latentjam.models.drumify`) turns the taps into a full groove at
    the call's temperature (seeded). Positions: the taps (as kicks) and the groove, each
    encoded by the drum model."""
    from latentjam.models.drumify import taps_of

    t0 = time.perf_counter()
    jam_model = items[0][0].jam_model
    net = jam_model.drumify_net()
    steps = int(jam_model.converter.steps)
    n_windows = [-(-max(call.bars, call.reply_bars) // jam_model.model_bars) for _, call in items]
    kicks = [
        tuple(Note(36, n.velocity, n.step, n.offset, n.duration) for n in call.notes)
        for _, call in items
    ]
    grids = calls_to_drum_windows(kicks, n_windows, steps, "gm")  # (sum n_i, T, 27)
    taps = taps_of(grids)  # (sum n_i, T, 3)
    decoded = np.zeros_like(grids)
    seeds, at = [], 0
    for (session, call), n in zip(items, n_windows, strict=True):
        p = call.params
        seed = int(p.seed if p.seed is not None else session._seeds.integers(2**32))
        seeds.append(seed)
        decoded[at : at + n] = net.drumify(taps[at : at + n], temperature=p.temperature, seed=seed)
        at += n
    spans, at = [], 0
    for (_, call), n in zip(items, n_windows, strict=True):
        spans.append(
            (at, -(-call.reply_bars // jam_model.model_bars), call.reply_bars * STEPS_PER_BAR)
        )
        at += n
    replies = drum_windows_to_notes(decoded, spans)
    mu_taps, _ = jam_model.encode(grids)  # (sum n_i, Nz)
    mu_groove, _ = jam_model.encode(decoded)
    bounds = np.cumsum(n_windows)[:-1]
    call_mus = np.stack([m.mean(axis=0) for m in np.split(mu_taps, bounds)])
    reply_latents = np.stack([m.mean(axis=0) for m in np.split(mu_groove, bounds)])
    for (session, _), call_mu in zip(items, call_mus, strict=True):
        session.memory.add(call_mu)
    model_ms = (time.perf_counter() - t0) * 1000.0
    return _finish(items, replies, call_mus, reply_latents, seeds, model_ms, on_reply)


def read_recording(path: Path) -> list[dict]:
    """Session histories {"session", "model", "exchanges"} from a recording: a session's
    .json, its .jsonl journal (one exchange per line), or a folder of them (journals win)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.rglob("*.jsonl")) or sorted(path.rglob("*.json"))
        if not files:
            raise LatentjamError(f"{path}: no .json or .jsonl recordings in it")
        return [h for f in files for h in read_recording(f)]
    if not path.is_file():
        raise LatentjamError(f"{path}: no such recording")
    try:
        if path.suffix == ".jsonl":
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            if not lines:
                return []
            return [
                {
                    "session": lines[0].get("session"),
                    "model": lines[0].get("model"),
                    "exchanges": lines,
                }
            ]
        data = json.loads(path.read_text())
    except (ValueError, OSError) as exc:
        raise LatentjamError(f"{path}: not a jam recording ({exc})") from None
    return [data]


def replay(history: dict, jam_model: JamModel) -> list[dict]:
    """Re-run every call of a saved history (same seeds) in a fresh session; returns the replies."""
    from latentjam.jam.protocol import parse_message

    session = Session(jam_model, "replay")  # recorded names can be longer than a message allows
    models = {jam_model.name: {"kind": jam_model.kind, "attributes": sorted(jam_model.attributes)}}
    out = []
    for ex in history.get("exchanges", []):
        c = dict(ex["call"])
        params = dict(c.get("params") or {})
        params["seed"] = ex["seed"]
        msg = {
            "type": "call",
            "session": session.name,
            "model": jam_model.name,
            "bars": c["bars"],
            "reply_bars": c["reply_bars"],
            "qpm": c["qpm"],
            "notes": c["notes"],
            "params": params,
        }
        out.append(session.respond(parse_message(msg, models=models).call))
    return out
