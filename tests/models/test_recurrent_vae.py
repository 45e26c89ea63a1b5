"""RecurrentVAE: shapes, the three decoder paths agree, configs round-trip through build_model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from latentjam.errors import LatentjamError
from latentjam.models import REGISTRY, RecurrentVAEConfig, build_model
from latentjam.models.decoder import gru_cell

SMALL = {
    "encoder_hidden": (12, 10),
    "conductor_hidden": 8,
    "decoder_hidden": (10, 9),
    "prior_hidden": (8,),
    "latent_dim": 5,
}


def _model(data: str = "drums", prior: str = "vhp") -> nn.Module:
    dim = 27 if data == "drums" else 90
    return build_model(
        RecurrentVAEConfig(data=data, feature_dim=dim, prior=prior, **SMALL).to_dict()
    )


def _drums(b: int = 3) -> torch.Tensor:
    x = torch.zeros(b, 32, 27)
    x[..., :9] = (torch.rand(b, 32, 9) < 0.2).float()
    x[..., 9:18] = x[..., :9] * torch.rand(b, 32, 9)
    x[..., 18:] = x[..., :9] * (torch.rand(b, 32, 9) * 2 - 1)
    return x


def test_gru_cell_matches_nn_gru():
    gru = nn.GRU(4, 6, batch_first=True)
    x, h = torch.randn(3, 1, 4), torch.randn(1, 3, 6)
    _, ref = gru(x, h)
    assert torch.allclose(gru_cell(gru, x[:, 0], h[0]), ref[0], atol=1e-6)


@pytest.mark.parametrize("data", ["drums", "melody"])
@pytest.mark.parametrize("prior", ["normal", "vhp"])
def test_contract_shapes_and_losses(data, prior):
    model = _model(data, prior)
    x = (
        _drums()
        if data == "drums"
        else nn.functional.one_hot(torch.randint(0, 90, (3, 32)), 90).float()
    )
    mu, sigma = model.encode(x)
    assert mu.shape == sigma.shape == (3, 5) and bool((sigma > 0).all())
    out = model.decode(mu)
    assert out.shape == x.shape
    terms = model.losses(x)
    assert terms["recon"].ndim == 0 and terms["kl"].ndim == 0 and terms["z"].shape == (3, 5)
    (terms["recon"] + terms["kl"]).backward()
    assert model.encoder.to_params.weight.grad is not None
    if data == "melody":
        assert torch.equal(out.sum(-1), torch.ones(3, 32))  # one-hot per step
    else:
        assert set(out[..., :9].unique().tolist()) <= {0.0, 1.0}
        assert bool(((out[..., 9:18] > 0) <= (out[..., :9] > 0)).all())  # velocity only on hits


def test_free_run_fed_the_truth_equals_teacher_forcing():
    """Generation and training share the network: fed the truth, free run == teacher forcing."""
    model = _model("drums")
    x = _drums(2)
    z = torch.randn(2, 5)
    forced = model.decoder.teacher_forced(z, x)
    steps = iter(x.unbind(1))
    free, _ = model.decoder.free_run(z, lambda params: next(steps))
    assert torch.allclose(forced, free, atol=1e-5)


def test_each_bar_starts_from_previous_bar_output():
    model = _model("melody")
    z = torch.randn(2, 5)
    seen = []

    def feedback(params):
        step = model.decoder.head.choose(params)
        seen.append(step)
        return step

    params, steps = model.decoder.free_run(z, feedback)
    assert torch.equal(steps, torch.stack(seen, 1))
    # the first step of bar 2 depends on bar 1's last output: change it and bar 2 changes
    seen2 = []

    def altered(params):
        step = model.decoder.head.choose(params)
        if len(seen2) == 15:
            step = torch.roll(step, 7, dims=-1)
        seen2.append(step)
        return step

    params2, _ = model.decoder.free_run(z, altered)
    assert torch.allclose(params[:, :16], params2[:, :16])
    assert not torch.allclose(params[:, 16], params2[:, 16])


def test_soft_decode_is_what_the_binarised_decode_sees():
    """f(z) for the flat regulariser: with a confident head it equals the generated sequence."""
    model = _model("drums")
    with torch.no_grad():
        model.decoder.to_params.weight.mul_(1000.0)
        model.decoder.to_params.bias.mul_(1000.0)
    z = torch.randn(4, 5)
    soft = model.decoder.soft_decode(z)
    hard = model.decode(z)
    # (a random net has a few logits near 0 whatever the scale, so allow a handful of cells)
    assert ((soft[..., :9] > 0.5).float() != hard[..., :9]).float().mean() < 0.02  # same hits
    assert (soft - hard).abs().mean() < 0.01  # ... and nearly the same values
    assert model.metric_output(z).shape == (4, 32 * 27)


def test_config_round_trip_and_registry():
    model = _model("drums", "vhp")
    clone = build_model(model.config.to_dict())
    clone.load_state_dict(model.state_dict())
    x = _drums(2)
    assert torch.equal(model.encode(x)[0], clone.encode(x)[0])
    assert {"bar_vae", "mel_vae", "wave_vae", "recurrent_vae"} <= set(REGISTRY)
    with pytest.raises(LatentjamError):
        build_model({"kind": "no-such-model"})
    with pytest.raises(ValueError, match="unknown RecurrentVAE config keys"):
        RecurrentVAEConfig.from_dict({"kind": "recurrent_vae", "bogus": 1})


def test_wrong_input_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="expected input"):
        _model().encode(torch.zeros(2, 16, 27))


def test_offset_weight_scales_only_the_offsets_share_of_the_reconstruction():
    torch.manual_seed(0)
    x = _drums(2)
    plain = _model("drums", "normal")
    config = RecurrentVAEConfig(data="drums", prior="normal", offset_weight=10.0, **SMALL)
    weighted = build_model(config.to_dict())
    weighted.load_state_dict(plain.state_dict())
    params = torch.randn(2, 32, 27)
    base = plain.decoder.head.nll(params, x)  # (B, T)
    off_err = ((torch.tanh(params[..., 18:]) - x[..., 18:]) ** 2).sum(-1)  # (B, T)
    torch.testing.assert_close(weighted.decoder.head.nll(params, x), base + 9.0 * off_err)
    assert weighted.config.offset_weight == build_model(config.to_dict()).config.offset_weight
