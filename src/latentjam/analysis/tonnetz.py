"""Tonnetz centroids of chroma vectors and the distance between them (Harte et al. 2006)."""

from __future__ import annotations

import numpy as np

# (radius, angle step per pitch class) of the three circles: fifths, minor thirds, major thirds.
CIRCLES = ((1.0, 7.0 * np.pi / 6.0), (1.0, 3.0 * np.pi / 2.0), (0.5, 2.0 * np.pi / 3.0))


def tonnetz_matrix() -> np.ndarray:
    """The (6, 12) projection: rows (sin, cos) of fifths, minor thirds, major thirds."""
    c = np.arange(12, dtype=np.float64)
    rows = []
    for radius, step in CIRCLES:
        rows.append(radius * np.sin(step * c))
        rows.append(radius * np.cos(step * c))
    return np.stack(rows)


PHI = tonnetz_matrix()


def tonnetz(chroma) -> np.ndarray:
    """6-D tonal centroid of chroma (..., 12) -> (..., 6).

    Each chroma vector is L1-normalised first (Harte, Sandler & Gasser 2006, eq. 2), so the
    centroid does not depend on loudness or duration; an all-zero chroma (silence) maps to the
    origin. Negative chroma values are rejected.
    """
    c = np.asarray(chroma, dtype=np.float64)
    if c.shape[-1:] != (12,):
        raise ValueError(f"chroma must have 12 pitch classes in its last axis, got {c.shape}")
    if np.any(c < 0):
        raise ValueError("chroma values must be non-negative")
    total = c.sum(axis=-1, keepdims=True)
    norm = np.divide(c, total, out=np.zeros_like(c), where=total > 0)
    return norm @ PHI.T


def tonnetz_distance(a, b) -> np.ndarray:
    """Euclidean distance between the Tonnetz centroids of chroma a and b (broadcast over ...)."""
    return np.linalg.norm(tonnetz(a) - tonnetz(b), axis=-1)
