"""DrumifyVAE: a full drum groove from one tapped voice (GrooVAE's tap-to-drums, Drumify).

Input: taps (B, T, 3): per 16th step, whether something was tapped (0/1), its velocity (0..1)
and its micro-timing offset (-1..1 half-steps), e.g. every hit of a drum grid collapsed to one
voice (`taps_of`), or the onsets of a melody. Output: the full 9-class grid (B, T, 27) that
`DrumGrid` reads: hits, velocities, offsets.

- encoder (training only): bidirectional GRU over the full grid x (B, T, 27) -> mean and
  standard deviation of a "groove style" latent z (B, Nz);
- decoder: two-layer bidirectional GRU over [taps (B, T, 3), z broadcast over time (B, T, Nz),
  the step's position in its bar, a 16-way one-hot (B, T, 16)] -> per class and step a hit
  logit, a velocity (sigmoid) and an offset (tanh), (B, T, 9) each.

Loss: binary cross-entropy of the hits (all cells) + mean squared error of velocities and
offsets at the true hits + beta x KL(q(z|x) || N(0, I)) per element. As in `GrooveVAE`, a
`style_dropout` share of the training windows is decoded from z = 0, so z = 0 (temperature 0)
gives the most typical groove for the taps and sampled z give other grooves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from latentjam.models.style_vae import CLASSES, GridStyleVAE, StyleConfig

TAP_DIM = 3  # tapped (0/1), velocity, offset


def taps_of(grids: np.ndarray) -> np.ndarray:
    """Drum grids (n, T, 27) collapsed to one voice: (n, T, 3) float32.

    A step is tapped when any class hits there; its velocity is the loudest hit's and its
    offset that hit's offset."""
    x = np.asarray(grids, dtype=np.float32)
    hits = x[..., :CLASSES] > 0.5  # (n, T, 9)
    vel = np.where(hits, x[..., CLASSES : 2 * CLASSES], -1.0)  # (n, T, 9)
    loudest = vel.argmax(-1)[..., None]  # (n, T, 1)
    tapped = hits.any(-1, keepdims=True)  # (n, T, 1)
    velocity = np.take_along_axis(x[..., CLASSES : 2 * CLASSES], loudest, -1)
    offset = np.take_along_axis(x[..., 2 * CLASSES :], loudest, -1)
    return np.concatenate(
        [tapped.astype(np.float32), velocity * tapped, offset * tapped], axis=-1
    ).astype(np.float32)


def _taps(x: torch.Tensor) -> torch.Tensor:
    """`taps_of` for a tensor: grids (B, T, 27) -> taps (B, T, 3)."""
    hits = x[..., :CLASSES] > 0.5  # (B, T, 9)
    vel = x[..., CLASSES : 2 * CLASSES]
    loudest = torch.where(hits, vel, torch.full_like(vel, -1.0)).argmax(-1, keepdim=True)
    tapped = hits.any(-1, keepdim=True).to(x.dtype)  # (B, T, 1)
    velocity = vel.gather(-1, loudest) * tapped
    offset = x[..., 2 * CLASSES :].gather(-1, loudest) * tapped
    return torch.cat([tapped, velocity, offset], dim=-1)


@dataclass(frozen=True)
class DrumifyConfig(StyleConfig):
    """Shape of a DrumifyVAE (saved with the weights)."""

    kind: str = "drumify_vae"
    bars: int = 2
    steps_per_bar: int = 16
    latent_dim: int = 16  # Nz of the groove style
    hidden: int = 256  # GRU units per direction
    layers: int = 2  # decoder GRU layers
    beta: float = 0.02  # weight of the KL term (per element, like "recon")
    style_dropout: float = 0.5  # training: share of windows decoded from z = 0 (see losses)
    dropout: float = 0.2  # between the decoder's GRU layers


