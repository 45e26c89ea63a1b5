"""One training objective for any VAE: a KL term (beta/free bits or GECO) plus latent regularisers.

The objective only sees the model's `losses(x)` dict ("recon", "kl", and "z" for latent
regularisers) and, for the flat-manifold term, `model.metric_output(z)`; it knows nothing
about music.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from latentjam.regularizers.constrained import GECO
from latentjam.regularizers.flat import FlatManifold
from latentjam.regularizers.kl import BetaKL


@dataclass(frozen=True)
class ObjectiveConfig:
    """KL handling and regularisers. Units follow the model's "recon"/"kl" terms."""

    kl: str = "beta"  # "beta" (baseline) or "geco" (constrained optimisation)
    beta: float = 1.0
    free_bits: float = 0.0
    kappa: float = 0.14  # constraint E[recon] <= kappa^2
    nu: float = 1.0
    ema: float = 0.99
    lambda_init: float = 1.0
    lambda_min: float = 1.0
    lambda_max: float = 1e4
    eta: float = 0.0  # flat-manifold weight; 0 disables the regulariser
    alpha0: float = 0.25
    flat_points: int = 16
    flat_probes: int = 1
    flat_every: int = 1
    flat_estimator: str = "stochastic"  # "stochastic", "pairs", "exact", "finite_difference"
    flat_jvp: str = "central"  # J u for stochastic/pairs: "central", "difference" or "forward"
    flat_normalize: bool = False  # divide the penalty by stop-gradient c^4 (scale-free eta)
    flat_c2_floor: float = 1e-4  # ... but never by less than this floor squared
    flat_c2_gradient: bool = False  # True: c^2 differentiable, normalised term scale-free
    flat_start: int = 0  # first step with the regulariser (warm-up before it)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ObjectiveConfig:
        """Inverse of `to_dict`."""
        return cls(**data)


class Objective(nn.Module):
    """loss, logs = objective(model, x, step); then `objective.update(logs)` after each step."""

    def __init__(self, config: ObjectiveConfig) -> None:
        super().__init__()
        self.config = config
        if config.kl == "beta":
            self.kl_term: nn.Module = BetaKL(beta=config.beta, free_bits=config.free_bits)
        elif config.kl == "geco":
            self.kl_term = GECO(
                kappa=config.kappa,
                nu=config.nu,
                ema=config.ema,
                lambda_init=config.lambda_init,
                lambda_min=config.lambda_min,
                lambda_max=config.lambda_max,
            )
        else:
            raise ValueError(f"unknown KL handling {config.kl!r} (expected 'beta' or 'geco')")
        self.regularizers = nn.ModuleList()
        if config.eta > 0:
            self.regularizers.append(
                FlatManifold(
                    eta=config.eta,
                    alpha0=config.alpha0,
                    points=config.flat_points,
                    probes=config.flat_probes,
                    every=config.flat_every,
                    estimator=config.flat_estimator,
                    jvp_mode=config.flat_jvp,
                    normalize=config.flat_normalize,
                    c2_floor=config.flat_c2_floor,
                    c2_gradient=config.flat_c2_gradient,
                    start=config.flat_start,
                )
            )

    def forward(
        self, model: nn.Module, x: torch.Tensor, step: int = 0
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Total loss and every scalar term (detached) for logging."""
        terms = model.losses(x)
        loss, logs = self.kl_term(terms)
        for reg in self.regularizers:
            extra, reg_logs = reg(model, terms, step)
            if extra is not None:
                loss = loss + extra
            logs.update(reg_logs)
        for key, value in terms.items():
            if value.ndim == 0:
                logs[key] = value.detach()
        logs["loss"] = loss.detach()
        return loss, logs

    def update(self, logs: dict[str, torch.Tensor]) -> None:
        """Adapt state (GECO's lambda) after a training step."""
        self.kl_term.update(logs)
