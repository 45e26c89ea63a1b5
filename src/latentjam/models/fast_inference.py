"""Inference-only fused sampled/greedy decode for the recurrent VAEs (the module's numbers).

`decode(module, z, ...)` runs a `HierarchicalDecoder` free run with the bar embedding's share
of the first layer's input product computed once per bar instead of once per step (for a batch;
one sequence uses the fused GRU cell with that share as its input bias). It uses the module's
own weights, gives its outputs up to float rounding and draws from `generator` exactly as the
module's sampled decode does (tested against the module's `decode`); it returns None for
modules it does not know, so callers fall back to the module.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from latentjam.models.decoder import HierarchicalDecoder
from latentjam.models.heads import DrumHead, MelodyHead


def _gru_step(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor, hidden: int) -> torch.Tensor:
    """GRU gates (order r, z, n as in PyTorch) from input and hidden products (..., 3H)."""
    rz = torch.sigmoid(gi[..., : 2 * hidden] + gh[..., : 2 * hidden])
    n = torch.tanh(torch.addcmul(gi[..., 2 * hidden :], rz[..., :hidden], gh[..., 2 * hidden :]))
    return torch.addcmul(n, rz[..., hidden:], h - n)  # (1 - u) * n + u * h


@torch.inference_mode()
def decode(
    module, z: torch.Tensor, *, temperature: float = 0.0, generator: torch.Generator | None = None
) -> torch.Tensor | None:
    """z (B, Nz) -> (B, T, D): greedy at temperature 0, else sampled at `temperature`.

    The same draws as `module.decode(z, sample=True, temperature=..., generator=...)`: drum hits
    are Bernoulli(sigmoid(logits / temperature)) from one `torch.rand` (B, K) per step, melody
    events one `torch.multinomial` per step. None for decoders or heads it does not know.
    """
    dec = getattr(module, "decoder", None)
    if not isinstance(dec, HierarchicalDecoder) or not isinstance(dec.head, DrumHead | MelodyHead):
        return None
    d = dec.data_dim
    k = d // 3
    drums = isinstance(dec.head, DrumHead)
    sample = temperature > 0
    divisor = max(float(temperature), 1e-6)  # as the heads divide, for the same rounding
    first = dec.layers[0]
    h0 = first.hidden_size
    b = z.shape[0]
    emb = dec.conduct(z)  # (B, bars, Hc)
    # layer 0 reads [previous step (D), bar embedding (Hc)]: the embedding's part of the input
    # product (plus the input bias) is the same at every step of a bar, so it is done per bar
    w_prev = first.weight_ih_l0[:, :d].t()  # (D, 3H)
    w_prev_rows = first.weight_ih_l0[:, :d].contiguous()  # (3H, D)
    single = b == 1
    emb_part = torch.addmm(
        first.bias_ih_l0, emb.reshape(-1, emb.shape[-1]), first.weight_ih_l0[:, d:].t()
    ).reshape(b, dec.bars, -1)  # (B, bars, 3H)
    w_hh0 = first.weight_hh_l0.t()
    upper = [
        (g.weight_ih_l0.t(), g.bias_ih_l0, g.weight_hh_l0.t(), g.bias_hh_l0, g.hidden_size)
        for g in dec.layers[1:]
    ]
    w_out, b_out = dec.to_params.weight.t(), dec.to_params.bias
    prev = z.new_zeros(b, d)
    out = []
    for bar in range(dec.bars):
        states = dec._bar_states(emb[:, bar])  # per layer (B, H_l)
        bias = emb_part[:, bar]  # (B, 3H)
        for _ in range(dec.steps_per_bar):
            if single:  # one sequence: the fused cell, with the bar's share as its input bias
                h = torch.gru_cell(
                    prev, states[0], w_prev_rows, first.weight_hh_l0, bias[0], first.bias_hh_l0
                )
            else:
                h = _gru_step(
                    torch.addmm(bias, prev, w_prev),
                    torch.addmm(first.bias_hh_l0, states[0], w_hh0),
                    states[0],
                    h0,
                )
            states[0] = h
            for i, (w_ih, b_ih, w_hh, b_hh, hidden) in enumerate(upper, start=1):
                if single:
                    gru = dec.layers[i]
                    h = torch.gru_cell(
                        h,
                        states[i],
                        gru.weight_ih_l0,
                        gru.weight_hh_l0,
                        gru.bias_ih_l0,
                        gru.bias_hh_l0,
                    )
                else:
                    h = _gru_step(
                        torch.addmm(b_ih, h, w_ih),
                        torch.addmm(b_hh, states[i], w_hh),
                        states[i],
                        hidden,
                    )
                states[i] = h
            params = torch.addmm(b_out, h, w_out)  # (B, P)
            if drums:
                logits = params[:, :k]
                if sample:
                    p = torch.sigmoid(logits / divisor)
                    hits = (torch.rand(p.shape, generator=generator) < p).to(params.dtype)
                else:
                    hits = (logits > 0).to(params.dtype)
                prev = torch.cat(
                    [
                        hits,
                        torch.sigmoid(params[:, k : 2 * k]) * hits,
                        torch.tanh(params[:, 2 * k :]) * hits,
                    ],
                    dim=-1,
                )
            else:
                if sample:
                    probs = torch.softmax(params / divisor, dim=-1)
                    idx = torch.multinomial(probs, 1, generator=generator)[:, 0]
                else:
                    idx = params.argmax(-1)
                prev = F.one_hot(idx, d).to(params.dtype)
            out.append(prev)
    return torch.stack(out, dim=1)  # (B, T, D)
