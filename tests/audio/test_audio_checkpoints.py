"""Audio model checkpoints: the shipped files, both loaders, round trips, bad files."""

from __future__ import annotations

import pytest
import torch

from latentjam.audio import checkpoints
from latentjam.errors import LatentjamError
from latentjam.models.mel_vae import MelVAE
from latentjam.models.wave_vae import WaveVAE


@pytest.mark.parametrize("name", ["mel-vae", "wave-tiny"])
def test_shipped_models_load_small_and_fp16(name):
    path = checkpoints.pretrained_dir() / f"{name}.pt"
    assert path.stat().st_size < 6_000_000
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "latentjam-model/1" and raw["config"]["kind"] in ("mel_vae", "wave_vae")
    assert all(v.dtype == torch.float16 for v in raw["state_dict"].values())
    model = checkpoints.load_audio_model(name)
    assert isinstance(model, MelVAE if name == "mel-vae" else WaveVAE) and not model.training
    assert (checkpoints.pretrained_dir() / f"{name}.md").read_text().startswith(f"# {name}")


def test_shared_loader_reads_audio_models():
    from latentjam.pretrained import load_model

    assert isinstance(load_model("wave-tiny"), WaveVAE)


def test_save_load_round_trip(tmp_path):
    from latentjam.pretrained import save_model

    model = MelVAE(n_mels=64, frames=64, latent_dim=2, hidden=0)
    path = save_model(tmp_path / "m.pt", model, metadata={"note": "x"}, half=False)
    back = checkpoints.load_audio_model(path)
    assert back.metadata == {"note": "x"}
    for k, v in model.state_dict().items():
        assert torch.equal(v, back.state_dict()[k])


def test_bad_checkpoints_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"nope")
    with pytest.raises(LatentjamError):
        checkpoints.load_audio_model(bad)
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(LatentjamError):
        checkpoints.load_audio_model(tmp_path / "other.pt")
    with pytest.raises(LatentjamError):
        checkpoints.load_audio_model("no-such-model")
    with pytest.raises(LatentjamError, match="not an audio model"):
        checkpoints.load_audio_model("drums")
