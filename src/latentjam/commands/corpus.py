"""`latentjam corpus list|build|info`: the bundled drum corpus and music21's corpora."""

from __future__ import annotations

import argparse
import json

from latentjam.commands.argtypes import positive_int


def register(subparsers) -> None:
    """Add the `corpus` command and its `list`, `build` and `info` actions."""
    parser = subparsers.add_parser(
        "corpus",
        help="real corpora: list, build (parse + cache tensors), info (counts)",
        description="The bundled drum corpus and music21's melody and chorale corpora.",
    )
    actions = parser.add_subparsers(dest="corpus_action", metavar="ACTION")
    parser.set_defaults(func=lambda args: _help(parser))

    listing = actions.add_parser("list", help="the corpora and whether they are cached")
    listing.set_defaults(func=run_list)

    for action, text in (
        ("build", "parse and cache a corpus's tensors (shows progress)"),
        ("info", "pieces, skipped pieces and windows per split/source/style"),
    ):
        p = actions.add_parser(action, help=text)
        p.add_argument("name", help="corpus name (see `latentjam corpus list`)")
        p.add_argument(
            "--kind",
            choices=("drums", "melody", "pianoroll"),
            help="converter (default: the corpus's own kind)",
        )
        p.add_argument(
            "--bars", type=positive_int, help="bars per window (default 2; pianoroll: 1)"
        )
        p.add_argument("--limit", type=int, help="only the first N pieces (a quick look)")
        p.add_argument("--workers", type=int, help="parser processes (default: up to 2)")
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        if action == "info":
            p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.set_defaults(func=run_build if action == "build" else run_info)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _converter(args):
    from latentjam.corpora.load import get_spec
    from latentjam.datasets.convert_file import make_converter

    spec = get_spec(args.name)
    return make_converter(args.kind or spec.kind, bars=args.bars)


def _first_parse_notice(name: str, limit: int | None) -> None:
    """Say so before a music21 corpus is parsed for the first time (minutes, then cached)."""
    import importlib.util
    import sys

    from latentjam.corpora import store
    from latentjam.corpora.load import corpus_version, get_spec

    spec = get_spec(name)
    if spec.bundled or importlib.util.find_spec("music21") is None:  # no music21: its own error
        return
    if store.cache_path(name, corpus_version(name, limit), "sequences").is_file():
        return
    print(
        f"latentjam: {name} is parsed from music21 for the first time: this takes minutes "
        "(the large corpora 5-25), then it is cached and later loads take a second",
        file=sys.stderr,
    )


def _report(args) -> dict:
    from latentjam.corpora import corpus_report

    _first_parse_notice(args.name, args.limit)
    return corpus_report(
        args.name, _converter(args), limit=args.limit, progress=not args.quiet, workers=args.workers
    )


def run_list(args) -> int:
    """Print each corpus with its kind, whether it is cached, and what it is."""
    from latentjam.corpora import CORPORA
    from latentjam.corpora.store import cache_dir

    cached = {p.name.split("--")[0] for p in cache_dir().glob("*.npz") if "-first" not in p.name}
    for spec in CORPORA.values():
        where = "bundled" if spec.bundled else f"music21:{spec.music21_dir}"
        state = "cached" if spec.name in cached else "not built"
        print(f"{spec.name:15s} {spec.kind:9s} {where:22s} {state:9s} {spec.description}")
    return 0


def run_build(args) -> int:
    """Build (or find cached) a corpus's windows and print a one-line summary."""
    report = _report(args)
    split = report["windows_per_split"]
    print(
        f"{report['corpus']}: {report['windows']} windows {tuple(report['shape'][1:])} from "
        f"{report['pieces']} pieces (train {split['train']}, valid {split['valid']}, "
        f"test {split['test']}); skipped {report['skipped']}; cache {report['cache']}"
    )
    return 0


def run_info(args) -> int:
    """Print counts: pieces, skipped with reasons, windows per split, source and style."""
    report = _report(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    split = report["windows_per_split"]
    pps = report["pieces_per_split"]
    print(f"corpus     {report['corpus']} ({report['version']}): {report['description']}")
    print(f"converter  {report['converter']}, windows of shape {tuple(report['shape'][1:])}")
    print(
        f"pieces     {report['pieces']} (train {pps.get('train', 0)}, valid "
        f"{pps.get('valid', 0)}, test {pps.get('test', 0)}); "
        f"{report['pieces_without_windows']} too short for a window"
    )
    print(f"skipped    {report['skipped']}")
    for reason, n in report["skipped_reasons"].items():
        print(f"  {n:5d}  {reason}")
    print(
        f"windows    {report['windows']} (train {split['train']}, valid {split['valid']}, "
        f"test {split['test']})"
    )
    print("per source")
    for source, n in report["windows_per_source"].items():
        s = report["windows_per_source_split"][source]
        print(f"  {source:15s} {n:7d}  (train {s['train']}, valid {s['valid']}, test {s['test']})")
    print("per style")
    for source, styles in report["windows_per_style"].items():
        text = ", ".join(f"{style} {n}" for style, n in styles.items())
        print(f"  {source}: {text}")
    return 0
