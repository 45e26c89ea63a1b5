"""The recurrent VAE (MusicVAE-style baseline and FM-Music-VAE): encoder + prior + decoder + head.

Loss units: both "recon" (C, the constraint of the constrained optimisation) and "kl" are nats
*per data element* (per sequence, divided by T * D, then averaged over the batch); with equal
units a weight of 1 on "kl" is the plain ELBO and beta / free bits keep MusicVAE's meaning.
"kl_nats" and "recon_nats" give the same terms per sequence for reporting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from latentjam.models.decoder import HierarchicalDecoder
from latentjam.models.encoder import BiGRUEncoder
from latentjam.models.heads import build_head
from latentjam.models.priors import build_prior


@dataclass(frozen=True)
class RecurrentVAEConfig:
    """Everything that defines a RecurrentVAE's shape (saved in every checkpoint)."""

    kind: str = "recurrent_vae"
    data: str = "drums"  # output head: "drums" (hits/velocities/offsets) or "melody" (one-hot)
    feature_dim: int = 27  # D
    bars: int = 2
    steps_per_bar: int = 16
    latent_dim: int = 32  # Nz
    encoder_hidden: tuple[int, ...] = (256,)
    conductor_hidden: int = 256
    decoder_hidden: tuple[int, ...] = (256,)
    prior: str = "normal"  # "normal" (baseline) or "vhp" (hierarchical prior)
    prior_hidden: tuple[int, ...] = (256, 256)
    zeta_dim: int = 0  # 0: same as latent_dim
    iw_samples: int = 8  # K of the importance-weighted KL bound (vhp only)
    sigma_floor: float = 1e-3
    metric_output: str = "soft"  # f(z) seen by the flat regulariser: "soft" or "conductor"
    input_dropout: float = 0.0  # training only: share of teacher-forced previous steps zeroed
    offset_weight: float = 1.0  # drums: weight of the offsets' squared error in the reconstruction

    @property
    def steps(self) -> int:
        """Sequence length T."""
        return self.bars * self.steps_per_bar

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return {
            k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecurrentVAEConfig:
        """Inverse of `to_dict`; unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown RecurrentVAE config keys: {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class RecurrentVAE(nn.Module):
    """Bidirectional GRU encoder, hierarchical GRU decoder, standard-normal or VHP prior."""

    def __init__(self, config: RecurrentVAEConfig) -> None:
        super().__init__()
        if config.metric_output not in ("soft", "conductor"):
            raise ValueError(
                f"metric_output must be 'soft' or 'conductor', not {config.metric_output!r}"
            )
        self.config = config
        head = build_head(config.data, config.feature_dim, offset_weight=config.offset_weight)
        self.encoder = BiGRUEncoder(
            input_dim=config.feature_dim,
            hidden=config.encoder_hidden,
            latent_dim=config.latent_dim,
            sigma_floor=config.sigma_floor,
        )
        self.decoder = HierarchicalDecoder(
            latent_dim=config.latent_dim,
            head=head,
            bars=config.bars,
            steps_per_bar=config.steps_per_bar,
            conductor_hidden=config.conductor_hidden,
            hidden=config.decoder_hidden,
        )
        self.prior = build_prior(
            config.prior,
            latent_dim=config.latent_dim,
            zeta_dim=config.zeta_dim or None,
            hidden=config.prior_hidden,
            samples=config.iw_samples,
        )

    @classmethod
    def from_config(cls, config: dict[str, Any] | RecurrentVAEConfig) -> RecurrentVAE:
        """Build from a config dataclass or its `to_dict()`."""
        if isinstance(config, dict):
            config = RecurrentVAEConfig.from_dict(config)
        return cls(config)

    @property
    def latent_dim(self) -> int:
        """Nz."""
        return self.config.latent_dim

    @property
    def elements(self) -> int:
        """T * D: the number of data elements a loss "per element" is divided by."""
        return self.config.steps * self.config.feature_dim

    def _check(self, x: torch.Tensor) -> None:
        want = (self.config.steps, self.config.feature_dim)
        if x.ndim != 3 or tuple(x.shape[1:]) != want:
            raise ValueError(f"expected input (B, {want[0]}, {want[1]}), got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T, D) -> posterior mean and standard deviation, each (B, Nz)."""
        self._check(x)
        return self.encoder(x)

    def decode(
        self,
        z: torch.Tensor,
        *,
        sample: bool = False,
        temperature: float = 1.0,
        probabilities: bool = False,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """z (B, Nz) -> generated sequences (B, T, D), autoregressively.

        By default the greedy choice in the converters' layout (binary hits with velocities and
        offsets / one-hot events); `sample=True` draws at `temperature` instead; with
        `probabilities=True` the head's probabilities along the same run are returned.
        """
        steps, params = self.decoder.generate(
            z, sample=sample, temperature=temperature, generator=generator
        )
        return self.decoder.head.probabilities(params) if probabilities else steps

    def metric_output(self, z: torch.Tensor) -> torch.Tensor:
        """The deterministic, differentiable decoder output f(z) (B, M) whose Jacobian is flattened.

        "soft": the free-running decode feeding back expected steps, (B, T*D) -- the same
        autoregressive path as `decode`, made differentiable. "conductor": the bar embeddings.
        """
        if self.config.metric_output == "conductor":
            return self.decoder.conduct(z).flatten(1)  # (B, bars*Hc)
        return self.decoder.soft_decode(z).flatten(1)  # (B, T, D) -> (B, T*D)

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n latent points from the prior, (n, Nz)."""
        return self.prior.sample(n, generator=generator)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction and KL terms for a batch x (B, T, D) (see the module docstring for units).

        Also returns "z" (B, Nz), the posterior samples used, for latent regularisers.
        """
        mu, sigma = self.encode(x)
        z = mu + sigma * torch.randn_like(mu)
        params = self.decoder.teacher_forced(
            z, x, input_dropout=self.config.input_dropout if self.training else 0.0
        )  # (B, T, P)
        recon_nats = self.decoder.head.nll(params, x).sum(-1)  # (B,)
        kl_nats = self.prior.kl(z, mu, sigma)  # (B,)
        return {
            "recon": recon_nats.mean() / self.elements,
            "kl": kl_nats.mean() / self.elements,
            "recon_nats": recon_nats.mean().detach(),
            "kl_nats": kl_nats.mean().detach(),
            "z": z,
        }
