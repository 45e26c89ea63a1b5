"""Drum grid (T, 27): 9-class hits, velocities and micro-timing offsets on 16th-note steps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentjam.convert import windows as grid
from latentjam.errors import LatentjamError
from latentjam.music import Sequence, Tempo, TimeSignature, Track

DRUM_CLASSES = (
    "kick",
    "snare",
    "closed_hihat",
    "open_hihat",
    "low_tom",
    "mid_tom",
    "high_tom",
    "crash",
    "ride",
)
N_CLASSES = len(DRUM_CLASSES)
FEATURE_DIM = 3 * N_CLASSES  # hits 0-8, velocities 9-17, offsets 18-26

# Canonical pitch written for each class (FM-Music-VAE table 4), in DRUM_CLASSES order.
OUTPUT_PITCHES = (36, 38, 42, 46, 43, 47, 50, 49, 51)

# General MIDI source pitches folded into each class (Magenta note_seq's 9-class reduction).
GM_PITCHES = {
    "kick": (35, 36),
    "snare": (27, 28, 31, 32, 33, 34, 37, 38, 39, 40, 56, 65, 66, 75, 85),
    "closed_hihat": (22, 42, 44, 54, 68, 69, 70, 71, 73, 78, 80),
    "open_hihat": (26, 46, 67, 72, 74, 79, 81),
    "low_tom": (29, 41, 43, 45, 61, 64, 84),
    "mid_tom": (47, 48, 60, 63, 77, 86, 87),
    "high_tom": (30, 50, 62, 76, 83),
    "crash": (49, 52, 55, 57, 58),
    "ride": (51, 53, 59, 82),
}

# Roland TD-11 kits (the Groove MIDI Dataset): tom 2 is 45 (head) / 47 (rim), tom 1 is 48 / 50,
# the floor tom's rim is 58; everything else reads as in GM.
ROLAND_OVERRIDES = {45: "mid_tom", 48: "high_tom", 58: "low_tom"}


def _table(pitches: dict[str, tuple[int, ...]], overrides: dict[int, str]) -> np.ndarray:
    """Lookup array, shape (128,): MIDI pitch -> class index, -1 for pitches that are ignored."""
    table = np.full(128, -1, dtype=np.int64)
    for c, name in enumerate(DRUM_CLASSES):
        table[list(pitches[name])] = c
    for pitch, name in overrides.items():
        table[pitch] = DRUM_CLASSES.index(name)
    return table


MAPPINGS = {"gm": _table(GM_PITCHES, {}), "roland": _table(GM_PITCHES, ROLAND_OVERRIDES)}
for _table_ in MAPPINGS.values():  # every written pitch reads back as its own class
    assert all(_table_[p] == c for c, p in enumerate(OUTPUT_PITCHES))

_NOTE_TICKS = 30  # length of a written drum note (drum sounds ignore durations)


def _frames(ticks: np.ndarray, classes: np.ndarray, velocity: np.ndarray, n_steps: int):
    """Grid of the notes at `ticks` (relative to step 0): returns (n_steps, 27) float32.

    Keeps the loudest note per class per step (ties: the earliest). Notes outside the steps
    [0, n_steps) are ignored.
    """
    out = np.zeros((n_steps, FEATURE_DIM), dtype=np.float32)
    step = grid.nearest_step(ticks)
    inside = (step >= 0) & (step < n_steps)
    step, classes, velocity = step[inside], classes[inside], velocity[inside]
    offset = ticks[inside] - step * grid.STEP_TICKS  # ticks in [-60, 59]
    if len(step) == 0:
        return out
    cell = step * N_CLASSES + classes
    order = np.lexsort((-offset, velocity, cell))  # last in each cell: loudest, then earliest
    cell, velocity, offset = cell[order], velocity[order], offset[order]
    last = np.append(cell[1:] != cell[:-1], True)
    cell, velocity, offset = cell[last], velocity[last], offset[last]
    s, c = np.divmod(cell, N_CLASSES)
    out[s, c] = 1.0
    out[s, N_CLASSES + c] = velocity / np.float32(127.0)
    out[s, 2 * N_CLASSES + c] = offset / np.float32(grid.HALF_STEP_TICKS)
    return out


def _clamp_first_step(windows: np.ndarray) -> np.ndarray:
    """Clamp step 0's offsets to >= 0 in place: windows (n, T, 27) -> the same array."""
    first = windows[:, 0, 2 * N_CLASSES :]
    np.maximum(first, 0.0, out=first)
    return windows


