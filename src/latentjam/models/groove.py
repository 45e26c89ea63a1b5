"""GrooveVAE: learns how drummers play a pattern (velocities, micro-timing) given only its hits.

The "humanize" task of GrooVAE (Gillick et al. 2019), reduced to what it needs: the hits are
kept as they are and only velocities and offsets are predicted. A small conditional VAE:

- encoder (training only): bidirectional GRU over the full drum grid x (B, T, 27) -> mean and
  standard deviation of a small "groove style" latent z (B, Nz);
- decoder: bidirectional GRU over [hits (B, T, 9), z broadcast over time (B, T, Nz), the
  step's position in its bar as a one-hot (B, T, 16)] -> velocities in (0, 1) (sigmoid) and
  offsets in (-1, 1) (tanh), each (B, T, 9).

With `table_prior` the decoder's outputs are added, before the sigmoid and tanh, to a table of
each drum class's mean velocity and offset at each 16th of the bar (measured on the training
windows, `position_table`; saved with the weights): the net starts as that table (its output
layer is zeroed) and learns what the pattern and the style change about it. Those changes are
scaled by `velocity_scale` and `offset_scale` when decoding (1 in training; a shipped model's
scales are chosen on held-out pieces, where a smaller change generalises better).

The reconstruction error is the mean squared error of velocities and offsets at the hits only
(what MIDI keeps); the KL term is against N(0, I), weighted by `beta`. At z = 0 (temperature 0)
the decoder gives the most typical groove for a pattern (it is trained for that: see
`losses`); sampling z gives other feels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentjam.models.style_vae import CLASSES, GridStyleVAE, StyleConfig


@dataclass(frozen=True)
class GrooveConfig(StyleConfig):
    """Shape of a GrooveVAE (saved with the weights)."""

    kind: str = "groove_vae"
    bars: int = 2
    steps_per_bar: int = 16
    latent_dim: int = 8  # Nz of the groove style
    hidden: int = 64  # GRU units per direction
    beta: float = 0.05  # weight of the KL term (per element, like "recon")
    style_dropout: float = 0.5  # training: share of windows decoded from z = 0 (see losses)
    table_prior: bool = False  # outputs are changes to a per-class, per-position mean table
    velocity_scale: float = 1.0  # table_prior, not training: scale of the velocity changes
    offset_scale: float = 1.0  # table_prior, not training: scale of the offset changes


def position_table(grids: np.ndarray, steps_per_bar: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Mean velocity and offset of each drum class at each step of the bar, over the hits of
    `grids` (n, T, 27): two arrays (steps_per_bar, 9). Where a class never plays at a step, its
    mean velocity over the bar (the mean of all hits if it never plays) and offset 0."""
    x = np.asarray(grids, dtype=np.float64)
    hits = x[..., :CLASSES] > 0.5  # (n, T, 9)
    vel_all = x[..., CLASSES : 2 * CLASSES]
    overall = float(vel_all[hits].mean()) if hits.any() else 0.5
    per_class = np.where(
        hits.sum(axis=(0, 1)) > 0,
        (vel_all * hits).sum(axis=(0, 1)) / np.maximum(hits.sum(axis=(0, 1)), 1),
        overall,
    )  # (9,)
    pos = np.arange(x.shape[1]) % steps_per_bar
    velocity = np.zeros((steps_per_bar, CLASSES))
    offset = np.zeros((steps_per_bar, CLASSES))
    for p in range(steps_per_bar):
        h = hits[:, pos == p]  # (n, T / steps_per_bar, 9)
        count = h.sum(axis=(0, 1))
        seen = count > 0
        vel = (x[:, pos == p, CLASSES : 2 * CLASSES] * h).sum(axis=(0, 1)) / np.maximum(count, 1)
        velocity[p] = np.where(seen, vel, per_class)
        offset[p] = (x[:, pos == p, 2 * CLASSES :] * h).sum(axis=(0, 1)) / np.maximum(count, 1)
    return velocity, offset


