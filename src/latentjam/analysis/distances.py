"""Frame distances for the oracle: Euclidean, cosine (safe on silent frames), Tonnetz on chroma.

Sums run over the feature axis in the order `scipy.spatial.distance.cdist` uses (Euclidean: one
feature at a time, left to right; cosine: even and odd features in two running sums, as scipy's
compiled loop does), so equal inputs give bit-identical distances and ties break the same way
as in the reference oracle; the work is vectorised over all pairs.
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


def _sq_euclidean(at: np.ndarray, bt: np.ndarray) -> np.ndarray:
    """Sequential-order sum of squared differences, at (D, m), bt (D, n) -> (m, n)."""
    if len(at) == 0:
        return np.zeros((at.shape[1], bt.shape[1]))
    out = np.subtract(at[0][:, None], bt[0][None, :])  # the first term: 0 + x is x
    np.multiply(out, out, out=out)
    buf = np.empty_like(out)
    for a_k, b_k in zip(at[1:], bt[1:], strict=True):
        np.subtract(a_k[:, None], b_k[None, :], out=buf)
        np.multiply(buf, buf, out=buf)
        out += buf
    return out


def _dot(at: np.ndarray, bt: np.ndarray) -> np.ndarray:
    """Dot products in scipy's cosine order, at (D, m), bt (D, n) -> (m, n): one running sum
    over the even features and one over the odd ones, added, then the last feature of an odd
    count."""
    d = len(at)
    if d < 2:
        even = np.zeros((at.shape[1], bt.shape[1]))
    else:  # the first terms: 0 + x is x
        even = np.multiply(at[0][:, None], bt[0][None, :])
        odd = np.multiply(at[1][:, None], bt[1][None, :])
        buf = np.empty_like(even)
        for k in range(2, d - d % 2, 2):
            np.multiply(at[k][:, None], bt[k][None, :], out=buf)
            even += buf
            np.multiply(at[k + 1][:, None], bt[k + 1][None, :], out=buf)
            odd += buf
        even += odd
    if d % 2:
        even += np.multiply(at[-1][:, None], bt[-1][None, :])
    return even


def _norms(at: np.ndarray) -> np.ndarray:
    """Euclidean norms of the columns of at (D, m) -> (m,), summed in `_dot`'s order."""
    even = np.zeros(at.shape[1])
    odd = np.zeros_like(even)
    d = len(at)
    for k in range(0, d - d % 2, 2):
        even += at[k] * at[k]
        odd += at[k + 1] * at[k + 1]
    even += odd
    if d % 2:
        even += at[-1] * at[-1]
    return np.sqrt(even)


def cross(a: np.ndarray, b: np.ndarray, distance: str) -> np.ndarray:
    """Distances between prepared frames a (m, D) and b (n, D) -> (m, n).

    Cosine distance is 1 - cos, clipped like scipy's; an all-zero frame is at distance 0 from
    another all-zero frame and 1 from anything else, so silent bars form one symbol instead of
    each becoming a new one.
    """
    return _cross_t(np.ascontiguousarray(a.T), np.ascontiguousarray(b.T), distance)


def _cross_t(at: np.ndarray, bt: np.ndarray, distance: str, norms=None) -> np.ndarray:
    """`cross` on feature-major frames at (D, m), bt (D, n) (each feature row contiguous);
    `norms`: the cosine's (m,) and (n,) column norms when already known."""
    if distance in ("euclidean", "tonnetz"):
        sq = _sq_euclidean(at, bt)
        return np.sqrt(sq, out=sq)
    na, nb = (_norms(at), _norms(bt)) if norms is None else norms
    denom = na[:, None] * nb[None, :]
    zero_a, zero_b = na == 0, nb == 0
    if zero_a.any() or zero_b.any():
        cos = np.divide(_dot(at, bt), denom, out=np.zeros_like(denom), where=denom > 0)
    else:  # no silent frame: divide in place
        cos = _dot(at, bt)
        np.divide(cos, denom, out=cos)
    np.clip(cos, -1.0, 1.0, out=cos)
    out = np.subtract(1.0, cos, out=cos)
    if zero_a.any() and zero_b.any():
        out[zero_a[:, None] & zero_b[None, :]] = 0.0
    return out


def self_distances(x: np.ndarray, distance: str, block: int = 64) -> np.ndarray:
    """Symmetric (N, N) distance matrix of prepared frames x (N, D), built by row blocks
    (each block of rows against all earlier frames, then mirrored above the diagonal)."""
    n = len(x)
    xt = np.ascontiguousarray(x.T)  # (D, N)
    norms = _norms(xt) if distance == "cosine" else None  # per frame, so once
    out = np.empty((n, n))
    for a in range(0, n, block):
        b = min(a + block, n)
        rows = _cross_t(
            xt[:, a:b], xt[:, :b], distance, None if norms is None else (norms[a:b], norms[:b])
        )
        out[a:b, :b] = rows
        out[:a, a:b] = rows[:, :a].T
    return out


def earlier_distances(x: np.ndarray, distance: str, block: int = 64) -> np.ndarray:
    """Distances from each prepared frame of x (N, D) to the earlier ones: (N, N) with row i
    holding frames 0..i-1 in columns 0..i-1 (as in `self_distances`) and zeros from the
    diagonal on. Half the work of `self_distances`, for the oracle sweep, which reads no more."""
    n = len(x)
    xt = np.ascontiguousarray(x.T)  # (D, N)
    out = np.zeros((n, n))
    upper = np.triu(np.ones((block, block), dtype=bool))  # a diagonal block's own and later frames
    norms = _norms(xt) if distance == "cosine" else None  # per frame, so once
    for a in range(0, n, block):
        b = min(a + block, n)
        rows = _cross_t(
            xt[:, a:b], xt[:, :b], distance, None if norms is None else (norms[a:b], norms[:b])
        )  # (b - a, b)
        rows[:, a:][upper[: b - a, : b - a]] = 0.0
        out[a:b, :b] = rows
    return out
