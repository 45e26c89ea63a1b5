"""Multi-scale STFT discriminator: 2-D convolutions over real/imaginary STFTs of several sizes."""

from __future__ import annotations

import torch
from torch import nn


class STFTDiscriminatorScale(nn.Module):
    """One resolution: complex STFT (B, 2, T, F) -> 2-D conv stack -> logits (B, 1, T', F')."""

    def __init__(self, *, n_fft: int, channels: int = 16, layers: int = 3) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, n_fft // 4
        convs = [nn.Conv2d(2, channels, (3, 9), padding=(1, 4))]
        for _ in range(layers):
            convs.append(nn.Conv2d(channels, channels, (3, 9), stride=(1, 2), padding=(1, 4)))
        convs.append(nn.Conv2d(channels, channels, (3, 3), padding=(1, 1)))
        self.convs = nn.ModuleList(convs)
        self.out = nn.Conv2d(channels, 1, (3, 3), padding=(1, 1))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x (B, n) -> (logits (B, 1, T, F'), feature maps of every conv layer)."""
        window = torch.hann_window(self.n_fft, device=x.device, dtype=x.dtype)
        spec = torch.stft(
            x,
            self.n_fft,
            self.hop,
            window=window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )  # (B, F, T)
        h = torch.stack([spec.real, spec.imag], dim=1).transpose(2, 3)  # (B, 2, T, F)
        features = []
        for conv in self.convs:
            h = self.act(conv(h))
            features.append(h)
        return self.out(h), features


class STFTDiscriminator(nn.Module):
    """Several `STFTDiscriminatorScale`s; returns a list of (logits, features), one per size."""

    def __init__(
        self, *, fft_sizes: tuple[int, ...] = (1024, 512, 256), channels: int = 16, layers: int = 3
    ) -> None:
        super().__init__()
        self.scales = nn.ModuleList(
            STFTDiscriminatorScale(n_fft=n, channels=channels, layers=layers) for n in fft_sizes
        )

    def forward(self, x: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        """x (B, n) or (B, 1, n) audio -> per scale (logits, features)."""
        x = x.reshape(x.shape[0], -1)
        return [scale(x) for scale in self.scales]
