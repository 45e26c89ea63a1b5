"""Melody one-hot (T, 90): hold / note-off / note-on for the 88 piano keys, one event per step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from latentjam.convert import windows as grid
from latentjam.errors import LatentjamError
from latentjam.music import Sequence, Tempo, TimeSignature, Track

LOW_PITCH, HIGH_PITCH = 21, 108  # the 88 keys
N_PITCHES = HIGH_PITCH - LOW_PITCH + 1
HOLD, NOTE_OFF, FIRST_NOTE_ON = 0, 1, 2
FEATURE_DIM = FIRST_NOTE_ON + N_PITCHES  # 90
DEFAULT_SHIFTS = tuple(range(-5, 6))  # Magenta's augmentation for 2-bar melodies


def quantised_notes(sequence: Sequence, low: int, high: int, origin: int = 0):
    """Pitched notes in [low, high] on the step grid starting at tick `origin` (480 per beat).

    Returns (start_step, end_step, pitch - low), each int64 of shape (n,); every note sounds for
    at least one step. Onset and release are each rounded to the nearest step.
    """
    track = sequence.merged(drums=False)
    keep = (track.pitch >= low) & (track.pitch <= high)
    start = grid.to_ticks(track.start[keep]) - origin
    end = grid.to_ticks(track.start[keep] + track.duration[keep]) - origin
    s = grid.nearest_step(start)
    e = np.maximum(grid.nearest_step(end), s + 1)
    return s, e, track.pitch[keep].astype(np.int64) - low


def roll(s: np.ndarray, e: np.ndarray, k: np.ndarray, n_steps: int, width: int):
    """Sounding and struck flags (bool), each (n_steps, width), of notes (s, e, k) clipped to
    the steps [0, n_steps); a note sounding into step 0 from before counts as sounding only."""
    s_c = np.clip(s, 0, n_steps)
    e_c = np.clip(e, 0, n_steps)
    live = e_c > s_c
    delta = np.zeros((n_steps + 1) * width, dtype=np.int32)  # +1 at note starts, -1 at ends
    np.add.at(delta, s_c[live] * width + k[live], 1)
    np.add.at(delta, e_c[live] * width + k[live], -1)
    sounding = np.cumsum(delta.reshape(n_steps + 1, width)[:n_steps], axis=0, dtype=np.int32) > 0
    hit = (s >= 0) & (s < n_steps)
    struck = np.zeros(n_steps * width, dtype=bool)
    struck[s[hit] * width + k[hit]] = True
    return sounding, struck.reshape(n_steps, width)


def _skyline(sounding: np.ndarray, struck: np.ndarray):
    """Highest sounding key per step (-1 in rests), shape (S,), and whether it is struck there."""
    width = sounding.shape[1]
    any_ = sounding.any(axis=1)
    top = np.where(any_, width - 1 - np.argmax(sounding[:, ::-1], axis=1), -1)
    top_struck = struck[np.arange(len(top)), np.maximum(top, 0)] & any_
    return top, top_struck


def _events(top: np.ndarray, top_struck: np.ndarray) -> np.ndarray:
    """Event codes (n, T) from skylines (n, T); each window starts fresh (nothing before it)."""
    prev = np.concatenate([np.full((top.shape[0], 1), -1), top[:, :-1]], axis=1)
    on = (top >= 0) & ((top != prev) | top_struck)
    off = (top < 0) & (prev >= 0)
    return np.where(on, top + FIRST_NOTE_ON, np.where(off, NOTE_OFF, HOLD))


def _one_hot(codes: np.ndarray) -> np.ndarray:
    """Event codes (n, T) -> one-hot (n, T, 90) float32."""
    return np.eye(FEATURE_DIM, dtype=np.float32)[codes]


@dataclass(frozen=True)
class MelodyOneHot:
    """Magenta-style melody one-hot: `to_tensor` gives (16*bars, 90) float32.

    Index 0 = hold (the note or rest continues), 1 = note-off (a rest starts), 2..89 = note-on of
    MIDI pitch 21..108. All pitched (non-drum) tracks are merged and reduced to one voice by
    keeping the highest sounding note at every step; a lower note that is still sounding when
    the higher one stops is sounded again there. Notes outside 21..108 are dropped. A window
    starts fresh: a note sounding into its first step is a note-on there.
    """

    bars: int = 2
    hop_bars: int = 1
    metre: str = "quarters"

    def __post_init__(self) -> None:
        if int(self.bars) < 1 or int(self.hop_bars) < 1:
            raise LatentjamError("bars and hop_bars must be at least 1")
        grid.check_metre(self.metre)

    @property
    def steps(self) -> int:
        """Steps per window (T)."""
        return grid.STEPS_PER_BAR * self.bars

    @property
    def feature_dim(self) -> int:
        """Features per step (D = 90)."""
        return FEATURE_DIM

    def cache_key(self) -> str:
        """Every setting that changes the tensors."""
        return f"melody-v1-bars{self.bars}-hop{self.hop_bars}-{self.metre}"

    def to_tensor(self, sequence: Sequence, start_beat: float = 0.0) -> np.ndarray:
        """One window starting at `start_beat`: (16*bars, 90) float32 one-hot."""
        s, e, k = quantised_notes(sequence, LOW_PITCH, HIGH_PITCH, int(grid.to_ticks(start_beat)))
        top, top_struck = _skyline(*roll(s, e, k, self.steps, N_PITCHES))
        return _one_hot(_events(top[None], top_struck[None]))[0]

    def windows(self, sequence: Sequence) -> np.ndarray:
        """Every complete window holding a note, (n, 16*bars, 90) float32 (n may be 0)."""
        s, e, k = quantised_notes(sequence, LOW_PITCH, HIGH_PITCH)
        starts = grid.window_starts(
            sequence,
            s / grid.STEPS_PER_BEAT,
            bars=self.bars,
            hop_bars=self.hop_bars,
            metre=self.metre,
        )
        if len(starts) == 0:
            return np.zeros((0, self.steps, FEATURE_DIM), dtype=np.float32)
        start_ticks = grid.to_ticks(starts)
        if grid.on_grid(start_ticks):
            first = start_ticks // grid.STEP_TICKS
            n_steps = int(first.max()) + self.steps
            top, top_struck = _skyline(*roll(s, e, k, n_steps, N_PITCHES))  # (S,) each
            codes = _events(
                grid.gather(top, first, self.steps), grid.gather(top_struck, first, self.steps)
            )  # (n, T)
        else:
            codes = np.stack([self.to_tensor(sequence, b).argmax(axis=1) for b in starts])
        codes = codes[(codes >= FIRST_NOTE_ON).any(axis=1)]
        return _one_hot(codes)

    def from_tensor(self, array: np.ndarray, qpm: float = 120.0) -> Sequence:
        """(T, 90) one-hot or probabilities (or (n, T, 90) windows back to back) -> a one-track
        Sequence. The event at each step is the argmax; a note lasts until the next note-on or
        note-off (or the end)."""
        codes = np.asarray(array).reshape(-1, FEATURE_DIM).argmax(axis=1)  # (T,)
        return Sequence(
            [_codes_to_track(codes)],
            [Tempo(0.0, float(qpm))],
            [TimeSignature(0.0, 4, 4)],
            ppq=grid.TICKS_PER_BEAT,
        )


def _codes_to_track(codes: np.ndarray) -> Track:
    """Event codes (T,) -> notes; durations run to the next event that is not a hold."""
    events = np.flatnonzero(codes != HOLD)
    ons = events[codes[events] >= FIRST_NOTE_ON]
    ends = np.append(events, len(codes))
    stop = ends[np.searchsorted(events, ons, side="right")]
    step = 1.0 / grid.STEPS_PER_BEAT
    return Track(
        codes[ons] - FIRST_NOTE_ON + LOW_PITCH,
        np.full(len(ons), 100),
        ons * step,
        (stop - ons) * step,
        name="melody",
    )


def transpose(x: np.ndarray, shift: int) -> np.ndarray | None:
    """Move every note-on of one window (T, 90) by `shift` semitones; None if one would leave
    21..108."""
    out = transpose_windows(np.asarray(x)[None], (shift,))
    return out[0] if len(out) else None


def transpose_windows(x: np.ndarray, shifts: Iterable[int] = DEFAULT_SHIFTS) -> np.ndarray:
    """Augment windows (n, T, 90) by every shift in `shifts`: returns (m, T, 90), shifted copies
    in the order of `shifts`, each keeping only the windows that stay inside 21..108."""
    x = np.asarray(x, dtype=np.float32)
    notes = x[:, :, FIRST_NOTE_ON:].any(axis=1)  # (n, 88) keys used by each window
    used = notes.any(axis=1)
    lowest = np.where(used, np.argmax(notes, axis=1), 0)
    highest = np.where(used, N_PITCHES - 1 - np.argmax(notes[:, ::-1], axis=1), 0)
    out = []
    for shift in shifts:
        ok = (lowest + shift >= 0) & (highest + shift < N_PITCHES)
        moved = np.zeros_like(x[ok])
        moved[:, :, :FIRST_NOTE_ON] = x[ok, :, :FIRST_NOTE_ON]
        src = slice(FIRST_NOTE_ON + max(0, -shift), FEATURE_DIM - max(0, shift))
        dst = slice(FIRST_NOTE_ON + max(0, shift), FEATURE_DIM - max(0, -shift))
        moved[:, :, dst] = x[ok][:, :, src]
        out.append(moved)
    if not out:
        return np.zeros((0, *x.shape[1:]), dtype=np.float32)
    return np.concatenate(out)


def random_transpose(
    x: np.ndarray, rng: np.random.Generator, shifts: Iterable[int] = DEFAULT_SHIFTS
) -> np.ndarray:
    """Move each window of a batch (B, T, 90) by one shift drawn from `shifts` (training-time
    augmentation); a window that the drawn shift would push outside 21..108 stays as it is."""
    x = np.asarray(x, dtype=np.float32)
    choices = np.asarray(tuple(shifts), dtype=np.int64)
    drawn = choices[rng.integers(0, len(choices), len(x))]  # (B,)
    notes = x[:, :, FIRST_NOTE_ON:].any(axis=1)  # (B, 88)
    used = notes.any(axis=1)
    lowest = np.where(used, np.argmax(notes, axis=1), 0)
    highest = np.where(used, N_PITCHES - 1 - np.argmax(notes[:, ::-1], axis=1), 0)
    ok = (lowest + drawn >= 0) & (highest + drawn < N_PITCHES)
    drawn = np.where(ok, drawn, 0)
    keys = x[:, :, FIRST_NOTE_ON:]  # (B, T, 88)
    idx = (np.arange(N_PITCHES)[None, :] - drawn[:, None]) % N_PITCHES  # (B, 88) source key
    out = x.copy()
    out[:, :, FIRST_NOTE_ON:] = np.take_along_axis(keys, idx[:, None, :], axis=2)
    return out
