"""Dense mel VAE: shapes through every layer, the model contract, and learning on real audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from latentjam.audio.io import read_audio, segment
from latentjam.audio.mel import mel_spec_of
from latentjam.models import build_model
from latentjam.models.mel_vae import MelVAE, MelVAEConfig
from latentjam.presets import AUDIO_PRESETS
from latentjam.training import TrainConfig
from latentjam.training.adversarial import evaluate, fit_adversarial

CLIP = Path(__file__).resolve().parent.parent / "fixtures" / "audio" / "bach_bwv66.6_piano_16k.flac"


def real_mels(model: MelVAE, hop: int = 2048) -> torch.Tensor:
    audio, _ = read_audio(CLIP)
    spec = mel_spec_of(model)
    segs = segment(audio, spec.samples(model.config.frames), hop)
    return spec(segs)  # (k, n_mels, frames)


@pytest.mark.parametrize("hidden", [0, 16])
def test_shapes_through_every_layer(hidden):
    m = MelVAE(n_mels=8, frames=5, latent_dim=3, hidden=hidden)
    x = torch.rand(4, 8, 5)
    h = m.encoder_body(x.flatten(1))
    assert h.shape == (4, hidden or 40)
    mu, sigma = m.encode(x)
    assert mu.shape == sigma.shape == (4, 3) and bool((sigma > 0).all())
    assert m.decoder_body(mu).shape == (4, hidden or 3)
    y = m.decode(mu).detach()
    assert y.shape == (4, 8, 5) and float(y.min()) >= 0 and float(y.max()) <= 1
    out = m.losses(x)
    assert {"recon", "kl", "loss"} <= set(out) and all(v.dim() == 0 for v in out.values())
    with pytest.raises(ValueError, match="mel segments"):
        m.encode(torch.rand(4, 5, 8))


def test_blog_preset_has_no_hidden_layer_and_2d_latent():
    m = AUDIO_PRESETS["mel-vae-2d"].build()
    assert isinstance(m.encoder_body, torch.nn.Identity)
    assert m.z_mean.in_features == 64 * 64 and m.z_mean.out_features == 2


def test_build_model_round_trip():
    m = MelVAEConfig(n_mels=8, frames=4, latent_dim=2, hidden=0).build()
    again = build_model(m.config.to_dict())
    assert isinstance(again, MelVAE) and again.config == m.config
    again.load_state_dict(m.state_dict())


def test_training_steps_reduce_loss_on_real_audio(tmp_path):
    model = MelVAE(latent_dim=8, hidden=32)
    x = real_mels(model)
    assert x.shape[0] >= 16
    before = evaluate(model, x)["recon"]
    config = TrainConfig(max_steps=30, batch_size=8, lr=3e-3, lr_decay=1.0, lr_min=3e-3)
    fit_adversarial(model, x, tmp_path / "run", train_config=config)  # its own loss alone
    after = evaluate(model, x)["recon"]
    assert after < 0.9 * before
    assert np.isfinite(after)
