"""TorchScript export: the saved file alone reproduces the model's encode and greedy decode."""

from __future__ import annotations

import json

import numpy as np
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
    """docs/export.md's Python blocks, on the files `latentjam export` wrote."""
    import re
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    assert main(["export", "--model", "drums", "--out", "drums.ts"]) == 0
    assert main(["export", "--model", "drums", "--format", "onnx", "--out", "drums-onnx"]) == 0
    text = (Path(__file__).resolve().parents[1] / "docs" / "export.md").read_text()
    torchscript, onnx = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scope: dict = {}
    exec(compile(torchscript, "docs/export.md", "exec"), scope)
    groove = scope["groove"]
    assert tuple(groove.shape) == (1, 32, 27)
    assert groove[..., :9].sum() > scope["model"].decode(scope["z"])[..., :9].sum()  # denser
    scope = {}
    exec(compile(onnx, "docs/export.md", "exec"), scope)
    grooves = scope["grooves"]
    assert grooves.shape == (4, 32, 27) and grooves[..., :9].sum(axis=(1, 2)).min() > 0
    assert len({g[..., :9].tobytes() for g in grooves}) > 1  # sampled: not four copies


@pytest.mark.parametrize("name", ["drums", "melody"])
def test_the_onnx_export_decodes_like_the_model_greedy_and_sampled(tmp_path, name):
    """onnxruntime on the exported folder: greedy decodes identical to the model's, encodings
    within 1e-4, and draws at temperature 1 as close to the model's draws for one latent as two
    sets of the model's own draws are."""
    import onnxruntime as ort

    from latentjam.pretrained import load_model

    torch.set_num_threads(1)
    assert main(["export", "--model", name, "--format", "onnx", "--out", str(tmp_path)]) == 0
    info = json.loads((tmp_path / "latentjam.json").read_text())
    assert info["format"] == "latentjam-onnx" and info["kind"] == name
    model = load_model(name)
    steps, dim, nz = info["steps"], info["feature_dim"], info["latent_dim"]
    enc = ort.InferenceSession(str(tmp_path / "encode.onnx"))
    dec = ort.InferenceSession(str(tmp_path / "decode.onnx"))
    gen = torch.Generator().manual_seed(4)
    z = torch.randn(6, nz, generator=gen)
    zero = np.zeros(1, np.float32)
    got = dec.run(None, {"z": z.numpy(), "uniform": np.zeros((6, steps, dim), np.float32),
                         "temperature": zero})[0]  # fmt: skip
    with torch.no_grad():
        want = model.decode(z).numpy()
        mu = model.encode(torch.from_numpy(want))[0].numpy()
    if name == "drums":
        np.testing.assert_array_equal(got[..., :9], want[..., :9])
        np.testing.assert_allclose(got[..., 9:], want[..., 9:], atol=1e-5)
    else:
        np.testing.assert_array_equal(got.argmax(-1), want.argmax(-1))
    np.testing.assert_allclose(enc.run(None, {"x": want})[0], mu, atol=1e-4)
    n = 300
    one = z[:1].expand(n, -1)
    rng = np.random.default_rng(0)
    drawn = dec.run(None, {"z": one.numpy(), "uniform": rng.random((n, steps, dim), np.float32),
                           "temperature": np.ones(1, np.float32)})[0]  # fmt: skip
    with torch.no_grad():
        g = torch.Generator().manual_seed(9)
        a, b = (model.decode(one, sample=True, generator=g).numpy() for _ in range(2))
    cells = slice(0, 9) if name == "drums" else slice(None)

    def distance(p, q):  # mean over steps of the total variation of the per-step marginals
        return float(np.abs(p[..., cells].mean(0) - q[..., cells].mean(0)).sum(-1).mean() / 2)

    assert distance(drawn, a) <= 1.5 * distance(a, b) + 0.01, (distance(drawn, a), distance(a, b))
    greedy = np.repeat(got[:1], n, axis=0)
    assert distance(greedy, a) > 2 * distance(a, b)  # the check tells draws from greedy


@pytest.mark.parametrize("name", ["humanize", "drumify"])
def test_the_groove_models_export_to_onnx(tmp_path, name):
    """humanize (GrooveVAE) and drumify (DrumifyVAE): onnxruntime gives the model's outputs on
    real drum windows, and exporting leaves the model in eval mode (the exporter restores the
    mode of the wrapper it was given: a fresh wrapper would switch dropout back on)."""
    from pathlib import Path

    import onnxruntime as ort

    from latentjam.models.drumify import taps_of
    from latentjam.pretrained import load_model

    torch.set_num_threads(1)
    assert main(["export", "--model", name, "--format", "onnx", "--out", str(tmp_path)]) == 0
    fixture = Path(__file__).parent / "fixtures" / "models" / "drums_test300.npz"
    x = np.load(fixture)["x"][:16]  # (16, 32, 27) real test windows
    pattern = taps_of(x) if name == "drumify" else x[..., :9]
    model = load_model(name)
    with torch.no_grad():
        mu = model.encode(torch.from_numpy(x))[0]
        want = model.decode(torch.from_numpy(pattern), mu)
    enc = ort.InferenceSession(str(tmp_path / "encode.onnx"))
    dec = ort.InferenceSession(str(tmp_path / "decode.onnx"))
    np.testing.assert_allclose(enc.run(None, {"x": x})[0], mu.numpy(), atol=1e-4)
    key = "taps" if name == "drumify" else "hits"
    got = dec.run(None, {key: pattern.astype(np.float32), "z": mu.numpy()})
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.numpy(), atol=1e-4)
    from latentjam.export import export_onnx

    export_onnx(model.eval(), None, tmp_path / "again")
    assert not model.training
