"""`latentjam export` / `export-site`: TorchScript for other hosts, or the jam as a static site."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentjam.errors import LatentjamError


def register(subparsers) -> None:
    """Add the `export` sub-command."""
    p = subparsers.add_parser(
        "export",
        help="save a drum or melody model as TorchScript or ONNX (encode / decode) for other hosts",
        description="Trace the model's encoder (windows -> mu) and decoder (z -> windows) for "
        "hosts without latentjam. torchscript: one file that torch.jit.load (Python) or "
        "torch::jit::load (C++, e.g. nn~-style Max/Pd externals) opens, greedy decode, with "
        "latentjam.json inside. onnx: a folder with encode.onnx, decode.onnx (greedy at "
        "temperature 0, sampled from given uniforms above it) and latentjam.json, for "
        "onnxruntime and onnxruntime-web (docs/export.md).",
    )
    p.add_argument("--model", default="drums", help="shipped model name or a .pt / .ckpt file")
    p.add_argument("--format", choices=("torchscript", "onnx"), default="torchscript")
    p.add_argument(
        "--out", type=Path, required=True, help="file to write (drums.ts), or a folder for onnx"
    )
    p.set_defaults(func=run)

    p = subparsers.add_parser(
        "export-site",
        help="write the jam page as a static site that runs the models itself (no server)",
        description="Write DIR/index.html, the page's scripts and the models; serve DIR with any "
        "static host (e.g. python -m http.server) and jam in the browser with no latentjam "
        "server: calls are encoded and answered in the page (greedy at temperature 0, sampled "
        "above; radius moves the reply's point). --runtime onnx (default): the models as ONNX "
        "run by the bundled onnxruntime-web (WebAssembly); js: plain JavaScript, an 11 MB "
        "smaller site, 2-4x slower (docs/jam.md).",
    )
    p.add_argument("dir", type=Path, help="folder to write")
    p.add_argument("--model", default="drums", help="comma-separated model names or files")
    p.add_argument("--runtime", choices=("onnx", "js"), default="onnx", help="what runs the models")
    p.set_defaults(func=run_site)


def run_site(args: argparse.Namespace) -> int:
    """Handler of `latentjam export-site`."""
    from latentjam.jam.session import load_jam_model
    from latentjam.jam.site import export_site

    models = {}
    for name in [m.strip() for m in args.model.split(",") if m.strip()]:
        jm = load_jam_model(name)
        models[jm.name] = jm
    out = export_site(models, args.dir, runtime=args.runtime)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 1e6:.1f} MB): serve it, e.g. python -m http.server -d {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Handler of `latentjam export`."""
    from latentjam.api import converter_for
    from latentjam.export import export_onnx, export_torchscript
    from latentjam.pretrained import load_model

    model = load_model(args.model)
    if model.config.kind in ("groove_vae", "drumify_vae"):
        if args.format != "onnx":
            raise LatentjamError("the groove models (humanize, drumify) export with --format onnx")
        out = export_onnx(model, None, args.out)
        print(f"wrote {out}/encode.onnx, {out}/decode.onnx and latentjam.json (docs/export.md)")
        return 0
    if args.format == "onnx":
        out = export_onnx(model, converter_for(model, getattr(model, "metadata", None)), args.out)
        print(
            f"wrote {out}/encode.onnx (x (B, T, D) -> mu (B, Nz)), {out}/decode.onnx (z, uniform "
            "(B, T, D), temperature (1,) -> (B, T, D)) and latentjam.json"
        )
        return 0
    path = export_torchscript(
        model, converter_for(model, getattr(model, "metadata", None)), args.out
    )
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): encode (B, T, D) -> (B, Nz), "
        "decode (B, Nz) -> (B, T, D)"
    )
    return 0
