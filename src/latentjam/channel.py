"""The bit-budget channel: reverse water-filling over latent dimensions + Gaussian test channel.

Query-based Deep Improvisation (Dubnov) puts a rate-limited channel between a VAE's encoder and
decoder: R bits per bar are spread over the latent dimensions by reverse water-filling, and each
dimension passes through the optimal Gaussian test channel for its share of bits.

Which variance to allocate on is a design choice (`channel_variances`):

- "signal" (default): the variance of the posterior means mu over the query's bars. This is the
  variance of what the channel actually transmits (the part of z that changes with the music), so
  the bits go to the dimensions that carry the query; inactive ("collapsed") dimensions have
  near-zero signal variance and rightly get nothing.
- "posterior": the average posterior variance sigma^2 over the bars (what the paper's code uses).
  That is the encoder's *uncertainty*, largest exactly on the collapsed dimensions that carry no
  information about the query, so bits are spent where they change nothing.

Everything here is numpy; `apply_channel` also accepts torch tensors (converted to numpy and
back), so every model in the project can use it.
"""

from __future__ import annotations

import heapq

import numpy as np

from latentjam.errors import LatentjamError

VARIANCE_SOURCES = ("signal", "posterior")
ALLOCATIONS = ("greedy", "exact")


def greedy_allocation(variances, bits: int) -> np.ndarray:
    """The paper's whole-bit reverse water-filling: (Nz,) variances -> (Nz,) int bits.

    Start from b_i = 0, v_i = sigma2_i; `bits` times give one bit to j = argmax v (lowest index
    on ties) and divide v_j by 4 (one bit halves the standard deviation of the distortion).
    Dimensions of zero variance never get a bit; if every variance is zero nothing is spent.
    """
    v = _check_variances(variances)
    if int(bits) != bits or bits < 0:
        raise LatentjamError(f"the greedy allocation needs a whole number of bits >= 0, got {bits}")
    out = np.zeros(len(v), dtype=np.int64)
    heap = [(-float(x), i) for i, x in enumerate(v) if x > 0]
    heapq.heapify(heap)
    for _ in range(int(bits) if heap else 0):
        neg, i = heapq.heappop(heap)
        out[i] += 1
        heapq.heappush(heap, (neg / 4.0, i))
    return out


def water_level(variances, bits: float) -> float:
    """The distortion level theta (may underflow to 0 for huge budgets; see `log2_water_level`)."""
    return float(2.0 ** log2_water_level(variances, bits))


def log2_water_level(variances, bits: float) -> float:
    """log2 theta, where sum_i 0.5 log2(sigma2_i / min(theta, sigma2_i)) = bits.

    Bisection on log2(theta) finds which dimensions lie above the water; theta is then solved in
    closed form on that set (log2 theta = (sum log2 sigma2_active - 2 bits) / n_active), so the
    allocation spends the budget to rounding error. Gives log2 max(variances) for bits = 0 and
    -inf when every variance is zero.
    """
    v = _check_variances(variances)
    if bits < 0 or not np.isfinite(bits):
        raise LatentjamError(f"the bit budget must be finite and >= 0, got {bits}")
    positive = v[v > 0]
    if len(positive) == 0:
        return -np.inf
    logs = np.log2(positive)

    def rate(log_theta: float) -> float:
        return float(0.5 * np.clip(logs - log_theta, 0.0, None).sum())

    hi = float(logs.max())  # rate 0
    lo = float(logs.min()) - 2.0 * bits / len(logs) - 1.0  # every dimension active: rate > bits
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if rate(mid) > bits:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    active = logs > hi
    if not active.any():
        active = logs >= logs.max()
    return float((logs[active].sum() - 2.0 * bits) / active.sum())


def exact_allocation(variances, bits: float) -> np.ndarray:
    """Continuous reverse water-filling: (Nz,) variances -> (Nz,) float bits summing to `bits`.

    D_i = min(theta, sigma2_i), b_i = 0.5 log2(sigma2_i / D_i): dimensions whose variance lies
    below the water level theta get exactly zero bits.
    """
    v = _check_variances(variances)
    log_theta = log2_water_level(v, bits)
    out = np.zeros(len(v))
    above = v > 0
    out[above] = np.clip(0.5 * (np.log2(v[above]) - log_theta), 0.0, None)
    return out


def allocate(variances, bits: float, method: str = "greedy") -> np.ndarray:
    """Bits per dimension by `method`: "greedy" (whole bits, the paper's) or "exact"."""
    if method == "greedy":
        return greedy_allocation(variances, round(bits))
    if method == "exact":
        return exact_allocation(variances, bits)
    raise LatentjamError(f"unknown allocation '{method}', choose from {', '.join(ALLOCATIONS)}")


