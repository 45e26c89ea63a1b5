"""Refitting the continuous output rows: hits mostly stay, velocity/offset error falls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from latentjam.models import RecurrentVAEConfig, build_model
from latentjam.training.head_refit import greedy_features, refit_continuous_outputs

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "drums_test300.npz"


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    config = RecurrentVAEConfig(
        data="drums",
        feature_dim=27,
        encoder_hidden=(16,),
        conductor_hidden=8,
        decoder_hidden=(12,),
        prior="normal",
        latent_dim=4,
    )
    model = build_model(config.to_dict()).eval()
    with torch.no_grad():  # some hits in the greedy decodes: raise the kick and hi-hat logits
        model.decoder.to_params.bias[[0, 2]] += 3.0
    return model


def _decode_error(model, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Greedy decodes of x's posterior means and their velocity/offset error on shared hits."""
    with torch.no_grad():
        y = model.decode(model.encode(x)[0])
    both = (y[..., :9] > 0.5) & (x[..., :9] > 0.5)
    err = ((y[..., 9:] - x[..., 9:]) ** 2)[torch.cat([both, both], dim=-1)]
    return y, float(err.mean())


def test_refit_keeps_the_hits_and_lowers_the_continuous_error():
    torch.set_num_threads(1)
    x = torch.as_tensor(np.load(FIXTURE)["x"][:120], dtype=torch.float32)  # real drum windows
    model = _model()
    before, error_before = _decode_error(model, x)
    assert (before[..., :9] > 0.5).any()
    errors = refit_continuous_outputs(model, x, rounds=1, steps=200, lr=1e-2)
    after, error_after = _decode_error(model, x)
    hits_before, hits_after = before[..., :9] > 0.5, after[..., :9] > 0.5
    kept = float((hits_before & hits_after).sum()) / float(hits_before.sum())
    assert kept > 0.8, kept  # the hit rows are untouched; only the fed-back values differ
    assert not torch.equal(before[..., 9:], after[..., 9:])
    assert error_after < 0.7 * error_before, (error_before, error_after)
    assert len(errors) == 1 and np.isfinite(errors[0])
    assert model.training is False


def test_greedy_features_are_the_bar_gru_outputs_of_the_decode():
    torch.set_num_threads(1)
    x = torch.as_tensor(np.load(FIXTURE)["x"][:5], dtype=torch.float32)
    model = _model()
    h = greedy_features(model, x, batch=2)  # (N, T, H), batches of 2 joined
    assert h.shape == (5, 32, 12)
    with torch.no_grad():
        _, params = model.decoder.generate(model.encode(x)[0])
        torch.testing.assert_close(model.decoder.to_params(h), params)
