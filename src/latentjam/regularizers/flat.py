"""Flat-manifold regulariser (FM-Music-VAE eqs. 5-8): push G = J^T J towards c^2 I at mixup points.

Penalty per latent point, averaged over the Nz x Nz entries as in the reference code:

    pen(z) = || G(z) - c^2 I ||_F^2 / Nz^2,   G = J^T J,  J = d f(z) / d z   (f(z): (M,) per point)

Three estimators of the same quantity:
- `penalty_exact`: the full Jacobian by forward-mode autodiff (Nz tangents in one batched call);
- `penalty_finite_difference`: the reference, forward differences along every latent axis;
- `penalty_stochastic`: the unbiased estimate ||G - c^2 I||_F^2 = E_u ||J^T J u||^2
  - 2 c^2 E_u ||J u||^2 + c^4 Nz with u ~ N(0, I): one Jacobian-vector product (torch.func.jvp)
  and one vector-Jacobian product (autograd, differentiable) per probe. Each term is unbiased on
  its own, and so is its gradient because c^2 is a stop-gradient constant.

c^2 (eq. 7) is the mean of trace(G) / Nz over the mixup points. The exact and finite-difference
estimators compute it from their Jacobians; the stochastic one uses Hutchinson's estimate
trace(G) ~ ||J u||^2 and, for point i, averages over the *other* points (leave-one-out), so c^2
is independent of point i's probe and the estimate of point i's penalty stays unbiased.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.func import jvp

Decoder = Callable[[torch.Tensor], torch.Tensor]  # f: z (B, Nz) -> (B, M), rows independent

# C2_GRAD: every estimator takes `c2_grad`. False (the paper): c^2 is a stop-gradient constant.
# True: c^2 stays differentiable, so the *normalised* penalty ||G / c^2 - I||_F^2 is invariant
# to the scale of G and its gradient only changes G's shape. With a stop-gradient c^2 the
# gradient of ||G - c^2 I||^2 always has a component that shrinks G (<grad, G> =
# 2 (||G||_F^2 - c^2 tr G) >= 0 by Cauchy-Schwarz, zero only for isotropic G): over long runs
# this shrank the decoder's sensitivity c^2 by 3-4 orders of magnitude (benchmarks/README.md).

# finite-difference steps for J u by mode ("forward" is exact forward-mode autodiff)
DEFAULT_STEPS = {"forward": 0.0, "central": 1e-2, "difference": 5e-4}


def jacobian(f: Decoder, z: torch.Tensor) -> torch.Tensor:
    """Exact Jacobian of each row, (B, M, Nz), via one forward-mode call on Nz copies of z.

    Differentiable with respect to f's parameters.
    """
    b, n = z.shape
    z_rep = z.detach().unsqueeze(0).expand(n, b, n).reshape(n * b, n)  # copy k of the batch ...
    basis = torch.eye(n, dtype=z.dtype, device=z.device)
    tangents = basis.unsqueeze(1).expand(n, b, n).reshape(n * b, n)  # ... moves along axis k
    _, cols = jvp(f, (z_rep,), (tangents,))  # (Nz*B, M)
    return cols.reshape(n, b, -1).permute(1, 2, 0)  # (Nz, B, M) -> (B, M, Nz)


def jacobian_finite_difference(f: Decoder, z: torch.Tensor, step: float = 5e-4) -> torch.Tensor:
    """Forward-difference Jacobian (B, M, Nz): Nz + 1 decoder evaluations per point, batched."""
    b, n = z.shape
    z = z.detach()
    shifted = z.unsqueeze(0) + step * torch.eye(n, dtype=z.dtype, device=z.device).unsqueeze(1)
    out = f(torch.cat([z, shifted.reshape(n * b, n)], dim=0))  # ((1+Nz)*B, M)
    base, moved = out[:b], out[b:].reshape(n, b, -1)
    return ((moved - base.unsqueeze(0)) / step).permute(1, 2, 0)  # (B, M, Nz)


def _penalty_from_jacobian(
    jac: torch.Tensor, c2: torch.Tensor | float | None, c2_grad: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    n = jac.shape[-1]
    g = jac.transpose(1, 2) @ jac  # (B, Nz, Nz)
    if c2 is None:
        c2 = torch.diagonal(g, dim1=1, dim2=2).sum(-1).mean() / n
        c2 = c2 if c2_grad else c2.detach()
    c2 = torch.as_tensor(c2, dtype=jac.dtype, device=jac.device)
    eye = torch.eye(n, dtype=jac.dtype, device=jac.device)
    return ((g - c2 * eye) ** 2).sum((1, 2)) / n**2, c2


def penalty_exact(
    f: Decoder, z: torch.Tensor, c2: torch.Tensor | float | None = None, c2_grad: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-point penalty (B,) from the exact Jacobian, and the c^2 used (see `C2_GRAD`)."""
    return _penalty_from_jacobian(jacobian(f, z), c2, c2_grad)


