"""Generator/discriminator training as one LightningModule (the audio VAEs' trainer).

The generator is any nn.Module whose `losses(x)` returns a dict of tensors with a scalar "loss"
(and, when a discriminator is used, its output "x_hat": the batch x (B, ...) reconstructed, with
x.reshape(x_hat.shape) valid). The discriminator maps a batch to a list of (logits, feature
maps), one per scale. After `warmup_steps` generator-only steps (or `warmup_seconds`) the
discriminator is trained with the hinge loss and the generator gets
`adv_weight * hinge adversarial loss + fm_weight * feature matching`. Nothing here knows about
audio or music. It runs through `latentjam.training.fit.fit_module` like every other training:
atomic checkpoints holding both models and both optimisers, exact resume, CSV logs, DDP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import nn

from latentjam.training.config import TrainConfig
from latentjam.training.module import lr_factor, seed_step


@dataclass(frozen=True)
class AdversarialConfig:
    """The discriminator's settings; the generator's (lr, batch, steps, clipping) are the
    run's `TrainConfig`."""

    lr_discriminator: float = 1e-4
    warmup_steps: int = 500  # generator-only steps before the discriminator joins
    warmup_seconds: float | None = None  # ... or this much wall-clock time, whichever is first
    adv_weight: float = 0.1
    fm_weight: float = 1.0
    betas: tuple[float, float] = (0.8, 0.99)  # Adam's, for both networks


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


