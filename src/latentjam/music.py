"""In-memory music: notes as columns of numpy arrays, timed in quarter notes (beats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

DRUM_CHANNEL = 9  # MIDI channel 10, counted from 0
DEFAULT_QPM = 120.0


class Note(NamedTuple):
    """One note; start and duration in quarter notes (beats)."""

    pitch: int
    velocity: int
    start: float
    duration: float


class Tempo(NamedTuple):
    """A tempo change at `beat` (quarter notes from the start), in quarter notes per minute."""

    beat: float
    qpm: float


class TimeSignature(NamedTuple):
    """A metre change at `beat`: numerator / denominator."""

    beat: float
    numerator: int
    denominator: int

    @property
    def bar_beats(self) -> float:
        """Length of one bar in quarter notes."""
        return self.numerator * 4.0 / self.denominator


def _column(values, dtype) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=dtype).reshape(-1))


@dataclass
class Track:
    """The notes of one instrument, stored as parallel arrays of shape (n,).

    `start` and `duration` are in quarter notes; `pitch` and `velocity` are MIDI values 0..127.
    Notes are kept sorted by (start, pitch).
    """

    pitch: np.ndarray
    velocity: np.ndarray
    start: np.ndarray
    duration: np.ndarray
    is_drum: bool = False
    program: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        self.pitch = _column(self.pitch, np.int16)
        self.velocity = _column(self.velocity, np.int16)
        self.start = _column(self.start, np.float64)
        self.duration = _column(self.duration, np.float64)
        n = len(self.pitch)
        if not (len(self.velocity) == len(self.start) == len(self.duration) == n):
            raise ValueError("pitch, velocity, start and duration must have the same length")
        if n > 1:
            order = np.lexsort((self.pitch, self.start))
            if not np.array_equal(order, np.arange(n)):
                self.pitch, self.velocity = self.pitch[order], self.velocity[order]
                self.start, self.duration = self.start[order], self.duration[order]

    @classmethod
    def from_notes(cls, notes, *, is_drum: bool = False, program: int = 0, name: str = ""):
        """Build a track from an iterable of `Note` (or (pitch, velocity, start, duration))."""
        rows = list(notes)
        if not rows:
            return cls.empty(is_drum=is_drum, program=program, name=name)
        p, v, s, d = zip(*rows, strict=True)
        return cls(p, v, s, d, is_drum=is_drum, program=program, name=name)

    @classmethod
    def empty(cls, *, is_drum: bool = False, program: int = 0, name: str = "") -> Track:
        """A track with no notes."""
        return cls([], [], [], [], is_drum=is_drum, program=program, name=name)

    def __len__(self) -> int:
        return len(self.pitch)

    @property
    def notes(self) -> list[Note]:
        """The notes as a list of `Note` tuples (convenient, slower than the arrays)."""
        return [
            Note(int(p), int(v), float(s), float(d))
            for p, v, s, d in zip(self.pitch, self.velocity, self.start, self.duration, strict=True)
        ]

    @property
    def end(self) -> float:
        """Beat at which the last note stops sounding (0 for an empty track)."""
        return float((self.start + self.duration).max()) if len(self) else 0.0

    def select(self, mask: np.ndarray) -> Track:
        """A copy holding only the notes where `mask` (shape (n,)) is true."""
        return Track(
            self.pitch[mask],
            self.velocity[mask],
            self.start[mask],
            self.duration[mask],
            is_drum=self.is_drum,
            program=self.program,
            name=self.name,
        )


@dataclass
class Sequence:
    """A piece: tracks plus tempo and metre maps; all times in quarter notes.

    `ppq` records the resolution of the file it came from (ticks per quarter note), so callers
    can reason about what the source could express; it does not affect the beat values.
    """

    tracks: list[Track] = field(default_factory=list)
    tempos: list[Tempo] = field(default_factory=lambda: [Tempo(0.0, DEFAULT_QPM)])
    time_signatures: list[TimeSignature] = field(default_factory=lambda: [TimeSignature(0.0, 4, 4)])
    ppq: int = 480
    source: str = ""

    @property
    def end(self) -> float:
        """Beat at which the last note of any track stops."""
        return max((t.end for t in self.tracks), default=0.0)

    @property
    def drum_tracks(self) -> list[Track]:
        """Tracks flagged as drums (MIDI channel 10)."""
        return [t for t in self.tracks if t.is_drum]

    @property
    def pitched_tracks(self) -> list[Track]:
        """Tracks that are not drums."""
        return [t for t in self.tracks if not t.is_drum]

    def merged(self, *, drums: bool) -> Track:
        """All drum (or all pitched) notes in one track, sorted by start."""
        chosen = self.drum_tracks if drums else self.pitched_tracks
        if not chosen:
            return Track.empty(is_drum=drums)
        return Track(
            np.concatenate([t.pitch for t in chosen]),
            np.concatenate([t.velocity for t in chosen]),
            np.concatenate([t.start for t in chosen]),
            np.concatenate([t.duration for t in chosen]),
            is_drum=drums,
            program=chosen[0].program,
            name=chosen[0].name,
        )

    def qpm_at(self, beat: float) -> float:
        """Tempo in force at `beat`."""
        qpm = self.tempos[0].qpm if self.tempos else DEFAULT_QPM
        for t in self.tempos:
            if t.beat <= beat:
                qpm = t.qpm
        return qpm

    def downbeats(self, until: float | None = None) -> np.ndarray:
        """Beats of every bar line from 0 to `until` (default: the end), shape (n_bars,)."""
        end = self.end if until is None else until
        signatures = sorted(self.time_signatures or [TimeSignature(0.0, 4, 4)])
        if signatures[0].beat > 0:
            signatures.insert(0, TimeSignature(0.0, 4, 4))
        out: list[float] = []
        for i, ts in enumerate(signatures):
            stop = min(signatures[i + 1].beat, end) if i + 1 < len(signatures) else end
            if ts.beat >= end:
                break
            beat = ts.beat
            while beat < stop - 1e-9:
                out.append(beat)
                beat += ts.bar_beats
        return np.asarray(out, dtype=np.float64)

    def signature_at(self, beat: float) -> TimeSignature:
        """Time signature in force at `beat`."""
        current = self.time_signatures[0] if self.time_signatures else TimeSignature(0.0, 4, 4)
        for ts in self.time_signatures:
            if ts.beat <= beat:
                current = ts
        return current