@dataclass(frozen=True)
class DrumGrid:
    """GrooVAE-style drum grid: `to_tensor` gives (16*bars, 27) float32.

    Columns 0-8 hits (0/1) for DRUM_CLASSES, 9-17 velocity/127 (0 without a hit), 18-26
    micro-timing offsets in [-1, 1): 2 * (onset - step time) / step length, positive = late.
    Offsets are multiples of 1/60 (one tick at 480 per quarter), so MIDI written by
    `from_tensor` converts back to the identical tensor. A window's first step cannot be early:
    its offsets are clamped to >= 0 (a note played just before the window's downbeat is kept on
    step 0, on the beat), so every window can be written as MIDI starting at beat 0.
    """

    bars: int = 2
    mapping: str = "gm"
    hop_bars: int = 1
    metre: str = "quarters"

    def __post_init__(self) -> None:
        if self.mapping not in MAPPINGS:
            raise LatentjamError(
                f"unknown drum mapping {self.mapping!r}; choose one of {', '.join(MAPPINGS)}"
            )
        if int(self.bars) < 1 or int(self.hop_bars) < 1:
            raise LatentjamError("bars and hop_bars must be at least 1")
        grid.check_metre(self.metre)

    @property
    def steps(self) -> int:
        """Steps per window (T)."""
        return grid.STEPS_PER_BAR * self.bars

    @property
    def feature_dim(self) -> int:
        """Features per step (D = 27)."""
        return FEATURE_DIM

    def cache_key(self) -> str:
        """Every setting that changes the tensors."""
        return f"drums-v1-bars{self.bars}-{self.mapping}-hop{self.hop_bars}-{self.metre}"

    def _notes(self, sequence: Sequence):
        """Drum notes mapped to classes: (ticks from beat 0, class, velocity), each shape (n,)."""
        track = sequence.merged(drums=True)
        pitch = np.clip(track.pitch.astype(np.int64), 0, 127)
        classes = MAPPINGS[self.mapping][pitch]
        keep = (classes >= 0) & (track.velocity > 0)
        return (
            grid.to_ticks(track.start[keep]),
            classes[keep],
            track.velocity[keep].astype(np.float32),
        )

    def to_tensor(self, sequence: Sequence, start_beat: float = 0.0) -> np.ndarray:
        """One window starting at `start_beat`: (16*bars, 27) float32."""
        ticks, classes, velocity = self._notes(sequence)
        origin = int(grid.to_ticks(start_beat))
        return _clamp_first_step(_frames(ticks - origin, classes, velocity, self.steps)[None])[0]

    def windows(self, sequence: Sequence) -> np.ndarray:
        """Every complete non-empty window of the piece, (n, 16*bars, 27) float32 (n may be 0)."""
        ticks, classes, velocity = self._notes(sequence)
        starts = grid.window_starts(
            sequence,
            ticks / grid.TICKS_PER_BEAT,
            bars=self.bars,
            hop_bars=self.hop_bars,
            metre=self.metre,
        )
        if len(starts) == 0:
            return np.zeros((0, self.steps, FEATURE_DIM), dtype=np.float32)
        start_ticks = grid.to_ticks(starts)
        if grid.on_grid(start_ticks):
            first = start_steps = start_ticks // grid.STEP_TICKS
            n_steps = int(start_steps.max()) + self.steps
            frames = _frames(ticks, classes, velocity, n_steps)  # (S, 27), origin at beat 0
            out = grid.gather(frames, first, self.steps)
        else:  # a downbeat between 16th steps (exotic metres): one window at a time
            out = np.stack([_frames(ticks - t, classes, velocity, self.steps) for t in start_ticks])
        out = out[out[:, :, :N_CLASSES].any(axis=(1, 2))]
        return _clamp_first_step(out)

    def from_tensor(self, array: np.ndarray, qpm: float = 120.0) -> Sequence:
        """(T, 27) grid (or (n, T, 27) windows played back to back) -> a one-track drum Sequence.

        Hits are cells of columns 0-8 above 0.5; each is written at its class's OUTPUT_PITCHES
        pitch with velocity round(v * 127) (at least 1) and its offset, rounded to a tick.
        """
        x = np.asarray(array, dtype=np.float32).reshape(-1, FEATURE_DIM)  # (T, 27)
        step, cls = np.nonzero(x[:, :N_CLASSES] > 0.5)
        velocity = np.clip(np.rint(x[step, N_CLASSES + cls] * 127.0), 1, 127)
        offset = np.clip(
            np.rint(x[step, 2 * N_CLASSES + cls] * grid.HALF_STEP_TICKS),
            -grid.HALF_STEP_TICKS,
            grid.HALF_STEP_TICKS - 1,
        ).astype(np.int64)
        onset = step * grid.STEP_TICKS + offset
        onset = np.maximum(onset, 0)  # a model may ask for an early first step: start at beat 0
        # each note lasts _NOTE_TICKS or until the next hit of its class, whichever comes first
        order = np.lexsort((onset, cls))
        gap = np.full(len(onset), _NOTE_TICKS, dtype=np.int64)
        same = cls[order][1:] == cls[order][:-1]
        gap[order[:-1][same]] = np.diff(onset[order])[same]
        duration = np.clip(gap, 1, _NOTE_TICKS)
        pitch = np.asarray(OUTPUT_PITCHES)[cls]
        track = Track(
            pitch,
            velocity,
            onset / grid.TICKS_PER_BEAT,
            duration / grid.TICKS_PER_BEAT,
            is_drum=True,
            name="drums",
        )
        return Sequence(
            [track], [Tempo(0.0, float(qpm))], [TimeSignature(0.0, 4, 4)], ppq=grid.TICKS_PER_BEAT
        )


