"""Constrained optimisation (GECO; FM-Music-VAE eqs. 3-4): minimise KL s.t. E[C] <= kappa^2.

Lagrangian  L = kl + lambda * (C - kappa^2),  lambda >= 0, not learned by gradients. After
every step (`update`):

    C_ma   <- ema * C_ma + (1 - ema) * (C - kappa^2)      (C_ma starts at the first value)
    lambda <- clip(lambda * exp(nu * C_ma), lambda_min, lambda_max)

so lambda grows while the constraint is violated (C_ma > 0) and decays, down to the floor
`lambda_min`, once it holds. Under torch.distributed the batch's constraint value is averaged
over all processes first, so every replica holds the same lambda. lambda and C_ma are buffers:
they are saved in checkpoints with the model.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        value = value.clone()
        torch.distributed.all_reduce(value)
        value /= torch.distributed.get_world_size()
    return value


class GECO(nn.Module):
    """The Lagrange multiplier of the reconstruction constraint and its update rule."""

    def __init__(
        self,
        *,
        kappa: float,
        nu: float = 1.0,
        ema: float = 0.99,
        lambda_init: float = 1.0,
        lambda_min: float = 1.0,
        lambda_max: float = 1e4,
    ) -> None:
        super().__init__()
        self.kappa2 = float(kappa) ** 2
        self.nu, self.ema = float(nu), float(ema)
        self.lambda_min, self.lambda_max = float(lambda_min), float(lambda_max)
        self.register_buffer("lam", torch.tensor(float(lambda_init), dtype=torch.float64))
        self.register_buffer("constraint_ma", torch.tensor(0.0, dtype=torch.float64))
        self.register_buffer("updates", torch.tensor(0, dtype=torch.int64))

    @property
    def value(self) -> float:
        """The current lambda."""
        return float(self.lam)

    def forward(
        self, terms: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(loss, logs): kl + lambda * (recon - kappa^2)."""
        constraint = terms["recon"] - self.kappa2
        lam = self.lam.to(constraint.dtype)
        logs = {
            "lambda": self.lam.detach().float(),
            "constraint": constraint.detach(),
            "constraint_ma": self.constraint_ma.detach().float(),
        }
        return terms["kl"] + lam * constraint, logs

    @torch.no_grad()
    def update(self, logs: dict[str, torch.Tensor]) -> None:
        """One multiplicative lambda step from this batch's constraint value (averaged over DDP)."""
        value = _all_reduce_mean(logs["constraint"].detach().to(self.constraint_ma))
        if int(self.updates) == 0:
            self.constraint_ma.copy_(value)
        else:
            self.constraint_ma.mul_(self.ema).add_((1 - self.ema) * value)
        step = math.exp(min(self.nu * float(self.constraint_ma), 50.0))
        self.lam.copy_(torch.clamp(self.lam * step, self.lambda_min, self.lambda_max))
        self.updates += 1
