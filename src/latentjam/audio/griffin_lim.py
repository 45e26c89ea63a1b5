"""Griffin-Lim phase reconstruction with momentum ("fast Griffin-Lim", Perraudin et al. 2013)."""

from __future__ import annotations


def griffin_lim(
    magnitude,
    *,
    n_fft: int,
    hop_length: int,
    n_iter: int = 32,
    momentum: float = 0.99,
    length: int | None = None,
    seed: int = 0,
):
    """Estimate audio whose |STFT| matches `magnitude` (..., n_fft//2+1, T) -> (..., n) tensor.

    Uses a Hann window, centred frames (as `torch.stft(center=True)`), random initial phase from
    `seed` (the same for every batch item), and the momentum update of fast Griffin-Lim.
    """
    import torch

    mag = torch.as_tensor(magnitude, dtype=torch.float32)
    lead = mag.shape[:-2]
    mag = mag.reshape(-1, mag.shape[-2], mag.shape[-1])  # (B, F, T)
    if mag.shape[-2] != n_fft // 2 + 1:
        bins = n_fft // 2 + 1
        raise ValueError(f"magnitude has {mag.shape[-2]} bins; n_fft={n_fft} needs {bins}")
    n_out = length if length is not None else (mag.shape[-1] - 1) * hop_length
    window = torch.hann_window(n_fft)
    gen = torch.Generator().manual_seed(seed)
    # One (F, T) random phase shared by every batch item: results do not depend on batching.
    phase = (torch.rand(mag.shape[-2:], generator=gen) * (2 * torch.pi)).expand_as(mag)
    angles = torch.polar(torch.ones_like(mag), phase)
    previous = torch.zeros_like(angles)

    def istft(spec):
        return torch.istft(spec, n_fft, hop_length, window=window, center=True, length=n_out)

    def stft(x):
        return torch.stft(
            x,
            n_fft,
            hop_length,
            window=window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )

    for _ in range(n_iter):
        rebuilt = stft(istft(mag * angles))
        update = rebuilt - (momentum / (1 + momentum)) * previous
        previous = rebuilt
        angles = update / (update.abs() + 1e-8)
    audio = istft(mag * angles)  # (B, n)
    return audio.reshape(*lead, audio.shape[-1])
