"""Export of a sequence VAE for other hosts: TorchScript (C++ or Python loaders) or ONNX
(onnxruntime, onnxruntime-web), no latentjam needed to run it.

The saved module has two methods, with tensor shapes fixed by the model's converter:

- `encode(x)`: windows x (B, T, D) float32 -> posterior means mu (B, Nz);
- `decode(z)`: latents z (B, Nz) -> windows (B, T, D), the greedy decode (drums: 0/1 hits,
  velocities 0..1, offsets -1..1 half-steps; melodies: one-hot events);
- `forward(z)` is `decode(z)`.

`latentjam.json` (an extra file in the archive) says what the tensors mean: kind, T, D, Nz,
the converter, the drum classes and their output pitches or the melody event layout, the
attribute vectors and the 3-D projection shipped with the model.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from latentjam.atomic import atomic_write_bytes
from latentjam.errors import LatentjamError


class _Encode(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x)[0]


class _Decode(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


class _DecodeWithNoise(nn.Module):
    """z (B, Nz), uniform (B, T, D) in [0, 1), temperature (1,) -> windows (B, T, D): greedy at
    temperature 0, else each step drawn with that step's uniforms (`choose_from_uniform`)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor, uniform: torch.Tensor, temperature: torch.Tensor):
        decoder = self.model.decoder
        step = iter(range(decoder.steps))  # a Python counter: tracing unrolls the T steps

        def feedback(params: torch.Tensor) -> torch.Tensor:
            return decoder.head.choose_from_uniform(params, uniform[:, next(step)], temperature)

        return decoder.free_run(z, feedback)[1]


class _Exported(nn.Module):
    """What `torch.jit.load` gives back: encode / decode / forward (= decode)."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def description(model: nn.Module, converter: Any) -> dict:
    """The `latentjam.json` of an export: what the tensors mean."""
    config = model.config
    info: dict[str, Any] = {
        "format": "latentjam-torchscript",
        "version": 1,
        "kind": config.data,
        "steps": int(converter.steps),
        "feature_dim": int(converter.feature_dim),
        "latent_dim": int(config.latent_dim),
        "converter": converter.cache_key(),
        "methods": {
            "encode": "x (B, T, D) float32 -> mu (B, Nz)",
            "decode": "z (B, Nz) float32 -> x (B, T, D), greedy",
        },
    }
    if config.data == "drums":
        from latentjam.convert.drums import DRUM_CLASSES, N_CLASSES, OUTPUT_PITCHES

        info["layout"] = {
            "hits": [0, N_CLASSES],
            "velocities_0_1": [N_CLASSES, 2 * N_CLASSES],
            "offsets_half_steps": [2 * N_CLASSES, 3 * N_CLASSES],
            "classes": list(DRUM_CLASSES),
            "output_pitches": list(OUTPUT_PITCHES),
        }
    else:
        from latentjam.convert.melody import FIRST_NOTE_ON, LOW_PITCH

        info["layout"] = {
            "events": "0 = hold, 1 = note off, k >= 2 = note-on of MIDI pitch k - 2 + 21",
            "first_note_on": int(FIRST_NOTE_ON),
            "lowest_pitch": int(LOW_PITCH),
        }
    meta = getattr(model, "metadata", None) or {}
    for key in ("attributes", "projection"):
        if key in meta:
            info[key] = _plain(meta[key])
    return info


def _plain(value: Any) -> Any:
    """JSON-able copy (arrays and tensors become lists)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray | torch.Tensor):
        return np.asarray(value, dtype=np.float64).round(6).tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def export_torchscript(model: nn.Module, converter: Any, out: str | os.PathLike) -> Path:
    """Trace `model`'s encode and greedy decode into one TorchScript archive at `out`
    (written atomically); checked against the model on a batch before it is saved."""
    config = getattr(model, "config", None)
    if getattr(config, "data", None) not in ("drums", "melody"):
        raise LatentjamError("export: only the drum and melody sequence VAEs are exported")
    model = model.eval()
    steps, dim = int(converter.steps), int(converter.feature_dim)
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(3, steps, dim, generator=gen) < 0.1).float()
    z = torch.randn(3, int(config.latent_dim), generator=gen)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing warns about Python control flow it unrolls
        exported = torch.jit.script(
            _Exported(
                torch.jit.trace(_Encode(model), x, check_trace=False),
                torch.jit.trace(_Decode(model), z, check_trace=False),
            )
        )
        z5 = torch.randn(5, int(config.latent_dim), generator=gen)
        if not torch.equal(exported.decode(z5), model.decode(z5)):
            raise LatentjamError("export: the traced decoder does not reproduce the model")
    buf = io.BytesIO()
    extra = {"latentjam.json": json.dumps(description(model, converter), indent=1)}
    torch.jit.save(exported, buf, _extra_files=extra)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_bytes(out, buf.getvalue())


