"""`latentjam export-site DIR`: the jam page as a static site that runs the models itself.

The folder holds the page (index.html, jam.js, jam.css) and one `models/NAME.json` per model
with its config and what the page's `hello` would say (kind, attribute vectors, drum rows, the
fixed 3-D projection), and the models in one of two runtimes:

- "onnx" (default): `models/NAME/encode.onnx` and `decode.onnx` (`latentjam.export.export_onnx`)
  run by ONNX Runtime's WebAssembly build (`ort/`, vendored onnxruntime-web, MIT) through
  `ort_net.js`; with a drum model, `models/drumify/` too, for the page's drumify mode;
- "js": `model.js`, the encoder and decoder written out in plain JavaScript, with the weights
  (base64 float32; the prior is not needed) inside `models/NAME.json`: 11 MB smaller, slower.

Any static host serves it (or `python -m http.server`); no latentjam server runs.
"""

from __future__ import annotations

import base64
import json
import os
import re
from importlib import resources
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_write_bytes
from latentjam.errors import LatentjamError

PAGE_FILES = ("jam.js", "jam.css", "model.js", "ort_net.js")
ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
RUNTIMES = ("onnx", "js")


def _weight_name(key: str) -> str | None:
    """A state-dict key -> the name model.js reads (None: not needed in the browser)."""
    if not key.startswith(("encoder.", "decoder.")):
        return None
    match = re.fullmatch(r"(.*)\.(weight|bias)_(ih|hh)_l0(_reverse)?", key)
    if match is None:
        return key
    base, kind, gate, reverse = match.groups()
    return f"{base}{'.reverse' if reverse else ''}.{kind}_{gate}"


def model_spec(jam_model, *, weights: bool = True) -> dict:
    """What `models/NAME.json` holds for one loaded `JamModel` (with `weights`: for model.js)."""
    module = jam_model.model
    config = module.config
    tensors = {}
    for key, value in module.state_dict().items() if weights else ():
        name = _weight_name(key)
        if name is not None:
            raw = value.detach().to("cpu").float().numpy().astype("<f4").tobytes()
            tensors[name] = base64.b64encode(raw).decode("ascii")
    info = jam_model.info()
    mean, components = jam_model.projection
    info["projection_mean"] = np.asarray(mean, dtype=np.float64).round(6).tolist()
    info["projection_components"] = np.asarray(components, dtype=np.float64).round(6).tolist()
    info["attribute_vectors"] = {
        k: np.asarray(v, dtype=np.float64).round(6).tolist()
        for k, v in jam_model.attributes.items()
    }
    if jam_model.kind == "drums":
        from latentjam.convert.drums import MAPPINGS, OUTPUT_PITCHES

        info["output_pitches"] = list(OUTPUT_PITCHES)
        table = MAPPINGS[jam_model.drum_mapping or "gm"]
        info["pitch_to_class"] = [int(c) for c in table]
    info["modes"] = ["call"]  # the static page answers calls; the other modes need a server
    return {
        "config": {
            "data": config.data,
            "steps": int(jam_model.converter.steps),
            "feature_dim": int(jam_model.converter.feature_dim),
            "latent_dim": int(config.latent_dim),
            "bars": int(config.bars),
            "encoder_hidden": list(config.encoder_hidden),
            "conductor_hidden": int(config.conductor_hidden),
            "decoder_hidden": list(config.decoder_hidden),
        },
        "weights": tensors,
        "info": info,
    }


def export_site(jam_models: dict, out: str | os.PathLike, *, runtime: str = "onnx") -> Path:
    """Write the static site for `jam_models` ({name: JamModel}, the first is the default),
    its models run by `runtime` ("onnx" or "js", see the module docstring)."""
    if not jam_models:
        raise LatentjamError("export-site needs at least one model")
    if runtime not in RUNTIMES:
        raise LatentjamError(f"unknown page runtime {runtime!r}; choose onnx or js")
    for name, jm in jam_models.items():
        if getattr(jm.model.config, "kind", None) != "recurrent_vae":
            raise LatentjamError(f"{name}: only the drum and melody sequence VAEs run in the page")
    out = Path(out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    static = resources.files("latentjam.jam").joinpath("static")
    for name in PAGE_FILES:
        atomic_write_bytes(out / name, static.joinpath(name).read_bytes())
    drumify = None
    if runtime == "onnx" and any(jm.kind == "drums" for jm in jam_models.values()):
        from latentjam.api import load_drumify

        drumify = load_drumify()
    site = {
        "models": list(jam_models),
        "default_model": next(iter(jam_models)),
        "runtime": runtime,
        # the drum models' tap-to-groove mode runs in the page too (onnx runtime)
        "drumify": {"latent_dim": int(drumify.latent_dim)} if drumify is not None else None,
    }
    scripts = (
        '<script src="ort/ort.wasm.min.js"></script>\n<script src="ort_net.js"></script>'
        if runtime == "onnx"
        else '<script src="model.js"></script>'
    )
    page = static.joinpath("index.html").read_text(encoding="utf-8")
    page = page.replace(
        '<script src="jam.js"></script>',
        "<script>window.LATENTJAM_SITE = "
        + json.dumps(site)
        + f';</script>\n{scripts}\n<script src="jam.js"></script>',
    )
    atomic_write_bytes(out / "index.html", page.encode("utf-8"))
    if runtime == "onnx":
        from latentjam.export import export_onnx

        vendor = static.joinpath("vendor").joinpath("onnxruntime-web")
        (out / "ort").mkdir(exist_ok=True)
        for name in (*ORT_FILES, "LICENSE"):
            atomic_write_bytes(out / "ort" / name, vendor.joinpath(name).read_bytes())
    if drumify is not None:  # (runtime "onnx": export_onnx is imported above)
        export_onnx(drumify, None, out / "models" / "drumify")
    for name, jm in jam_models.items():
        spec = model_spec(jm, weights=runtime == "js")
        if drumify is not None and jm.kind == "drums":
            spec["info"]["modes"] = ["call", "drumify"]
        blob = json.dumps(spec, separators=(",", ":")).encode("utf-8")
        atomic_write_bytes(out / "models" / f"{name}.json", blob)
        if runtime == "onnx":
            export_onnx(jm.model, jm.converter, out / "models" / name)
    return out
