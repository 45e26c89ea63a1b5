"""The shared time grid (16th-note steps at 480 ticks per quarter) and N-bar windows on downbeats.

Metre policy
------------
A bar *in a tensor* is always 16 sixteenth-note steps, i.e. four quarter notes, whatever the
piece's metre. Windows always start on a real downbeat of the piece (a bar line from its
time-signature map), and the hop is counted in the piece's own bars. What a window covers is a
setting, ``metre``:

- ``"quarters"`` (default): every window spans ``4 * bars`` quarter notes from its downbeat. A
  3/4 or 6/8 piece is windowed, not skipped: a 2-bar window of a 3/4 waltz starts on a real
  downbeat and covers 8 quarter notes (2 2/3 of the waltz's bars); a 2/4 tune gives 2-bar
  windows of 4 real bars.
- ``"four-four"``: only windows whose spanned bars are each exactly four quarter notes long in
  the piece's own metre (4/4, 2/2, 8/8) are kept; 3/4, 6/8, 5/4 ... stretches are skipped.

A window is *complete* when it ends no later than the end of the bar holding the last onset;
incomplete windows at the end of a piece are not made. A piece shorter than one window yields
none (``windows()`` then returns an array of shape (0, T, D)).

Quantisation
------------
All onsets are first rounded to integer ticks at 480 per quarter note (the resolution written
MIDI uses), then to steps of 120 ticks: a note belongs to its nearest step, and a note exactly
half-way between two steps belongs to the later one (offsets live in [-1, 1)).
"""

from __future__ import annotations

import numpy as np

from latentjam.errors import LatentjamError
from latentjam.music import Sequence

TICKS_PER_BEAT = 480
STEPS_PER_BEAT = 4
STEPS_PER_BAR = 16
BEATS_PER_BAR = STEPS_PER_BAR // STEPS_PER_BEAT  # a tensor bar is four quarter notes
STEP_TICKS = TICKS_PER_BEAT // STEPS_PER_BEAT  # 120
HALF_STEP_TICKS = STEP_TICKS // 2  # 60
METRES = ("quarters", "four-four")


def check_metre(metre: str) -> None:
    """Raise a clear error for an unknown metre policy."""
    if metre not in METRES:
        raise LatentjamError(f"unknown metre policy {metre!r}; choose one of {', '.join(METRES)}")


def to_ticks(beats: np.ndarray | float) -> np.ndarray:
    """Beats -> integer ticks at 480 per quarter note (int64, same shape)."""
    return np.rint(np.asarray(beats, dtype=np.float64) * TICKS_PER_BEAT).astype(np.int64)


def nearest_step(ticks: np.ndarray) -> np.ndarray:
    """Ticks (relative to a grid origin) -> index of the nearest step; halves go later."""
    return (ticks + HALF_STEP_TICKS) // STEP_TICKS


def window_starts(
    sequence: Sequence,
    onsets: np.ndarray,
    *,
    bars: int,
    hop_bars: int = 1,
    metre: str = "quarters",
) -> np.ndarray:
    """Start beats, shape (n,), of the complete windows of `bars` tensor bars in `sequence`.

    `onsets` (shape (m,), beats) are the note starts the representation uses; they fix where the
    piece ends (the bar line after the last onset). See the module docstring for `metre`.
    """
    check_metre(metre)
    if len(onsets) == 0:
        return np.zeros(0, dtype=np.float64)
    last = float(np.max(onsets))
    downbeats = sequence.downbeats(until=last + 1e-6)
    if len(downbeats) == 0:
        return np.zeros(0, dtype=np.float64)
    final = downbeats[-1] + sequence.signature_at(float(downbeats[-1])).bar_beats
    span = float(bars * BEATS_PER_BAR)
    ends = np.append(downbeats[1:], final)
    idx = np.arange(0, len(downbeats), max(1, int(hop_bars)))
    keep = downbeats[idx] + span <= final + 1e-9
    if metre == "four-four":
        four = np.isclose(ends - downbeats, float(BEATS_PER_BAR))
        # every one of the `bars` real bars from this downbeat is four quarter notes long
        padded = np.append(four, np.zeros(bars, dtype=bool))
        runs = np.ones(len(idx), dtype=bool)
        for k in range(bars):
            runs &= padded[idx + k]
        keep &= runs
    return downbeats[idx][keep]


def on_grid(start_ticks: np.ndarray) -> bool:
    """True when every window start falls on a 16th-note step of the origin-0 grid."""
    return bool(np.all(start_ticks % STEP_TICKS == 0))


def gather(frames: np.ndarray, start_steps: np.ndarray, steps: int) -> np.ndarray:
    """Slice windows out of a per-step array: frames (S, ...) -> (n, steps, ...)."""
    index = start_steps[:, None] + np.arange(steps)[None, :]  # (n, steps)
    return frames[index]
