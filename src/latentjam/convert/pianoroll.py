"""Piano-roll bars (16, 2P): per pitch a "sounding" and a "struck here" flag, one bar each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentjam.convert import windows as grid
from latentjam.convert.melody import quantised_notes, roll
from latentjam.errors import LatentjamError
from latentjam.music import Sequence, Tempo, TimeSignature, Track


@dataclass(frozen=True)
class PianoRollBars:
    """Query-based Deep Improvisation's bar representation: `to_tensor` gives (16, 2P) float32.

    P = high - low + 1 pitches. Columns 0..P-1 are "sounding" (the pitch low + k sounds during
    the step), P..2P-1 "struck" (a note of that pitch starts on the step), so a repeated note
    differs from a held one. All pitched tracks are merged; notes outside [low, high] are
    dropped; struck implies sounding. A bar starts fresh: a note held into it from the previous
    bar counts as struck on its first step (so any bar can be written as MIDI and read back to
    the identical tensor). The pitch class of column k (and of column P + k) is (low + k) % 12.
    """

    low: int = 21
    high: int = 108
    metre: str = "quarters"

    def __post_init__(self) -> None:
        if not (0 <= self.low <= self.high <= 127):
            raise LatentjamError(f"pitch range {self.low}..{self.high} is not inside 0..127")
        grid.check_metre(self.metre)

    @property
    def pitches(self) -> int:
        """Number of pitches P."""
        return self.high - self.low + 1

    @property
    def steps(self) -> int:
        """Steps per window (one bar: T = 16)."""
        return grid.STEPS_PER_BAR

    @property
    def feature_dim(self) -> int:
        """Features per step (D = 2P)."""
        return 2 * self.pitches

    @property
    def pitch_classes(self) -> np.ndarray:
        """Pitch class of each of the P pitch columns, shape (P,)."""
        return (self.low + np.arange(self.pitches)) % 12

    def cache_key(self) -> str:
        """Every setting that changes the tensors."""
        return f"pianoroll-v1-{self.low}-{self.high}-{self.metre}"

    def _stack(self, sounding: np.ndarray, struck: np.ndarray) -> np.ndarray:
        """Flags (n, 16, P) each -> (n, 16, 2P) float32, with the fresh-start rule applied."""
        struck = struck.copy()
        struck[:, 0] |= sounding[:, 0]
        return np.concatenate([sounding, struck], axis=2).astype(np.float32)

    def to_tensor(self, sequence: Sequence, start_beat: float = 0.0) -> np.ndarray:
        """The bar starting at `start_beat`: (16, 2P) float32 of 0/1."""
        s, e, k = quantised_notes(sequence, self.low, self.high, int(grid.to_ticks(start_beat)))
        sounding, struck = roll(s, e, k, self.steps, self.pitches)
        return self._stack(sounding[None], struck[None])[0]

    def windows(self, sequence: Sequence) -> np.ndarray:
        """Every complete bar with a sounding note, (n, 16, 2P) float32 (n may be 0)."""
        s, e, k = quantised_notes(sequence, self.low, self.high)
        starts = grid.window_starts(sequence, s / grid.STEPS_PER_BEAT, bars=1, metre=self.metre)
        if len(starts) == 0:
            return np.zeros((0, self.steps, self.feature_dim), dtype=np.float32)
        start_ticks = grid.to_ticks(starts)
        if grid.on_grid(start_ticks):
            first = start_ticks // grid.STEP_TICKS
            sounding, struck = roll(s, e, k, int(first.max()) + self.steps, self.pitches)
            out = self._stack(
                grid.gather(sounding, first, self.steps), grid.gather(struck, first, self.steps)
            )
        else:
            out = np.stack([self.to_tensor(sequence, b) for b in starts])
        return out[out[:, :, : self.pitches].any(axis=(1, 2))]

    def from_tensor(self, array: np.ndarray, qpm: float = 120.0) -> Sequence:
        """(16, 2P) flags or probabilities (or (n, 16, 2P) bars back to back) -> a one-track
        Sequence. A note starts where a pitch is struck (> 0.5), or sounds after a silent step,
        and lasts while it sounds without being struck again; velocity 100."""
        x = np.asarray(array).reshape(-1, self.feature_dim) > 0.5  # (T, 2P)
        p = self.pitches
        sounding = x[:, :p] | x[:, p:]  # a struck flag alone still makes a one-step note
        before = np.vstack([np.zeros((1, p), dtype=bool), sounding[:-1]])
        starts = sounding & (x[:, p:] | ~before)  # (T, P) note beginnings
        # a note ends at the first step after it that is silent or a new beginning
        stops = np.vstack([~sounding[1:] | starts[1:], np.ones((1, p), dtype=bool)])
        n = len(x)
        key, t_start = np.nonzero(starts.T)  # sorted by pitch, then step
        key_stop, t_stop = np.nonzero(stops.T)
        flat_stop = key_stop * n + t_stop  # ascending
        end = flat_stop[np.searchsorted(flat_stop, key * n + t_start)] - key * n + 1  # exclusive
        step = 1.0 / grid.STEPS_PER_BEAT
        track = Track(
            key + self.low,
            np.full(len(key), 100),
            t_start * step,
            (end - t_start) * step,
            name="pianoroll",
        )
        return Sequence(
            [track], [Tempo(0.0, float(qpm))], [TimeSignature(0.0, 4, 4)], ppq=grid.TICKS_PER_BEAT
        )


def random_transpose_bars(
    x: np.ndarray, rng: np.random.Generator, shifts: tuple[int, ...] = tuple(range(-5, 6))
) -> np.ndarray:
    """Move each bar of a batch (B, 16, 2P) by one drawn shift (training-time augmentation): the
    sounding and struck halves move together; a bar the shift would push off the range stays."""
    x = np.asarray(x, dtype=np.float32)
    p = x.shape[-1] // 2
    drawn = np.asarray(shifts, dtype=np.int64)[rng.integers(0, len(shifts), len(x))]  # (B,)
    used = x[:, :, :p].any(axis=1)  # (B, P)
    any_used = used.any(axis=1)
    lowest = np.where(any_used, np.argmax(used, axis=1), 0)
    highest = np.where(any_used, p - 1 - np.argmax(used[:, ::-1], axis=1), 0)
    drawn = np.where((lowest + drawn >= 0) & (highest + drawn < p), drawn, 0)
    idx = (np.arange(p)[None, :] - drawn[:, None]) % p  # (B, P) source pitch of each column
    out = np.empty_like(x)
    out[:, :, :p] = np.take_along_axis(x[:, :, :p], idx[:, None, :], axis=2)
    out[:, :, p:] = np.take_along_axis(x[:, :, p:], idx[:, None, :], axis=2)
    return out
