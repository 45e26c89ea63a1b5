"""Phase-blind reconstruction quality: spectral convergence, log-spectral and mel distance."""

from __future__ import annotations

import numpy as np

DEFAULT_FFT_SIZES = (2048, 1024, 512, 256, 128)


def _mag(x, n_fft: int):
    import torch

    x = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(-1)
    window = torch.hann_window(n_fft)
    spec = torch.stft(
        x, n_fft, n_fft // 4, window=window, center=True, pad_mode="constant", return_complex=True
    )
    return spec.abs() / window.sum()  # (F, T)


def _pair(reference, estimate):
    reference = np.asarray(reference, dtype=np.float32).reshape(-1)
    estimate = np.asarray(estimate, dtype=np.float32).reshape(-1)
    n = min(reference.size, estimate.size)
    if n == 0:
        raise ValueError("cannot compare empty audio")
    return reference[:n], estimate[:n]


def spectral_convergence(reference, estimate, n_fft: int = 1024) -> float:
    """|| |S_ref| - |S_est| ||_F / || |S_ref| ||_F for (n,) audio (0 is perfect)."""
    reference, estimate = _pair(reference, estimate)
    ref, est = _mag(reference, n_fft), _mag(estimate, n_fft)
    return float((ref - est).norm() / ref.norm().clamp(min=1e-8))


def multi_resolution_sc(reference, estimate, fft_sizes=DEFAULT_FFT_SIZES) -> float:
    """Mean spectral convergence over several FFT sizes."""
    return float(np.mean([spectral_convergence(reference, estimate, n) for n in fft_sizes]))


def log_spectral_distance(reference, estimate, n_fft: int = 1024, floor_db: float = -80.0) -> float:
    """Root-mean-square difference of the dB power spectra, floored at `floor_db`, per frame
    averaged over frames (dB; 0 is perfect)."""
    import torch

    reference, estimate = _pair(reference, estimate)
    ref, est = _mag(reference, n_fft), _mag(estimate, n_fft)
    floor = 10.0 ** (floor_db / 20.0)
    ref_db = 20.0 * torch.log10(ref.clamp(min=floor))
    est_db = 20.0 * torch.log10(est.clamp(min=floor))
    per_frame = ((ref_db - est_db) ** 2).mean(dim=0).sqrt()  # (T,)
    return float(per_frame.mean())


def mel_distance(reference, estimate, spec=None) -> float:
    """Mean absolute difference of the [0, 1]-scaled log-mel spectrograms times top_db (dB)."""
    from latentjam.audio.mel import MelSpec

    spec = spec or MelSpec()
    reference, estimate = _pair(reference, estimate)
    return float((spec(reference) - spec(estimate)).abs().mean() * spec.top_db)
