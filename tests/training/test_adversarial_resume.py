"""The generator/discriminator module (the audio VAEs' trainer) resumes exactly after a kill."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from latentjam.training import TrainConfig
from latentjam.training.adversarial import AdversarialConfig, fit_adversarial
from latentjam.training.fit import checkpoint_path


class Killed(BaseException):
    """Stands in for the process being killed (nothing catches it)."""


class Toy(nn.Module):
    """A tiny noisy autoencoder with the generator contract: losses(x) -> loss, x_hat."""

    def __init__(self) -> None:
        super().__init__()
        self.enc, self.dec = nn.Linear(16, 4), nn.Linear(4, 16)
        self.fail_at: int | None = None
        self.calls = 0

    def losses(self, x):
        self.calls += 1
        if self.fail_at is not None and self.calls == self.fail_at:
            raise Killed
        x = x.reshape(x.shape[0], -1)  # (B, 1, 16) -> (B, 16)
        z = self.enc(x) + 0.1 * torch.randn(x.shape[0], 4)
        x_hat = self.dec(z)
        return {"loss": ((x_hat - x) ** 2).mean(), "x_hat": x_hat}


class ToyCritic(nn.Module):
    """One scale: (logits, [features])."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Linear(16, 8), nn.Linear(8, 1)

    def forward(self, x):
        h = torch.relu(self.a(x))
        return [(self.b(h), [h])]


DATA = torch.linspace(-1, 1, 40 * 16).reshape(40, 16).numpy()


def _run(out, steps, fail_at=None, resume=False):
    torch.manual_seed(0)
    gen, disc = Toy(), ToyCritic()
    gen.fail_at = fail_at
    cfg = TrainConfig(
        batch_size=8,
        lr=1e-2,
        lr_decay=1.0,
        lr_min=1e-2,
        max_steps=steps,
        checkpoint_every=2,
        log_every=2,
        seed=5,
    )
    module = fit_adversarial(
        gen,
        DATA,
        out,
        train_config=cfg,
        adversarial=AdversarialConfig(warmup_steps=3, lr_discriminator=1e-2),
        discriminator=disc,
        resume=resume,
    )
    return gen, disc, module


def test_an_interrupted_adversarial_run_resumes_exactly(tmp_path):
    full_g, full_d, full = _run(tmp_path / "full", 9)
    with pytest.raises(Killed):
        _run(tmp_path / "cut", 9, fail_at=6)  # dies in step 6; step 4 was checkpointed
    saved = torch.load(checkpoint_path(tmp_path / "cut"), weights_only=True)
    assert saved["global_step"] == 4  # generator steps: the discriminator's are not counted
    assert saved["latentjam"]["adversarial"] and len(saved["optimizer_states"]) == 2
    g, d, resumed = _run(tmp_path / "cut", 9, resume=True)
    for a, b in ((full_g, g), (full_d, d)):
        for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(va, vb), k
    assert [e["step"] for e in resumed.history] == [2, 4, 6, 8, 9]
    assert resumed.history[-1]["loss"] == full.history[-1]["loss"]


def test_the_discriminator_joins_after_the_warm_up(tmp_path):
    _, disc, module = _run(tmp_path / "run", 6)
    assert "d_loss" not in module.history[0] and "d_loss" in module.history[-1]
    torch.manual_seed(0)
    Toy()
    before = ToyCritic()  # the critic's initial weights in `_run`
    moved = any(
        not torch.equal(a, b)
        for a, b in zip(before.state_dict().values(), disc.state_dict().values(), strict=True)
    )
    assert moved  # the discriminator was trained


def test_a_non_finite_loss_stops_the_run(tmp_path):
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def losses(self, x):
            return {"loss": self.w * float("nan")}

    with pytest.raises(FloatingPointError):
        fit_adversarial(
            Bad(),
            DATA,
            tmp_path / "bad",
            train_config=TrainConfig(batch_size=2, max_steps=2),
        )
