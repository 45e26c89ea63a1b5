"""Hierarchical decoder: z -> conductor GRU (one step per bar) -> bar GRU (one step per 16th).

Three ways to run it, all with the same weights:
- `teacher_forced(z, x)`: training; every step sees the previous *true* step, so all bars run
  in parallel as one batch of B * bars sequences.
- `generate(z, ...)`: autoregressive; each step sees the previous *chosen* output (binary hits,
  one-hot notes), and each bar starts from the previous bar's last output.
- `soft_decode(z)`: free-running like `generate` but feeding back the head's differentiable
  expected step, so the output is a smooth function f(z) (used by the flat-manifold regulariser).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def gru_cell(gru: nn.GRU, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """One step of a single-layer `nn.GRU` written out: x (B, In), h (B, H) -> new h (B, H).

    Uses the module's own weights (gate order r, z, n as in PyTorch), so it matches `gru(x)`
    exactly while supporting forward-mode and higher-order autodiff step by step.
    """
    gi = nn.functional.linear(x, gru.weight_ih_l0, gru.bias_ih_l0)  # (B, 3H)
    gh = nn.functional.linear(h, gru.weight_hh_l0, gru.bias_hh_l0)  # (B, 3H)
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    u = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - u) * n + u * h


class HierarchicalDecoder(nn.Module):
    """MusicVAE-style two-level GRU decoder with a pluggable output head."""

    def __init__(
        self,
        *,
        latent_dim: int,
        head: nn.Module,
        bars: int,
        steps_per_bar: int,
        conductor_hidden: int,
        hidden: tuple[int, ...],
    ) -> None:
        super().__init__()
        if not hidden:
            raise ValueError("the bar decoder needs at least one GRU layer")
        self.head = head
        self.bars = bars
        self.steps_per_bar = steps_per_bar
        self.hidden = tuple(hidden)
        self.data_dim = head.data_dim
        self.z_to_conductor = nn.Linear(latent_dim, conductor_hidden)
        self.conductor = nn.GRU(1, conductor_hidden, batch_first=True)  # inputs are zeros
        self.conductor_to_state = nn.Linear(conductor_hidden, sum(self.hidden))
        self.layers = nn.ModuleList()
        size = head.data_dim + conductor_hidden
        for width in self.hidden:
            self.layers.append(nn.GRU(size, width, batch_first=True))
            size = width
        self.to_params = nn.Linear(self.hidden[-1], head.param_dim)

    @property
    def steps(self) -> int:
        """Sequence length T = bars * steps_per_bar."""
        return self.bars * self.steps_per_bar

    def conduct(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, Nz) -> one embedding per bar (B, bars, Hc).

        Written out step by step (one step per bar) rather than through `nn.GRU`, so the
        flat regulariser's double backward never meets cuDNN's RNN, which has none.
        """
        h = torch.tanh(self.z_to_conductor(z))  # (B, Hc)
        zeros = z.new_zeros(z.shape[0], 1)
        out = []
        for _ in range(self.bars):
            h = gru_cell(self.conductor, zeros, h)
            out.append(h)
        return torch.stack(out, dim=1)

    def _bar_states(self, emb: torch.Tensor) -> list[torch.Tensor]:
        """Bar embeddings (N, Hc) -> initial state of each bar-GRU layer, each (N, H_l)."""
        return list(torch.tanh(self.conductor_to_state(emb)).split(self.hidden, dim=-1))

    def teacher_forced(
        self, z: torch.Tensor, x: torch.Tensor, *, input_dropout: float = 0.0
    ) -> torch.Tensor:
        """Head parameters (B, T, P), every step fed the previous true step of x (B, T, D).

        `input_dropout` zeroes that share of the fed-back steps (word dropout, Bowman et al.
        2016), so the decoder has to take what it cannot see from z.
        """
        b, t, d = x.shape
        if t != self.steps:
            raise ValueError(f"expected {self.steps} steps, got {t}")
        emb = self.conduct(z)  # (B, bars, Hc)
        prev = torch.cat([x.new_zeros(b, 1, d), x[:, :-1]], dim=1)  # (B, T, D), shifted by one
        if input_dropout > 0:
            keep = torch.rand(b, t, 1, device=x.device) >= input_dropout  # (B, T, 1)
            prev = prev * keep.to(prev.dtype)
        prev = prev.reshape(b * self.bars, self.steps_per_bar, d)  # (B*bars, S, D)
        flat_emb = emb.reshape(b * self.bars, -1)  # (B*bars, Hc)
        inp = torch.cat([prev, flat_emb.unsqueeze(1).expand(-1, self.steps_per_bar, -1)], dim=-1)
        for gru, h0 in zip(self.layers, self._bar_states(flat_emb), strict=True):
            inp, _ = gru(inp, h0.unsqueeze(0).contiguous())
        return self.to_params(inp).reshape(b, t, -1)  # (B*bars, S, P) -> (B, T, P)

    def free_run(
        self, z: torch.Tensor, feedback: Callable[[torch.Tensor], torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Autoregressive run: returns head params (B, T, P) and fed-back steps (B, T, D).

        `feedback(params (B, P)) -> step (B, D)` decides what the next step sees; the first step
        of the piece sees zeros and each later bar starts from the previous bar's last output.
        """
        emb = self.conduct(z)  # (B, bars, Hc)
        prev = z.new_zeros(z.shape[0], self.data_dim)
        params_out, steps_out = [], []
        for bar in range(self.bars):
            states = self._bar_states(emb[:, bar])
            for _ in range(self.steps_per_bar):
                inp = torch.cat([prev, emb[:, bar]], dim=-1)
                for i, gru in enumerate(self.layers):
                    states[i] = gru_cell(gru, inp, states[i])
                    inp = states[i]
                params = self.to_params(inp)  # (B, P)
                prev = feedback(params)
                params_out.append(params)
                steps_out.append(prev)
        return torch.stack(params_out, dim=1), torch.stack(steps_out, dim=1)

    def soft_decode(self, z: torch.Tensor) -> torch.Tensor:
        """Differentiable free-running output f(z): expected steps fed back, (B, T, D)."""
        return self.free_run(z, self.head.soft)[1]

    def generate(
        self,
        z: torch.Tensor,
        *,
        sample: bool = False,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Chosen steps (B, T, D) and the head parameters that produced them (B, T, P)."""

        def choose(params: torch.Tensor) -> torch.Tensor:
            return self.head.choose(
                params, sample=sample, temperature=temperature, generator=generator
            )

        params, steps = self.free_run(z, choose)
        return steps, params