def penalty_finite_difference(
    f: Decoder,
    z: torch.Tensor,
    c2: torch.Tensor | float | None = None,
    step: float = 5e-4,
    c2_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-point penalty (B,) from the forward-difference Jacobian (the reference), and c^2."""
    return _penalty_from_jacobian(jacobian_finite_difference(f, z, step), c2, c2_grad)


def penalty_stochastic(
    f: Decoder,
    z: torch.Tensor,
    c2: torch.Tensor | float | None = None,
    probes: int = 1,
    generator: torch.Generator | None = None,
    jvp_mode: str = "forward",
    step: float | None = None,
    c2_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Unbiased per-point penalty estimate (B,) from `probes` JVP+VJP pairs, and the c^2 used.

    J u comes from forward-mode autodiff (`jvp_mode="forward"`, exact), from central
    differences (`"central"`: f(z +- step u) in the same batch as f(z), 3 rows per probe,
    O(step^2) truncation) or from forward differences (`"difference"`: f(z + step u) - f(z),
    2 rows per probe, O(step) truncation like the finite-difference reference). `step=None`
    uses `DEFAULT_STEPS[jvp_mode]`. With `c2=None`, c^2 is estimated leave-one-out over the
    points (see the module docstring); the returned c^2 is the batch mean of the Hutchinson
    estimates.
    """
    b, n = z.shape
    z_in = z.detach().repeat(probes, 1).requires_grad_(True)  # (P*B, Nz), probe-major
    u = torch.randn(z_in.shape, generator=generator, dtype=z.dtype, device=z.device)
    step = DEFAULT_STEPS.get(jvp_mode, 0.0) if step is None else step
    rows = z_in.shape[0]
    if jvp_mode == "forward":
        y, ju = jvp(f, (z_in,), (u,))  # f(z) and J u, (P*B, M)
    elif jvp_mode == "central":
        moved = z_in.detach()
        out = f(torch.cat([z_in, moved + step * u, moved - step * u]))  # (3*P*B, M)
        y, ju = out[:rows], (out[rows : 2 * rows] - out[2 * rows :]) / (2 * step)
    elif jvp_mode == "difference":
        out = f(torch.cat([z_in, z_in.detach() + step * u]))  # (2*P*B, M)
        y, ju = out[:rows], (out[rows:] - out[:rows]) / step
    else:
        raise ValueError(f"unknown JVP mode {jvp_mode!r}: {sorted(DEFAULT_STEPS)}")
    (jtju,) = torch.autograd.grad(y, z_in, ju, create_graph=True)  # J^T J u, (P*B, Nz)
    ju2 = (ju**2).sum(-1).reshape(probes, b)  # ||J u||^2, unbiased for trace(G)
    jtju2 = (jtju**2).sum(-1).reshape(probes, b)  # ||J^T J u||^2, unbiased for ||G||_F^2
    trace = ju2.mean(0) if c2_grad else ju2.detach().mean(0)  # (B,), see C2_GRAD
    if c2 is None:
        mean_c2 = trace.mean() / n
        # leave-one-out, (B,); a batch of one uses its own estimate, (1,)
        c2_point = (trace.sum() - trace) / (b - 1) / n if b > 1 else mean_c2.expand(1)
    else:
        mean_c2 = torch.as_tensor(c2, dtype=z.dtype, device=z.device)
        c2_point = mean_c2.expand(b)
    est = jtju2.mean(0) - 2 * c2_point * ju2.mean(0) + c2_point**2 * n  # (B,)
    return est / n**2, mean_c2 if c2_grad else mean_c2.detach()


def _jvps(
    f: Decoder, z: torch.Tensor, u: torch.Tensor, mode: str, step: float | None
) -> torch.Tensor:
    """J u for P tangents per point: z (B, Nz), u (P*B, Nz) probe-major -> (P*B, M).

    Differentiable in f's parameters: exact forward mode ("forward"), central differences
    ("central", 2 rows per tangent, O(step^2)) or forward differences ("difference": one row
    per tangent plus one shared f(z) row per point, O(step))."""
    step = DEFAULT_STEPS.get(mode, 0.0) if step is None else step
    probes = u.shape[0] // z.shape[0]
    z_rep = z.repeat(probes, 1)  # (P*B, Nz)
    if mode == "forward":
        return jvp(f, (z_rep,), (u,))[1]
    if mode == "central":
        n = z_rep.shape[0]
        out = f(torch.cat([z_rep + step * u, z_rep - step * u]))  # (2*P*B, M)
        return (out[:n] - out[n:]) / (2 * step)
    if mode == "difference":
        b = z.shape[0]
        out = f(torch.cat([z, z_rep + step * u]))  # ((1+P)*B, M)
        base, moved = out[:b], out[b:].reshape(probes, b, -1)
        return ((moved - base.unsqueeze(0)) / step).reshape(probes * b, -1)
    raise ValueError(f"unknown JVP mode {mode!r}: {sorted(DEFAULT_STEPS)}")


def penalty_pairs(
    f: Decoder,
    z: torch.Tensor,
    c2: torch.Tensor | float | None = None,
    probes: int = 2,
    generator: torch.Generator | None = None,
    jvp_mode: str = "forward",
    step: float | None = None,
    c2_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Unbiased per-point penalty (B,) from Jacobian-vector products only, and the c^2 used.

    For independent u, v ~ N(0, I): E[(u^T A v)^2] = ||A||_F^2, and with A = G - c^2 I,
    u^T A v = (J u) . (J v) - c^2 u . v. With `probes` = P directions per point every pair
    i < j gives an unbiased term (a U-statistic over P (P - 1) / 2 pairs). No second-order
    autodiff is needed: the gradient is a plain backward pass through P decoder runs.
    c^2 as in `penalty_stochastic` (Hutchinson, leave-one-out over points).
    """
    if probes < 2:
        raise ValueError("the pair estimator needs at least 2 probes per point")
    b, n = z.shape
    u = torch.randn(probes * b, n, generator=generator, dtype=z.dtype, device=z.device)
    ju = _jvps(f, z.detach(), u, jvp_mode, step).reshape(probes, b, -1)  # (P, B, M)
    u = u.reshape(probes, b, n)
    gram = torch.einsum("pbm,qbm->bpq", ju, ju)  # u_p^T G u_q, (B, P, P)
    dots = torch.einsum("pbn,qbn->bpq", u, u)  # u_p . u_q
    trace = torch.diagonal(gram, dim1=1, dim2=2).mean(-1)  # Hutchinson, (B,)
    trace = trace if c2_grad else trace.detach()  # see C2_GRAD
    if c2 is None:
        mean_c2 = trace.mean() / n
        c2_point = (trace.sum() - trace) / (b - 1) / n if b > 1 else mean_c2.expand(1)
    else:
        mean_c2 = torch.as_tensor(c2, dtype=z.dtype, device=z.device)
        c2_point = mean_c2.expand(b)
    terms = (gram - c2_point[:, None, None] * dots) ** 2  # (B, P, P)
    upper = torch.triu(torch.ones(probes, probes, dtype=torch.bool, device=z.device), 1)
    est = terms[:, upper].mean(-1)  # mean over pairs i < j
    return est / n**2, mean_c2 if c2_grad else mean_c2.detach()


ESTIMATORS = {
    "stochastic": penalty_stochastic,
    "pairs": penalty_pairs,
    "exact": penalty_exact,
    "finite_difference": penalty_finite_difference,
}


def mixup(
    z: torch.Tensor, points: int, alpha0: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Latent mixup g(z_i, z_j) = (1 - a) z_i + a z_j, a ~ U(-a0, 1 + a0), z_j a shuffled z.

    z (B, Nz) -> (min(points, B), Nz), detached (stop-gradient: only the decoder learns).
    """
    z = z.detach()
    b = z.shape[0]
    m = min(points, b)
    perm = torch.randperm(b, generator=generator, device=z.device)
    a = torch.rand(m, 1, generator=generator, dtype=z.dtype, device=z.device)
    a = -alpha0 + (1 + 2 * alpha0) * a
    return (1 - a) * z[:m] + a * z[perm[:m]]


class FlatManifold(nn.Module):
    """eta * mean over mixup points of pen(z_mix), every `every` steps (weight scaled by `every`).

    With `normalize=True` the penalty is divided by the stop-gradient max(c^2, c2_floor)^2,
    i.e. it becomes ||G / c^2 - I||_F^2 / Nz^2: the same gradient direction as the paper's term,
    but a weight eta that does not depend on the decoder's overall sensitivity c^2 (which
    changes by orders of magnitude during training); the floor keeps the gradient from blowing
    up when the decoder is (still) insensitive to z. `c2_gradient=True` (beyond the paper, see
    C2_GRAD) keeps c^2 differentiable in both the penalty and the normalisation, so the term
    cannot be lowered by shrinking the decoder's sensitivity. `start`: no regulariser before
    this step (warm-up: measured here, the term applied from step 0 drove the early decoder
    into ignoring z).

    Needs the model to provide `metric_output(z) -> (B, M)`, the f(z) being flattened.
    """

    def __init__(
        self,
        *,
        eta: float,
        alpha0: float = 0.25,
        points: int = 16,
        probes: int = 1,
        every: int = 1,
        estimator: str = "stochastic",
        jvp_mode: str = "central",
        normalize: bool = False,
        c2_floor: float = 1e-4,
        c2_gradient: bool = False,
        start: int = 0,
    ) -> None:
        super().__init__()
        if c2_gradient and not normalize:
            raise ValueError(
                "c2_gradient needs normalize=True (it makes the normalised term scale-free)"
            )
        if estimator not in ESTIMATORS:
            raise ValueError(f"unknown Jacobian estimator {estimator!r}: {sorted(ESTIMATORS)}")
        self.eta, self.alpha0, self.points = float(eta), float(alpha0), int(points)
        self.probes, self.every, self.estimator = int(probes), max(1, int(every)), estimator
        self.jvp_mode, self.normalize = jvp_mode, bool(normalize)
        self.c2_floor, self.start = float(c2_floor), int(start)
        self.c2_gradient = bool(c2_gradient)

    def forward(
        self, model: nn.Module, terms: dict[str, torch.Tensor], step: int
    ) -> tuple[torch.Tensor | None, dict[str, torch.Tensor]]:
        """(loss to add or None on skipped steps, scalar logs) for a batch's posterior samples."""
        if step < self.start or step % self.every:
            return None, {}
        if not hasattr(model, "metric_output"):
            raise TypeError(
                f"{type(model).__name__} has no metric_output(z) for the flat regulariser"
            )
        z_mix = mixup(terms["z"], self.points, self.alpha0)
        if self.estimator in ("stochastic", "pairs"):
            pen, c2 = ESTIMATORS[self.estimator](
                model.metric_output,
                z_mix,
                probes=self.probes,
                jvp_mode=self.jvp_mode,
                c2_grad=self.c2_gradient,
            )
        else:
            pen, c2 = ESTIMATORS[self.estimator](
                model.metric_output, z_mix, c2_grad=self.c2_gradient
            )
        flat = pen.mean()
        logs = {"flat": flat.detach(), "c2": c2.detach()}
        if self.normalize:  # scale-free: || G / c^2 - I ||_F^2 / Nz^2, c^2 a stop-gradient
            scale = c2 if self.c2_gradient else c2.detach()
            flat = flat / scale.clamp_min(self.c2_floor) ** 2
            logs["flat_normalized"] = flat.detach()
        return self.eta * self.every * flat, logs
