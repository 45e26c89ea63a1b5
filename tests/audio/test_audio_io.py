"""Audio file I/O, resampling and segmenting."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.audio.io import read_audio, resample, segment, to_mono, write_audio
from latentjam.errors import LatentjamError


def test_read_real_clip(audio_clips):
    audio, sr = read_audio(audio_clips[0])
    assert sr == 16000 and audio.shape == (64000,) and audio.dtype == np.float32
    assert 0.9 < np.abs(audio).max() <= 0.96  # peak-normalised piano, not silent


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg"])
def test_write_read_round_trip(tmp_path, audio_clips, suffix):
    audio, sr = read_audio(audio_clips[0])
    path = write_audio(tmp_path / f"x{suffix}", audio, sr)
    back, sr2 = read_audio(path)
    assert sr2 == sr and back.shape[0] >= audio.shape[0] - 1
    tol = 0.05 if suffix == ".ogg" else 1e-4  # Vorbis is lossy
    n = audio.shape[0]
    if suffix != ".ogg":
        np.testing.assert_allclose(back[:n], audio, atol=tol)
    assert not list(tmp_path.glob("*.tmp"))


def test_write_rejects_nan_and_bad_suffix(tmp_path):
    with pytest.raises(LatentjamError):
        write_audio(tmp_path / "x.wav", np.array([0.0, np.nan]), 16000)
    with pytest.raises(LatentjamError):
        write_audio(tmp_path / "x.mp3", np.zeros(10), 16000)
    assert not (tmp_path / "x.wav").exists()


def test_read_bad_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(LatentjamError):
        read_audio(bad)
    with pytest.raises(LatentjamError):
        read_audio(tmp_path / "missing.wav")


def test_resample_keeps_a_sine():
    sr, f = 48000, 440.0
    t = np.arange(sr) / sr
    x = np.sin(2 * np.pi * f * t).astype(np.float32)
    y = resample(x, sr, 16000)
    assert y.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    assert abs(np.argmax(spectrum) * 16000 / y.size - f) < 2.0


def test_resample_real_clip_file_rate(tmp_path, audio_clips):
    audio, _ = read_audio(audio_clips[0])
    write_audio(tmp_path / "a.wav", audio, 16000)
    up, sr = read_audio(tmp_path / "a.wav", sample_rate=24000)
    assert sr == 24000 and up.shape == (96000,)


def test_segment_shapes():
    x = np.arange(10, dtype=np.float32)
    assert segment(x, 4).shape == (2, 4)
    assert segment(x, 4, hop=2).shape == (4, 4)
    padded = segment(x, 4, pad=True)
    assert padded.shape == (3, 4) and padded[-1, -1] == 0 and padded[-1, 1] == 9
    assert segment(x, 20).shape == (0, 20)
    with pytest.raises(LatentjamError):
        segment(x, 0)


def test_to_mono():
    stereo = np.stack([np.ones(5), -np.ones(5) * 0.5], axis=1)
    np.testing.assert_allclose(to_mono(stereo), 0.25)
