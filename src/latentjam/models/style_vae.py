"""What GrooveVAE and DrumifyVAE share: a "groove style" encoder over full drum grids and a
bidirectional GRU decoder conditioned on a pattern, the style z and each step's bar position.

Subclasses choose the decoder's conditioning input (hits, taps) and outputs; the parameter
names (`encoder`, `to_latent`, `decoder`, `out`) are those of the shipped model files.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import nn

CLASSES = 9  # DrumGrid layout: hits 0-8, velocities 9-17, offsets 18-26


class StyleConfig:
    """Methods of the (frozen dataclass) configs of these models: `bars`, `steps_per_bar`."""

    @property
    def steps(self) -> int:
        """T."""
        return self.bars * self.steps_per_bar

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)


class GridStyleVAE(nn.Module):
    """Encoder: bidirectional GRU over grids x (B, T, 27) -> mean and standard deviation of z
    (B, Nz). Decoder: bidirectional GRU over [condition (B, T, C), z over time (B, T, Nz),
    position one-hot (B, T, steps_per_bar)] -> `out_dim` values per step (B, T, out_dim)."""

    config_class: ClassVar[type]  # the subclass's config dataclass

    def __init__(
        self,
        *,
        config,
        condition_dim: int,
        out_dim: int,
        layers: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.config = config
        hidden, nz, spb = config.hidden, config.latent_dim, config.steps_per_bar
        self.encoder = nn.GRU(3 * CLASSES, hidden, batch_first=True, bidirectional=True)
        self.to_latent = nn.Linear(2 * hidden, 2 * nz)
        self.decoder = nn.GRU(
            condition_dim + nz + spb,
            hidden,
            num_layers=layers,
            dropout=dropout if layers > 1 else 0.0,
            batch_first=True,
            bidirectional=True,
        )
        position = torch.eye(spb).repeat(config.bars, 1)  # (T, 16) one-hot
        self.register_buffer("position", position, persistent=False)
        self.out = nn.Linear(2 * hidden, out_dim)

    @classmethod
    def from_config(cls, config):
        """Build from a config dataclass or its dict."""
        if isinstance(config, dict):
            config = cls.config_class(**config)
        return cls(config)

    @property
    def latent_dim(self) -> int:
        """Nz."""
        return self.config.latent_dim

    def _check(self, x: torch.Tensor, dim: int) -> None:
        if x.ndim != 3 or tuple(x.shape[1:]) != (self.config.steps, dim):
            raise ValueError(f"expected (B, {self.config.steps}, {dim}), got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Full grids x (B, T, 27) -> mean and standard deviation of the style latent, (B, Nz)."""
        self._check(x, 3 * CLASSES)
        _, h = self.encoder(x)  # h (2, B, H): final forward and backward states
        stats = self.to_latent(torch.cat([h[0], h[1]], dim=-1))  # (B, 2 Nz)
        mu, pre = stats.chunk(2, dim=-1)
        return mu, nn.functional.softplus(pre) + 1e-3
