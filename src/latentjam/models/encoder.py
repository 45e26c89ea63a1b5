"""Stacked bidirectional GRU encoder: a (B, T, D) sequence -> posterior mean and std (B, Nz)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class BiGRUEncoder(nn.Module):
    """Bidirectional GRU layers, last forward + backward states -> dense -> (mu, sigma).

    The standard deviation is `softplus(.) + sigma_floor`, so it never reaches zero.
    """

    def __init__(
        self, *, input_dim: int, hidden: tuple[int, ...], latent_dim: int, sigma_floor: float = 1e-3
    ) -> None:
        super().__init__()
        if not hidden:
            raise ValueError("the encoder needs at least one GRU layer")
        self.layers = nn.ModuleList()
        size = input_dim
        for width in hidden:
            self.layers.append(nn.GRU(size, width, batch_first=True, bidirectional=True))
            size = 2 * width
        self.to_params = nn.Linear(2 * hidden[-1], 2 * latent_dim)
        self.sigma_floor = float(sigma_floor)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, D) -> mu (B, Nz), sigma (B, Nz)."""
        h = x
        last = None
        for gru in self.layers:
            h, last = gru(h)  # h (B, T, 2H); last (2, B, H): final forward and backward states
        state = torch.cat([last[0], last[1]], dim=-1)  # (B, 2H)
        mu, raw = self.to_params(state).chunk(2, dim=-1)
        return mu, F.softplus(raw) + self.sigma_floor