# the groove models: decode's inputs and outputs by kind (see models/groove.py, drumify.py)
GROOVE_GRAPHS = {
    "groove_vae": (("hits", 9), ("velocities", "offsets")),
    "drumify_vae": (("taps", 3), ("hit_logits", "velocities", "offsets")),
}


class _GrooveDecode(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pattern: torch.Tensor, z: torch.Tensor):
        return self.model.decode(pattern, z)


def _onnx_bytes(module: nn.Module, args: tuple, inputs: list[str], outputs: list[str]) -> bytes:
    """One traced ONNX graph (opset 17) with a dynamic batch axis on every tensor of rank > 1."""
    buf = io.BytesIO()
    batched = [n for n, a in zip(inputs, args, strict=True) if a.ndim > 1] + outputs
    # eval first: the exporter puts the wrapper (and so the model) back in the mode it found it
    # in, and a new nn.Module starts in training mode (dropout on)
    torch.onnx.export(
        module.eval(), args, buf, dynamo=False, opset_version=17, input_names=inputs,
        output_names=outputs, dynamic_axes={n: {0: "batch"} for n in batched},
    )  # fmt: skip
    return buf.getvalue()


def _write_onnx(out: Path, graphs: dict[str, bytes], info: dict) -> Path:
    """`out`/NAME.onnx for each graph and `out`/latentjam.json, each written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    for name, data in graphs.items():
        atomic_write_bytes(out / f"{name}.onnx", data)
    atomic_write_bytes(out / "latentjam.json", json.dumps(info, indent=1).encode("utf-8"))
    return out


def _export_groove_onnx(model: nn.Module, out: Path, ort: Any) -> Path:
    """encode.onnx (x (B, T, 27) -> mu) and decode.onnx (pattern, z -> the model's outputs) of
    a GrooveVAE ("humanize") or DrumifyVAE, checked with onnxruntime; see `export_onnx`."""
    kind = model.config.kind
    (pattern, width), outputs = GROOVE_GRAPHS[kind]
    steps, nz = int(model.config.steps), int(model.config.latent_dim)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, steps, 27, generator=gen)
    p = (torch.rand(2, steps, width, generator=gen) < 0.3).float()
    z = torch.randn(2, nz, generator=gen)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing warns about what it cannot see
        graphs = {
            "encode": _onnx_bytes(_Encode(model), (x,), ["x"], ["mu"]),
            "decode": _onnx_bytes(_GrooveDecode(model), (p, z), [pattern, "z"], list(outputs)),
        }
        p5 = (torch.rand(5, steps, width, generator=gen) < 0.3).float()
        z5 = torch.randn(5, nz, generator=gen)
        want = model.decode(p5, z5)
    session = ort.InferenceSession(graphs["decode"])
    got = session.run(None, {pattern: p5.numpy(), "z": z5.numpy()})
    if not all(np.allclose(g, w.numpy(), atol=1e-4) for g, w in zip(got, want, strict=True)):
        raise LatentjamError("export: the ONNX decoder does not reproduce the model")
    info = {
        "format": "latentjam-onnx",
        "version": 1,
        "kind": kind,
        "steps": steps,
        "latent_dim": nz,
        "files": {"encode": "encode.onnx", "decode": "decode.onnx"},
        "methods": {
            "encode": "x (B, T, 27) drum grids float32 -> mu (B, Nz)",
            "decode": f"{pattern} (B, T, {width}), z (B, Nz) -> "
            + ", ".join(f"{o} (B, T, 9)" for o in outputs)
            + "; z = 0 is the most typical groove",
        },
        "layout": "drum classes kick, snare, closed hi-hat, open hi-hat, low / mid / high tom, "
        "crash, ride; velocities 0..1, offsets in half-steps -1..1"
        + ("; taps: tapped 0/1, velocity 0..1, offset" if kind == "drumify_vae" else ""),
    }
    return _write_onnx(out, graphs, info)


DECODE_INPUTS = ["z", "uniform", "temperature"]


def export_onnx(model: nn.Module, converter: Any, out: str | os.PathLike) -> Path:
    """Write `out`/encode.onnx, `out`/decode.onnx and `out`/latentjam.json (atomically).

    encode: x (B, T, D) float32 -> mu (B, Nz). decode: z (B, Nz), uniform (B, T, D) in [0, 1),
    temperature (1,) -> windows (B, T, D): the greedy decode at temperature 0, a draw from the
    model's step distributions otherwise (the uniforms are its randomness). Both are checked
    against the model with onnxruntime before anything is written.

    For the groove models (humanize's GrooveVAE, DrumifyVAE; `converter` unused) decode is the
    model's own: (hits or taps (B, T, C), z (B, Nz)) -> its outputs, each (B, T, 9).
    """
    try:
        import onnx  # noqa: F401 (torch's exporter needs it)
        import onnxruntime as ort
    except ImportError:
        from latentjam.errors import missing_extra

        raise missing_extra("onnx", "onnx") from None
    config = getattr(model, "config", None)
    if getattr(config, "kind", None) in GROOVE_GRAPHS:
        return _export_groove_onnx(model.eval(), Path(out), ort)
    if getattr(config, "data", None) not in ("drums", "melody"):
        raise LatentjamError(
            "export: the drum and melody sequence VAEs and the groove models (humanize, "
            "drumify) are exported"
        )
    model = model.eval()
    steps, dim, nz = int(converter.steps), int(converter.feature_dim), int(config.latent_dim)
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(2, steps, dim, generator=gen) < 0.1).float()
    z = torch.randn(2, nz, generator=gen)
    u = torch.rand(2, steps, dim, generator=gen)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing warns about the Python loops it unrolls
        graphs = {
            "encode": _onnx_bytes(_Encode(model), (x,), ["x"], ["mu"]),
            "decode": _onnx_bytes(
                _DecodeWithNoise(model), (z, u, torch.zeros(1)), DECODE_INPUTS, ["windows"]
            ),
        }
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    decode = ort.InferenceSession(graphs["decode"], options)
    z5 = torch.randn(5, nz, generator=gen)
    got = decode.run(
        None,
        {
            "z": z5.numpy(),
            "uniform": np.zeros((5, steps, dim), np.float32),
            "temperature": np.zeros(1, np.float32),
        },
    )[0]
    with torch.no_grad():
        want = model.decode(z5).numpy()
    same = (
        (got[..., :9] == want[..., :9]).all()
        if config.data == "drums"
        else (got.argmax(-1) == want.argmax(-1)).all()
    )
    if not same:
        raise LatentjamError("export: the ONNX decoder does not reproduce the model")
    info = description(model, converter)
    info.update(
        format="latentjam-onnx",
        files={"encode": "encode.onnx", "decode": "decode.onnx"},
        methods={
            "encode": "x (B, T, D) float32 -> mu (B, Nz)",
            "decode": "z (B, Nz), uniform (B, T, D) in [0, 1), temperature (1,) -> x (B, T, D); "
            "greedy at temperature 0",
        },
    )
    return _write_onnx(Path(out), graphs, info)
