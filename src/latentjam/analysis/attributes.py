"""Attribute vectors and their correlation with decoded attributes (FM-Music-VAE 4.3, table 2).

Attributes of a window (numpy, converter layouts): drums -> density (hits in the window),
velocity (mean velocity of the hits), offset (mean micro-timing offset of the hits);
melody -> density (note-ons), pitch (mean MIDI pitch of the note-ons). Windows without notes
have NaN velocity/offset/pitch and are left out where a mean is taken.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from latentjam.plots import save_figure

ATTRIBUTES = {"drums": ("density", "velocity", "offset"), "melody": ("density", "pitch")}
LOW_PITCH = 21  # MelodyOneHot column 2 is MIDI pitch 21


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    count = mask.sum(axis=(-2, -1))
    total = np.where(mask, values, 0.0).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def compute_attributes(x: np.ndarray, kind: str) -> dict[str, np.ndarray]:
    """Attributes of windows x (N, T, D) -> {name: (N,) float64}."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "drums":
        hits = x[..., 0:9] > 0.5
        return {
            "density": hits.sum(axis=(-2, -1)).astype(np.float64),
            "velocity": _masked_mean(x[..., 9:18], hits),
            "offset": _masked_mean(x[..., 18:27], hits),
        }
    if kind == "melody":
        ons = x[..., 2:] > 0.5  # (N, T, 88)
        pitch = np.broadcast_to(np.arange(ons.shape[-1]) + LOW_PITCH, ons.shape)
        return {
            "density": ons.sum(axis=(-2, -1)).astype(np.float64),
            "pitch": _masked_mean(pitch, ons),
        }
    raise ValueError(f"unknown data kind {kind!r} (expected 'drums' or 'melody')")


def attribute_vector(latents: np.ndarray, values: np.ndarray, quantile: float = 0.25) -> np.ndarray:
    """Mean latent of the top `quantile` minus that of the bottom `quantile` of an attribute.

    latents (N, Nz), values (N,) (NaN entries ignored) -> (Nz,)."""
    ok = np.isfinite(values)
    lat, val = np.asarray(latents)[ok], np.asarray(values)[ok]
    if len(val) < 4:
        raise ValueError("too few windows with this attribute to build a vector")
    low, high = np.quantile(val, [quantile, 1 - quantile])
    top, bottom = val >= high, val <= low
    if not top.any() or not bottom.any() or (top & bottom).all():
        raise ValueError("the attribute does not vary over these windows")
    return (lat[top].mean(axis=0) - lat[bottom].mean(axis=0)).astype(np.float32)


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r over pairs where both are finite (NaN if undefined)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or a[ok].std() == 0 or b[ok].std() == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _region_test(latents: np.ndarray, region: str) -> Callable[[np.ndarray], np.ndarray]:
    """A test z (n, Nz) -> (n,) bool for "inside the encoded data's region" (see below)."""
    if region == "box":
        lo, hi = latents.min(axis=0), latents.max(axis=0)
        return lambda z: ((z >= lo) & (z <= hi)).all(axis=1)
    if region == "ellipsoid":
        mean = latents.mean(axis=0, dtype=np.float64)
        cov = np.cov(latents, rowvar=False).reshape(latents.shape[1], latents.shape[1])
        precision = np.linalg.pinv(cov)  # (Nz, Nz); pinv: a dead axis may have zero variance

        def distance2(z: np.ndarray) -> np.ndarray:
            d = z - mean
            return np.einsum("ni,ij,nj->n", d, precision, d)

        limit = distance2(latents).max()
        return lambda z: distance2(z) <= limit
    if region == "none":
        return lambda z: np.ones(len(z), dtype=bool)
    raise ValueError(f"unknown region {region!r} (expected 'box', 'ellipsoid' or 'none')")


def attribute_correlation(
    latents: np.ndarray,
    vector: np.ndarray,
    decode: Callable[[np.ndarray], np.ndarray],
    attribute: Callable[[np.ndarray], np.ndarray],
    *,
    samples: int = 5000,
    rng: np.random.Generator | None = None,
    within: bool = False,
    region: str = "box",
) -> dict[str, object]:
    """Table 2 protocol: z + s * vector, s ~ U(-1, 1), for random encoded points; points that
    leave the encoded data's region are discarded until `samples` remain; decode, measure the
    attribute, correlate with s.

    region: "box" (the paper: the range of the encoded data on every axis), "ellipsoid" (beyond
    the paper: Mahalanobis distance under the encoded data's covariance no larger than the
    data's own largest one) or "none" (keep every point).
    decode: (n, Nz) -> windows (n, T, D); attribute: windows -> (n,). Returns r, the scales and
    the measured values. With `within=True` also "r_within": r between s and the change of the
    attribute from the starting point's own decode (s = 0), which removes the spread between
    starting points that dominates the pooled r when few distinct windows are available."""
    rng = rng or np.random.default_rng(0)
    latents = np.asarray(latents, dtype=np.float32)
    inside_region = _region_test(latents, region)
    kept_z, kept_s, kept_i = [], [], []
    have, tries, drawn = 0, 0, 0
    while have < samples and tries < 50:
        n = 2 * (samples - have) + 16
        drawn += n
        idx = rng.integers(0, len(latents), n)
        s = rng.uniform(-1.0, 1.0, n).astype(np.float32)
        z = latents[idx] + s[:, None] * vector[None, :]
        inside = inside_region(z)
        kept_z.append(z[inside])
        kept_s.append(s[inside])
        kept_i.append(idx[inside])
        have += int(inside.sum())
        tries += 1
    z = np.concatenate(kept_z)[:samples]
    s = np.concatenate(kept_s)[:samples]
    base_idx = np.concatenate(kept_i)[:samples]
    values = attribute(decode(z)) if len(z) else np.zeros(0)
    out = {
        "r": pearson(s, values),
        "n": len(s),
        "scale": s,
        "value": values,
        "discard_rate": float(1 - have / max(1, drawn)),
    }
    if within:  # beyond the paper: change relative to each starting point's own decode
        uniq, inverse = np.unique(base_idx, return_inverse=True)
        base = attribute(decode(latents[uniq]))[inverse] if len(uniq) else np.zeros(0)
        out["r_within"] = pearson(s, values - base)
    return out


def plot_attribute_scatter(results: dict[str, dict[str, object]], path: str | os.PathLike) -> Path:
    """One scatter per attribute: scale s of the attribute vector vs decoded attribute."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * max(1, len(results)), 3.0), dpi=100)
    FigureCanvasAgg(fig)
    for i, (name, res) in enumerate(results.items()):
        ax = fig.add_subplot(1, len(results), i + 1)
        ax.scatter(res["scale"], res["value"], s=3, alpha=0.3)
        ax.set_xlabel("scale s of the attribute vector")
        ax.set_ylabel(name)
        ax.set_title(f"{name}: r = {res['r']:.2f}")
    fig.tight_layout()
    return save_figure(fig, path)
