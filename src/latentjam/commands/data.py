"""`latentjam data build` and `latentjam data info`: datasets from the user's own MIDI folders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from latentjam.commands.argtypes import positive_int


def register(subparsers) -> None:
    """Add the `data` command with its `build` and `info` sub-commands."""
    data = subparsers.add_parser("data", help="build and inspect datasets of MIDI windows")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data.set_defaults(func=lambda args: data.print_help() or 0)

    build = sub.add_parser(
        "build",
        help="convert folder trees of MIDI files into a sharded dataset",
        description="Convert every MIDI file under SRC (folders are searched recursively) into "
        "N-bar windows, split train/valid/test by source file, and write DIR/manifest.json, "
        "DIR/shards/*.npz and DIR/skipped.json (every skipped file with its reason).",
    )
    build.add_argument("sources", nargs="+", metavar="SRC", help="MIDI folder or file")
    build.add_argument("--kind", required=True, choices=("drums", "melody", "pianoroll"))
    build.add_argument(
        "--bars",
        type=positive_int,
        default=None,
        help="bars per window (default 2; pianoroll windows are 1 bar)",
    )
    build.add_argument("--out", required=True, metavar="DIR", help="dataset folder to write")
    build.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: all cores)"
    )
    build.add_argument(
        "--mapping",
        choices=("gm", "roland"),
        default="gm",
        help="drum pitch map: General MIDI or Roland TD-11 (Groove MIDI Dataset)",
    )
    build.add_argument(
        "--hop",
        type=positive_int,
        default=1,
        metavar="BARS",
        help="bars between window starts (default 1)",
    )
    build.add_argument(
        "--metre",
        choices=("quarters", "four-four"),
        default="quarters",
        help="quarters: window every metre by 4-quarter-note bars from each "
        "downbeat; four-four: keep only stretches of 4-quarter-note bars",
    )
    build.add_argument("--low", type=int, default=21, help="pianoroll lowest pitch")
    build.add_argument("--high", type=int, default=108, help="pianoroll highest pitch")
    build.add_argument("--valid", type=float, default=0.1, help="fraction of files for valid")
    build.add_argument("--test", type=float, default=0.1, help="fraction of files for test")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=_build)

    info = sub.add_parser("info", help="show what a built dataset holds")
    info.add_argument("dataset", metavar="DIR")
    info.add_argument("--json", action="store_true", help="print the information as JSON")
    info.set_defaults(func=_info)


def _build(args: argparse.Namespace) -> int:
    from latentjam.datasets import build_dataset, make_converter
    from latentjam.datasets.convert_file import convert_file
    from latentjam.errors import LatentjamError

    converter = make_converter(
        args.kind,
        bars=args.bars,
        mapping=args.mapping,
        hop_bars=args.hop,
        metre=args.metre,
        low=args.low,
        high=args.high,
    )
    for src in args.sources:  # a file named directly must be usable: say why not, and stop
        path = Path(src)
        if path.is_file():
            result = convert_file(str(path), converter)
            if result.windows is None:
                raise LatentjamError(f"{src}: {result.reason}: {result.message}")
    report = build_dataset(
        args.sources,
        args.out,
        converter,
        kind=args.kind,
        workers=args.workers,
        valid=args.valid,
        test=args.test,
        progress=not args.quiet,
    )
    print(report.summary())
    total = sum(report.windows.get(s, 0) for s in ("train", "valid", "test"))
    if total == 0:
        raise LatentjamError(
            "no windows at all: every file was skipped "
            f"(reasons in {Path(args.out) / 'skipped.json'})"
        )
    shares = (("train", 1.0 - args.valid - args.test), ("valid", args.valid), ("test", args.test))
    for split, share in shares:
        if share > 0 and report.windows.get(split, 0) == 0:
            print(
                f"latentjam: warning: the {split} split has no windows "
                "(too few files for the split shares; see --valid / --test)",
                file=sys.stderr,
            )
    return 0


def _info(args: argparse.Namespace) -> int:
    from latentjam.datasets import dataset_info

    info = dataset_info(args.dataset)
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    counts = info["counts"]
    settings = ", ".join(f"{k}={v}" for k, v in info["converter"]["settings"].items())
    t, d = info["window_shape"]
    print(f"{info['path']}: {info['kind']} dataset, windows of shape ({t}, {d}) float32")
    print(f"converter: {info['converter']['class']}({settings})  key {info['cache_key']}")
    print(f"sources: {', '.join(info['sources'])}")
    print("split    files  windows")
    for split in ("train", "valid", "test"):
        print(
            f"{split:<7} {counts['files_per_split'][split]:>6} "
            f"{counts['windows_per_split'][split]:>8}"
        )
    print(
        f"files: {counts['files_found']} found, {counts['files_used']} used, "
        f"{counts['files_skipped']} skipped; {counts.get('other_files_ignored', 0)} files "
        "not named as MIDI ignored"
    )
    for reason, n in counts["skipped_by_reason"].items():
        print(f"  skipped, {reason}: {n}")
    if counts["files_skipped"]:
        print(f"  (every skipped file and its reason: {Path(info['path']) / 'skipped.json'})")
    return 0
