"""A small generic training loop for a generator with an optional adversarial discriminator.

The generator is any nn.Module whose `losses(x)` returns a dict of tensors with a scalar "loss"
(and, when a discriminator is used, its output "x_hat" shaped like x). The discriminator maps a
batch to a list of (logits, feature maps), one per scale. After `warmup_steps` generator-only
steps (or `warmup_seconds`) the discriminator is trained with the hinge loss and the generator gets
`adv_weight * hinge adversarial loss + fm_weight * feature matching`. Nothing here knows about
audio or music. Checkpoints are written atomically (tmp file + os.replace) and hold both models,
both optimisers and the step; `train(..., resume=True)` continues from one exactly: the batch of
step s and the randomness inside it depend only on (seed, s).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from latentjam.atomic import atomic_path


@dataclass(frozen=True)
class AdversarialConfig:
    """Optimisation settings of `train`."""

    max_steps: int = 1000
    batch_size: int = 16
    lr: float = 1e-3
    lr_discriminator: float = 1e-4
    warmup_steps: int = 500  # generator-only steps before the discriminator joins
    warmup_seconds: float | None = None  # ... or this much wall-clock time, whichever is first
    adv_weight: float = 0.1
    fm_weight: float = 1.0
    grad_clip: float = 5.0
    log_every: int = 50
    checkpoint_every: int = 0  # 0: only at the end
    max_seconds: float | None = None  # wall-clock budget; stops early when exceeded
    seed: int = 0


def hinge_discriminator_loss(real_outputs, fake_outputs) -> torch.Tensor:
    """mean relu(1 - D(real)) + mean relu(1 + D(fake)), averaged over scales."""
    total = 0.0
    for (real, _), (fake, _) in zip(real_outputs, fake_outputs, strict=True):
        total = total + torch.relu(1 - real).mean() + torch.relu(1 + fake).mean()
    return total / len(real_outputs)


def hinge_generator_loss(fake_outputs) -> torch.Tensor:
    """mean relu(1 - D(fake)), averaged over scales."""
    return sum(torch.relu(1 - fake).mean() for fake, _ in fake_outputs) / len(fake_outputs)


def feature_matching_loss(real_outputs, fake_outputs) -> torch.Tensor:
    """Mean over layers of |f_real - f_fake| / mean |f_real| (real features detached)."""
    terms = []
    for (_, real_feats), (_, fake_feats) in zip(real_outputs, fake_outputs, strict=True):
        for r, f in zip(real_feats, fake_feats, strict=True):
            r = r.detach()
            terms.append((r - f).abs().mean() / r.abs().mean().clamp(min=1e-5))
    return sum(terms) / len(terms)


def save_checkpoint(path: str | os.PathLike, payload: dict) -> Path:
    """torch.save to a temporary file beside `path`, then os.replace onto it."""
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Rows of step `step`'s batch (steps count from 1): consecutive slices of seeded
    permutations of range(n), one permutation per pass, whole batches only."""
    per_pass = n // batch_size
    epoch, k = divmod(step - 1, per_pass)
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return order[k * batch_size : (k + 1) * batch_size]


@torch.no_grad()
def evaluate(generator: nn.Module, data, batch_size: int = 64) -> dict[str, float]:
    """Mean of every scalar entry of `losses` over `data` (array or tensor; eval mode)."""
    data = torch.as_tensor(np.asarray(data, dtype=np.float32))
    was_training = generator.training
    generator.eval()
    sums: dict[str, float] = {}
    count = 0
    for i in range(0, data.shape[0], batch_size):
        batch = data[i : i + batch_size]
        out = generator.losses(batch)
        for k, v in out.items():
            if v.dim() == 0:
                sums[k] = sums.get(k, 0.0) + float(v) * batch.shape[0]
        count += batch.shape[0]
    generator.train(was_training)
    return {k: v / max(count, 1) for k, v in sums.items()}


