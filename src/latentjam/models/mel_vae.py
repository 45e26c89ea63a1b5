"""Dense mel-spectrogram VAE of the blog post: Flatten -> Dense mean/log-variance -> Dense sigmoid.

Input is a [0, 1]-scaled log-mel segment (B, n_mels, frames) (see latentjam.audio.mel.MelSpec).
Encoder: Flatten -> [Dense hidden + ReLU] -> Dense z_mean, Dense z_log_var.
Decoder: z -> [Dense hidden + ReLU] -> Dense(n_mels * frames, sigmoid) -> Reshape (n_mels, frames).
The hidden layers are absent when `hidden=0` (the blog's exact network). Loss: binary cross-entropy
summed over the spectrogram plus beta * KL to N(0, I), both averaged over the batch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from latentjam.models.dense_vae import DenseBernoulliVAE


@dataclass(frozen=True)
class MelVAEConfig:
    """Settings of a `MelVAE`, including the mel spectrogram it was trained on."""

    kind: str = "mel_vae"
    n_mels: int = 64
    frames: int = 64
    latent_dim: int = 32
    hidden: int = 256  # 0: no hidden layer (the blog's network)
    beta: float = 1.0
    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 256

    def to_dict(self) -> dict:
        """Plain-dict form stored in checkpoints."""
        return asdict(self)

    def build(self) -> MelVAE:
        """The model these settings describe."""
        return MelVAE(**{k: v for k, v in asdict(self).items() if k != "kind"})


class MelVAE(DenseBernoulliVAE):
    """Dense VAE over (n_mels, frames) log-mel segments scaled to [0, 1]."""

    def __init__(
        self,
        *,
        n_mels: int = 64,
        frames: int = 64,
        latent_dim: int = 32,
        hidden: int = 256,
        beta: float = 1.0,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 256,
    ) -> None:
        super().__init__()
        self.config = MelVAEConfig(
            n_mels=n_mels,
            frames=frames,
            latent_dim=latent_dim,
            hidden=hidden,
            beta=beta,
            sample_rate=sample_rate,
            n_fft=n_fft,
            hop_length=hop_length,
        )
        d = n_mels * frames
        width = hidden if hidden > 0 else d
        self.encoder_body = (
            nn.Sequential(nn.Linear(d, hidden), nn.ReLU()) if hidden > 0 else nn.Identity()
        )
        self.z_mean = nn.Linear(width, latent_dim)
        self.z_log_var = nn.Linear(width, latent_dim)
        self.decoder_body = (
            nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU()) if hidden > 0 else nn.Identity()
        )
        self.decoder_out = nn.Linear(hidden if hidden > 0 else latent_dim, d)

    @classmethod
    def from_config(cls, config: dict | MelVAEConfig) -> MelVAE:
        """Build from a config dataclass or its dict (unknown keys are an error)."""
        if isinstance(config, dict):
            config = MelVAEConfig(**config)
        return config.build()

    def with_beta(self, beta: float) -> MelVAE:
        """Set the KL weight in place (returns self)."""
        self.config = replace(self.config, beta=beta)
        return self

    def _check(self, x: torch.Tensor) -> None:
        c = self.config
        if x.dim() != 3 or x.shape[1:] != (c.n_mels, c.frames):
            raise ValueError(
                f"expected (B, {c.n_mels}, {c.frames}) mel segments, got {tuple(x.shape)}"
            )

    def encode_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, n_mels, frames) -> z_mean, z_log_var, each (B, latent_dim)."""
        self._check(x)
        h = self.encoder_body(x.flatten(1))  # (B, n_mels * frames) -> (B, width)
        return self.z_mean(h), self.z_log_var(h).clamp(-30.0, 20.0)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent_dim) -> logits (B, n_mels, frames)."""
        c = self.config
        out = self.decoder_out(self.decoder_body(z))  # (B, n_mels * frames)
        return out.view(z.shape[0], c.n_mels, c.frames)

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"recon": BCE summed per segment, "kl": KL to N(0, I), "loss": recon + beta * kl}, all
        scalars; `decode` gives the [0, 1] log-mel (B, n_mels, frames) (sigmoid output)."""
        terms = self.bernoulli_terms(x)
        recon, kl = terms["recon"], terms["kl"]
        return {"recon": recon, "kl": kl, "loss": recon + self.config.beta * kl}
