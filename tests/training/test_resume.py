"""A run stopped at step k and resumed ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentjam.errors import LatentjamError
from latentjam.models import RecurrentVAE
from latentjam.presets import get_preset
from latentjam.regularizers import Objective
from latentjam.training import TrainConfig
from latentjam.training.data import ArrayDataModule, StepBatchSampler
from latentjam.training.fit import checkpoint_path, fit


def _data() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = (rng.random((40, 32, 27)) < 0.1).astype(np.float32)
    x[:, :, 9:18] *= rng.random((40, 32, 9)).astype(np.float32)
    return x


def _run(out, steps: int, resume: bool = False) -> tuple[RecurrentVAE, Objective]:
    preset = get_preset("tiny-drums")
    cfg = TrainConfig.from_dict(
        {**preset.train.to_dict(), "max_steps": steps, "checkpoint_every": 2}
    )
    torch.manual_seed(cfg.seed)
    model = RecurrentVAE(preset.model)
    objective = Objective(preset.objective)
    data = ArrayDataModule(_data(), _data()[:8], batch_size=cfg.batch_size, seed=cfg.seed)
    fit(model, objective, data, cfg, out, resume=resume, progress=False)
    return model, objective


def test_resumed_run_equals_uninterrupted(tmp_path):
    full, full_obj = _run(tmp_path / "full", 6)
    _run(tmp_path / "split", 3)
    saved = torch.load(checkpoint_path(tmp_path / "split"), weights_only=True)
    assert saved["global_step"] == 3
    assert "lambda" in saved["latentjam"] and "constraint_ma" in saved["latentjam"]
    resumed, resumed_obj = _run(tmp_path / "split", 6, resume=True)
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert float(full_obj.kl_term.lam) == float(resumed_obj.kl_term.lam)
    assert float(full_obj.kl_term.lam) != 1.0  # lambda did move, so the comparison means something
    assert not list((tmp_path / "split" / "checkpoints").glob("*.tmp"))


def test_resume_without_checkpoint_and_overwrite_are_user_errors(tmp_path):
    with pytest.raises(LatentjamError):
        _run(tmp_path / "none", 2, resume=True)
    _run(tmp_path / "once", 2)
    with pytest.raises(LatentjamError):
        _run(tmp_path / "once", 2)


def test_batches_depend_only_on_step_and_rank():
    a = StepBatchSampler(10, 4, seed=3, rank=0, world=2)
    b = StepBatchSampler(10, 4, seed=3, rank=1, world=2, start_step=lambda: 5)
    it = iter(b)
    assert next(it) == StepBatchSampler(10, 4, seed=3, rank=1, world=2).batch(5)
    seen = a.batch(0) + StepBatchSampler(10, 4, seed=3, rank=1, world=2).batch(0)
    assert len(set(seen)) == 8  # the two ranks take disjoint parts of one permutation
