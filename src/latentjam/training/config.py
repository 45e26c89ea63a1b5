"""Optimisation settings of a training run (a frozen dataclass saved in every checkpoint)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """Batch, optimiser and bookkeeping settings; nothing about the data's meaning."""

    batch_size: int = 64
    lr: float = 5e-4  # Adam (paper: 5e-4 with decay)
    lr_decay: float = 0.9998  # multiplicative decay per step ...
    lr_min: float = 1e-5  # ... down to this floor
    warmup_steps: int = 0  # linear learning-rate warm-up from lr / warmup_steps
    max_steps: int = 2000
    grad_clip: float = 1.0
    seed: int = 0
    checkpoint_every: int = 200
    val_every: int = 250
    val_batches: int = 4
    log_every: int = 10

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of `to_dict`."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
