"""Refit the decoder's output rows for continuous features on the model's own greedy decodes.

The reconstruction loss trains velocities and offsets with the true previous step fed back
(teacher forcing), but the model is used free-running: greedy decode from the posterior mean,
its own hits fed back. This step freezes everything, decodes the training windows that way,
keeps the bar GRU's outputs h (N, T, H) and refits only the rows of the last linear layer that
the head names as continuous (`head.continuous_params`), minimising `head.continuous_error`
against the true steps. The discrete choices (hits, notes) come from other rows, but the
fed-back steps carry the refitted values, so later hidden states (and, rarely, choices) move:
each round redoes the decodes before fitting again.
"""

from __future__ import annotations

import torch
from torch import nn


def greedy_features(model: nn.Module, x: torch.Tensor, *, batch: int = 512) -> torch.Tensor:
    """Bar-GRU outputs (N, T, H) of greedy decodes of x's posterior means; x (N, T, D)."""
    decoder = model.decoder
    taken: list[torch.Tensor] = []
    hook = decoder.to_params.register_forward_hook(lambda mod, inp, out: taken.append(inp[0]))
    chunks = []
    try:
        with torch.no_grad():
            for i in range(0, len(x), batch):
                taken.clear()
                decoder.generate(model.encode(x[i : i + batch])[0])
                chunks.append(torch.stack(taken, dim=1))  # T steps of (b, H) -> (b, T, H)
    finally:
        hook.remove()
    return torch.cat(chunks)


def refit_continuous_outputs(
    model: nn.Module,
    x: torch.Tensor,
    *,
    rounds: int = 2,
    steps: int = 300,
    lr: float = 3e-3,
) -> list[float]:
    """Refit the continuous rows of `model.decoder.to_params` on windows x (N, T, D), in place.

    Returns the fitted error after each round (the head's `continuous_error` on x).
    """
    decoder = model.decoder
    head = decoder.head
    rows = head.continuous_params
    layer = decoder.to_params
    was_training = model.training
    model.eval()
    errors = []
    for _ in range(rounds):
        h = greedy_features(model, x)  # (N, T, H)
        weight = layer.weight[rows].detach().clone().requires_grad_(True)  # (R, H)
        bias = layer.bias[rows].detach().clone().requires_grad_(True)  # (R,)
        opt = torch.optim.Adam([weight, bias], lr=lr)
        for _ in range(steps):
            loss = head.continuous_error(h @ weight.T + bias, x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            layer.weight[rows] = weight
            layer.bias[rows] = bias
            errors.append(float(head.continuous_error(h @ weight.T + bias, x)))
    model.train(was_training)
    return errors
