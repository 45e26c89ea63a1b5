"""The baseline KL weighting: recon + beta * max(kl, free_bits)."""

from __future__ import annotations

import torch
from torch import nn


class BetaKL(nn.Module):
    """beta-VAE with free bits; `free_bits` is in the units of the model's "kl" term."""

    def __init__(self, *, beta: float = 1.0, free_bits: float = 0.0) -> None:
        super().__init__()
        self.beta, self.free_bits = float(beta), float(free_bits)

    def forward(
        self, terms: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(loss, logs) from the model's "recon" and "kl"."""
        kl = torch.clamp(terms["kl"] - self.free_bits, min=0.0)
        return terms["recon"] + self.beta * kl, {"beta": torch.tensor(self.beta)}

    def update(self, logs: dict[str, torch.Tensor]) -> None:
        """Nothing to adapt."""
