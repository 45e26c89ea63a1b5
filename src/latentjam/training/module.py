"""Lightning module: any VAE with `losses(x)` + an Objective; logs every term and lambda."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import nn

from latentjam.regularizers.objective import Objective
from latentjam.training.config import TrainConfig

PROGRESS_KEYS = ("loss", "recon", "kl", "lambda", "flat")


def lr_factor(cfg: TrainConfig) -> Callable[[int], float]:
    """Step -> learning-rate multiplier: linear warm-up over `warmup_steps`, then
    `lr_decay ** step`, never below `lr_min / lr`."""
    floor = cfg.lr_min / cfg.lr
    warmup = max(0, int(cfg.warmup_steps))

    def factor(step: int) -> float:
        ramp = min(1.0, (step + 1) / warmup) if warmup else 1.0
        return ramp * max(cfg.lr_decay**step, floor)

    return factor


def seed_step(seed: int, step: int, rank: int) -> None:
    """Seed torch for one training step from (seed, step, rank), so a resumed run repeats it."""
    torch.manual_seed((seed * 1_000_003 + step * 7919 + rank) % 2**62)


class VAETrainingModule(L.LightningModule):
    """Trains `model` with `objective`; knows nothing about what the arrays mean.

    Randomness inside a step (posterior samples, mixup, probes) is seeded from (seed, global
    step, rank), so a resumed run repeats exactly what an uninterrupted one would have done.
    """

    def __init__(
        self,
        model: nn.Module,
        objective: Objective,
        train_config: TrainConfig,
        description: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.objective = objective
        self.train_config = train_config
        self.description = dict(description or {})

    def _seed_step(self) -> None:
        seed_step(self.train_config.seed, int(self.global_step), int(self.global_rank))

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        """One objective evaluation, then the constraint multiplier's update."""
        (x,) = batch
        self._seed_step()
        loss, logs = self.objective(self.model, x, int(self.global_step))
        self.objective.update(logs)
        scalars = {f"train/{k}": v.float() for k, v in logs.items()}
        self.log_dict(scalars, on_step=True, on_epoch=False, batch_size=x.shape[0])
        shown = {k: logs[k].float() for k in PROGRESS_KEYS if k in logs}
        self.log_dict(shown, prog_bar=True, logger=False, on_step=True, batch_size=x.shape[0])
        return loss

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        """Reconstruction and KL terms on held-out data."""
        (x,) = batch
        terms = self.model.losses(x)
        logs = {f"val/{k}": v.detach().float() for k, v in terms.items() if v.ndim == 0}
        self.log_dict(logs, on_epoch=True, sync_dist=True, batch_size=x.shape[0])

    def configure_optimizers(self) -> dict[str, Any]:
        """Adam with a linear warm-up and per-step exponential learning-rate decay to a floor."""
        cfg = self.train_config
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(params, lr=cfg.lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(cfg))
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Store configs, data description and the multiplier state next to the weights."""
        extra: dict[str, Any] = {
            "model_config": self.model.config.to_dict() if hasattr(self.model, "config") else {},
            "objective_config": self.objective.config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "data": self.description,
        }
        kl_term = self.objective.kl_term
        if hasattr(kl_term, "lam"):
            extra["lambda"] = float(kl_term.lam)
            extra["constraint_ma"] = float(kl_term.constraint_ma)
        checkpoint["latentjam"] = extra
