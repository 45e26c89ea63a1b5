"""The generator/discriminator loop (the audio VAEs' trainer) resumes exactly after a kill."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from latentjam.training.adversarial import AdversarialConfig, batch_indices, train


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


def _run(tmp_path, name, steps, fail_at=None, resume=False, models=None):
    torch.manual_seed(0)
    gen, disc = models or (Toy(), ToyCritic())
    gen.fail_at, gen.calls = fail_at, 0
    data = torch.linspace(-1, 1, 40 * 16).reshape(40, 16)
    cfg = AdversarialConfig(
        max_steps=steps, batch_size=8, warmup_steps=3, checkpoint_every=2, log_every=2, seed=5
    )
    train(
        gen,
        data,
        config=cfg,
        discriminator=disc,
        checkpoint=tmp_path / name,
        log=None,
        resume=resume,
    )
    return gen, disc


def test_an_interrupted_adversarial_run_resumes_exactly(tmp_path):
    full_g, full_d = _run(tmp_path, "full.pt", 9)
    with pytest.raises(Killed):
        _run(tmp_path, "cut.pt", 9, fail_at=6)  # dies in step 6; step 4 was checkpointed
    saved = torch.load(tmp_path / "cut.pt", weights_only=True)
    assert saved["step"] == 4 and saved["adversarial"] and "opt_discriminator" in saved
    g, d = _run(tmp_path, "cut.pt", 9, resume=True, models=(Toy(), ToyCritic()))
    for a, b in ((full_g, g), (full_d, d)):
        for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
            assert torch.equal(va, vb), k


def test_batches_cover_each_pass_and_depend_only_on_seed_and_step():
    rows = [batch_indices(40, 8, 5, s) for s in range(1, 6)]  # one pass
    assert sorted(int(i) for r in rows for i in r) == list(range(40))
    assert (batch_indices(40, 8, 5, 7) == batch_indices(40, 8, 5, 7)).all()
    assert not (batch_indices(40, 8, 5, 6) == batch_indices(40, 8, 5, 1)).all()
