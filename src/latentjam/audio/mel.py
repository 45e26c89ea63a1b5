"""Log-mel spectrograms scaled to [0, 1] over a fixed dB range, and back to audio.

Forward: |STFT| (Hann window, magnitude divided by the window sum so a full-scale sine peaks at
0.5) -> power -> triangular HTK-mel filter bank -> dB -> (dB - max_db + top_db) / top_db clipped to
[0, 1]. The reference level is fixed (not per clip), so levels survive the round trip.
Backward: undo the scaling -> mel power -> linear power by a non-negative least-squares fit
(pseudo-inverse start, multiplicative updates) -> magnitude -> Griffin-Lim (see griffin_lim.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from latentjam.errors import LatentjamError


def hz_to_mel(hz):
    """HTK mel scale: 2595 * log10(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel):
    """Inverse of `hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


# Griffin-Lim iterations used to turn mels back into audio. On the rendered piano corpus 16
# iterations match 32 within 0.05 dB of mel distance and 0.01 of spectral convergence at half
# the cost (see benchmarks/README.md, section audio).
GRIFFIN_LIM_ITERATIONS = 16


@lru_cache(maxsize=16)
def _filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)  # (F,)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels+2,)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - freqs[None, :]) / np.maximum(upper - centre, 1e-9)
    fb = np.clip(np.minimum(rising, falling), 0.0, None)  # (n_mels, F), each triangle peaks at 1
    # Narrow low filters can fall between FFT bins: give them the nearest bin so no row is empty.
    for m in np.flatnonzero(fb.sum(axis=1) == 0):
        fb[m, int(np.argmin(np.abs(freqs - centre[m, 0])))] = 1.0
    fb = fb.astype(np.float32)
    fb.setflags(write=False)  # cached and shared: read-only
    return fb


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Triangular mel filters with peak 1, shape (n_mels, n_fft // 2 + 1), float32."""
    fmax = sample_rate / 2.0 if fmax is None else float(fmax)
    if not 0.0 <= fmin < fmax <= sample_rate / 2.0:
        raise LatentjamError(f"need 0 <= fmin < fmax <= sample_rate/2, got {fmin}, {fmax}")
    return _filterbank(int(sample_rate), int(n_fft), int(n_mels), float(fmin), fmax)


@lru_cache(maxsize=16)
def _pinv(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None):
    """Pseudo-inverse of the filter bank, shape (n_freq, n_mels), cached per setting."""
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax).astype(np.float64)
    out = np.linalg.pinv(fb).astype(np.float32)
    out.setflags(write=False)
    return out


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover
        from latentjam.errors import missing_extra

        raise missing_extra("torch", "torch") from exc
    return torch


