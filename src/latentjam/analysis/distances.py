"""Frame distances for the oracle: Euclidean, cosine (safe on silent frames), Tonnetz on chroma.

Sums run over the feature axis one feature at a time (left to right), the order
`scipy.spatial.distance.cdist` uses, so equal inputs give bit-identical distances and ties break
the same way as in the reference oracle; the work is vectorised over all pairs.
"""

from __future__ import annotations

import numpy as np

from latentjam.analysis.tonnetz import PHI

DISTANCES = ("euclidean", "cosine", "tonnetz")


def prepare(features, distance: str) -> np.ndarray:
    """Features (N, D) -> the arrays the distance compares: (N, D), or (N, 6) for "tonnetz".

    "tonnetz" expects chroma (N, 12) and maps each frame to its L1-normalised tonal centroid
    (silence -> origin), computed pitch class by pitch class so equal chroma give equal centroids.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"features must be (frames, dims), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("features must be finite")
    if distance not in DISTANCES:
        raise ValueError(f"unknown distance '{distance}', choose from {', '.join(DISTANCES)}")
    if distance != "tonnetz":
        return x
    if x.shape[1] != 12 or np.any(x < 0):
        raise ValueError("the tonnetz distance needs non-negative chroma frames (N, 12)")
    total = x.sum(axis=1, keepdims=True)
    norm = np.divide(x, total, out=np.zeros_like(x), where=total > 0)
    out = np.zeros((len(x), 6))
    for c in range(12):
        out += norm[:, c : c + 1] * PHI[:, c]
    return out


def _sq_euclidean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sequential-order sum of squared differences, a (m, D), b (n, D) -> (m, n)."""
    out = np.zeros((len(a), len(b)))
    buf = np.empty_like(out)
    for k in range(a.shape[1]):
        np.subtract(a[:, k, None], b[None, :, k], out=buf)
        np.multiply(buf, buf, out=buf)
        out += buf
    return out


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sequential-order dot products, a (m, D), b (n, D) -> (m, n)."""
    out = np.zeros((len(a), len(b)))
    buf = np.empty_like(out)
    for k in range(a.shape[1]):
        np.multiply(a[:, k, None], b[None, :, k], out=buf)
        out += buf
    return out


def _norms(a: np.ndarray) -> np.ndarray:
    out = np.zeros(len(a))
    for k in range(a.shape[1]):
        out += a[:, k] * a[:, k]
    return np.sqrt(out)


def cross(a: np.ndarray, b: np.ndarray, distance: str) -> np.ndarray:
    """Distances between prepared frames a (m, D) and b (n, D) -> (m, n).

    Cosine distance is 1 - cos, clipped like scipy's; an all-zero frame is at distance 0 from
    another all-zero frame and 1 from anything else, so silent bars form one symbol instead of
    each becoming a new one.
    """
    if distance in ("euclidean", "tonnetz"):
        return np.sqrt(_sq_euclidean(a, b))
    na, nb = _norms(a), _norms(b)
    denom = na[:, None] * nb[None, :]
    cos = np.divide(_dot(a, b), denom, out=np.zeros_like(denom), where=denom > 0)
    np.clip(cos, -1.0, 1.0, out=cos)
    out = 1.0 - cos
    zero_a, zero_b = na == 0, nb == 0
    out[zero_a[:, None] & zero_b[None, :]] = 0.0
    return out


def self_distances(x: np.ndarray, distance: str, block: int = 64) -> np.ndarray:
    """Symmetric (N, N) distance matrix of prepared frames x (N, D), built by row blocks."""
    n = len(x)
    out = np.empty((n, n))
    for a in range(0, n, block):
        b = min(a + block, n)
        out[a:b, :b] = cross(x[a:b], x[:b], distance)
    low = np.tril_indices(n, -1)
    out.T[low] = out[low]
    return out
