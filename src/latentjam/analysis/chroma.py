"""Chroma (12 pitch-class weights) per bar from piano-roll bars or from a Sequence."""

from __future__ import annotations

import numpy as np

from latentjam.music import Sequence


def chroma_from_pianoroll(bars, low: int = 21, struck_columns: bool = True) -> np.ndarray:
    """Piano-roll bars (n, T, D) -> chroma (n, 12): sounding steps per pitch class.

    With `struck_columns` (the `PianoRollBars` layout, D = 2P) only the first P "sounding"
    columns are read; otherwise all D = P columns are. Column k is pitch low + k. Values are
    counts of sounding steps (or summed probabilities when given a decoder's output).
    """
    x = np.asarray(bars, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"expected piano-roll bars (n, T, D), got shape {x.shape}")
    if struck_columns and x.shape[2] % 2:
        raise ValueError(f"a sounding+struck piano roll has an even width, got {x.shape[2]}")
    pitches = x.shape[2] // 2 if struck_columns else x.shape[2]
    sounding = x[:, :, :pitches].sum(axis=1)  # (n, P)
    classes = (low + np.arange(pitches)) % 12
    out = np.zeros((x.shape[0], 12))
    for pc in range(12):
        out[:, pc] = sounding[:, classes == pc].sum(axis=1)
    return out


def chroma_per_bar(sequence: Sequence, bar_starts=None) -> np.ndarray:
    """Duration-weighted chroma of every bar of the pitched notes: (n_bars, 12), in beats.

    `bar_starts` (n_bars,) defaults to `sequence.downbeats()`; each bar ends where the next
    starts (the last one after its time signature's bar length). A note held across a bar line
    counts in both bars for the time it sounds in each.
    """
    starts = sequence.downbeats() if bar_starts is None else np.asarray(bar_starts, dtype=float)
    if len(starts) == 0:
        return np.zeros((0, 12))
    last = sequence.signature_at(float(starts[-1])).bar_beats
    ends = np.append(starts[1:], starts[-1] + last)
    track = sequence.merged(drums=False)
    out = np.zeros((len(starts), 12))
    if len(track) == 0:
        return out
    n_start = track.start[None, :]
    n_end = (track.start + track.duration)[None, :]
    overlap = np.minimum(ends[:, None], n_end) - np.maximum(starts[:, None], n_start)
    overlap = np.clip(overlap, 0.0, None)  # (n_bars, n_notes)
    classes = track.pitch.astype(np.int64) % 12
    for pc in range(12):
        out[:, pc] = overlap[:, classes == pc].sum(axis=1)
    return out
