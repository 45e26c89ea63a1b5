"""Atomic checkpoints: write `<name>.tmp`, then os.replace, so a kill never leaves a torn file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import lightning as L

LAST = "last.ckpt"


def atomic_save(trainer: L.Trainer, path: Path) -> None:
    """Save the trainer's full state to `path` atomically (collective under DDP).

    Not `latentjam.atomic`: every rank calls save_checkpoint with the same temporary name (a
    collective), so it cannot be a unique one; rank 0 alone renames it.
    """
    tmp = path.with_name(path.name + ".tmp")
    trainer.save_checkpoint(tmp)
    if trainer.is_global_zero:
        os.replace(tmp, path)
    trainer.strategy.barrier("latentjam_atomic_checkpoint")


class AtomicCheckpoint(L.Callback):
    """Writes `dirpath/last.ckpt` every `every` optimiser steps and when training ends."""

    def __init__(self, dirpath: str | Path, every: int) -> None:
        super().__init__()
        self.dirpath = Path(dirpath)
        self.every = max(1, int(every))
        self._saved_at = -1

    @property
    def last(self) -> Path:
        """Path of the most recent checkpoint."""
        return self.dirpath / LAST

    def _save(self, trainer: L.Trainer) -> None:
        if trainer.global_step == self._saved_at:
            return
        self.dirpath.mkdir(parents=True, exist_ok=True)
        atomic_save(trainer, self.last)
        self._saved_at = trainer.global_step

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any, **kwargs: Any) -> None:
        """Periodic save."""
        if trainer.global_step % self.every == 0:
            self._save(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Final save."""
        self._save(trainer)
