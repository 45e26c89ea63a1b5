"""Pure operations on latent vectors: interpolation, sampling, neighbourhoods, attribute vectors.

Every function takes numpy arrays or torch tensors and returns the same kind it was given
(torch in, torch out, same dtype and device); the maths runs in float64 numpy, so no gradient
flows through these functions. Latent vectors have shape (Nz,) or (B, Nz): the last axis is the
latent axis. Nothing here imports torch unless it was handed a tensor.

Attribute measures (FM-Music-VAE section 4.3) read data tensors rather than latents: a drum grid
(..., T, 27) [hits 0-8, velocities 9-17, offsets 18-26] or a melody one-hot (..., T, 90)
[0 hold, 1 off, 2.. note-on for MIDI pitches 21..108].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from latentjam.errors import LatentjamError

_EPS = 1e-7  # below this angle (radians) or norm, slerp falls back to lerp

# --------------------------------------------------------------------------------------- tensors


def _is_torch(x) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def _as_numpy(x) -> np.ndarray:
    """A float64 copy of a numpy array, torch tensor or nested list."""
    if _is_torch(x):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _like(result: np.ndarray, template):
    """`result` converted to the kind (and dtype/device) of `template`."""
    if _is_torch(template):
        import torch

        dtype = template.dtype if template.is_floating_point() else torch.float32
        return torch.as_tensor(result, dtype=dtype, device=template.device)
    if isinstance(template, np.ndarray) and np.issubdtype(template.dtype, np.floating):
        return result.astype(template.dtype, copy=False)
    return result.astype(np.float32, copy=False)


def _fractions(steps: int) -> np.ndarray:
    """`steps` evenly spaced interpolation fractions from 0 to 1 inclusive, shape (steps,)."""
    if int(steps) != steps or steps < 2:
        raise LatentjamError(f"an interpolation needs at least 2 steps (got {steps})")
    return np.linspace(0.0, 1.0, int(steps))


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise LatentjamError(f"cannot interpolate latents of shapes {a.shape} and {b.shape}")
    if a.ndim == 0:
        raise LatentjamError("latent vectors need at least one axis")


# --------------------------------------------------------------------------------- interpolation


def lerp(a, b, steps: int):
    """Points on the straight line from `a` to `b`, both ends included.

    a, b: (..., Nz) -> (steps, ..., Nz); step 0 is exactly `a` and the last step exactly `b`.
    """
    a64, b64 = _as_numpy(a), _as_numpy(b)
    _check_pair(a64, b64)
    t = _fractions(steps).reshape((-1,) + (1,) * a64.ndim)  # (steps, 1.., 1)
    out = a64[None] * (1.0 - t) + b64[None] * t
    out[0], out[-1] = a64, b64  # exact endpoints (no rounding)
    return _like(out, a)


def slerp(a, b, steps: int):
    """Spherical interpolation from `a` to `b`, both ends included.

    The direction moves along the great circle at constant angular speed while the norm moves
    linearly from |a| to |b|, so every point's norm lies between the end norms (all equal when
    |a| == |b|), unlike lerp whose midpoint shrinks towards the origin.
    Nearly parallel directions (angle < 1e-7 rad) fall back to lerp (the limit of slerp);
    opposite directions have no unique great circle: the path goes through a fixed direction
    orthogonal to `a`. A zero-length end falls back to lerp.
    a, b: (..., Nz) -> (steps, ..., Nz).
    """
    a64, b64 = _as_numpy(a), _as_numpy(b)
    _check_pair(a64, b64)
    t = _fractions(steps).reshape((-1,) + (1,) * a64.ndim)  # (steps, 1.., 1)
    na = np.linalg.norm(a64, axis=-1, keepdims=True)  # (..., 1)
    nb = np.linalg.norm(b64, axis=-1, keepdims=True)
    degenerate = (na < _EPS) | (nb < _EPS)  # (..., 1)
    ua = a64 / np.where(degenerate, 1.0, na)
    ub = b64 / np.where(degenerate, 1.0, nb)
    cos = np.clip(np.sum(ua * ub, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(cos)  # (..., 1) angle between the directions
    opposite = (np.pi - omega < 1e-6) & ~degenerate
    if np.any(opposite):
        # Through a direction orthogonal to a: the path a -> perp -> b is a half circle.
        perp = _orthogonal(ua)
        half = t <= 0.5
        ang = np.where(half, t * 2.0, (t - 0.5) * 2.0) * (np.pi / 2)
        start = np.where(half, ua[None], perp[None])
        stop = np.where(half, perp[None], ub[None])
        around = np.cos(ang) * start + np.sin(ang) * stop
    sin = np.sin(omega)
    parallel = (omega < _EPS) | degenerate
    safe_sin = np.where(parallel, 1.0, sin)
    wa = np.where(parallel, 1.0 - t, np.sin((1.0 - t) * omega) / safe_sin)
    wb = np.where(parallel, t, np.sin(t * omega) / safe_sin)
    direction = wa * ua[None] + wb * ub[None]  # (steps, ..., Nz), unit length unless parallel
    if np.any(opposite):
        direction = np.where(opposite[None], around, direction)
    length = np.linalg.norm(direction, axis=-1, keepdims=True)
    direction = direction / np.where(length < _EPS, 1.0, length)
    out = direction * ((1.0 - t) * na[None] + t * nb[None])
    lerped = a64[None] * (1.0 - t) + b64[None] * t
    out = np.where(degenerate[None], lerped, out)
    out[0], out[-1] = a64, b64
    return _like(out, a)


def _orthogonal(u: np.ndarray) -> np.ndarray:
    """A unit vector orthogonal to each unit vector in `u` (..., Nz), chosen deterministically."""
    if u.shape[-1] < 2:
        raise LatentjamError("slerp between opposite 1-D latents has no defined path")
    axis = np.argmin(np.abs(u), axis=-1)  # the basis vector least aligned with u
    e = np.zeros_like(u)
    np.put_along_axis(e, axis[..., None], 1.0, axis=-1)
    v = e - np.sum(e * u, axis=-1, keepdims=True) * u
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def interpolate(a, b, steps: int, method: str = "lerp"):
    """`lerp` or `slerp` by name: (..., Nz) -> (steps, ..., Nz)."""
    if method not in INTERPOLATIONS:
        choices = ", ".join(INTERPOLATIONS)
        raise LatentjamError(f"unknown interpolation '{method}' (choose {choices})")
    return INTERPOLATIONS[method](a, b, steps)


INTERPOLATIONS: dict[str, Callable] = {"lerp": lerp, "slerp": slerp}


# -------------------------------------------------------------------------------------- sampling


def sample_normal(n: int, dim: int, *, temperature: float = 1.0, seed: int | None = None):
    """`n` latents from N(0, temperature^2 I), shape (n, dim), float32; same seed, same draws.

    Temperature 0 gives the prior mean (all zeros); 1 the standard normal prior itself.
    """
    _check_count(n)
    if temperature < 0 or not np.isfinite(temperature):
        raise LatentjamError(f"temperature must be >= 0 (got {temperature})")
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((int(n), int(dim))) * temperature).astype(np.float32)


def similar(z, radius: float, n: int, *, seed: int | None = None):
    """`n` points at Euclidean distance `radius` from `z`, in uniformly random directions.

    z: (Nz,) -> (n, Nz). Same seed, same points. Radius 0 returns copies of `z`.
    """
    _check_count(n)
    z64 = _as_numpy(z)
    if z64.ndim != 1:
        raise LatentjamError(f"similar() takes one latent vector of shape (Nz,), got {z64.shape}")
    if radius < 0 or not np.isfinite(radius):
        raise LatentjamError(f"radius must be >= 0 (got {radius})")
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((int(n), z64.shape[0]))  # isotropic -> uniform on the sphere
    d /= np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-12)
    return _like(z64[None] + radius * d, z)


def _check_count(n) -> None:
    if int(n) != n or n < 1:
        raise LatentjamError(f"the number of points must be a positive integer (got {n})")


# ----------------------------------------------------------------------------- attribute vectors


def attribute_vector(latents, values, *, fraction: float = 0.25):
    """Mean latent of the top `fraction` of `values` minus that of the bottom `fraction`.

    The FM-Music-VAE table 2 protocol (after Roberts et al. 2018): latents (N, Nz) are encoded
    samples, values (N,) their attribute; NaN values (e.g. the mean velocity of an empty pattern)
    are left out. Returns (Nz,).
    """
    z = _as_numpy(latents)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if z.ndim != 2 or len(z) != len(v):
        raise LatentjamError(f"need latents (N, Nz) and values (N,), got {z.shape} and {v.shape}")
    if not 0 < fraction <= 0.5:
        raise LatentjamError(f"fraction must be in (0, 0.5] (got {fraction})")
    keep = np.isfinite(v)
    z, v = z[keep], v[keep]
    k = int(np.floor(len(v) * fraction))
    if k < 1:
        raise LatentjamError(
            f"an attribute vector needs at least {int(np.ceil(1 / fraction))} samples with a "
            f"defined attribute (got {len(v)})"
        )
    order = np.argsort(v, kind="stable")
    if v[order[-k:]].mean() <= v[order[:k]].mean():
        raise LatentjamError("the attribute does not vary over these samples")
    return _like(z[order[-k:]].mean(axis=0) - z[order[:k]].mean(axis=0), latents)


def along(z, vector, scales):
    """`z` moved by each scale times `vector`: z (Nz,), vector (Nz,), scales (S,) -> (S, Nz)."""
    z64, v64 = _as_numpy(z), _as_numpy(vector)
    s = np.asarray(scales, dtype=np.float64).reshape(-1, 1)  # (S, 1)
    if z64.shape != v64.shape or z64.ndim != 1:
        raise LatentjamError(f"need z and vector of the same shape (Nz,), got {z64.shape}, "
                             f"{v64.shape}")
    return _like(z64[None] + s * v64[None], z)


# ---------------------------------------------------------------------------- attribute measures

DRUM_CLASSES = 9
DRUM_DIM = 3 * DRUM_CLASSES
MELODY_DIM = 90
MELODY_LOW_PITCH = 21  # index 2 of the one-hot is this pitch


def _data(x, dim: int, what: str) -> np.ndarray:
    a = _as_numpy(x)
    if a.ndim < 2 or a.shape[-1] != dim:
        raise LatentjamError(f"{what} tensors have shape (..., T, {dim}); got {a.shape}")
    return a


def drum_hits(grid) -> np.ndarray:
    """Binary hits of a drum grid (..., T, 27) -> (..., T, 9) bool (probabilities > 0.5)."""
    return _data(grid, DRUM_DIM, "drum grid")[..., :DRUM_CLASSES] > 0.5


def drum_density(grid) -> np.ndarray:
    """Number of hits in each pattern: (..., T, 27) -> (...,)."""
    return drum_hits(grid).sum(axis=(-1, -2)).astype(np.float64)


def _mean_over_hits(grid, column: int) -> np.ndarray:
    g = _data(grid, DRUM_DIM, "drum grid")
    hits = g[..., :DRUM_CLASSES] > 0.5
    values = g[..., column:column + DRUM_CLASSES]
    count = hits.sum(axis=(-1, -2))
    total = np.where(hits, values, 0.0).sum(axis=(-1, -2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def drum_velocity(grid) -> np.ndarray:
    """Mean velocity (0..1) over the hits of each pattern; NaN without hits -> (...,)."""
    return _mean_over_hits(grid, DRUM_CLASSES)


def drum_offset(grid) -> np.ndarray:
    """Mean micro-timing offset (-1..1, + is late) over the hits; NaN without hits -> (...,)."""
    return _mean_over_hits(grid, 2 * DRUM_CLASSES)


def melody_events(onehot) -> np.ndarray:
    """Event index per step of a melody one-hot (argmax): (..., T, 90) -> (..., T) int."""
    return np.argmax(_data(onehot, MELODY_DIM, "melody one-hot"), axis=-1)


def melody_density(onehot) -> np.ndarray:
    """Number of note-ons in each melody: (..., T, 90) -> (...,)."""
    return (melody_events(onehot) >= 2).sum(axis=-1).astype(np.float64)


def melody_pitch(onehot) -> np.ndarray:
    """Mean MIDI pitch of the note-ons of each melody; NaN without notes: (..., T, 90) -> (...,)."""
    events = melody_events(onehot)
    on = events >= 2
    pitch = events - 2 + MELODY_LOW_PITCH
    count = on.sum(axis=-1)
    total = np.where(on, pitch, 0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


# feature dimension of the data tensor -> attribute name -> measure
ATTRIBUTES: dict[int, dict[str, Callable[..., np.ndarray]]] = {
    DRUM_DIM: {"density": drum_density, "velocity": drum_velocity, "offset": drum_offset},
    MELODY_DIM: {"density": melody_density, "pitch": melody_pitch},
}


def attribute_names(feature_dim: int) -> list[str]:
    """Attributes that can be measured on data tensors with this feature dimension."""
    return list(ATTRIBUTES.get(int(feature_dim), {}))


def measure(x, name: str) -> np.ndarray:
    """Attribute `name` of each data tensor in `x` (..., T, D) -> (...,); D picks the measures."""
    dim = int(np.shape(x)[-1])
    table = ATTRIBUTES.get(dim)
    if table is None:
        raise LatentjamError(f"no attribute measures for data with {dim} features per step")
    if name not in table:
        raise LatentjamError(f"unknown attribute '{name}' for this data (choose "
                             f"{', '.join(table)})")
    return table[name](x)
