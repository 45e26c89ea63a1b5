"""Flatness of a decoder's latent manifold, from metric tensors G = J^T J and decoded lines.

For a flat (isometric up to scale) decoder every G is c^2 I: condition numbers are 1,
log-eigenvalues do not vary, and points evenly spaced on a straight latent line decode to
evenly spaced outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentjam.plots import save_figure

_EPS = 1e-12


def metric_statistics(g: np.ndarray) -> dict[str, float]:
    """Metric tensors g (B, Nz, Nz) -> flatness figures.

    - condition_number: median over points of lambda_max / lambda_min of G (1 when flat);
    - log_eig_var: variance of log eigenvalues of G / c^2 over all points and directions,
      c^2 = mean trace / Nz (0 when flat);
    - log_eig_var_relative: the same for Gbar^(-1/2) G Gbar^(-1/2), Gbar the batch-mean
      metric: how much G varies from point to point, whatever its mean shape (0 when flat);
    - c2: the scale c^2.
    """
    g = np.asarray(g, dtype=np.float64)
    g = 0.5 * (g + np.swapaxes(g, 1, 2))
    n = g.shape[-1]
    eig = np.clip(np.linalg.eigvalsh(g), _EPS, None)  # (B, Nz) ascending
    c2 = float(np.trace(g, axis1=1, axis2=2).mean() / n)
    mean = g.mean(axis=0)
    w, v = np.linalg.eigh(mean)
    inv_sqrt = (v / np.sqrt(np.clip(w, _EPS, None))) @ v.T
    rel = np.clip(np.linalg.eigvalsh(inv_sqrt @ g @ inv_sqrt), _EPS, None)
    return {
        "condition_number": float(np.median(eig[:, -1] / eig[:, 0])),
        "log_condition_number_mean": float(np.mean(np.log(eig[:, -1] / eig[:, 0]))),
        "log_eig_var": float(np.var(np.log(eig / max(c2, _EPS)))),
        "log_eig_var_relative": float(np.var(np.log(rel))),
        "c2": c2,
        "points": int(g.shape[0]),
    }


def equidistance(lines: np.ndarray) -> np.ndarray:
    """Decoded points on straight latent lines (P, S, M) -> coefficient of variation of the
    distances between consecutive points, per line (P,) (0 when evenly spaced)."""
    lines = np.asarray(lines, dtype=np.float64)
    d = np.linalg.norm(lines[:, 1:] - lines[:, :-1], axis=-1)  # (P, S-1)
    mean = d.mean(axis=1)
    return np.where(mean > 0, d.std(axis=1) / np.maximum(mean, _EPS), 0.0)


def plot_spectra(g: dict[str, np.ndarray], path: str | os.PathLike) -> Path:
    """Sorted log10 eigenvalues of G / c^2 per point (one panel per model)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.4 * max(1, len(g)), 3.0), dpi=100)
    FigureCanvasAgg(fig)
    for i, (name, mats) in enumerate(g.items()):
        mats = np.asarray(mats, dtype=np.float64)
        c2 = np.trace(mats, axis1=1, axis2=2).mean() / mats.shape[-1]
        eig = np.clip(np.linalg.eigvalsh(mats), _EPS, None)[:, ::-1] / max(c2, _EPS)
        ax = fig.add_subplot(1, len(g), i + 1)
        ax.plot(np.log10(eig).T, color="tab:blue", alpha=0.2, lw=0.8)
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_xlabel("eigenvalue rank")
        ax.set_ylabel("log10 eigenvalue of G / c^2")
        ax.set_title(name)
    fig.tight_layout()
    return save_figure(fig, path)