# Classes that keep time (hi-hats and ride): swapped between grooves by `random_drum_variation`.
TIMEKEEPING = tuple(DRUM_CLASSES.index(n) for n in ("closed_hihat", "open_hihat", "ride"))
# The parts `random_drum_mix` swaps between grooves, each on its own: kick, snare, time, the rest.
PARTS = (
    (DRUM_CLASSES.index("kick"),),
    (DRUM_CLASSES.index("snare"),),
    TIMEKEEPING,
    tuple(DRUM_CLASSES.index(n) for n in ("low_tom", "mid_tom", "high_tom", "crash")),
)


def random_drum_variation(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    swap: float = 0.5,
    drop: float = 0.1,
    loudness: float = 0.2,
    parts: tuple[tuple[int, ...], ...] = (TIMEKEEPING,),
    bar_mix: float = 0.0,
    beat_swap: float = 0.0,
    feel: float = 0.0,
) -> np.ndarray:
    """New grooves from a batch (B, T, 27) of drum grids (training-time augmentation).

    Per window and per part of `parts` (by default the hi-hats and ride): with probability
    `swap` that part (hits, velocities, offsets) is taken from another window of the batch; with
    probability `bar_mix` the second half of the window (every part) is taken from another
    window; with probability `beat_swap` per window, part and beat (4 sixteenths), that beat
    of that part is taken from the same beat of another window; each hit is then dropped with
    probability `drop` (windows keep at least one hit); all velocities are scaled by one factor
    exp(N(0, `loudness`)), clipped to [1/127, 1]; half of the windows are played ahead of or
    behind the beat: every offset moves by one shift ~ U(-`feel`, `feel`) half-steps (clipped
    to the grid's range, step 0 never early).
    Returns a new array of the same shape.
    """
    out = np.array(x, dtype=np.float32, copy=True)
    source = np.asarray(x, dtype=np.float32)
    b = len(out)
    for part in parts:
        cols = np.asarray(part)
        cols = np.concatenate([cols, cols + N_CLASSES, cols + 2 * N_CLASSES])
        donors = rng.integers(0, b, b)
        swapped = rng.random(b) < swap
        mixed = out[:, :, cols].copy()  # (B, T, 3 * len(part))
        mixed[swapped] = source[donors[swapped]][:, :, cols]
        out[:, :, cols] = mixed
    if bar_mix > 0:
        half = out.shape[1] // 2
        donors = rng.integers(0, b, b)
        mixed = rng.random(b) < bar_mix
        out[mixed, half:] = out[donors[mixed], half:]
    if beat_swap > 0:
        steps = out.shape[1]
        beats = steps // 4
        for part in parts:
            cols = np.asarray(part)
            cols = np.concatenate([cols, cols + N_CLASSES, cols + 2 * N_CLASSES])
            donors = np.repeat(rng.integers(0, b, (b, beats)), 4, axis=1)  # (B, T)
            spliced = np.repeat(rng.random((b, beats)) < beat_swap, 4, axis=1)  # (B, T)
            rows, t = np.nonzero(spliced)
            block = out[:, :, cols]  # (B, T, 3 * len(part)), a copy
            block[rows, t] = source[donors[rows, t], t][:, cols]
            out[:, :, cols] = block
    hits = out[:, :, :N_CLASSES] > 0.5  # (B, T, 9)
    dropped = hits & (rng.random(hits.shape) < drop)
    keep_one = hits.sum(axis=(1, 2)) - dropped.sum(axis=(1, 2)) < 1  # (B,)
    dropped[keep_one] = False
    for part in range(3):
        block = out[:, :, part * N_CLASSES : (part + 1) * N_CLASSES]
        block[dropped] = 0.0
    factor = np.exp(rng.normal(0.0, loudness, (b, 1, 1))).astype(np.float32)  # (B, 1, 1)
    vel = out[:, :, N_CLASSES : 2 * N_CLASSES]
    hits = out[:, :, :N_CLASSES] > 0.5
    out[:, :, N_CLASSES : 2 * N_CLASSES] = np.where(
        hits, np.clip(vel * factor, 1.0 / 127.0, 1.0), 0.0
    )
    if feel > 0:
        shift = rng.uniform(-feel, feel, (b, 1, 1)) * (rng.random((b, 1, 1)) < 0.5)  # (B, 1, 1)
        moved = np.clip(out[:, :, 2 * N_CLASSES :] + shift, -1.0, 59.0 / 60.0)
        out[:, :, 2 * N_CLASSES :] = np.where(hits, moved, 0.0).astype(np.float32)
        _clamp_first_step(out)
    return out


def random_drum_mix(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`random_drum_variation` with more new grooves: kick, snare, hi-hats / ride and toms /
    crash each swapped between windows with probability 0.3 on their own, and a quarter of the
    windows given another window's second bar. x (B, T, 27) -> same shape."""
    return random_drum_variation(x, rng, swap=0.3, parts=PARTS, bar_mix=0.25)


def random_drum_remix(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`random_drum_mix` with grooves and feels that occur nowhere in the corpus: besides whole
    parts and second bars, each beat of each part comes from the same beat of another window
    with probability 0.15, and half of the windows are shifted ahead of or behind the beat by
    up to 0.3 half-steps. x (B, T, 27) -> same shape."""
    return random_drum_variation(
        x, rng, swap=0.3, parts=PARTS, bar_mix=0.25, beat_swap=0.15, feel=0.3
    )
