"""PNG pictures of what a command made: drum grids, piano rolls, stacked steps, latent maps.

Drawn with matplotlib's Agg canvas (no display, no pyplot global state); files are written
atomically. Music is read from `latentjam.music.Sequence` objects, times in beats.
"""

from __future__ import annotations

import os
from collections.abc import Sequence as Seq
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_path
from latentjam.errors import LatentjamError
from latentjam.music import Sequence, Track

STEPS_PER_BEAT = 4


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


MAX_PLOT_BEATS = 64  # longer pieces are drawn as their first 16 bars


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Write a matplotlib figure as PNG atomically (a temporary file, then a rename)."""
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return Path(path)


def _drum_rows(track: Track) -> tuple[np.ndarray, list[str]]:
    """Row index per note and row labels: the drum-grid classes when the converter is present."""
    try:
        from latentjam.convert.drums import DRUM_CLASSES, MAPPINGS
    except ImportError:  # converters not available: one row per pitch used
        DRUM_CLASSES, MAPPINGS = (), {}
    if "gm" in MAPPINGS:
        rows = MAPPINGS["gm"][np.clip(track.pitch.astype(np.int64), 0, 127)]
        if np.all(rows >= 0):
            return rows, list(DRUM_CLASSES)
    pitches = sorted({int(p) for p in track.pitch})
    index = {p: i for i, p in enumerate(pitches)}
    return np.array([index[int(p)] for p in track.pitch], dtype=int), [str(p) for p in pitches]


def _draw(
    ax,
    sequence: Sequence,
    *,
    length: float | None,
    title: str = "",
    drums_only: bool | None = None,
    pitch_range: tuple[int, int] | None = None,
) -> None:
    """One panel: drum hits as velocity-coloured cells, or pitched notes as a piano roll."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    end = length if length is not None else max(sequence.end, 4.0)
    drums = sequence.merged(drums=True)
    pitched = sequence.merged(drums=False)
    if drums_only is None:
        drums_only = len(drums) > 0
    if drums_only:
        pitched = Track.empty()
    else:
        drums = Track.empty(is_drum=True)
    step = 1.0 / STEPS_PER_BEAT
    if drums_only:  # the class rows are drawn even for an empty pattern
        rows, labels = _drum_rows(drums)
        for r, v, s in zip(rows, drums.velocity, drums.start, strict=True):
            height = 0.84 * max(v / 127.0, 0.15)  # louder hits are taller (and brighter)
            ax.add_patch(_rect(s, r - 0.42, step * 0.9, height, cmap(v / 127.0)))
        ax.set_ylim(-0.5, len(labels) - 0.5)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
    elif len(pitched):
        for p, v, s, d in zip(
            pitched.pitch, pitched.velocity, pitched.start, pitched.duration, strict=True
        ):
            ax.add_patch(_rect(s, p - 0.45, max(d, step * 0.25), 0.9, cmap(v / 127.0)))
        low, high = pitch_range or (int(pitched.pitch.min()), int(pitched.pitch.max()))
        ax.set_ylim(low - 2, high + 2)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(axis="y", labelsize=8)
    else:
        ax.set_yticks([])
    for beat in np.arange(0.0, end + 1e-9, 1.0):
        bar = abs(beat / 4.0 - round(beat / 4.0)) < 1e-9
        ax.axvline(beat, color="0.3" if bar else "0.85", linewidth=0.8 if bar else 0.4, zorder=0)
    ax.set_xlim(0, end)
    ax.tick_params(axis="x", labelsize=8)
    if title:
        ax.set_title(title, fontsize=9, loc="left", pad=2)


def _rect(x: float, y: float, w: float, h: float, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="none")


