"""The two-thread bidirectional encode gives the module's own posterior, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from latentjam.models import batched, build_model  # noqa: E402
from latentjam.models import parallel_encode as pe  # noqa: E402


def _model(encoder_hidden):
    torch.manual_seed(5)
    return build_model(
        {
            "kind": "recurrent_vae",
            "data": "drums",
            "feature_dim": 27,
            "bars": 2,
            "latent_dim": 6,
            "encoder_hidden": list(encoder_hidden),
            "conductor_hidden": 16,
            "decoder_hidden": [20],
            "prior_hidden": [8, 8],
        }
    ).eval()


def _windows(b: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(b)
    hits = (torch.rand(b, 32, 9, generator=g) < 0.3).float()
    return torch.cat([hits, hits * torch.rand(b, 32, 9, generator=g), hits * 0.1], dim=-1)


@pytest.mark.parametrize("hidden", [(24,), (24, 16)])
@pytest.mark.parametrize("b", [1, 7])
def test_parallel_encode_equals_the_module(hidden, b):
    model, x = _model(hidden), _windows(b)
    with torch.inference_mode():
        want_mu, want_sigma = model.encode(x)
    mu, sigma = pe.encode(model, x)
    assert torch.equal(mu, want_mu) and torch.equal(sigma, want_sigma)


def test_parallel_encode_checks_the_shape_and_skips_unknown_modules():
    model = _model((24,))
    with pytest.raises(ValueError, match="expected input"):
        pe.encode(model, torch.zeros(2, 16, 27))
    assert pe.encode(torch.nn.Linear(3, 3), torch.zeros(2, 32, 27)) is None


def test_posterior_is_the_same_on_one_thread_and_on_two(monkeypatch):
    model, x = _model((24,)), _windows(9).numpy()
    monkeypatch.setattr(pe, "worth_it", lambda: False)
    plain = batched.posterior(model, x, batch=4)
    monkeypatch.setattr(pe, "worth_it", lambda: True)
    calls = []
    real = pe.encode
    monkeypatch.setattr(pe, "encode", lambda m, xb: calls.append(len(xb)) or real(m, xb))
    both = batched.posterior(model, x, batch=4)
    assert calls == [4, 4, 1]  # the two-thread path ran, batch by batch
    np.testing.assert_array_equal(both[0], plain[0])
    np.testing.assert_array_equal(both[1], plain[1])


def test_a_forked_child_encodes_with_its_own_thread():
    import multiprocessing

    model, x = _model((24,)), _windows(3)
    want = pe.encode(model, x)[0]  # the parent's backward thread exists now
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        got = pool.apply_async(_encode_mu, (model, x)).get(timeout=60)
    assert torch.equal(got, want)


def _encode_mu(model, x):
    return pe.encode(model, x)[0]
