"""Waveform VAE, STFT losses and STFT discriminator: shapes, contract, learning on real audio."""

from __future__ import annotations

from pathlib import Path

import torch

from latentjam.audio.io import read_audio, segment
from latentjam.models import build_model
from latentjam.models.stft_discriminator import STFTDiscriminator
from latentjam.models.stft_losses import MultiResolutionSTFTLoss
from latentjam.models.wave_vae import DownBlock, ResidualUnit, UpBlock, WaveVAE
from latentjam.presets import AUDIO_PRESETS
from latentjam.training import TrainConfig
from latentjam.training.adversarial import (
    AdversarialConfig,
    evaluate,
    feature_matching_loss,
    fit_adversarial,
    hinge_discriminator_loss,
    hinge_generator_loss,
)
from latentjam.training.fit import checkpoint_path

CLIP = Path(__file__).resolve().parent.parent / "fixtures" / "audio" / "bach_bwv66.6_piano_16k.flac"
SMALL = {
    "strides": (2, 2, 3, 2),
    "channels": (2, 4, 4, 8, 8),
    "latent_channels": 3,
    "fft_sizes": (256, 128, 64),
}


def test_blocks_shapes():
    x = torch.randn(2, 4, 48)
    assert ResidualUnit(4, 9)(x).shape == (2, 4, 48)
    for s in (2, 3, 4, 5, 8):
        down = DownBlock(4, 6, s)(torch.randn(2, 4, 40 * s))
        assert down.shape == (2, 6, 40)
        assert UpBlock(6, 4, s)(down).shape == (2, 4, 40 * s)


def test_shapes_through_encoder_and_decoder():
    m = WaveVAE(**SMALL)
    assert m.hop == 24
    x = torch.randn(2, 100) * 0.1  # not a multiple of the hop: padded to 120
    h = m.enc_in(m.pad(x))
    sizes = []
    for block in m.down:
        h = block(h)
        sizes.append(tuple(h.shape))
    assert sizes == [(2, 4, 60), (2, 4, 30), (2, 8, 10), (2, 8, 5)]
    mu, sigma = m.encode(x)
    assert mu.shape == sigma.shape == (2, 3, 5)
    y = m.decode(mu).detach()
    assert y.shape == (2, 120) and float(y.abs().max()) <= 1
    assert m(x).shape == (2, 100)
    out = m.losses(x)
    assert out["x_hat"].shape == (2, 100)
    assert {"recon", "kl", "loss", "sc", "log_mag"} <= set(out)


def test_tiny_preset_size_and_rate():
    m = AUDIO_PRESETS["wave-tiny"].build()
    n = sum(p.numel() for p in m.parameters())
    assert 0.4e6 < n < 0.8e6
    assert m.hop == 256 and m.config.sample_rate == 16000 and m.config.channels[-1] == 128
    paper = AUDIO_PRESETS["wave-paper-like"]
    assert paper.sample_rate == 24000 and paper.channels[-1] > 128


def test_build_model_round_trip():
    m = WaveVAE(**SMALL)
    again = build_model(m.config.to_dict())
    assert isinstance(again, WaveVAE) and again.config == m.config
    again.load_state_dict(m.state_dict())


def test_stft_loss_zero_for_identical_and_finite_on_silence():
    loss = MultiResolutionSTFTLoss(fft_sizes=(256, 64))
    x = torch.randn(2, 1024)
    same = loss(x, x)
    assert float(same["total"]) < 1e-4
    silent = torch.zeros(2, 1024, requires_grad=True)
    out = loss(silent, torch.zeros(2, 1024))
    out["total"].backward()
    assert torch.isfinite(out["total"]) and torch.isfinite(silent.grad).all()
    assert float(loss(torch.randn(2, 1024), x)["total"]) > 0.5


def test_discriminator_and_adversarial_losses():
    d = STFTDiscriminator(fft_sizes=(128, 64), channels=4, layers=2)
    real, fake = d(torch.randn(3, 512)), d(torch.randn(3, 512) * 0.1)
    assert len(real) == 2
    logits, feats = real[0]
    assert logits.shape[:2] == (3, 1) and len(feats) == 4
    assert float(hinge_discriminator_loss(real, fake)) >= 0
    assert float(hinge_generator_loss(fake)) >= 0
    assert float(feature_matching_loss(real, real)) == 0.0


def test_adversarial_training_reduces_loss_on_real_audio(tmp_path):
    audio, _ = read_audio(CLIP)
    x = segment(audio, 2048, 1024)  # (k, 2048) real piano
    model = WaveVAE(**{**SMALL, "channels": (4, 8, 8, 16, 16)})
    before = evaluate(model, x)["recon"]
    module = fit_adversarial(
        model,
        x,
        tmp_path / "run",
        train_config=TrainConfig(
            max_steps=24, batch_size=8, lr=3e-3, lr_decay=1.0, lr_min=3e-3, log_every=8
        ),
        adversarial=AdversarialConfig(warmup_steps=16),
        discriminator=STFTDiscriminator(fft_sizes=(256, 128), channels=4),
    )
    after = evaluate(model, x)["recon"]
    assert after < 0.9 * before
    history = module.history
    assert "d_loss" in history[-1] and "d_loss" not in history[0]  # discriminator after warm-up
    saved = torch.load(checkpoint_path(tmp_path / "run"), weights_only=True)
    assert saved["global_step"] == 24 and saved["latentjam"]["adversarial"]
    assert not list((tmp_path / "run" / "checkpoints").glob("*.tmp"))
