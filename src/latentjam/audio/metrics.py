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


# ------------------------------------------------------------------ do the notes survive?


def chroma(audio, sample_rate: int, n_fft: int = 4096, hop: int = 512) -> np.ndarray:
    """Chromagram (12, frames): STFT power of the bins from C2 (65 Hz) to C8 (4186 Hz) summed
    per pitch class (each bin to its nearest equal-tempered pitch), each frame scaled to sum 1
    (silent frames stay 0)."""
    import torch

    x = torch.as_tensor(np.asarray(audio, dtype=np.float32)).reshape(-1)
    window = torch.hann_window(n_fft)
    power = (
        torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True).abs() ** 2
    ).numpy()  # (F, T)
    freqs = np.arange(power.shape[0]) * sample_rate / n_fft
    keep = (freqs >= 65.0) & (freqs <= 4186.0)
    pitch_class = np.rint(69 + 12 * np.log2(freqs[keep] / 440.0)).astype(np.int64) % 12
    out = np.zeros((12, power.shape[1]))
    np.add.at(out, pitch_class, power[keep])
    total = out.sum(axis=0, keepdims=True)
    return np.where(
        total > 1e-10 * max(float(total.max()), 1e-30), out / np.maximum(total, 1e-30), 0
    )


def chroma_correlation(reference, estimate, sample_rate: int) -> float:
    """Pearson correlation of the two chromagrams over every (pitch class, frame) cell where
    the reference sounds (1 is perfect; which notes sound, octave-blind, timbre-blind)."""
    reference, estimate = _pair(reference, estimate)
    a, b = chroma(reference, sample_rate), chroma(estimate, sample_rate)
    sounding = a.sum(axis=0) > 0
    a, b = a[:, sounding].ravel(), b[:, sounding].ravel()
    if a.size < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def onset_times(audio, sample_rate: int, hop: int = 256, n_fft: int = 1024) -> np.ndarray:
    """Onset times (s) by the standard spectral-flux detector: log-magnitude mel-band flux
    (half-wave rectified, summed over bands), normalised, peaks above an adaptive threshold
    (local mean + 0.07 x max) at least 50 ms apart (librosa's onset_detect recipe). A centred
    frame sees an onset half a window early: times are moved back by (n_fft - hop) / 2."""
    import torch

    from latentjam.audio.mel import mel_filterbank

    x = torch.as_tensor(np.asarray(audio, dtype=np.float32)).reshape(-1)
    window = torch.hann_window(n_fft)
    mag = torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True).abs().numpy()
    bank = mel_filterbank(sample_rate, n_fft, 64)  # (64, F)
    mel_db = 20 * np.log10(np.maximum(bank @ mag, 1e-5))  # (64, T)
    flux = np.maximum(np.diff(mel_db, axis=1), 0).mean(axis=0)  # (T-1,)
    if flux.size < 3 or flux.max() <= 0:
        return np.zeros(0)
    env = flux / flux.max()
    frame_s = hop / sample_rate
    wait = max(1, round(0.05 / frame_s))
    half = max(1, round(0.1 / frame_s))
    peaks = []
    for t in range(1, len(env) - 1):
        lo, hi = max(0, t - half), min(len(env), t + half + 1)
        if env[t] < env[lo:hi].max() or env[t] < env[lo:hi].mean() + 0.07:
            continue
        if peaks and t - peaks[-1] < wait:
            continue
        peaks.append(t)
    lead = (n_fft - hop) / 2 / sample_rate
    return (np.asarray(peaks) + 1) * frame_s + lead  # flux[t] is the change into frame t + 1


def onset_f1(reference, estimate, sample_rate: int, tolerance: float = 0.05) -> float:
    """F1 of the estimate's onsets against the reference's, each matched at most once within
    `tolerance` seconds (the MIREX onset tolerance); 1 if neither has an onset."""
    reference, estimate = _pair(reference, estimate)
    ref, est = onset_times(reference, sample_rate), onset_times(estimate, sample_rate)
    if len(ref) == 0 and len(est) == 0:
        return 1.0
    used = np.zeros(len(est), dtype=bool)
    hits = 0
    for t in ref:
        gap = np.where(used, np.inf, np.abs(est - t))
        if gap.size and gap.min() <= tolerance:
            used[int(gap.argmin())] = True
            hits += 1
    precision = hits / max(len(est), 1)
    recall = hits / max(len(ref), 1)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