class GrooveVAE(GridStyleVAE):
    """Hits-conditioned VAE over velocities and offsets; see the module docstring."""

    config_class = GrooveConfig

    def __init__(self, config: GrooveConfig | None = None) -> None:
        config = config or GrooveConfig()
        super().__init__(config=config, condition_dim=CLASSES, out_dim=2 * CLASSES)
        if config.table_prior:
            spb = config.steps_per_bar
            # pre-activation table values (steps_per_bar, 9): logit of velocity, atanh of offset
            self.register_buffer("table_velocity", torch.zeros(spb, CLASSES))
            self.register_buffer("table_offset", torch.zeros(spb, CLASSES))
            torch.nn.init.zeros_(self.out.weight)
            torch.nn.init.zeros_(self.out.bias)

    def set_position_table(self, velocity: np.ndarray, offset: np.ndarray) -> None:
        """Store a `position_table` (two arrays (steps_per_bar, 9)) as the decoder's starting
        point; only for a model built with `table_prior`."""
        if not self.config.table_prior:
            raise ValueError("this GrooveVAE was built without table_prior")
        v = torch.as_tensor(np.clip(velocity, 1e-3, 1 - 1e-3), dtype=torch.float32)
        o = torch.as_tensor(np.clip(offset, -0.999, 0.999), dtype=torch.float32)
        with torch.no_grad():
            self.table_velocity.copy_(torch.logit(v))
            self.table_offset.copy_(torch.atanh(o))

    def decode(self, hits: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """hits (B, T, 9) in {0, 1}, z (B, Nz) -> velocities (B, T, 9), offsets (B, T, 9).

        The position of each step in its bar (a 16-way one-hot) is added to the input, so
        accents that depend on the beat are easy to learn."""
        self._check(hits, CLASSES)
        style = z[:, None, :].expand(-1, hits.shape[1], -1)  # (B, Nz) -> (B, T, Nz)
        where = self.position[None].expand(hits.shape[0], -1, -1)  # (B, T, 16)
        h, _ = self.decoder(torch.cat([hits, style, where], dim=-1))  # (B, T, 2H)
        vel, off = self.out(h).chunk(2, dim=-1)  # (B, T, 9) each
        if self.config.table_prior:
            if not self.training:
                vel, off = vel * self.config.velocity_scale, off * self.config.offset_scale
            reps = hits.shape[1] // self.config.steps_per_bar
            vel = vel + self.table_velocity.repeat(reps, 1)  # (T, 9) broadcast over B
            off = off + self.table_offset.repeat(reps, 1)
        return torch.sigmoid(vel), torch.tanh(off)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """ "recon": MSE of velocities + offsets at the hits; "kl": KL(q(z|x) || N(0, I)) per
        element; "loss" = recon + beta * kl. x: full grids (B, T, 27).

        In training mode a `style_dropout` share of the windows is decoded from z = 0 instead
        of their posterior sample, so z = 0 (temperature 0) learns the best prediction from
        the hits alone while other z still carry a groove style."""
        mu, sigma = self.encode(x)
        z = mu + sigma * torch.randn_like(mu)
        if self.training and self.config.style_dropout > 0:
            keep = torch.rand(z.shape[0], 1, device=z.device) >= self.config.style_dropout
            z = z * keep.to(z.dtype)  # (B, 1) mask: dropped windows see z = 0
        hits = x[..., :CLASSES]
        vel, off = self.decode(hits, z)
        count = hits.sum().clamp_min(1.0)
        vel_err = ((vel - x[..., CLASSES : 2 * CLASSES]) ** 2 * hits).sum() / count
        off_err = ((off - x[..., 2 * CLASSES :]) ** 2 * hits).sum() / count
        kl = 0.5 * (mu**2 + sigma**2 - 1.0 - 2.0 * torch.log(sigma)).sum(-1).mean()
        kl = kl / (self.config.steps * CLASSES)
        recon = vel_err + off_err
        return {
            "recon": recon,
            "kl": kl,
            "loss": recon + self.config.beta * kl,
            "velocity_mse": vel_err.detach(),
            "offset_mse": off_err.detach(),
        }

    @torch.no_grad()
    def humanize_grids(
        self,
        grids: np.ndarray,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        batch: int = 256,
    ) -> np.ndarray:
        """Drum grids (n, T, 27) -> the same hits with predicted velocities and offsets.

        Only the hit columns of the input are read. z ~ N(0, temperature^2 I), one per window
        (seeded); temperature 0 uses z = 0. Returns float32 (n, T, 27).
        """
        x = np.asarray(grids, dtype=np.float32)
        hits = (x[..., :CLASSES] > 0.5).astype(np.float32)  # (n, T, 9)
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        z = torch.randn(len(x), self.latent_dim, generator=gen) * float(temperature)
        was_training = self.training
        self.eval()
        out = []
        for i in range(0, len(x), batch):
            h = torch.from_numpy(hits[i : i + batch])
            vel, off = self.decode(h, z[i : i + batch])
            out.append(torch.cat([h, vel * h, off * h], dim=-1).numpy())
        self.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, *x.shape[1:]), np.float32)
