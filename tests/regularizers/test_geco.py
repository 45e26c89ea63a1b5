"""GECO: lambda rises while the constraint is violated, falls back (to its floor) once it holds."""

from __future__ import annotations

import itertools
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from latentjam.regularizers import GECO, BetaKL, Objective, ObjectiveConfig


def _step(geco: GECO, recon: float) -> float:
    terms = {"recon": torch.tensor(recon), "kl": torch.tensor(0.1)}
    _, logs = geco(terms)
    geco.update(logs)
    return geco.value


def test_lambda_rises_while_violated_and_falls_back_when_met():
    geco = GECO(kappa=0.1, nu=5.0, ema=0.9, lambda_min=1.0, lambda_max=1e4)
    rising = [_step(geco, 0.05) for _ in range(40)]  # C = 0.05 > kappa^2 = 0.01
    assert all(b > a for a, b in itertools.pairwise(rising))
    peak = rising[-1]
    falling = [_step(geco, 0.0) for _ in range(400)]  # constraint met
    assert falling[-1] < peak
    assert falling[-1] == pytest.approx(1.0)  # decays down to the floor, not below
    assert min(falling) >= 1.0


def test_lambda_is_clipped_and_weights_the_constraint():
    geco = GECO(kappa=0.0, nu=100.0, ema=0.0, lambda_max=50.0)
    for _ in range(10):
        _step(geco, 1.0)
    assert geco.value == 50.0
    loss, logs = geco({"recon": torch.tensor(0.3), "kl": torch.tensor(0.2)})
    assert float(loss) == pytest.approx(0.2 + 50.0 * 0.3)
    assert float(logs["lambda"]) == 50.0


def test_state_is_saved_with_the_objective():
    obj = Objective(ObjectiveConfig(kl="geco", kappa=0.1))
    obj.kl_term.lam.fill_(7.0)
    obj.kl_term.constraint_ma.fill_(0.25)
    clone = Objective(ObjectiveConfig(kl="geco", kappa=0.1))
    clone.load_state_dict(obj.state_dict())
    assert clone.kl_term.value == 7.0 and float(clone.kl_term.constraint_ma) == 0.25


def test_beta_free_bits():
    term = BetaKL(beta=0.5, free_bits=0.2)
    loss, _ = term({"recon": torch.tensor(1.0), "kl": torch.tensor(0.1)})
    assert float(loss) == 1.0  # under the free bits: no KL cost
    loss, _ = term({"recon": torch.tensor(1.0), "kl": torch.tensor(0.6)})
    assert float(loss) == pytest.approx(1.0 + 0.5 * 0.4)


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    geco = GECO(kappa=0.1, nu=3.0, ema=0.5)
    for i in range(5):
        _step(geco, 0.02 + 0.1 * rank + 0.01 * i)  # each process sees a different constraint
    torch.save(torch.tensor([geco.value, float(geco.constraint_ma)]), f"{out}/{rank}.pt")
    dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_processes_hold_the_same_lambda(tmp_path):
    port = 29500 + os.getpid() % 1000
    mp.spawn(_worker, args=(2, port, str(tmp_path)), nprocs=2, join=True)
    a, b = torch.load(tmp_path / "0.pt"), torch.load(tmp_path / "1.pt")
    assert torch.equal(a, b)
    single = GECO(kappa=0.1, nu=3.0, ema=0.5)  # the same as one process seeing the mean
    for i in range(5):
        _step(single, 0.02 + 0.05 + 0.01 * i)
    assert float(a[0]) == pytest.approx(single.value, rel=1e-6)