def train(
    generator: nn.Module,
    data,
    *,
    config: AdversarialConfig = AdversarialConfig(),
    discriminator: nn.Module | None = None,
    valid=None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_extra: Callable[[], dict] | None = None,
    log: Callable[[str], None] | None = print,
    resume: bool = False,
) -> list[dict]:
    """Train `generator` on `data` (array/tensor (N, ...)); returns the logged history.

    `valid` (optional, same layout) is evaluated at each log step. `checkpoint` is a .pt path
    written atomically at `checkpoint_every` steps and at the end, holding the generator and
    discriminator state dicts, both optimisers, the step, whether the discriminator has
    joined, the history and `checkpoint_extra()`. With `resume=True` and an existing
    `checkpoint`, training continues from it (a run killed after a checkpoint and resumed ends
    exactly like an uninterrupted one, when the discriminator joins by steps).
    """
    torch.manual_seed(config.seed)
    data = torch.as_tensor(np.asarray(data, dtype=np.float32))
    if data.shape[0] < config.batch_size:
        raise ValueError(
            f"need at least batch_size={config.batch_size} examples, got {data.shape[0]}"
        )
    valid = None if valid is None else torch.as_tensor(np.asarray(valid, dtype=np.float32))
    opt_g = torch.optim.Adam(generator.parameters(), lr=config.lr, betas=(0.8, 0.99))
    opt_d = (
        torch.optim.Adam(discriminator.parameters(), lr=config.lr_discriminator, betas=(0.8, 0.99))
        if discriminator is not None
        else None
    )
    generator.train()
    history: list[dict] = []
    running: dict[str, list[float]] = {}
    start = time.monotonic()
    first, joined = 1, False
    if resume and checkpoint is not None and Path(checkpoint).is_file():
        saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
        generator.load_state_dict(saved["generator"])
        if "opt_generator" in saved:
            opt_g.load_state_dict(saved["opt_generator"])
        if discriminator is not None and "discriminator" in saved:
            discriminator.load_state_dict(saved["discriminator"])
            if "opt_discriminator" in saved:
                opt_d.load_state_dict(saved["opt_discriminator"])
        history = list(saved.get("history", []))
        first, joined = int(saved["step"]) + 1, bool(saved.get("adversarial", False))
        if log is not None:
            log(f"resuming at step {first} of {config.max_steps}")

    def write(step: int) -> None:
        if checkpoint is None:
            return
        payload = {
            "generator": generator.state_dict(),
            "opt_generator": opt_g.state_dict(),
            "step": step,
            "adversarial": joined,
            "history": history,
            "train_config": asdict(config),
        }
        if discriminator is not None:
            payload["discriminator"] = discriminator.state_dict()
            payload["opt_discriminator"] = opt_d.state_dict()
        if checkpoint_extra is not None:
            payload.update(checkpoint_extra())
        save_checkpoint(checkpoint, payload)

    step = first - 1
    for step in range(first, config.max_steps + 1):
        x = data[torch.from_numpy(batch_indices(len(data), config.batch_size, config.seed, step))]
        torch.manual_seed((config.seed * 1_000_003 + step * 7919) % 2**62)  # this step's noise
        out = generator.losses(x)
        loss = out["loss"]
        joined = (
            joined
            or step > config.warmup_steps
            or (
                config.warmup_seconds is not None
                and time.monotonic() - start > config.warmup_seconds
            )
        )
        adversarial = discriminator is not None and joined
        if adversarial:
            x_hat = out["x_hat"]
            # Discriminator step on detached output.
            d_loss = hinge_discriminator_loss(discriminator(x), discriminator(x_hat.detach()))
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            nn.utils.clip_grad_norm_(discriminator.parameters(), config.grad_clip)
            opt_d.step()
            real_out, fake_out = discriminator(x), discriminator(x_hat)
            g_adv = hinge_generator_loss(fake_out)
            fm = feature_matching_loss(real_out, fake_out)
            loss = loss + config.adv_weight * g_adv + config.fm_weight * fm
            out = {**out, "d_loss": d_loss.detach(), "g_adv": g_adv.detach(), "fm": fm.detach()}
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step}: {float(loss)}")
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(generator.parameters(), config.grad_clip)
        opt_g.step()
        for k, v in out.items():
            if v.dim() == 0:
                running.setdefault(k, []).append(float(v.detach()))
        running.setdefault("objective", []).append(float(loss.detach()))
        out_of_time = (
            config.max_seconds is not None and time.monotonic() - start > config.max_seconds
        )
        if step % config.log_every == 0 or step == config.max_steps or out_of_time:
            entry = {"step": step, "seconds": round(time.monotonic() - start, 1)}
            entry.update({k: float(np.mean(v)) for k, v in running.items()})
            if valid is not None:
                entry.update({f"valid_{k}": v for k, v in evaluate(generator, valid).items()})
            history.append(entry)
            running = {}
            if log is not None:
                log(
                    " ".join(
                        f"{k}={v:.4g}" if isinstance(v, float) and not math.isnan(v) else f"{k}={v}"
                        for k, v in entry.items()
                    )
                )
        if config.checkpoint_every and step % config.checkpoint_every == 0:
            write(step)
        if out_of_time:
            break
    write(step)
    generator.eval()
    return history
