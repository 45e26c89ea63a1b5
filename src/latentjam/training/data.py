"""Lightning data module over windows (N, T, D): a step-indexed, resumable batch order.

The windows are a float32 array, or any object with `__len__`, `shape` and `take(indices) ->
float32 (len, T, D)` (e.g. `latentjam.datasets.stream.CompactWindows`, memory-mapped compact
shards decoded one batch at a time): only one batch is ever decoded per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

# A batch transform: (batch (B, T, D) float32, rng) -> batch of the same shape (augmentation).
Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


class Windows(Protocol):
    """What the data module reads windows from besides a plain array."""

    shape: tuple[int, int, int]

    def __len__(self) -> int: ...

    def take(self, indices: Any) -> np.ndarray:
        """Windows `indices` as a float32 array (len(indices), T, D)."""


def _as_windows(x: Any) -> torch.Tensor | Windows:
    """A dense array -> a float32 tensor; a `take`-able source is kept as it is."""
    if hasattr(x, "take") and not isinstance(x, (np.ndarray, torch.Tensor)):
        return x
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


def _gather(data: torch.Tensor | Windows, indices: list[int]) -> torch.Tensor:
    """Rows `indices` of `data` as a float32 tensor (B, T, D)."""
    if isinstance(data, torch.Tensor):
        return data[indices]
    return torch.from_numpy(np.ascontiguousarray(data.take(indices), dtype=np.float32))


class StepBatchSampler:
    """Infinite batches whose content depends only on (seed, global step, rank).

    The index stream is a concatenation of seeded permutations of range(n); global step s on
    rank r takes positions [(s * world + r) * B, ... + B). `start_step()` is read when iteration
    begins, so a resumed run continues with exactly the batches it would have seen.
    """

    def __init__(
        self,
        n: int,
        batch_size: int,
        *,
        seed: int = 0,
        rank: int = 0,
        world: int = 1,
        start_step: Callable[[], int] = lambda: 0,
    ) -> None:
        if n <= 0:
            raise ValueError("no training examples")
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.rank, self.world, self.start_step = rank, world, start_step
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            if len(self._perms) > 4:
                self._perms.clear()
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.n)
        return self._perms[epoch]

    def batch(self, step: int) -> list[int]:
        """Indices of `step`'s batch on this rank."""
        start = (step * self.world + self.rank) * self.batch_size
        pos = np.arange(start, start + self.batch_size)
        return [int(self._perm(int(p // self.n))[p % self.n]) for p in pos]

    def __iter__(self) -> Iterator[list[int]]:
        step = int(self.start_step())
        while True:
            yield self.batch(step)
            step += 1


class StepBatches(Dataset):
    """Item `step` is that step's whole batch (B, T, D), gathered at once and transformed.

    The transform's generator is seeded from (seed, step, rank), so a resumed run sees exactly
    the augmented batches an uninterrupted one would have seen.
    """

    def __init__(
        self, data: torch.Tensor | Windows, sampler: StepBatchSampler, transform: Transform | None
    ) -> None:
        self.data, self.sampler, self.transform = data, sampler, transform

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, step: int) -> torch.Tensor:
        batch = _gather(self.data, self.sampler.batch(step))  # (B, T, D)
        if self.transform is None:
            return batch
        rng = np.random.default_rng([self.sampler.seed, step, self.sampler.rank, 7])
        return torch.as_tensor(np.asarray(self.transform(batch.numpy(), rng), dtype=np.float32))


class _Steps:
    """Yields [step] lists (one "index" per batch: the global step) from a step sampler."""

    def __init__(self, sampler: StepBatchSampler) -> None:
        self.sampler = sampler

    def __iter__(self) -> Iterator[list[int]]:
        step = int(self.sampler.start_step())
        while True:
            yield [step]
            step += 1


def _unwrap(items: list[torch.Tensor]) -> list[torch.Tensor]:
    return [items[0]]


class _Chunks(Dataset):
    """Validation batches of a `take`-able source: item i is rows [i B, (i + 1) B)."""

    def __init__(self, data: Windows, batch_size: int) -> None:
        self.data, self.batch_size = data, batch_size

    def __len__(self) -> int:
        return -(-len(self.data) // self.batch_size)

    def __getitem__(self, i: int) -> list[torch.Tensor]:
        rows = list(range(i * self.batch_size, min((i + 1) * self.batch_size, len(self.data))))
        return [_gather(self.data, rows)]


class ArrayDataModule(L.LightningDataModule):
    """Train / valid windows (N, T, D) -> resumable infinite train batches, finite valid.

    Either split is a float32 array or a `Windows` source (decoded one batch at a time)."""

    def __init__(
        self,
        train: np.ndarray | Windows,
        valid: np.ndarray | Windows | None = None,
        *,
        batch_size: int = 64,
        seed: int = 0,
        transform: Transform | None = None,
    ) -> None:
        super().__init__()
        self.transform = transform
        if len(train.shape) != 3 or len(train) == 0:
            raise ValueError(
                f"training data must be a non-empty (N, T, D) array, got {train.shape}"
            )
        self.train = _as_windows(train)
        self.valid = None if valid is None or len(valid) == 0 else _as_windows(valid)
        self.batch_size, self.seed = batch_size, seed

    def _global_step(self) -> int:
        return int(self.trainer.global_step) if self.trainer is not None else 0

    def train_dataloader(self) -> DataLoader:
        """Infinite, step-indexed batches for this process."""
        rank = self.trainer.global_rank if self.trainer is not None else 0
        world = self.trainer.world_size if self.trainer is not None else 1
        sampler = StepBatchSampler(
            len(self.train),
            self.batch_size,
            seed=self.seed,
            rank=rank,
            world=world,
            start_step=self._global_step,
        )
        batches = StepBatches(self.train, sampler, self.transform)
        return DataLoader(batches, batch_sampler=_Steps(sampler), collate_fn=_unwrap)

    def val_dataloader(self) -> DataLoader | list:
        """Sequential validation batches (empty when there is no validation data)."""
        if self.valid is None:
            return []
        if not isinstance(self.valid, torch.Tensor):
            return DataLoader(_Chunks(self.valid, self.batch_size), batch_size=None)
        return DataLoader(TensorDataset(self.valid), batch_size=self.batch_size, shuffle=False)
