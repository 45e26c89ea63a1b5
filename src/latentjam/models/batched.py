"""Posteriors of numpy windows in batches, without gradients: the one encode path that the
API, the jam, improvise and the evaluation share."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

BATCH = 512


def posterior(
    model: nn.Module, x: np.ndarray, *, batch: int = BATCH
) -> tuple[np.ndarray, np.ndarray]:
    """Windows x (n, T, D) -> posterior mean and standard deviation, each (n, Nz) float32."""
    x = np.asarray(x, dtype=np.float32)
    mus, sigmas = [], []
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            mu, sigma = model.encode(torch.from_numpy(x[i : i + batch]))
            mus.append(mu.float().numpy())
            sigmas.append(sigma.float().numpy())
    if not mus:
        nz = int(getattr(model, "latent_dim", 0))
        return np.zeros((0, nz), np.float32), np.zeros((0, nz), np.float32)
    return np.concatenate(mus), np.concatenate(sigmas)
