"""`latentjam export`: a shipped or trained sequence VAE as TorchScript for other hosts."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    """Add the `export` sub-command."""
    p = subparsers.add_parser(
        "export",
        help="save a drum or melody model as TorchScript (encode / decode) for other hosts",
        description="Trace the model's encoder (windows -> mu) and greedy decoder (z -> windows) "
        "into one TorchScript file that torch.jit.load (Python) or torch::jit::load (C++, e.g. "
        "nn~-style Max/Pd externals) opens without latentjam; latentjam.json inside the file "
        "says what the tensors mean (docs/export.md).",
    )
    p.add_argument("--model", default="drums", help="shipped model name or a .pt / .ckpt file")
    p.add_argument("--out", type=Path, required=True, help="file to write, e.g. drums.ts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of `latentjam export`."""
    from latentjam.api import converter_for
    from latentjam.export import export_torchscript
    from latentjam.pretrained import load_model

    model = load_model(args.model)
    path = export_torchscript(
        model, converter_for(model, getattr(model, "metadata", None)), args.out
    )
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB): encode (B, T, D) -> (B, Nz), "
        "decode (B, Nz) -> (B, T, D)"
    )
    return 0
