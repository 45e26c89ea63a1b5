"""Model files: save/load round trip (fp16), Lightning checkpoints, shipped models, errors."""

from __future__ import annotations

import pytest
import torch

from latentjam.errors import LatentjamError
from latentjam.models import RecurrentVAE
from latentjam.presets import get_preset
from latentjam.pretrained import list_models, load_model, save_model


def test_save_load_round_trip_fp16(tmp_path):
    model = RecurrentVAE(get_preset("tiny-drums").model)
    meta = {"projection": {"mean": [0.0] * 4, "components": [[1.0, 0, 0, 0]] * 3}, "steps": 3}
    path = save_model(tmp_path / "m.pt", model, metadata=meta)
    loaded = load_model(path)
    assert loaded.metadata == meta and not loaded.training
    for (k, a), b in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert b.dtype == torch.float32, k
        assert torch.allclose(a, b, atol=2e-3, rtol=2e-3), k  # fp16 storage
    full = load_model(save_model(tmp_path / "f.pt", model, half=False))
    x = torch.zeros(2, 32, 27)
    assert torch.equal(full.encode(x)[0], model.encode(x)[0])


def test_unknown_names_and_bad_files_are_user_errors(tmp_path):
    with pytest.raises(LatentjamError, match="unknown model"):
        load_model("no-such-model")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(LatentjamError):
        load_model(bad)


def test_shipped_models_load_and_carry_their_metadata():
    shipped = {m["name"]: m for m in list_models()}
    for name in ("drums", "drums-baseline", "melody", "melody-baseline"):
        if name not in shipped:
            continue
        model = load_model(name)
        meta = model.metadata
        assert len(meta["projection"]["components"]) == 3
        assert set(meta["attributes"]) >= {"density"}
        assert shipped[name]["card"].endswith(".md")
        z = torch.zeros(1, model.config.latent_dim)
        assert model.decode(z).shape == (1, 32, model.config.feature_dim)


def test_every_shipped_model_loads_by_name():
    from latentjam.models.groove import GrooveVAE

    names = [m["name"] for m in list_models()]
    assert "humanize" in names
    for name in names:
        assert isinstance(load_model(name), torch.nn.Module), name
    assert isinstance(load_model("humanize"), GrooveVAE)


class _Custom:
    """A class the safe loader refuses."""


def test_unreadable_files_never_suggest_weights_only_false(tmp_path):
    midi = tmp_path / "song.mid"
    midi.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0")
    pickled = tmp_path / "custom.pt"
    torch.save({"x": _Custom()}, pickled)
    for path in (midi, pickled):
        with pytest.raises(LatentjamError) as info:
            load_model(path)
        text = str(info.value)
        assert str(path) in text and "weights_only" not in text and "\n" not in text
