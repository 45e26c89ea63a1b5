"""Drum calls <-> drum grids for a whole batch in one numpy pass (the jam's fast path).

The same numbers as going through `Sequence` objects and the `DrumGrid` converter one call at a
time (`JamModel.notes_to_windows` / `windows_to_notes`, tested equal), without building them.
"""

from __future__ import annotations

import numpy as np

from latentjam.convert import windows as grid
from latentjam.convert.drums import MAPPINGS, N_CLASSES, OUTPUT_PITCHES

STEP_BEATS = 0.25
_PITCHES = np.asarray(OUTPUT_PITCHES, dtype=np.int64)


def calls_to_drum_windows(
    calls: list[tuple], n_windows: list[int], steps: int, mapping: str = "gm"
) -> np.ndarray:
    """Each call's notes -> its windows, stacked: (sum n_windows, steps, 27) float32.

    `calls[i]` is a sequence of notes (objects with pitch, velocity, step, offset) played from
    the call's first downbeat; call i fills `n_windows[i]` consecutive windows of `steps` steps.
    Per class and step the loudest note wins (ties: the earliest); a window's first step cannot
    be early (offsets clamped to >= 0); notes of unmapped pitches are ignored.
    """
    rows = np.asarray(n_windows, dtype=np.int64)
    out = np.zeros((int(rows.sum()), steps, 3 * N_CLASSES), dtype=np.float32)
    table = [(n.pitch, n.velocity, n.step, n.offset) for notes in calls for n in notes]
    if table:
        counts = np.fromiter((len(notes) for notes in calls), dtype=np.int64, count=len(calls))
        cols = np.asarray(table, dtype=np.float64)  # (n, 4)
        owner = np.repeat(np.arange(len(calls)), counts)  # (n,) call index
        pitch = np.clip(cols[:, 0].astype(np.int64), 0, 127)
        velocity = cols[:, 1].astype(np.int16)
        ticks = grid.to_ticks((cols[:, 2] + cols[:, 3] / 2) * STEP_BEATS)
        classes = MAPPINGS[mapping][pitch]
        at = grid.nearest_step(ticks)  # step from the call's start
        window = at // steps
        keep = (classes >= 0) & (velocity > 0) & (window >= 0) & (window < rows[owner])
        first_row = np.cumsum(rows) - rows  # (calls,) first window row
        row = first_row[owner[keep]] + window[keep]
        step = at[keep] - window[keep] * steps
        offset = ticks[keep] - at[keep] * grid.STEP_TICKS  # ticks in [-60, 59]
        velocity = velocity[keep].astype(np.float32)
        cell = (row * steps + step) * N_CLASSES + classes[keep]
        order = np.lexsort((-offset, velocity, cell))  # last in each cell: loudest, then earliest
        cell, velocity, offset = cell[order], velocity[order], offset[order]
        last = np.append(cell[1:] != cell[:-1], True)
        cell, velocity, offset = cell[last], velocity[last], offset[last]
        rs, c = np.divmod(cell, N_CLASSES)
        r, s = np.divmod(rs, steps)
        out[r, s, c] = 1.0
        out[r, s, N_CLASSES + c] = velocity / np.float32(127.0)
        out[r, s, 2 * N_CLASSES + c] = offset / np.float32(grid.HALF_STEP_TICKS)
    first = out[:, 0, 2 * N_CLASSES :]
    np.maximum(first, 0.0, out=first)
    return out


def drum_windows_to_notes(grids: np.ndarray, spans: list[tuple[int, int, int]]) -> list[list[dict]]:
    """Decoded grids (R, T, 27) -> each reply's notes as JSON dicts, in time order.

    `spans[i]` = (first row, rows, steps kept) of reply i: its windows play back to back and
    notes from step `steps kept` on are dropped. Each hit (cell > 0.5) is its class's output
    pitch, velocity round(v * 127) in 1..127, offset rounded to a tick (not before the reply's
    start), given as {"pitch", "velocity", "step", "offset"} (offset in half-steps, 4 decimals).
    """
    x = np.asarray(grids, dtype=np.float32)
    t = x.shape[1]
    flat = x.reshape(-1, 3 * N_CLASSES)  # (R*T, 27)
    gstep, cls = np.nonzero(flat[:, :N_CLASSES] > 0.5)
    velocity = np.clip(np.rint(flat[gstep, N_CLASSES + cls] * 127.0), 1, 127).astype(np.int64)
    offset = np.clip(
        np.rint(flat[gstep, 2 * N_CLASSES + cls] * grid.HALF_STEP_TICKS),
        -grid.HALF_STEP_TICKS,
        grid.HALF_STEP_TICKS - 1,
    ).astype(np.int64)
    starts = np.asarray([s[0] for s in spans], dtype=np.int64)
    reply = np.zeros(len(x), dtype=np.int64)  # row -> reply index
    for i, (first, n, _) in enumerate(spans):
        reply[first : first + n] = i
    owner = reply[gstep // t]
    onset = np.maximum((gstep - starts[owner] * t) * grid.STEP_TICKS + offset, 0)
    pitch = _PITCHES[cls]
    order = np.lexsort((pitch, onset, owner))  # by reply, time, pitch
    owner, onset, pitch, velocity = owner[order], onset[order], pitch[order], velocity[order]
    pos = (onset / grid.TICKS_PER_BEAT) / STEP_BEATS  # steps, as a float
    step = np.floor(pos + 0.5).astype(np.int64)
    off = np.clip(2.0 * (pos - step), -1.0, 0.999).round(4)
    bounds = np.searchsorted(owner, np.arange(len(spans) + 1))
    out = []
    rows = list(zip(pitch.tolist(), velocity.tolist(), step.tolist(), off.tolist(), strict=True))
    for i, (_, _, keep) in enumerate(spans):
        out.append(
            [
                {"pitch": p, "velocity": v, "step": s, "offset": o}
                for p, v, s, o in rows[bounds[i] : bounds[i + 1]]
                if s < keep
            ]
        )
    return out
