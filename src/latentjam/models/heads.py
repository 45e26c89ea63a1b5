"""Output heads: turn the bar GRU's per-step outputs into drum hits/velocities/offsets or notes.

A head maps raw decoder outputs `params` (B, T, param_dim) to
- `nll(params, target)` (B, T): reconstruction error per step, summed over the step's features,
- `soft(params)` (B, T, D): a differentiable data-space step (expected values), fed back in the
  soft free-running decode and used as f(z) by the flat-manifold regulariser,
- `probabilities(params)` (B, T, D): what `decode(..., probabilities=True)` returns,
- `choose(params, ...)` (B, T, D): a concrete data step (binary hits / one-hot), fed back when
  generating; its layout is the converters' tensor layout.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class DrumHead(nn.Module):
    """Drum grid: `classes` hit logits (Bernoulli), velocities (sigmoid) and offsets (tanh).

    Data layout per step (converter `DrumGrid`): hits [0, K), velocities [K, 2K), offsets [2K, 3K);
    velocities and offsets are 0 where there is no hit, so the soft output multiplies them by the
    hit probability. `offset_weight` scales the offsets' squared error in `nll` (1: unweighted;
    weighting it 10x or 50x did not make the shipped drum model play later grooves, see
    benchmarks/investigations/drum_timing).
    """

    def __init__(self, *, classes: int = 9, offset_weight: float = 1.0) -> None:
        super().__init__()
        self.classes = classes
        self.offset_weight = float(offset_weight)
        self.data_dim = 3 * classes
        self.param_dim = 3 * classes

    def _split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        k = self.classes
        return (
            params[..., :k],
            torch.sigmoid(params[..., k : 2 * k]),
            torch.tanh(params[..., 2 * k :]),
        )

    def nll(self, params: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Bernoulli NLL of the hits + squared errors of velocities and weighted offsets, (B, T)."""
        k = self.classes
        logits, velocity, offset = self._split(params)
        hits = F.binary_cross_entropy_with_logits(logits, target[..., :k], reduction="none")
        vel = (velocity - target[..., k : 2 * k]) ** 2
        off = (offset - target[..., 2 * k :]) ** 2
        return hits.sum(-1) + vel.sum(-1) + self.offset_weight * off.sum(-1)

    @property
    def continuous_params(self) -> slice:
        """Which entries of a step's params drive the continuous features (velocities, offsets)."""
        return slice(self.classes, 3 * self.classes)

    def continuous_error(self, part: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean squared velocity and offset error at the target's hits, a scalar.

        `part` (..., 2K) is `params[..., continuous_params]`; `target` (..., 3K) the true steps.
        """
        k = self.classes
        hits = (target[..., :k] > 0.5).to(part.dtype)  # (..., K)
        velocity = torch.sigmoid(part[..., :k])
        offset = torch.tanh(part[..., k:])
        err = (velocity - target[..., k : 2 * k]) ** 2 + (offset - target[..., 2 * k :]) ** 2
        return (err * hits).sum() / hits.sum().clamp_min(1.0)

    def probabilities(self, params: torch.Tensor) -> torch.Tensor:
        """Hit probabilities, velocities and offsets, (B, T, 3K)."""
        logits, velocity, offset = self._split(params)
        return torch.cat([torch.sigmoid(logits), velocity, offset], dim=-1)

    def soft(self, params: torch.Tensor) -> torch.Tensor:
        """Expected step: hit probability p, p * velocity, p * offset, (B, T, 3K)."""
        logits, velocity, offset = self._split(params)
        p = torch.sigmoid(logits)
        return torch.cat([p, p * velocity, p * offset], dim=-1)

    def choose(
        self,
        params: torch.Tensor,
        *,
        sample: bool = False,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Binary hits (threshold 0.5, or Bernoulli samples) with their velocities/offsets."""
        logits, velocity, offset = self._split(params)
        if sample:
            p = torch.sigmoid(logits / max(temperature, 1e-6))
            hits = (torch.rand(p.shape, generator=generator, device=p.device) < p).to(p.dtype)
        else:
            hits = (logits > 0).to(logits.dtype)
        return torch.cat([hits, velocity * hits, offset * hits], dim=-1)

    def choose_from_uniform(
        self, params: torch.Tensor, uniform: torch.Tensor, temperature: torch.Tensor
    ) -> torch.Tensor:
        """`choose` with the randomness passed in, for exported graphs: `uniform` (B, >= K)
        in [0, 1), `temperature` a 1-element tensor; greedy where it is 0, otherwise a hit
        where uniform < sigmoid(logit / temperature), as `choose(sample=True)` draws."""
        logits, velocity, offset = self._split(params)
        k = self.classes
        sampled = (uniform[..., :k] < torch.sigmoid(logits / temperature.clamp_min(1e-3))).to(
            logits.dtype
        )
        hits = torch.where(temperature > 0, sampled, (logits > 0).to(logits.dtype))
        return torch.cat([hits, velocity * hits, offset * hits], dim=-1)


class MelodyHead(nn.Module):
    """Monophonic melody: one categorical per step over `classes` events (0 hold, 1 off, notes)."""

    def __init__(self, *, classes: int = 90) -> None:
        super().__init__()
        self.classes = classes
        self.data_dim = classes
        self.param_dim = classes

    def nll(self, params: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy against one-hot targets, (B, T)."""
        return -(F.log_softmax(params, dim=-1) * target).sum(-1)

    def probabilities(self, params: torch.Tensor) -> torch.Tensor:
        """Event probabilities, (B, T, classes)."""
        return torch.softmax(params, dim=-1)

    def soft(self, params: torch.Tensor) -> torch.Tensor:
        """The expected one-hot step: the softmax, (B, T, classes)."""
        return torch.softmax(params, dim=-1)

    def choose(
        self,
        params: torch.Tensor,
        *,
        sample: bool = False,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """One-hot of the most likely event (or a sample at `temperature`), (B, T, classes)."""
        if sample:
            probs = torch.softmax(params / max(temperature, 1e-6), dim=-1)
            flat = probs.reshape(-1, self.classes)  # (B*T, classes)
            idx = torch.multinomial(flat, 1, generator=generator).reshape(params.shape[:-1])
        else:
            idx = params.argmax(-1)
        return F.one_hot(idx, self.classes).to(params.dtype)

    def choose_from_uniform(
        self, params: torch.Tensor, uniform: torch.Tensor, temperature: torch.Tensor
    ) -> torch.Tensor:
        """`choose` with the randomness passed in, for exported graphs: `uniform` (B, classes)
        in [0, 1), `temperature` a 1-element tensor; the most likely event where it is 0,
        otherwise argmax(params / temperature + Gumbel noise), a draw from the same softmax as
        `choose(sample=True)`."""
        u = uniform.clamp(1e-7, 1.0 - 1e-7)
        gumbel = -torch.log(-torch.log(u))
        noisy = params / temperature.clamp_min(1e-3) + gumbel
        idx = torch.where(temperature > 0, noisy, params).argmax(-1)
        return F.one_hot(idx, self.classes).to(params.dtype)


def build_head(kind: str, feature_dim: int, *, offset_weight: float = 1.0) -> nn.Module:
    """The head for a data kind ("drums" or "melody") and its per-step feature size;
    `offset_weight` is the drum head's (melodies have no offsets)."""
    if kind == "drums":
        if feature_dim % 3:
            raise ValueError(f"drum grids have 3 x classes features, got {feature_dim}")
        return DrumHead(classes=feature_dim // 3, offset_weight=offset_weight)
    if kind == "melody":
        return MelodyHead(classes=feature_dim)
    raise ValueError(f"unknown output head {kind!r} (expected 'drums' or 'melody')")
