"""Multi-resolution STFT loss: spectral convergence + log-magnitude L1 over several FFT sizes."""

from __future__ import annotations

import torch
from torch import nn

EPS = 1e-7


def stft_magnitude(x: torch.Tensor, n_fft: int, hop_length: int) -> torch.Tensor:
    """x (B, n) -> |STFT| (B, F, T); an epsilon inside the square root keeps gradients finite."""
    window = torch.hann_window(n_fft, device=x.device, dtype=x.dtype)
    spec = torch.stft(
        x, n_fft, hop_length, window=window, center=True, pad_mode="constant", return_complex=True
    )
    return torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + EPS)


class MultiResolutionSTFTLoss(nn.Module):
    """Mean over FFT sizes of ||Y - X||_F / ||Y||_F + mean |log Y - log X| (Y target, X output)."""

    def __init__(
        self, *, fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128), hop_divisor: int = 4
    ) -> None:
        super().__init__()
        self.fft_sizes = tuple(fft_sizes)
        self.hop_divisor = hop_divisor

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        """output, target (B, n) or (B, 1, n) -> {"sc", "log_mag", "total"} scalars."""
        output = output.reshape(output.shape[0], -1)
        target = target.reshape(target.shape[0], -1)
        sc_total = output.new_zeros(())
        mag_total = output.new_zeros(())
        for n_fft in self.fft_sizes:
            hop = max(1, n_fft // self.hop_divisor)
            x = stft_magnitude(output, n_fft, hop)  # (B, F, T)
            y = stft_magnitude(target, n_fft, hop)
            # Per-example convergence; the denominator floor keeps silent targets finite.
            num = torch.linalg.vector_norm(y - x, dim=(1, 2))
            den = torch.linalg.vector_norm(y, dim=(1, 2)).clamp(min=1e-3)
            sc_total = sc_total + (num / den).mean()
            mag_total = mag_total + (torch.log(y) - torch.log(x)).abs().mean()
        k = len(self.fft_sizes)
        sc, log_mag = sc_total / k, mag_total / k
        return {"sc": sc, "log_mag": log_mag, "total": sc + log_mag}
