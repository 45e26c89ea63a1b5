"""The one encode path (posteriors of numpy windows in batches) and the one decode path of the
recurrent VAEs (fused when the model allows it) that the API, the jam, improvise and the
evaluation share; no gradients."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

BATCH = 512


def posterior(
    model: nn.Module, x: np.ndarray, *, batch: int = BATCH
) -> tuple[np.ndarray, np.ndarray]:
    """Windows x (n, T, D) -> posterior mean and standard deviation, each (n, Nz) float32.

    With torch at one thread and a core to spare, a recurrent VAE's encoder runs its two
    directions on two threads (`latentjam.models.parallel_encode`: the same numbers)."""
    from latentjam.models import parallel_encode

    x = np.asarray(x, dtype=np.float32)
    mus, sigmas = [], []
    both = parallel_encode.worth_it()
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i : i + batch])
            got = parallel_encode.encode(model, xb) if both else None
            mu, sigma = got if got is not None else model.encode(xb)
            mus.append(mu.float().numpy())
            sigmas.append(sigma.float().numpy())
    if not mus:
        nz = int(getattr(model, "latent_dim", 0))
        return np.zeros((0, nz), np.float32), np.zeros((0, nz), np.float32)
    return np.concatenate(mus), np.concatenate(sigmas)


def decode_windows(
    model: nn.Module,
    z: torch.Tensor,
    *,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Latents z (B, Nz) -> the recurrent VAE's output tensors (B, T, D): greedy at temperature
    0, else sampled at `temperature` from `generator`.

    Runs the fused free run of `latentjam.models.fast_inference` (the module's own numbers and
    draws, several times faster for one reply) and falls back to `model.decode` for decoders it
    does not know.
    """
    from latentjam.models import fast_inference

    with torch.inference_mode():
        out = fast_inference.decode(model, z, temperature=temperature, generator=generator)
        if out is None:
            out = model.decode(
                z, sample=temperature > 0, temperature=max(temperature, 1e-6), generator=generator
            )
    return out
