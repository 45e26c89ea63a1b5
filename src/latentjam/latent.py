"""Pure operations on latent vectors: interpolation, sampling, neighbourhoods, attribute vectors.

Every function takes numpy arrays or torch tensors and returns the same kind it was given
(torch in, torch out, same dtype and device); the maths runs in float64 numpy, so no gradient
flows through these functions. Latent vectors have shape (Nz,) or (B, Nz): the last axis is the
latent axis. Nothing here imports torch unless it was handed a tensor.

Attribute measures (FM-Music-VAE section 4.3) read data windows rather than latents: drum grids
(N, T, 27) or melody one-hots (N, T, 90); they come from `latentjam.analysis.attributes`.
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
# The measures and the table 2 protocol live in latentjam.analysis.attributes (numpy); these
# wrappers accept torch tensors too and turn bad input into a LatentjamError.

ATTRIBUTES = {27: "drums", 90: "melody"}  # data feature dimension -> attribute table kind


def data_kind(feature_dim: int) -> str:
    """ "drums" or "melody" for data tensors with this many features per step."""
    if int(feature_dim) not in ATTRIBUTES:
        raise LatentjamError(f"no attribute measures for data with {feature_dim} features per step")
    return ATTRIBUTES[int(feature_dim)]


def attribute_names(feature_dim: int) -> tuple[str, ...]:
    """Attributes measurable on data with this feature dimension (empty if none)."""
    from latentjam.analysis.attributes import ATTRIBUTES as TABLE

    return tuple(TABLE.get(ATTRIBUTES.get(int(feature_dim), ""), ()))


def measure(x, name: str) -> np.ndarray:
    """Attribute `name` of each data window in `x` (N, T, D) -> (N,) float64 (NaN if undefined).

    Drums (D = 27): density (hits), velocity and offset (means over the hits); melody (D = 90):
    density (note-ons), pitch (mean MIDI pitch of the note-ons).
    """
    from latentjam.analysis.attributes import compute_attributes

    a = _as_numpy(x)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise LatentjamError(f"need data windows (N, T, D), got shape {a.shape}")
    kind = data_kind(a.shape[-1])
    names = attribute_names(a.shape[-1])
    if name not in names:
        raise LatentjamError(f"unknown attribute '{name}' for {kind} (choose {', '.join(names)})")
    return compute_attributes(a, kind)[name]


def attribute_vector(latents, values, *, fraction: float = 0.25):
    """Mean latent of the top `fraction` of `values` minus that of the bottom `fraction`.

    The FM-Music-VAE table 2 protocol (after Roberts et al. 2018): latents (N, Nz) are encoded
    windows, values (N,) their attribute (NaN entries left out). Returns (Nz,).
    """
    from latentjam.analysis.attributes import attribute_vector as protocol

    z = _as_numpy(latents)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if z.ndim != 2 or len(z) != len(v):
        raise LatentjamError(f"need latents (N, Nz) and values (N,), got {z.shape} and {v.shape}")
    try:
        return _like(np.asarray(protocol(z, v, fraction), dtype=np.float64), latents)
    except ValueError as exc:
        raise LatentjamError(f"cannot build an attribute vector: {exc}") from None


def along(z, vector, scales):
    """`z` moved by each scale times `vector`: z (Nz,), vector (Nz,), scales (S,) -> (S, Nz)."""
    z64, v64 = _as_numpy(z), _as_numpy(vector)
    s = np.asarray(scales, dtype=np.float64).reshape(-1, 1)  # (S, 1)
    if z64.shape != v64.shape or z64.ndim != 1:
        raise LatentjamError(
            f"need z and vector of the same shape (Nz,), got {z64.shape}, {v64.shape}"
        )
    return _like(z64[None] + s * v64[None], z)
