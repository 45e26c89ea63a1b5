"""Mel filter bank, [0, 1] scaling, and Griffin-Lim inversion."""

from __future__ import annotations

import numpy as np
import torch

from latentjam.audio.griffin_lim import griffin_lim
from latentjam.audio.io import read_audio
from latentjam.audio.mel import MelSpec, hz_to_mel, mel_filterbank, mel_to_hz
from latentjam.audio.metrics import log_spectral_distance, spectral_convergence


def test_mel_scale_inverse():
    f = np.array([0.0, 100.0, 1000.0, 7999.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f)), f, atol=1e-6)


def test_filterbank_shape_and_coverage():
    fb = mel_filterbank(16000, 1024, 64)
    assert fb.shape == (64, 513)
    assert fb.max() <= 1.0 + 1e-6 and np.all(fb.sum(axis=1) > 0)
    centres = fb.argmax(axis=1)
    assert np.all(np.diff(centres) >= 0)  # filters ordered by frequency


def test_scaled_range_and_shape(audio_clips):
    audio, _ = read_audio(audio_clips[0])
    spec = MelSpec()
    mel = spec(audio)
    assert mel.shape == (64, spec.frames(audio.size)) == (64, 251)
    assert float(mel.min()) >= 0.0 and float(mel.max()) <= 1.0
    assert float(mel.max()) > 0.3  # a real piano clip is loud enough to show up


def test_scale_unscale_round_trip():
    spec = MelSpec()
    power = 10.0 ** torch.linspace(-7.9, -0.1, 50)  # inside the 80 dB window
    np.testing.assert_allclose(spec.unscale(spec.scale(power)), power, rtol=1e-4)
    # outside the window the scaling clips to the ends
    assert float(spec.scale(torch.tensor(1e-12))) == 0.0
    assert float(spec.scale(torch.tensor(10.0))) == 1.0


def test_mel_to_magnitude_is_consistent(audio_clips):
    audio, _ = read_audio(audio_clips[0])
    spec = MelSpec()
    mag = spec.magnitude(audio)
    fb = torch.tensor(spec.filterbank())
    mel_power = fb @ mag**2
    est = spec.mel_to_magnitude(mel_power)
    assert est.shape == mag.shape and bool((est >= 0).all())
    rel = (fb @ est**2 - mel_power).norm() / mel_power.norm()
    assert rel < 0.05  # the estimate reproduces the mel energies


def test_griffin_lim_recovers_known_signal():
    sr = 16000
    t = np.arange(sr) / sr
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 660 * t) * (t > 0.5)
    x = x.astype(np.float32)
    window = torch.hann_window(1024)
    mag = torch.stft(torch.from_numpy(x), 1024, 256, window=window, return_complex=True).abs()
    y = griffin_lim(mag, n_fft=1024, hop_length=256, n_iter=32, length=x.size).numpy()
    assert y.shape == x.shape
    assert spectral_convergence(x, y) < 0.15
    noise = np.random.default_rng(0).standard_normal(x.size).astype(np.float32) * 0.1
    assert spectral_convergence(x, noise) > 0.9  # the measure does separate good from bad


def test_invert_real_clip_round_trip(audio_clips):
    audio, _ = read_audio(audio_clips[0])
    spec = MelSpec()
    mel = spec(audio)
    back = spec.invert(mel, length=audio.size)
    assert back.shape == audio.shape and np.isfinite(back).all()
    assert float((spec(back) - mel).abs().mean()) * spec.top_db < 4.0  # dB, mel domain
    assert log_spectral_distance(audio, back) < 12.0