class DrumifyVAE(GridStyleVAE):
    """Taps-conditioned VAE over full drum grids; see the module docstring."""

    config_class = DrumifyConfig

    def __init__(self, config: DrumifyConfig | None = None) -> None:
        config = config or DrumifyConfig()
        super().__init__(
            config=config,
            condition_dim=TAP_DIM,
            out_dim=3 * CLASSES,
            layers=config.layers,
            dropout=config.dropout,
        )

    def decode(
        self, taps: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """taps (B, T, 3), z (B, Nz) -> hit logits, velocities (0..1), offsets (-1..1),
        each (B, T, 9)."""
        self._check(taps, TAP_DIM)
        style = z[:, None, :].expand(-1, taps.shape[1], -1)  # (B, Nz) -> (B, T, Nz)
        where = self.position[None].expand(taps.shape[0], -1, -1)  # (B, T, 16)
        h, _ = self.decoder(torch.cat([taps, style, where], dim=-1))  # (B, T, 2H)
        logits, vel, off = self.out(h).chunk(3, dim=-1)  # (B, T, 9) each
        return logits, torch.sigmoid(vel), torch.tanh(off)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """ "recon": hit BCE + velocity and offset MSE at the hits; "kl": KL(q(z|x) || N(0, I))
        per element; "loss" = recon + beta * kl. x: full grids (B, T, 27)."""
        mu, sigma = self.encode(x)
        z = mu + sigma * torch.randn_like(mu)
        if self.training and self.config.style_dropout > 0:
            keep = torch.rand(z.shape[0], 1, device=z.device) >= self.config.style_dropout
            z = z * keep.to(z.dtype)  # (B, 1) mask: dropped windows see z = 0
        hits = x[..., :CLASSES]
        taps = _taps(x)  # (B, T, 3)
        logits, vel, off = self.decode(taps, z)
        bce = nn.functional.binary_cross_entropy_with_logits(logits, hits)
        count = hits.sum().clamp_min(1.0)
        vel_err = ((vel - x[..., CLASSES : 2 * CLASSES]) ** 2 * hits).sum() / count
        off_err = ((off - x[..., 2 * CLASSES :]) ** 2 * hits).sum() / count
        kl = 0.5 * (mu**2 + sigma**2 - 1.0 - 2.0 * torch.log(sigma)).sum(-1).mean()
        kl = kl / (self.config.steps * CLASSES)
        recon = bce + vel_err + off_err
        return {
            "recon": recon,
            "kl": kl,
            "loss": recon + self.config.beta * kl,
            "hit_bce": bce.detach(),
            "velocity_mse": vel_err.detach(),
            "offset_mse": off_err.detach(),
        }

    @torch.no_grad()
    def drumify(
        self,
        taps: np.ndarray,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        threshold: float = 0.5,
        keep_taps: bool = True,
        batch: int = 256,
    ) -> np.ndarray:
        """Taps (n, T, 3) -> drum grids (n, T, 27) float32.

        z ~ N(0, temperature^2 I), one per window (seeded); temperature 0 uses z = 0. A cell
        hits when its probability is at least `threshold`; with `keep_taps` every tapped step
        that would stay silent gets its most likely class, so the groove keeps every tap.
        """
        t = np.asarray(taps, dtype=np.float32)
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        z = torch.randn(len(t), self.latent_dim, generator=gen) * float(temperature)
        device = self.position.device
        was_training = self.training
        self.eval()
        out = []
        for i in range(0, len(t), batch):
            chunk = torch.from_numpy(t[i : i + batch]).to(device)
            logits, vel, off = self.decode(chunk, z[i : i + batch].to(device))
            prob = torch.sigmoid(logits)  # (b, T, 9)
            hit = prob >= threshold
            if keep_taps:
                tapped = chunk[..., :1] > 0.5  # (b, T, 1)
                silent = tapped & ~hit.any(-1, keepdim=True)
                best = nn.functional.one_hot(prob.argmax(-1), CLASSES).bool()  # (b, T, 9)
                hit = hit | (silent & best)
            h = hit.float()
            out.append(torch.cat([h, vel * h, off * h], dim=-1).cpu().numpy())
        self.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, t.shape[1], 3 * CLASSES), np.float32)
