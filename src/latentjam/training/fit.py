"""Run (or resume) a training: Lightning trainer, CSV + TensorBoard logs, atomic checkpoints."""

from __future__ import annotations

import contextlib
import logging
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import lightning as L
from torch import nn

from latentjam.errors import LatentjamError
from latentjam.regularizers.objective import Objective
from latentjam.training.checkpoint import LAST, AtomicCheckpoint
from latentjam.training.config import TrainConfig
from latentjam.training.data import ArrayDataModule
from latentjam.training.module import VAETrainingModule

log = logging.getLogger(__name__)


def _step_bar() -> Any:
    """Lightning's progress bar, counting optimiser steps out of max_steps (the batches are an
    endless stream, so its own total would be '?')."""
    from lightning.pytorch.callbacks import TQDMProgressBar

    class StepBar(TQDMProgressBar):
        @property
        def total_train_batches(self) -> int:
            return int(self.trainer.max_steps)

        def _restart(self, trainer: Any) -> None:
            self.train_progress_bar.reset(total=int(trainer.max_steps))
            self.train_progress_bar.n = int(trainer.global_step)  # a resumed run starts there
            self.train_progress_bar.refresh()

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            super().on_train_start(trainer, pl_module)
            self._restart(trainer)

        def on_train_epoch_start(self, trainer: Any, *_: Any) -> None:
            super().on_train_epoch_start(trainer)
            self._restart(trainer)

        def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
            super().on_train_batch_end(trainer, *args, **kwargs)
            self.train_progress_bar.n = int(trainer.global_step)
            self.train_progress_bar.refresh()

    return StepBar()


def checkpoint_path(out_dir: str | Path) -> Path:
    """Where a run directory keeps its resumable checkpoint."""
    return Path(out_dir) / "checkpoints" / LAST


def _strategy(strategy: str, accelerator: str) -> Any:
    if strategy == "ddp" and accelerator == "cpu":
        from lightning.pytorch.strategies import DDPStrategy

        return DDPStrategy(process_group_backend="gloo")
    return strategy


def fit(
    model: nn.Module,
    objective: Objective,
    data: ArrayDataModule,
    train_config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    description: dict[str, Any] | None = None,
    **trainer_options: Any,
) -> Path:
    """Train a VAE with `objective` to `train_config.max_steps` optimiser steps; returns the
    last checkpoint's path. `trainer_options` are those of `fit_module`."""
    module = VAETrainingModule(model, objective, train_config, description)
    return fit_module(module, data, train_config, out_dir, resume=resume, **trainer_options)


def fit_module(
    module: L.LightningModule,
    data: ArrayDataModule,
    train_config: TrainConfig,
    out_dir: str | Path,
    *,
    resume: bool = False,
    devices: int | str = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    accelerator: str = "cpu",
    progress: bool = True,
    max_minutes: float | None = None,
) -> Path:
    """Run any training module (`VAETrainingModule`, `AdversarialTrainingModule`) to
    `train_config.max_steps` optimiser steps; returns the last checkpoint's path.

    `max_minutes` also stops the run after that much wall time (the checkpoint and the step
    reached are kept; `--resume` with a larger budget continues it).
    With `resume=True` the run continues from `out_dir/checkpoints/last.ckpt` (weights,
    optimisers, scheduler, the module's own state such as lambda, step counter).
    A module with manual optimisation clips its own gradients.
    """
    out = Path(out_dir)
    ckpt = checkpoint_path(out)
    if resume and not ckpt.exists():
        raise LatentjamError(f"nothing to resume: {ckpt} does not exist")
    if not resume and ckpt.exists():
        raise LatentjamError(f"{out} already holds a run; pass --resume or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    # each (re)start logs into its own version "run-<k>", so resuming never erases earlier logs
    version = f"run-{len(list((out / 'logs').glob('run-*')))}"
    loggers = [CSVLogger(out, name="logs", version=version)]
    # tensorboard is optional; CSV logs are always written
    with contextlib.suppress(ModuleNotFoundError):
        loggers.append(
            TensorBoardLogger(out, name="tensorboard", version=version, default_hp_metric=False)
        )
    # before the Trainer exists: it prints a cloud-logging advertisement at INFO level
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    has_valid = data.valid is not None
    # a module with manual optimisation (two optimisers) clips its own gradients
    clip = (train_config.grad_clip or None) if module.automatic_optimization else None
    trainer = L.Trainer(
        max_steps=train_config.max_steps,
        max_epochs=-1,
        max_time=None if max_minutes is None else timedelta(minutes=max_minutes),
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=_strategy(strategy, accelerator),
        logger=loggers,
        callbacks=[AtomicCheckpoint(ckpt.parent, train_config.checkpoint_every)]
        + ([_step_bar()] if progress else []),
        enable_checkpointing=False,
        gradient_clip_val=clip,
        val_check_interval=train_config.val_every if has_valid else None,
        check_val_every_n_epoch=None,
        limit_val_batches=train_config.val_batches if has_valid else 0,
        num_sanity_val_steps=0,
        log_every_n_steps=train_config.log_every,
        enable_progress_bar=progress,
        enable_model_summary=False,
        use_distributed_sampler=False,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*infinite.*")
        warnings.filterwarnings("ignore", ".*LeafSpec.*")  # lightning's own use of torch's pytree
        if resume:
            import torch

            step = torch.load(ckpt, map_location="cpu", weights_only=True).get("global_step", 0)
            log.info("resuming %s from step %d of %d", out, step, train_config.max_steps)
        trainer.fit(module, datamodule=data, ckpt_path=str(ckpt) if resume else None)
    return ckpt
