"""Training at any scale (Lightning): data module over arrays, module, atomic checkpoints, fit()."""

from latentjam.training.config import TrainConfig

__all__ = ["TrainConfig"]
