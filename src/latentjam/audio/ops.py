"""Audio operations with an audio VAE: reconstruct, sample, interpolate, latent map."""

from __future__ import annotations

import numpy as np

from latentjam.audio.mel import GRIFFIN_LIM_ITERATIONS, mel_spec_of
from latentjam.audio.presets import is_mel, mel_segments, sample_rate_of, segment_samples
from latentjam.errors import LatentjamError


def decode_mels(model, mels, n_iter: int | None = None) -> np.ndarray:
    """A `MelVAE`'s (k, n_mels, frames) [0, 1] mels -> (k, n) audio via Griffin-Lim."""
    spec = mel_spec_of(model)
    n_iter = GRIFFIN_LIM_ITERATIONS if n_iter is None else n_iter
    return spec.invert(mels, n_iter=n_iter, length=spec.samples(model.config.frames))


def reconstruct(
    model, audio: np.ndarray, *, n_iter: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Encode and decode (n,) audio at the model's rate -> (audio (n,), [0,1] mel of the output)."""
    import torch

    from latentjam.audio.io import segment

    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        raise LatentjamError("cannot reconstruct empty audio")
    with torch.no_grad():
        if is_mel(model):
            n = segment_samples(model)
            segs = segment(audio, n, pad=True)  # (k, n)
            mels = model(torch.from_numpy(mel_segments(model, segs)))  # (k, n_mels, frames)
            out = decode_mels(model, mels, n_iter).reshape(-1)[: audio.size]
        else:
            out = model(torch.from_numpy(audio)[None])[0].numpy()
    return out.astype(np.float32), _display_mel(model, out)


def _display_mel(model, audio: np.ndarray) -> np.ndarray:
    from latentjam.audio.mel import MelSpec

    spec = mel_spec_of(model) if is_mel(model) else MelSpec(sample_rate=sample_rate_of(model))
    return spec(audio).numpy()


def sample(
    model, n: int, *, seconds: float = 2.0, seed: int = 0, temperature: float = 1.0
) -> list[np.ndarray]:
    """`n` clips decoded from z ~ N(0, temperature^2 I) -> list of (samples,) float32 arrays."""
    import torch

    if n < 1:
        raise LatentjamError("need at least one sample")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if is_mel(model):
            z = torch.randn(n, model.config.latent_dim, generator=gen) * temperature
            audio = decode_mels(model, model.decode(z))
        else:
            length = max(1, round(seconds * sample_rate_of(model)))
            frames = -(-length // model.hop)
            z = torch.randn(n, model.config.latent_channels, frames, generator=gen) * temperature
            audio = model.decode(z).numpy()[:, :length]
    return [a.astype(np.float32) for a in audio]


def sample_around(
    model, clip: np.ndarray, n: int, *, radius: float = 0.3, seed: int = 0
) -> list[np.ndarray]:
    """`n` variations of `clip`: z = mu + radius * s * eps, eps ~ N(0, I) (seeded), where mu is
    the clip's posterior mean and s the spread of mu (per latent channel over the clip's frames
    for the waveform VAE, over its segments for the mel VAE). radius 0 decodes the clip itself;
    1 moves as far as the clip's own latents vary. Returns (len(clip),) float32 arrays."""
    import torch

    from latentjam.audio.io import segment

    if n < 1:
        raise LatentjamError("need at least one sample")
    if not (radius >= 0 and np.isfinite(radius)):
        raise LatentjamError(f"radius must be >= 0 (got {radius})")
    clip = np.asarray(clip, dtype=np.float32).reshape(-1)
    if clip.size == 0:
        raise LatentjamError("cannot sample around empty audio")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if is_mel(model):
            seg = segment_samples(model)
            segs = segment(clip, seg, pad=True)  # (k, seg)
            mu, _ = model.encode(torch.from_numpy(mel_segments(model, segs)))  # (k, Nz)
            spread = mu.std(dim=0, keepdim=True) if len(mu) > 1 else mu.abs() + 1e-3
            eps = torch.randn((n, *mu.shape), generator=gen)  # (n, k, Nz)
            z = mu[None] + radius * spread[None] * eps
            mels = model.decode(z.reshape(-1, mu.shape[-1]))
            out = decode_mels(model, mels).reshape(n, -1)
        else:
            mu, _ = model.encode(torch.from_numpy(clip)[None])  # (1, C, frames)
            spread = mu.std(dim=2, keepdim=True)  # (1, C, 1)
            eps = torch.randn((n, *mu.shape[1:]), generator=gen)  # (n, C, frames)
            out = model.decode(mu + radius * spread * eps).numpy()
    return [np.asarray(x[: clip.size], dtype=np.float32) for x in out]


def interpolate(model, a: np.ndarray, b: np.ndarray, steps: int = 5) -> list[np.ndarray]:
    """Linear interpolation between the posterior means of two clips -> `steps` audio clips.

    Both clips are cut to the shorter one's length n. The waveform VAE encodes each whole clip
    into one (latent_channels, frames) latent; the mel VAE encodes each ~1 s segment separately
    and interpolates segment by segment, so every output is n samples long.
    """
    import torch

    from latentjam.audio.io import segment

    if steps < 2:
        raise LatentjamError("interpolation needs at least 2 steps")
    n = min(a.size, b.size)
    if n == 0:
        raise LatentjamError("cannot interpolate empty audio")
    t = torch.linspace(0.0, 1.0, steps)
    with torch.no_grad():
        if is_mel(model):
            seg = segment_samples(model)
            k = -(-n // seg)  # segments per clip (the last one zero-padded)
            segs = np.concatenate([segment(x[:n], seg, pad=True) for x in (a, b)])  # (2k, seg)
            mu, _ = model.encode(torch.from_numpy(mel_segments(model, segs)))  # (2k, Nz)
            z = (1 - t[:, None, None]) * mu[None, :k] + t[:, None, None] * mu[None, k:]
            mels = model.decode(z.reshape(steps * k, -1))  # (steps * k, n_mels, frames)
            out = decode_mels(model, mels).reshape(steps, k * seg)
        else:
            pair = torch.from_numpy(np.stack([a[:n], b[:n]]).astype(np.float32))  # (2, n)
            mu, _ = model.encode(pair)  # (2, C, frames)
            z = (1 - t[:, None, None]) * mu[:1] + t[:, None, None] * mu[1:]  # (steps, C, frames)
            out = model.decode(z).numpy()
    return [np.asarray(x[:n], dtype=np.float32) for x in out]


def latent_map(model, mels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and standard deviations (k, latent_dim) of mel segments (k, n_mels, T)."""
    import torch

    with torch.no_grad():
        mu, sigma = model.encode(torch.as_tensor(mels))
    return mu.numpy(), sigma.numpy()
