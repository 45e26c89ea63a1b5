"""The fused inference decode gives the module's own decode numbers and draws."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from latentjam.models import build_model  # noqa: E402
from latentjam.models import fast_inference as fi  # noqa: E402


def _model(kind: str, decoder_hidden=(20,)):
    torch.manual_seed(3)
    dim = 27 if kind == "drums" else 90
    model = build_model(
        {
            "kind": "recurrent_vae",
            "data": kind,
            "feature_dim": dim,
            "bars": 2,
            "latent_dim": 6,
            "encoder_hidden": [24],
            "conductor_hidden": 16,
            "decoder_hidden": list(decoder_hidden),
            "prior_hidden": [8, 8],
        }
    )
    with torch.no_grad():  # an untrained model decodes near 0.5: spread the weights out
        for p in model.parameters():
            p.mul_(3.0)
    return model.eval()


def _data(kind: str, b: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(b)
    if kind == "drums":
        hits = (torch.rand(b, 32, 9, generator=g) < 0.3).float()
        return torch.cat(
            [
                hits,
                torch.rand(b, 32, 9, generator=g) * hits,
                (torch.rand(b, 32, 9, generator=g) - 0.5) * hits,
            ],
            dim=-1,
        )
    idx = torch.randint(0, 90, (b, 32), generator=g)
    return torch.nn.functional.one_hot(idx, 90).float()


@pytest.mark.parametrize("kind", ["drums", "melody"])
@pytest.mark.parametrize("hidden", [(20,), (20, 12)])
@pytest.mark.parametrize("b", [1, 6])
@pytest.mark.parametrize("temperature", [0.0, 0.7])
def test_decode_matches_the_module(kind, hidden, b, temperature):
    model = _model(kind, decoder_hidden=hidden)
    with torch.inference_mode():
        z = model.encode(_data(kind, b))[0] + torch.randn(
            b, 6, generator=torch.Generator().manual_seed(1)
        )
        ref = model.decode(
            z,
            sample=temperature > 0,
            temperature=max(temperature, 1e-3),
            generator=torch.Generator().manual_seed(9),
        )
        out = fi.decode(
            model, z, temperature=temperature, generator=torch.Generator().manual_seed(9)
        )
    assert out.shape == ref.shape == (b, 32, 27 if kind == "drums" else 90)
    if kind == "drums":  # same hits (same draws); velocities and offsets up to float rounding
        assert torch.equal(out[..., :9], ref[..., :9])
        assert 0 < ref[..., :9].mean() < 1
    else:
        assert torch.equal(out, ref)
        assert len(set(ref.argmax(-1).flatten().tolist())) > 3
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_unknown_modules_fall_back():
    assert fi.decode(torch.nn.Linear(2, 2), torch.zeros(1, 2)) is None