class AdversarialTrainingModule(L.LightningModule):
    """Trains `model` on its own loss, joined by `discriminator` after the warm-up.

    Manual optimisation: per step one discriminator update (after the warm-up) and one
    generator update; the step counter counts generator updates only, so `max_steps`, the
    batch order and the checkpoints are in generator steps. Randomness inside a step is seeded
    from (seed, step, rank). `history` holds the mean of every scalar term over each
    `log_every` steps (kept in the checkpoint, so a resumed run continues it).
    """

    def __init__(
        self,
        model: nn.Module,
        train_config: TrainConfig,
        adversarial: AdversarialConfig = AdversarialConfig(),
        discriminator: nn.Module | None = None,
        description: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.model = model
        self.discriminator = discriminator
        self.train_config = train_config
        self.adversarial = adversarial
        self.description = dict(description or {})
        self.joined = False
        self.history: list[dict[str, float]] = []
        self._running: dict[str, list[float]] = {}
        self._started = time.monotonic()

    def on_train_start(self) -> None:
        """The wall-clock warm-up counts from here (and again from a resume)."""
        self._started = time.monotonic()

    def _join(self, step: int) -> bool:
        cfg = self.adversarial
        late = (
            cfg.warmup_seconds is not None and time.monotonic() - self._started > cfg.warmup_seconds
        )
        self.joined = self.joined or step > cfg.warmup_steps or late
        return self.discriminator is not None and self.joined

    def _clip(self, optimizer: Any) -> None:
        if self.train_config.grad_clip:
            self.clip_gradients(
                optimizer,
                gradient_clip_val=self.train_config.grad_clip,
                gradient_clip_algorithm="norm",
            )

    def _discriminator_step(self, optimizer: Any, x: torch.Tensor, x_hat: torch.Tensor):
        """One hinge update of the discriminator on detached output; returns its loss."""
        d_loss = hinge_discriminator_loss(self.discriminator(x), self.discriminator(x_hat.detach()))
        optimizer.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        self._clip(optimizer)
        optimizer.optimizer.step()  # the unwrapped optimiser: only generator steps are counted
        return d_loss.detach()

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        """Discriminator update (after the warm-up), then the generator's."""
        (x,) = batch
        step = int(self.global_step) + 1  # this step's number, counting from 1
        seed_step(self.train_config.seed, step, int(self.global_rank))
        optimizers = self.optimizers()
        opt_g = optimizers[0] if isinstance(optimizers, list) else optimizers
        out = self.model.losses(x)
        loss = out["loss"]
        if self._join(step):
            x_hat = out["x_hat"]
            real = x.reshape(x_hat.shape)
            d_loss = self._discriminator_step(optimizers[1], real, x_hat)
            real_out, fake_out = self.discriminator(real), self.discriminator(x_hat)
            g_adv = hinge_generator_loss(fake_out)
            fm = feature_matching_loss(real_out, fake_out)
            loss = loss + self.adversarial.adv_weight * g_adv + self.adversarial.fm_weight * fm
            out = {**out, "d_loss": d_loss, "g_adv": g_adv.detach(), "fm": fm.detach()}
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step}: {float(loss.detach())}")
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        self._clip(opt_g)
        opt_g.step()
        self.lr_schedulers().step()
        scalars = {k: v.detach().float() for k, v in out.items() if v.dim() == 0}
        scalars["objective"] = loss.detach().float()
        self._record(step, scalars)
        self.log_dict(
            {f"train/{k}": v for k, v in scalars.items()},
            on_step=True,
            on_epoch=False,
            batch_size=x.shape[0],
        )
        self.log("loss", scalars["objective"], prog_bar=True, logger=False, on_step=True)

    def _record(self, step: int, scalars: dict[str, torch.Tensor]) -> None:
        for k, v in scalars.items():
            self._running.setdefault(k, []).append(float(v))
        if step % self.train_config.log_every == 0 or step == self.train_config.max_steps:
            entry = {"step": step, "seconds": round(time.monotonic() - self._started, 1)}
            entry.update({k: float(np.mean(v)) for k, v in self._running.items()})
            self.history.append(entry)
            self._running = {}

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        """The generator's scalar terms on held-out data."""
        (x,) = batch
        terms = self.model.losses(x)
        logs = {f"val/{k}": v.detach().float() for k, v in terms.items() if v.ndim == 0}
        self.log_dict(logs, on_epoch=True, sync_dist=True, batch_size=x.shape[0])

    def configure_optimizers(self) -> tuple[list, list]:
        """Adam for the generator (the run's lr and schedule) and, with a discriminator, Adam
        for it at `lr_discriminator`."""
        cfg, adv = self.train_config, self.adversarial
        opt_g = torch.optim.Adam(self.model.parameters(), lr=cfg.lr, betas=adv.betas)
        optimizers = [opt_g]
        if self.discriminator is not None:
            optimizers.append(
                torch.optim.Adam(
                    self.discriminator.parameters(), lr=adv.lr_discriminator, betas=adv.betas
                )
            )
        scheduler = torch.optim.lr_scheduler.LambdaLR(opt_g, lr_factor(cfg))
        return optimizers, [scheduler]

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Configs, data description, whether the discriminator has joined, the history."""
        checkpoint["latentjam"] = {
            "model_config": self.model.config.to_dict() if hasattr(self.model, "config") else {},
            "train_config": self.train_config.to_dict(),
            "data": self.description,
            "adversarial": self.joined,
            "history": self.history,
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the join flag and the history of a resumed run."""
        saved = checkpoint.get("latentjam", {})
        self.joined = bool(saved.get("adversarial", False))
        self.history = list(saved.get("history", []))


def fit_adversarial(
    generator: nn.Module,
    data,
    out_dir: str | Path,
    *,
    train_config: TrainConfig,
    adversarial: AdversarialConfig = AdversarialConfig(),
    discriminator: nn.Module | None = None,
    valid=None,
    resume: bool = False,
    max_minutes: float | None = None,
    progress: bool = False,
    description: dict[str, Any] | None = None,
) -> AdversarialTrainingModule:
    """Train `generator` on `data` (N, ...) (and `valid`) in run folder `out_dir` through
    `fit_module`; returns the trained module (its `history`). Data of shape (N, n) is given
    to the generator as (B, 1, n)."""
    from latentjam.training.data import ArrayDataModule
    from latentjam.training.fit import fit_module

    def windows(a):
        a = np.asarray(a, dtype=np.float32)
        return a[:, None, :] if a.ndim == 2 else a  # (N, n) -> (N, 1, n)

    module = AdversarialTrainingModule(
        generator, train_config, adversarial, discriminator, description
    )
    datamodule = ArrayDataModule(
        windows(data),
        None if valid is None else windows(valid),
        batch_size=train_config.batch_size,
        seed=train_config.seed,
    )
    fit_module(
        module,
        datamodule,
        train_config,
        out_dir,
        resume=resume,
        progress=progress,
        max_minutes=max_minutes,
    )
    return module
