"""TorchScript export: the saved file alone reproduces the model's encode and greedy decode."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from latentjam.api import converter_for  # noqa: E402
from latentjam.cli import main  # noqa: E402
from latentjam.export import export_torchscript  # noqa: E402
from latentjam.models import build_model  # noqa: E402


def tiny(kind: str):
    torch.manual_seed(0)
    return build_model(
        {
            "kind": "recurrent_vae",
            "data": kind,
            "feature_dim": 27 if kind == "drums" else 90,
            "latent_dim": 6,
            "encoder_hidden": [16],
            "conductor_hidden": 16,
            "decoder_hidden": [16],
            "prior_hidden": [8, 8],
        }
    ).eval()


@pytest.mark.parametrize("kind", ["drums", "melody"])
def test_the_file_alone_encodes_and_decodes_like_the_model(tmp_path, kind):
    model = tiny(kind)
    path = export_torchscript(model, converter_for(model), tmp_path / f"{kind}.ts")
    extra = {"latentjam.json": ""}
    loaded = torch.jit.load(str(path), _extra_files=extra)
    info = json.loads(extra["latentjam.json"])
    assert (info["kind"], info["steps"], info["latent_dim"]) == (kind, 32, 6)
    gen = torch.Generator().manual_seed(1)
    x = (torch.rand(7, 32, info["feature_dim"], generator=gen) < 0.1).float()  # another batch
    torch.testing.assert_close(loaded.encode(x), model.encode(x)[0])
    z = torch.randn(4, 6, generator=gen)
    assert torch.equal(loaded.decode(z), model.decode(z)) and torch.equal(
        loaded(z), loaded.decode(z)
    )


@pytest.mark.slow
def test_the_export_command_on_the_shipped_drum_model(tmp_path, capsys):
    out = tmp_path / "drums.ts"
    assert main(["export", "--model", "drums", "--out", str(out)]) == 0
    assert "encode (B, T, D)" in capsys.readouterr().out
    extra = {"latentjam.json": ""}
    loaded = torch.jit.load(str(out), _extra_files=extra)
    info = json.loads(extra["latentjam.json"])
    assert info["layout"]["output_pitches"][0] == 36 and "density" in info["attributes"]
    x = torch.zeros(1, 32, 27)
    x[0, ::4, 0], x[0, ::4, 9] = 1.0, 0.8  # four-on-the-floor kicks
    back = loaded.decode(loaded.encode(x))
    assert back[0, ::4, 0].sum() >= 6  # the shipped model hears its kicks


@pytest.mark.slow
def test_the_docs_example_runs_as_written(tmp_path, monkeypatch):
    """docs/export.md's Python block, on a file `latentjam export` wrote."""
    import re
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    assert main(["export", "--model", "drums", "--out", "drums.ts"]) == 0
    text = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scope: dict = {}
    exec(compile(block, "docs/export.md", "exec"), scope)
    groove = scope["groove"]
    assert tuple(groove.shape) == (1, 32, 27)
    assert groove[..., :9].sum() > scope["model"].decode(scope["z"])[..., :9].sum()  # denser
