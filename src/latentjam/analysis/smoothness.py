"""Interpolation smoothness (FM-Music-VAE 4.1, fig. 2): max Hamming jump along latent lines."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentjam.plots import save_figure

DRUM_HITS = slice(0, 9)  # DrumGrid: hit columns
MELODY_NOTE_ONS = slice(2, 90)  # MelodyOneHot: note-on columns (0 hold, 1 off)


def binarize(x: np.ndarray, kind: str) -> np.ndarray:
    """The binary part the paper compares: drum hits or melody note-ons, (..., T, K) bool."""
    x = np.asarray(x)
    if kind == "drums":
        return x[..., DRUM_HITS] > 0.5
    if kind == "melody":
        return x[..., MELODY_NOTE_ONS] > 0.5
    raise ValueError(f"unknown data kind {kind!r} (expected 'drums' or 'melody')")


def line_points(z_a: np.ndarray, z_b: np.ndarray, points: int = 20) -> np.ndarray:
    """`points` evenly spaced latents from z_a to z_b (both included): (P, Nz) x2 -> (P, S, Nz)."""
    t = np.linspace(0.0, 1.0, points, dtype=np.float64)[None, :, None]  # (1, S, 1)
    return ((1 - t) * z_a[:, None, :] + t * z_b[:, None, :]).astype(np.float32)


def interpolation_smoothness(lines: np.ndarray) -> np.ndarray:
    """Binary decoded lines (P, S, T, K) -> smoothness per pair (P,): the largest Hamming
    distance between consecutive points. Lower is smoother."""
    lines = np.asarray(lines, dtype=bool)
    if lines.ndim != 4 or lines.shape[1] < 2:
        raise ValueError(f"expected (pairs, points >= 2, T, K), got {lines.shape}")
    jumps = (lines[:, 1:] != lines[:, :-1]).sum(axis=(2, 3))  # (P, S-1)
    return jumps.max(axis=1)


def summarize(values: np.ndarray) -> dict[str, float]:
    """Median, mean and quartiles of a distribution (for JSON reports)."""
    v = np.asarray(values, dtype=np.float64)
    q1, med, q3, p90 = np.percentile(v, [25, 50, 75, 90])
    return {
        "median": float(med),
        "mean": float(v.mean()),
        "q1": float(q1),
        "q3": float(q3),
        "p90": float(p90),
        "n": int(v.size),
    }


def plot_smoothness(values: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """Box plot of smoothness per model (fig. 2 style), written atomically as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(4.2, 1.6 + 1.4 * len(values)), 3.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.boxplot([np.asarray(v) for v in values.values()], showfliers=False)
    ax.set_xticks(range(1, len(values) + 1), list(values))
    ax.set_ylabel("max Hamming distance between\nconsecutive interpolation points")
    ax.set_title("interpolation smoothness (lower is smoother)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)
