"""Figures: spectrogram PNGs and the 2-D latent map of the blog (means with their spread)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentjam.plots import save_figure


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_spectrogram(
    mel: np.ndarray, path: str | os.PathLike, *, sample_rate: int, hop_length: int, title: str = ""
) -> Path:
    """Draw a [0, 1] log-mel (n_mels, frames) as a PNG (time in seconds, mel band index)."""
    plt = _pyplot()
    mel = np.asarray(mel)
    fig, ax = plt.subplots(figsize=(8, 3))
    seconds = mel.shape[1] * hop_length / sample_rate
    im = ax.imshow(
        mel,
        origin="lower",
        aspect="auto",
        vmin=0.0,
        vmax=1.0,
        cmap="magma",
        extent=(0.0, seconds, 0, mel.shape[0]),
    )
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel band")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="scaled log-mel")
    fig.tight_layout()
    try:
        return save_figure(fig, path)
    finally:
        plt.close(fig)


def save_latent_map(
    mu: np.ndarray,
    sigma: np.ndarray,
    path: str | os.PathLike,
    *,
    values=None,
    value_name: str = "",
    title: str = "latent map",
) -> Path:
    """The blog's latent map: posterior means of a 2-D latent, each with a 2-sigma ellipse,
    coloured by `values` (k,) if given; a second panel zooms into the density of the point
    farthest right. mu, sigma (k, 2)."""
    from matplotlib.patches import Ellipse

    plt = _pyplot()
    mu, sigma = np.asarray(mu), np.asarray(sigma)
    if mu.ndim != 2 or mu.shape[1] != 2 or sigma.shape != mu.shape:
        raise ValueError(f"latent map needs (k, 2) means and sigmas, got {mu.shape}, {sigma.shape}")
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(10, 4.5))
    if values is None:
        ax.scatter(mu[:, 0], mu[:, 1], s=8)
    else:
        points = ax.scatter(mu[:, 0], mu[:, 1], s=8, c=np.asarray(values), cmap="viridis")
        fig.colorbar(points, ax=ax, label=value_name)
    for (x, y), (sx, sy) in zip(mu, sigma, strict=True):
        ax.add_patch(Ellipse((x, y), 4 * sx, 4 * sy, fill=False, lw=0.4, alpha=0.5))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title)
    i = int(np.argmax(mu[:, 0]))
    cx, cy = mu[i]
    sx, sy = sigma[i]
    gx, gy = np.meshgrid(
        np.linspace(cx - 3 * sx, cx + 3 * sx, 120), np.linspace(cy - 3 * sy, cy + 3 * sy, 120)
    )
    dens = np.exp(-0.5 * (((gx - cx) / sx) ** 2 + ((gy - cy) / sy) ** 2)) / (2 * np.pi * sx * sy)
    zoom.contourf(gx, gy, dens, levels=20, cmap="viridis")
    zoom.set_title(f"density of the rightmost point (sigma {sx:.3g}, {sy:.3g})")
    zoom.set_xlabel("z[0]")
    zoom.set_ylabel("z[1]")
    fig.tight_layout()
    try:
        return save_figure(fig, path)
    finally:
        plt.close(fig)
