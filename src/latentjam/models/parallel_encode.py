"""Inference-only bidirectional GRU encoding with the two directions on two threads.

`nn.GRU(bidirectional=True)` runs its forward and backward passes one after the other; each is
one `torch.gru` call that releases the GIL, so with torch at one intra-op thread (the jam) and
a core to spare, the backward pass can run on a second thread beside the forward one. Each
direction is the same kernel on the same weights as inside the bidirectional module, so the
posterior is bit-for-bit the module's (tested); a batch of 32 drum windows encodes ~1.6x faster
on two cores.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn
from torch.nn import functional as F

from latentjam.models.encoder import BiGRUEncoder
from latentjam.models.recurrent_vae import RecurrentVAE

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _backward_thread() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(1, thread_name_prefix="latentjam-encode")
        return _pool


def _forget_pool_after_fork() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()  # a forked child has none of the parent's threads


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def worth_it() -> bool:
    """True when torch runs one intra-op thread and the machine has another core."""
    return torch.get_num_threads() == 1 and (os.cpu_count() or 1) > 1


@torch.inference_mode()
def _direction(gru: nn.GRU, x: torch.Tensor, suffix: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One direction of `gru` (suffix "" forward, "_reverse" backward) over x (B, T, D) in its
    own order -> outputs (B, T, H) and final state (B, H)."""
    weights = [getattr(gru, f"{name}_l0{suffix}") for name in ("weight_ih", "weight_hh")]
    biases = [getattr(gru, f"{name}_l0{suffix}") for name in ("bias_ih", "bias_hh")]
    h0 = torch.zeros(1, x.shape[0], gru.hidden_size, dtype=x.dtype)
    # torch.gru(input, hx, params, has_biases, layers, dropout, train, bidirectional, batch_first)
    out, last = torch.gru(x, h0, weights + biases, True, 1, 0.0, False, False, True)
    return out, last[0]


@torch.inference_mode()
def encode(module: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """x (B, T, D) -> mu, sigma (B, Nz) as `module.encode(x)` gives them, or None for encoders
    it does not know (callers fall back to the module)."""
    if not isinstance(module, RecurrentVAE) or type(module).encode is not RecurrentVAE.encode:
        return None
    enc = module.encoder
    if not isinstance(enc, BiGRUEncoder) or any(gru.num_layers != 1 for gru in enc.layers):
        return None
    module._check(x)
    pool = _backward_thread()
    h, last = x, None
    for gru in enc.layers:
        backward = pool.submit(_direction, gru, h.flip(1), "_reverse")
        out_f, last_f = _direction(gru, h, "")
        out_b, last_b = backward.result()
        h = torch.cat([out_f, out_b.flip(1)], dim=-1)  # (B, T, 2H), as the module's output
        last = (last_f, last_b)
    state = torch.cat(last, dim=-1)  # (B, 2H)
    mu, raw = enc.to_params(state).chunk(2, dim=-1)
    return mu, F.softplus(raw) + enc.sigma_floor