@dataclass(frozen=True)
class MelSpec:
    """Settings of the [0, 1]-scaled log-mel spectrogram; all conversions live here."""

    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 256
    n_mels: int = 64
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float = 80.0  # dynamic range mapped onto [0, 1]
    max_db: float = 0.0  # dB level mapped to 1 (a full-scale sine reaches about -6 dB)
    amin: float = 1e-10

    def cache_key(self) -> str:
        """Every setting that changes the spectrogram, as a short string."""
        return "mel-" + "-".join(f"{k}{v}" for k, v in asdict(self).items())

    @property
    def n_freq(self) -> int:
        """Number of linear frequency bins (n_fft // 2 + 1)."""
        return self.n_fft // 2 + 1

    def frames(self, n_samples: int) -> int:
        """Number of STFT frames for `n_samples` of audio (centred frames)."""
        return 1 + n_samples // self.hop_length

    def samples(self, frames: int) -> int:
        """Audio length whose spectrogram has exactly `frames` frames."""
        return (frames - 1) * self.hop_length

    def filterbank(self) -> np.ndarray:
        """The mel filter bank, shape (n_mels, n_freq)."""
        return mel_filterbank(self.sample_rate, self.n_fft, self.n_mels, self.fmin, self.fmax)

    # -- forward -------------------------------------------------------------------------------
    def magnitude(self, audio):
        """|STFT| of audio (..., n) -> (..., n_freq, frames), a torch tensor."""
        torch = _torch()
        x = torch.as_tensor(
            np.asarray(audio, dtype=np.float32) if isinstance(audio, np.ndarray) else audio,
            dtype=torch.float32,
        )
        lead = x.shape[:-1]
        x = x.reshape(-1, x.shape[-1])  # (B, n)
        window = torch.hann_window(self.n_fft, dtype=x.dtype)
        spec = torch.stft(
            x,
            self.n_fft,
            self.hop_length,
            window=window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )  # (B, F, T)
        mag = spec.abs() / window.sum()
        return mag.reshape(*lead, mag.shape[-2], mag.shape[-1])

    def scale(self, mel_power):
        """Mel power (torch) -> [0, 1] log-mel."""
        torch = _torch()
        db = 10.0 * torch.log10(torch.clamp(mel_power, min=self.amin))
        return torch.clamp((db - self.max_db + self.top_db) / self.top_db, 0.0, 1.0)

    def unscale(self, scaled):
        """[0, 1] log-mel (torch) -> mel power; 0 maps to the floor (max_db - top_db)."""
        torch = _torch()
        db = torch.as_tensor(scaled, dtype=torch.float32) * self.top_db + self.max_db - self.top_db
        return 10.0 ** (db / 10.0)

    def __call__(self, audio):
        """Audio (..., n) -> [0, 1] log-mel (..., n_mels, frames) as a float32 torch tensor."""
        torch = _torch()
        power = self.magnitude(audio) ** 2
        fb = torch.tensor(self.filterbank())
        return self.scale(torch.matmul(fb, power))

    # -- backward ------------------------------------------------------------------------------
    def mel_to_magnitude(self, mel_power, n_iter: int = 30):
        """Mel power (..., n_mels, T) -> non-negative linear magnitude (..., n_freq, T).

        Least squares under non-negativity: start from the clipped pseudo-inverse, refine with
        `n_iter` multiplicative (Lee-Seung) updates, which keep every entry >= 0.
        """
        torch = _torch()
        fb = torch.tensor(self.filterbank())  # (M, F)
        mel_power = torch.as_tensor(mel_power, dtype=torch.float32)
        pinv = torch.tensor(
            _pinv(self.sample_rate, self.n_fft, self.n_mels, self.fmin, self.fmax)
        )  # (F, M)
        power = torch.clamp(torch.matmul(pinv, mel_power), min=0.0) + 1e-12  # (..., F, T)
        fb_t_mel = torch.matmul(fb.T, mel_power)  # (..., F, T)
        for _ in range(n_iter):
            # F^T F P computed as F^T (F P): (M x F) products instead of an (F x F) Gram matrix
            power = power * fb_t_mel / (torch.matmul(fb.T, torch.matmul(fb, power)) + 1e-12)
        return torch.sqrt(power)

    def invert(
        self,
        scaled,
        *,
        n_iter: int = GRIFFIN_LIM_ITERATIONS,
        length: int | None = None,
        seed: int = 0,
    ):
        """[0, 1] log-mel (..., n_mels, T) -> audio (..., n) float32 numpy via Griffin-Lim."""
        from latentjam.audio.griffin_lim import griffin_lim

        torch = _torch()
        scaled = torch.as_tensor(scaled, dtype=torch.float32)
        if scaled.shape[-2] != self.n_mels:
            shape = tuple(scaled.shape)
            raise LatentjamError(f"expected {self.n_mels} mel bands, got shape {shape}")
        mag = self.mel_to_magnitude(self.unscale(scaled))
        window_sum = float(torch.hann_window(self.n_fft).sum())
        audio = griffin_lim(
            mag * window_sum,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            n_iter=n_iter,
            length=length,
            seed=seed,
        )
        return audio.numpy()


def mel_spec_of(model) -> MelSpec:
    """The `MelSpec` whose segments a mel VAE (`latentjam.models.mel_vae.MelVAE`) reads and
    writes, from its config."""
    c = model.config
    return MelSpec(
        sample_rate=c.sample_rate, n_fft=c.n_fft, hop_length=c.hop_length, n_mels=c.n_mels
    )
