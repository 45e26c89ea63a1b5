"""Audio model operations: checkpoints, reconstruct / interpolate consistency, sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentjam.audio import pipeline
from latentjam.audio.io import read_audio
from latentjam.audio.metrics import spectral_convergence
from latentjam.errors import LatentjamError
from latentjam.models.mel_vae import MelVAE
from latentjam.models.wave_vae import WaveVAE


@pytest.fixture
def clips(audio_clips):
    return [read_audio(p)[0] for p in audio_clips]


@pytest.mark.parametrize("name", ["mel-vae", "wave-tiny"])
def test_shipped_models_load_small_and_fp16(name):
    path = pipeline.pretrained_dir() / f"{name}.pt"
    assert path.stat().st_size < 6_000_000
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "latentjam-model/1" and raw["config"]["kind"] in ("mel_vae", "wave_vae")
    assert all(v.dtype == torch.float16 for v in raw["state_dict"].values())
    model = pipeline.load_audio_model(name)
    assert isinstance(model, MelVAE if name == "mel-vae" else WaveVAE) and not model.training
    assert (pipeline.pretrained_dir() / f"{name}.md").read_text().startswith(f"# {name}")


def test_shared_loader_reads_audio_models():
    from latentjam.pretrained import load_model

    assert isinstance(load_model("wave-tiny"), WaveVAE)


def test_save_load_round_trip(tmp_path):
    model = MelVAE(n_mels=64, frames=64, latent_dim=2, hidden=0)
    path = pipeline.save_model(model, tmp_path / "m.pt", {"note": "x"}, half=False)
    back = pipeline.load_audio_model(path)
    assert back.metadata == {"note": "x"}
    for k, v in model.state_dict().items():
        assert torch.equal(v, back.state_dict()[k])


def test_bad_checkpoints_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nope")
    with pytest.raises(LatentjamError):
        pipeline.load_audio_model(bad)
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(LatentjamError):
        pipeline.load_audio_model(tmp_path / "other.pt")
    with pytest.raises(LatentjamError):
        pipeline.load_audio_model("no-such-model")


@pytest.mark.parametrize("name", ["mel-vae", "wave-tiny"])
def test_interpolation_ends_are_the_reconstructions(clips, name):
    model = pipeline.load_audio_model(name)
    a, b = clips[0][:40000], clips[1]
    ends = pipeline.interpolate(model, a, b, steps=2)
    assert [e.size for e in ends] == [40000, 40000]
    rec_a, mel = pipeline.reconstruct(model, a)
    rec_b, _ = pipeline.reconstruct(model, b[:40000])
    np.testing.assert_allclose(ends[0], rec_a, atol=1e-3)
    np.testing.assert_allclose(ends[1], rec_b, atol=1e-3)
    assert spectral_convergence(rec_a, ends[1]) > 0.3
    assert mel.shape[0] == 64
    assert not np.allclose(ends[0], ends[1], atol=1e-3)


def test_reconstruction_resembles_its_input(clips):
    from latentjam.audio.metrics import multi_resolution_sc

    model = pipeline.load_audio_model("wave-tiny")
    a, b = clips
    rec, _ = pipeline.reconstruct(model, a)
    # closer to its own input than to another piece
    assert multi_resolution_sc(a, rec) < multi_resolution_sc(b, rec)


def test_sample_lengths():
    wave = pipeline.load_audio_model("wave-tiny")
    out = pipeline.sample(wave, 2, seconds=0.5, seed=1)
    assert [x.size for x in out] == [8000, 8000]
    mel = pipeline.load_audio_model("mel-vae")
    out = pipeline.sample(mel, 1)
    assert out[0].size == mel.mel_spec().samples(64)
    with pytest.raises(LatentjamError):
        pipeline.sample(mel, 0)