def distortion(bits) -> np.ndarray:
    """d = 2^(-2b): the fraction of a dimension's variance left as distortion with b bits."""
    return np.exp2(-2.0 * np.asarray(bits, dtype=np.float64))


def gaussian_channel(z, bits, variances, zero_rate=0.0, rng=None) -> np.ndarray:
    """Optimal Gaussian test channel per dimension: z (n, Nz) -> z_hat (n, Nz).

    z_hat = (1 - d) z + d m + sqrt(d (1 - d) sigma2) eps, with d = 2^(-2 b) per dimension,
    m = `zero_rate` (scalar or (Nz,): what a zero-rate dimension sends, e.g. the prior mean 0 or
    the query's mean latent) and eps ~ N(0, 1). b = 0 sends m exactly; b -> infinity sends z.
    `rng=None` uses a fresh default generator; pass a seeded `np.random.Generator` to repeat.
    """
    z = np.asarray(z, dtype=np.float64)
    d = distortion(bits)
    var = _check_variances(variances)
    if d.shape[-1:] != z.shape[-1:] or var.shape != z.shape[-1:]:
        raise LatentjamError(
            f"bits {d.shape} and variances {var.shape} must match the latent size {z.shape[-1]}"
        )
    rng = np.random.default_rng() if rng is None else rng
    eps = rng.standard_normal(z.shape)
    return (
        (1.0 - d) * z
        + d * np.asarray(zero_rate, dtype=np.float64)
        + np.sqrt(d * (1.0 - d) * var) * eps
    )


def channel_variances(mu, sigma=None, source: str = "signal") -> np.ndarray:
    """Per-dimension variance to allocate on, from posteriors mu, sigma (n_bars, Nz) -> (Nz,).

    "signal" (default): variance of mu over the bars (needs n_bars >= 2, else the posterior
    variance is used). "posterior": mean of sigma^2 over the bars. See the module docstring.
    """
    mu = np.asarray(mu, dtype=np.float64)
    if mu.ndim != 2:
        raise LatentjamError(f"expected posterior means (n_bars, Nz), got shape {mu.shape}")
    if source == "signal" and len(mu) >= 2:
        return mu.var(axis=0)
    if source in ("signal", "posterior"):
        if sigma is None:
            raise LatentjamError("the posterior variance needs sigma")
        return (np.asarray(sigma, dtype=np.float64) ** 2).mean(axis=0)
    raise LatentjamError(f"unknown variance '{source}', choose from {', '.join(VARIANCE_SOURCES)}")


def apply_channel(
    mu,
    sigma=None,
    bits: float = 0.0,
    *,
    method: str = "greedy",
    variance: str = "signal",
    zero_rate: str = "prior",
    sample_posterior: bool = False,
    rng=None,
):
    """Send a query's latents through the R-bits-per-bar channel: mu, sigma (n, Nz) -> z_hat.

    z = mu (or a posterior sample when `sample_posterior`), bits are allocated over dimensions on
    `channel_variances(mu, sigma, variance)` by `method`, and each dimension passes through
    `gaussian_channel`. `zero_rate`: "prior" sends 0 for a dimension with no bits (the prior
    mean), "query" sends the query's mean latent. Returns (z_hat, bits_per_dimension); torch
    tensors in give a torch tensor (same dtype and device) out.
    """
    back = _to_torch_like(mu)
    mu_np = _numpy(mu)
    sigma_np = None if sigma is None else _numpy(sigma)
    rng = np.random.default_rng() if rng is None else rng
    var = channel_variances(mu_np, sigma_np, variance)
    alloc = allocate(var, bits, method)
    z = mu_np
    if sample_posterior:
        if sigma_np is None:
            raise LatentjamError("sampling the posterior needs sigma")
        z = mu_np + sigma_np * rng.standard_normal(mu_np.shape)
    if zero_rate == "prior":
        m = np.zeros(mu_np.shape[-1])
    elif zero_rate == "query":
        m = mu_np.mean(axis=0)
    else:
        raise LatentjamError(f"unknown zero-rate value '{zero_rate}', choose prior or query")
    z_hat = gaussian_channel(z, alloc, var, m, rng)
    return back(z_hat), alloc


def _check_variances(variances) -> np.ndarray:
    v = np.asarray(variances, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(v)) or np.any(v < 0):
        raise LatentjamError("variances must be finite and >= 0")
    return v


def _numpy(x) -> np.ndarray:
    """A torch tensor or array-like as a float64 numpy array."""
    if type(x).__module__.startswith("torch"):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _to_torch_like(x):
    """A function turning a numpy result back into the type (and torch dtype/device) of x."""
    if not type(x).__module__.startswith("torch"):
        return lambda a: a
    import torch

    return lambda a: torch.as_tensor(a, dtype=x.dtype, device=x.device)
