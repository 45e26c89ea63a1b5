"""Dense piano-roll bar VAE of Query-based Deep Improvisation: one bar in, one bar out.

Input: one bar of `PianoRollBars(low, high)`, x (B, 16, 2P) of 0/1 ("sounding" and "struck"
flags per pitch). Encoder: Flatten (B, 16 * 2P) -> Dense(hidden, ReLU) -> Dense mu and
Dense log-variance (B, latent_dim). Decoder: z -> Dense(hidden, ReLU) -> Dense(16 * 2P)
logits -> Reshape (B, 16, 2P); `decode` returns Bernoulli probabilities. 500 hidden units as in
the paper. Loss terms: "recon" = binary cross-entropy summed over the bar (nats), "kl" = KL to
N(0, I) (nats), both averaged over the batch; the training objective weighs them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from latentjam.models.dense_vae import DenseBernoulliVAE

STEPS_PER_BAR = 16


@dataclass(frozen=True)
class BarVAEConfig:
    """Settings of a `PianoRollBarVAE`, including the piano roll's pitch range."""

    kind: str = "bar_vae"
    low: int = 24  # lowest pitch (the paper's piano roll spans MIDI 24..101: 78 pitches)
    high: int = 101
    latent_dim: int = 32
    hidden: int = 500

    @property
    def data(self) -> str:
        """The data kind this model reads."""
        return "pianoroll"

    @property
    def pitches(self) -> int:
        """P, pitches in the roll."""
        return self.high - self.low + 1

    @property
    def steps(self) -> int:
        """T = 16 sixteenth-note steps (one bar)."""
        return STEPS_PER_BAR

    @property
    def feature_dim(self) -> int:
        """D = 2P (sounding + struck)."""
        return 2 * self.pitches

    def to_dict(self) -> dict:
        """Plain-dict form stored in model files."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BarVAEConfig:
        """Inverse of `to_dict` (unknown keys are an error)."""
        return cls(**data)


class PianoRollBarVAE(DenseBernoulliVAE):
    """Dense VAE over single piano-roll bars (B, 16, 2P)."""

    def __init__(self, config: BarVAEConfig | None = None) -> None:
        super().__init__()
        self.config = config or BarVAEConfig()
        c = self.config
        if c.hidden < 1 or c.latent_dim < 1 or not 0 <= c.low <= c.high <= 127:
            raise ValueError(f"invalid bar VAE config: {c}")
        d = c.steps * c.feature_dim
        self.encoder = nn.Sequential(nn.Linear(d, c.hidden), nn.ReLU())
        self.mu = nn.Linear(c.hidden, c.latent_dim)
        self.log_var = nn.Linear(c.hidden, c.latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(c.latent_dim, c.hidden), nn.ReLU(), nn.Linear(c.hidden, d)
        )

    @classmethod
    def from_config(cls, config: dict | BarVAEConfig) -> PianoRollBarVAE:
        """Build from a config dataclass or its dict."""
        if isinstance(config, dict):
            config = BarVAEConfig.from_dict(config)
        return cls(config)

    @property
    def latent_dim(self) -> int:
        """Nz."""
        return self.config.latent_dim

    def _check(self, x: torch.Tensor) -> None:
        c = self.config
        if x.dim() != 3 or tuple(x.shape[1:]) != (c.steps, c.feature_dim):
            raise ValueError(
                f"expected piano-roll bars (B, {c.steps}, {c.feature_dim}), got {tuple(x.shape)}"
            )

    def encode_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 16, 2P) -> mu, log-variance, each (B, Nz)."""
        self._check(x)
        h = self.encoder(x.flatten(1))  # (B, 16 * 2P) -> (B, hidden)
        return self.mu(h), self.log_var(h).clamp(-30.0, 20.0)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, Nz) -> logits (B, 16, 2P)."""
        c = self.config
        return self.decoder(z).view(z.shape[0], c.steps, c.feature_dim)  # (B, 16 * 2P) -> bars

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"recon": BCE per bar, "kl": KL to N(0, I) per bar, "z": the sample (B, Nz)}; `decode`
        gives probabilities (B, 16, 2P): threshold them (e.g. at 0.5) to get a bar."""
        return self.bernoulli_terms(x)

    def metric_output(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder output used by the flat-manifold regulariser: z (B, Nz) -> (B, 16 * 2P)."""
        return self.decode(z).flatten(1)
