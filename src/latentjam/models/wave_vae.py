"""Waveform VAE in the style of InstructME: 1-D conv encoder of 4 down blocks, mirrored decoder.

Encoder: conv_in (1 -> C0, k7) -> 4 blocks [3 residual units (kernel 7, dilations 1, 3, 9) at
C_i channels, then a strided conv C_i -> C_{i+1} with stride s_i] -> conv (C_4 -> 2 * latent).
The latent is a 2-D embedding (latent_channels, frames) with frames = n / prod(strides).
Decoder mirrors it: conv (latent -> C_4) -> 4 blocks [transposed conv C_{i+1} -> C_i upsampling
by s_i, then 3 residual units] -> conv (C_0 -> 1, k7) -> tanh.
Loss: multi-resolution STFT loss + kl_weight * KL (the adversarial part lives in the trainer).

Note on the model contract: `encode` returns mu, sigma of shape (B, latent_channels, frames),
not (B, Nz); flatten them if a (B, Nz) vector is needed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod

import torch
from torch import nn
from torch.nn import functional as F

from latentjam.models.priors import standard_normal_kl
from latentjam.models.stft_losses import MultiResolutionSTFTLoss


@dataclass(frozen=True)
class WaveVAEConfig:
    """Settings of a `WaveVAE`."""

    kind: str = "wave_vae"
    sample_rate: int = 16000
    strides: tuple[int, ...] = (2, 4, 4, 8)
    channels: tuple[int, ...] = (8, 16, 32, 64, 128)  # C_0 .. C_4 (one more than strides)
    latent_channels: int = 8
    kl_weight: float = 1e-4
    fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128)

    def to_dict(self) -> dict:
        """Plain-dict form stored in checkpoints (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def build(self) -> WaveVAE:
        """The model these settings describe."""
        return WaveVAE(**{k: v for k, v in asdict(self).items() if k != "kind"})


class ResidualUnit(nn.Module):
    """x + conv1x1(elu(conv_k7_dilated(elu(x)))); shape (B, C, n) -> (B, C, n)."""

    def __init__(self, channels: int, dilation: int, kernel: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv1d(
            channels, channels, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2
        )
        self.proj = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, C, n) -> x plus the residual branch, (B, C, n)."""
        return x + self.proj(F.elu(self.conv(F.elu(x))))


def _residual_stack(channels: int) -> nn.Sequential:
    return nn.Sequential(*(ResidualUnit(channels, d) for d in (1, 3, 9)))


class DownBlock(nn.Module):
    """Residual units then a strided conv: (B, c_in, n) -> (B, c_out, n / stride)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.res = _residual_stack(c_in)
        self.down = nn.Conv1d(c_in, c_out, 2 * stride, stride=stride, padding=(stride + 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, c_in, n) -> (B, c_out, n / stride) (n a multiple of the stride)."""
        return self.down(F.elu(self.res(x)))


class UpBlock(nn.Module):
    """Transposed conv then residual units: (B, c_in, n) -> (B, c_out, n * stride)."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.up = nn.ConvTranspose1d(
            c_in,
            c_out,
            2 * stride,
            stride=stride,
            padding=(stride + 1) // 2,
            output_padding=stride % 2,
        )
        self.res = _residual_stack(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, c_in, n) -> (B, c_out, n * stride)."""
        return self.res(self.up(F.elu(x)))


class WaveVAE(nn.Module):
    """Convolutional waveform VAE with a (latent_channels, frames) latent."""

    def __init__(
        self,
        *,
        sample_rate: int = 16000,
        strides=(2, 4, 4, 8),
        channels=(8, 16, 32, 64, 128),
        latent_channels: int = 8,
        kl_weight: float = 1e-4,
        fft_sizes=(2048, 1024, 512, 256, 128),
    ) -> None:
        super().__init__()
        strides, channels, fft_sizes = tuple(strides), tuple(channels), tuple(fft_sizes)
        if len(channels) != len(strides) + 1:
            raise ValueError(f"need len(channels) == len(strides) + 1, got {channels}, {strides}")
        self.config = WaveVAEConfig(
            sample_rate=sample_rate,
            strides=strides,
            channels=channels,
            latent_channels=latent_channels,
            kl_weight=kl_weight,
            fft_sizes=fft_sizes,
        )
        self.hop = prod(strides)
        self.enc_in = nn.Conv1d(1, channels[0], 7, padding=3)
        self.down = nn.ModuleList(
            DownBlock(channels[i], channels[i + 1], s) for i, s in enumerate(strides)
        )
        self.enc_out = nn.Conv1d(channels[-1], 2 * latent_channels, 3, padding=1)
        self.dec_in = nn.Conv1d(latent_channels, channels[-1], 7, padding=3)
        self.up = nn.ModuleList(
            UpBlock(channels[i + 1], channels[i], s) for i, s in reversed(list(enumerate(strides)))
        )
        self.dec_out = nn.Conv1d(channels[0], 1, 7, padding=3)
        self.stft_loss = MultiResolutionSTFTLoss(fft_sizes=fft_sizes)

    @classmethod
    def from_config(cls, config: dict | WaveVAEConfig) -> WaveVAE:
        """Build from a config dataclass or its dict."""
        if isinstance(config, dict):
            config = WaveVAEConfig(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}
            )
        return config.build()

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n) or (B, 1, n) -> (B, 1, n') zero-padded to a multiple of the hop (prod strides)."""
        x = x.reshape(x.shape[0], 1, -1)
        extra = (-x.shape[-1]) % self.hop
        return F.pad(x, (0, extra)) if extra else x

    def encode_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, n) -> mu, log_var each (B, latent_channels, ceil(n / hop))."""
        h = self.enc_in(self.pad(x))  # (B, C0, n')
        for block in self.down:
            h = block(h)  # (B, C_{i+1}, n / prod(strides[:i+1]))
        mu, log_var = self.enc_out(F.elu(h)).chunk(2, dim=1)
        return mu, log_var.clamp(-30.0, 20.0)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, n) audio -> mu, sigma each (B, latent_channels, frames)."""
        mu, log_var = self.encode_params(x)
        return mu, torch.exp(0.5 * log_var)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent_channels, frames) -> audio (B, frames * hop) in [-1, 1]."""
        h = self.dec_in(z)  # (B, C4, frames)
        for block in self.up:
            h = block(h)
        return torch.tanh(self.dec_out(F.elu(h))).squeeze(1)  # (B, 1, n) -> (B, n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct through the posterior mean, cropped to the input length: (B, n) -> (B, n)."""
        n = x.shape[-1]
        mu, _ = self.encode_params(x)
        return self.decode(mu)[:, :n]

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"recon": multi-res STFT loss, "sc", "log_mag", "kl", "loss", "x_hat" (B, n)}."""
        x = x.reshape(x.shape[0], -1)
        n = x.shape[-1]
        mu, log_var = self.encode_params(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        x_hat = self.decode(z)[:, :n]
        stft = self.stft_loss(x_hat, x)
        kl = standard_normal_kl(mu, log_var).sum(dim=(1, 2)).mean()
        recon = stft["total"]
        return {
            "recon": recon,
            "sc": stft["sc"],
            "log_mag": stft["log_mag"],
            "kl": kl,
            "loss": recon + self.config.kl_weight * kl,
            "x_hat": x_hat,
        }
