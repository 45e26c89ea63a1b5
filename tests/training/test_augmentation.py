"""Training-batch transforms: seeded by step, so augmented runs resume exactly."""

from __future__ import annotations

import numpy as np
import torch

from latentjam.convert.melody import FIRST_NOTE_ON, random_transpose
from latentjam.training.data import ArrayDataModule


def _melodies(n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(1)
    codes = rng.integers(FIRST_NOTE_ON + 30, FIRST_NOTE_ON + 50, (n, 32))
    codes[:, ::3] = 0  # holds
    x = np.zeros((n, 32, 90), np.float32)
    np.put_along_axis(x, codes[..., None], 1.0, axis=-1)
    return x


def test_random_transpose_moves_whole_windows_and_keeps_rhythm():
    x = _melodies()
    y = random_transpose(x, np.random.default_rng(0))
    assert y.shape == x.shape and np.allclose(y.sum(-1), 1.0)
    a, b = x.argmax(-1), y.argmax(-1)
    assert np.array_equal(a < FIRST_NOTE_ON, b < FIRST_NOTE_ON)  # holds / offs stay put
    shifts = [set((b[i] - a[i])[a[i] >= FIRST_NOTE_ON].tolist()) for i in range(len(x))]
    assert all(len(s) == 1 for s in shifts)  # one shift per window
    assert len({s.pop() for s in shifts}) > 1  # ... drawn per window


def test_random_transpose_never_leaves_the_keyboard():
    x = np.zeros((4, 32, 90), np.float32)
    x[:, :, 89] = 1.0  # the top key: only shifts <= 0 fit
    y = random_transpose(x, np.random.default_rng(3), shifts=(1, 2, 3))
    assert np.array_equal(y, x)


def _batches(module: ArrayDataModule, start: int, count: int) -> list[torch.Tensor]:
    module.trainer = None
    loader = module.train_dataloader()
    loader.batch_sampler.sampler.start_step = lambda: start
    it = iter(loader)
    return [next(it)[0] for _ in range(count)]


def test_transformed_batches_depend_only_on_seed_and_step():
    x = _melodies(40)
    module = ArrayDataModule(x, batch_size=8, seed=5, transform=random_transpose)
    plain = ArrayDataModule(x, batch_size=8, seed=5)
    run = _batches(module, 0, 4)
    resumed = _batches(module, 2, 2)
    assert torch.equal(run[2], resumed[0]) and torch.equal(run[3], resumed[1])
    raw = _batches(plain, 0, 4)
    assert not all(torch.equal(a, b) for a, b in zip(run, raw, strict=True))  # it did transform
    assert all(torch.equal(a.sum((1, 2)), b.sum((1, 2))) for a, b in zip(run, raw, strict=True))