def plot_sequences(
    sequences: Seq[Sequence],
    path: str | os.PathLike,
    *,
    titles: Seq[str] | None = None,
    length: float | None = None,
    drums: bool | None = None,
) -> Path:
    """Draw each sequence as one panel, stacked top to bottom (the paper's fig. 3 / fig. 4).

    Drums appear as a grid of classes x time (cells coloured and sized by velocity, drawn where
    the hit falls, so micro-timing shows); melodies as a piano roll. `length` (beats) fixes a common
    time axis; by default the longest sequence sets it; piano rolls share one pitch axis.
    `drums` picks which notes to draw
    (None: the drum notes if a sequence has any, else its pitched notes).
    """
    if not sequences:
        raise LatentjamError("nothing to draw")
    if titles is not None and len(titles) != len(sequences):
        raise LatentjamError("need one title per sequence")
    end = length if length is not None else max(max(s.end for s in sequences), 4.0)
    end = float(np.ceil(end / 4.0) * 4.0)  # whole bars
    if end > MAX_PLOT_BEATS:  # a long piece: a readable excerpt, said in the titles
        bars = int(end // 4)
        titles = [
            f"{t} (first {MAX_PLOT_BEATS // 4} of {bars} bars)".strip()
            for t in (titles or [""] * len(sequences))
        ]
        end = float(MAX_PLOT_BEATS)
    n = len(sequences)
    fig = _figure(min(3.0 + end * 0.4, 16.0), 0.7 + 1.3 * n)
    axes = fig.subplots(n, 1, squeeze=False, sharex=True)[:, 0]
    pitches = [s.merged(drums=False).pitch for s in sequences]
    pitches = np.concatenate(pitches) if pitches else np.zeros(0)
    common = (int(pitches.min()), int(pitches.max())) if len(pitches) else None
    for i, (ax, seq) in enumerate(zip(axes, sequences, strict=True)):
        _draw(
            ax,
            seq,
            length=end,
            title=titles[i] if titles else "",
            drums_only=drums,
            pitch_range=common,
        )
    axes[-1].set_xlabel("beats", fontsize=9)
    fig.tight_layout(h_pad=0.3, rect=(0.0, 0.0, 0.93, 1.0))
    _velocity_legend(fig)
    return save_figure(fig, path)


def _velocity_legend(fig) -> None:
    """A small colour bar at the right edge saying what the note colours mean."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    mappable = ScalarMappable(norm=Normalize(1, 127), cmap=colormaps["viridis"])
    cax = fig.add_axes((0.945, 0.2, 0.012, 0.6))
    bar = fig.colorbar(mappable, cax=cax)
    bar.set_label("velocity", fontsize=8)
    bar.ax.tick_params(labelsize=7)


def plot_sequence(
    sequence: Sequence, path: str | os.PathLike, *, title: str = "", drums: bool | None = None
) -> Path:
    """One drum grid or piano roll of a whole sequence."""
    return plot_sequences([sequence], path, titles=[title] if title else None, drums=drums)


def plot_latent_map(
    points,
    path: str | os.PathLike,
    *,
    values=None,
    label: str = "",
    title: str = "",
    highlight=None,
    highlight_labels: Seq[str] | None = None,
) -> Path:
    """Scatter of projected latents, (N, 2) or (N, 3), coloured by `values` (N,) if given.

    `highlight` (M, 2|3) draws extra marked points (e.g. a piece's windows) joined by a line.
    Points whose value is NaN are drawn grey.
    """
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] not in (2, 3) or len(p) == 0:
        raise LatentjamError(f"a latent map needs points of shape (N, 2) or (N, 3), got {p.shape}")
    three = p.shape[1] == 3
    fig = _figure(6.5, 5.2)
    ax = fig.add_subplot(projection="3d") if three else fig.add_subplot()
    coords = [p[:, k] for k in range(p.shape[1])]
    if values is None:
        ax.scatter(*coords, s=6, alpha=0.6, color="tab:blue", linewidths=0)
    else:
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if len(v) != len(p):
            raise LatentjamError("need one value per point")
        bad = ~np.isfinite(v)
        if bad.any():
            ax.scatter(*[c[bad] for c in coords], s=5, color="0.7", alpha=0.5, linewidths=0)
        sc = ax.scatter(
            *[c[~bad] for c in coords], c=v[~bad], s=6, cmap="viridis", alpha=0.8, linewidths=0
        )
        fig.colorbar(sc, ax=ax, label=label, shrink=0.8, pad=0.12 if three else 0.05)
    if highlight is not None:
        h = np.asarray(highlight, dtype=np.float64)
        ax.plot(
            *[h[:, k] for k in range(h.shape[1])],
            color="crimson",
            marker="o",
            markersize=4,
            linewidth=1,
        )
        for i, name in enumerate(highlight_labels or []):
            if name:
                ax.text(*h[i], f" {name}", fontsize=7, color="crimson")
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    if three:
        ax.set_zlabel("component 3")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def project(latents, dims: int = 2, *, basis=None):
    """Principal-component projection of latents (N, Nz) -> ((N, dims), basis).

    `basis` is (mean (Nz,), components (dims, Nz)); pass the one returned for the corpus to
    place new points on the same map.
    """
    z = np.asarray(latents, dtype=np.float64)
    if z.ndim != 2:
        raise LatentjamError(f"need latents of shape (N, Nz), got {z.shape}")
    if basis is None:
        if len(z) < 2:
            raise LatentjamError("a projection needs at least 2 latents")
        if dims > z.shape[1]:
            raise LatentjamError(f"cannot project {z.shape[1]}-D latents to {dims}-D")
        mean = z.mean(axis=0)
        _, _, vt = np.linalg.svd(z - mean, full_matrices=False)
        basis = (mean, vt[:dims])
    mean, comps = basis
    return (z - mean) @ comps.T, basis
