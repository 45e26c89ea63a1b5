"""How far an answer is from its query, bar by bar: Tonnetz distance and note overlap."""

from __future__ import annotations

import numpy as np

from latentjam.analysis.tonnetz import tonnetz_distance


def tonnetz_per_bar(query_chroma, answer_chroma) -> np.ndarray:
    """Tonnetz distance between matching bars: chroma (n, 12) each -> (n,).

    A bar silent in one and sounding in the other is at the distance of that chord from the
    origin; two silent bars are at 0.
    """
    q, a = np.asarray(query_chroma, float), np.asarray(answer_chroma, float)
    if q.shape != a.shape or q.ndim != 2 or q.shape[1] != 12:
        raise ValueError(f"need matching chroma (n, 12), got {q.shape} and {a.shape}")
    return tonnetz_distance(q, a)


def note_overlap(query_bars, answer_bars, pitches: int) -> np.ndarray:
    """Jaccard overlap of sounding cells per bar: piano rolls (n, T, >= P) -> (n,) in [0, 1].

    |query AND answer| / |query OR answer| over the (step, pitch) "sounding" cells (the first
    `pitches` columns); 1 for two silent bars.
    """
    q = np.asarray(query_bars)[:, :, :pitches] > 0.5
    a = np.asarray(answer_bars)[:, :, :pitches] > 0.5
    if q.shape != a.shape:
        raise ValueError(f"need matching bars, got {q.shape} and {a.shape}")
    inter = (q & a).sum(axis=(1, 2))
    union = (q | a).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)
