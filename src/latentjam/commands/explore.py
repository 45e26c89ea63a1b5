"""`latentjam models|sample|reconstruct|interpolate|attribute|map|humanize|drumify`: explore.

Each music command writes MIDI files, a PNG of what it made (drum grid or piano roll) and, with
`--audio`, a WAV rendered offline through a General MIDI soundfont. Heavy imports (torch, the
model) happen inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from latentjam.atomic import atomic_write_json
from latentjam.commands.argtypes import non_negative_float
from latentjam.errors import LatentjamError

DEFAULT_SCALES = "-1,-0.5,0,0.5,1"
AUDIO_RATE = 22050


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the exploration sub-commands."""
    p = subparsers.add_parser("models", help="the shipped models and their cards")
    p.add_argument("name", nargs="?", help="print this model's full card")
    p.set_defaults(func=run_models)

    p = subparsers.add_parser("sample", help="new pieces from a model's prior")
    _model_arg(p)
    p.add_argument("-n", type=int, default=8, help="how many pieces (default 8)")
    p.add_argument(
        "--temperature",
        type=non_negative_float,
        default=0.5,
        help="decoder temperature: 0 = most likely outputs (default 0.5)",
    )
    p.add_argument("--seed", type=int, default=0, help="same seed, same pieces")
    _out_args(p)
    p.set_defaults(func=run_sample)

    p = subparsers.add_parser("reconstruct", help="a piece through the model, window by window")
    p.add_argument("input", help="MIDI file")
    _model_arg(p, default="drums")
    _out_args(p)
    p.set_defaults(func=run_reconstruct)

    p = subparsers.add_parser("interpolate", help="steps between two pieces in latent space")
    p.add_argument("a", help="MIDI file to start from")
    p.add_argument("b", help="MIDI file to end at")
    _model_arg(p)
    p.add_argument("--steps", type=int, default=7, help="pieces including both ends (default 7)")
    p.add_argument("--method", choices=("lerp", "slerp"), default="lerp")
    _window_arg(p)
    _out_args(p)
    p.set_defaults(func=run_interpolate)

    p = subparsers.add_parser("attribute", help="move a piece along an attribute vector")
    p.add_argument("input", help="MIDI file")
    _model_arg(p)
    p.add_argument(
        "--attribute",
        default="density",
        help="density, velocity, offset (drums) or density, pitch (melody)",
    )
    p.add_argument(
        "--scales",
        default=DEFAULT_SCALES,
        help=f"comma-separated multiples of the vector (default {DEFAULT_SCALES})",
    )
    _window_arg(p)
    _out_args(p)
    # `--scales -1,-0.5,0` : read a value starting with "-digit" as a value, not an option
    # (what argparse does natively from Python 3.13 on).
    p._negative_number_matcher = re.compile(r"^-\.?\d")
    p.set_defaults(func=run_attribute)

    p = subparsers.add_parser("map", help="the corpus's latent space projected to 2-D or 3-D")
    _model_arg(p)
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--attribute", default="density", help="colour points by this attribute")
    p.add_argument("--dims", type=int, choices=(2, 3), default=2)
    p.add_argument("--limit", type=int, default=2000, help="corpus windows to encode")
    p.add_argument("--highlight", help="MIDI file whose windows are drawn as a path on the map")
    p.set_defaults(func=run_map)

    p = subparsers.add_parser("humanize", help="give a quantised drum pattern a played feel")
    p.add_argument("input", help="MIDI file with drums")
    p.add_argument("--out", required=True, help="MIDI file to write (PNG and WAV beside it)")
    p.add_argument(
        "--temperature",
        type=non_negative_float,
        default=0.0,
        help="0: the most typical feel; > 0: sample a groove style",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default="humanize", help="humanize model name or file")
    p.add_argument("--audio", action="store_true", help="also render a WAV")
    p.set_defaults(func=run_humanize)

    p = subparsers.add_parser(
        "drumify", help="turn a tapped rhythm (any MIDI notes) into a full drum groove"
    )
    p.add_argument("input", help="MIDI file: all its notes, any channel, are read as taps")
    p.add_argument("--out", required=True, help="MIDI file to write (PNG and WAV beside it)")
    p.add_argument(
        "--temperature",
        type=non_negative_float,
        default=0.0,
        help="0: the most typical groove for the taps; > 0: sample a groove style",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default="drumify", help="drumify model name or file")
    p.add_argument("--audio", action="store_true", help="also render a WAV")
    p.set_defaults(func=run_drumify)


def _model_arg(p: argparse.ArgumentParser, default: str = "drums") -> None:
    p.add_argument(
        "--model", default=default, help=f"shipped model name or model file (default {default})"
    )


def _window_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--window",
        type=int,
        default=None,
        help="which window of a longer piece to use, counted from 0 "
        "(default: the window with the most notes)",
    )


def _out_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--audio",
        action="store_true",
        help="also render the main MIDI file (everything in sequence) as a WAV "
        "through a General MIDI soundfont",
    )
    p.add_argument("--qpm", type=float, default=120.0, help="tempo of generated MIDI")


# ------------------------------------------------------------------------------------ helpers


def _load(name: str, *inputs: str | None):
    """The model, after checking that every input file can be read (so a wrong path is
    reported at once, not after the model has loaded)."""
    from latentjam.api import load, read_music

    for music in inputs:
        if music is not None:
            read_music(music)
    return load(name)


def _write(seq, path: Path, *, audio: bool) -> list[Path]:
    """Write `seq` as MIDI at `path` (and a WAV beside it with audio=True): the files written."""
    from latentjam.midi import write_midi

    written = [write_midi(seq, path)]
    if audio:
        written.append(_render(seq, path.with_suffix(".wav")))
    return written


def _render(seq, path: Path) -> Path:
    from latentjam.audio.io import peak_normalize, write_audio
    from latentjam.audio.render import render_sequence

    if not any(len(t) for t in seq.tracks):
        raise LatentjamError(f"nothing to render for {path.name}: the piece is silent")
    wav = render_sequence(seq, AUDIO_RATE, piano=False)
    return write_audio(path, peak_normalize(wav), AUDIO_RATE)


def _write_set(
    model, pieces, folder: Path, stem: str, labels: list[str], *, audio: bool, title: str
) -> list[Path]:
    """One MIDI per piece, one with all of them in sequence, and one PNG of them stacked."""
    from latentjam.plots import plot_sequences

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for piece, label in zip(pieces, labels, strict=True):
        written += _write(piece, folder / f"{stem}_{label}.mid", audio=False)
    whole = model.join(pieces)
    written += _write(whole, folder / f"{stem}_all.mid", audio=audio)
    written.append(
        plot_sequences(
            pieces,
            folder / f"{stem}.png",
            titles=[f"{title} {lab}" for lab in labels],
            length=model.window_beats,
            drums=model.kind == "drums",
        )
    )
    return written


def _report(written: list[Path]) -> None:
    folders = {p.parent for p in written}
    where = next(iter(folders)) if len(folders) == 1 else None
    names = ", ".join(p.name if where else str(p) for p in written[:6])
    more = f" and {len(written) - 6} more" if len(written) > 6 else ""
    print(f"wrote {names}{more}" + (f" in {where}" if where else ""))


def _say_window(model: Any, music: str, window: int | None) -> int:
    """The window of `music` used (printed when chosen by default); returns its index."""
    if window is not None:
        return window
    chosen = model.default_window(music)
    n = len(model.windows(music))
    print(
        f"{music}: window {chosen} of {n} (the one with the most notes; --window N picks another)"
    )
    return chosen


def _warn_if_silent(pieces: list[Any], what: str) -> None:
    """Say so when every decoded piece came out without a note."""
    silent = [i for i, piece in enumerate(pieces) if not any(len(t) for t in piece.tracks)]
    if silent and len(silent) == len(pieces):
        print(
            f"latentjam: warning: every {what} came out silent; try another --window or a "
            "fuller input",
            file=sys.stderr,
        )
    elif silent:
        print(
            f"latentjam: warning: {len(silent)} of {len(pieces)} {what}s came out silent",
            file=sys.stderr,
        )


def _label(i: int, n: int) -> str:
    return f"{i + 1:0{len(str(n))}d}"


# ------------------------------------------------------------------------------------ handlers


def run_models(args: argparse.Namespace) -> int:
    """List the shipped models (name, title) or print one model's card."""
    from latentjam.pretrained import list_models

    models = list_models()
    if args.name:
        match = [m for m in models if m["name"] == args.name]
        if not match:
            known = ", ".join(m["name"] for m in models) or "none"
            raise LatentjamError(f"no shipped model {args.name!r}; shipped: {known}")
        card = match[0]["card"]
        print(Path(card).read_text(encoding="utf-8") if card else f"{args.name}: no model card")
        return 0
    if not models:
        print("no shipped models found")
        return 0
    width = max(len(m["name"]) for m in models)
    for m in models:
        size = os.path.getsize(m["path"]) / 1024
        print(f"{m['name']:<{width}}  {size:7.0f} KiB  {m['title']}")
    print("\n`latentjam models NAME` prints a model's card.")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    """Sample `-n` pieces from the model's prior."""
    model = _load(args.model)
    pieces = model.sample(args.n, temperature=args.temperature, seed=args.seed, qpm=args.qpm)
    labels = [_label(i, args.n) for i in range(args.n)]
    _report(
        _write_set(
            model,
            pieces,
            Path(args.out),
            "sample",
            labels,
            audio=args.audio,
            title=f"{model.name} sample",
        )
    )
    return 0


def run_reconstruct(args: argparse.Namespace) -> int:
    """Encode and decode a piece window by window."""
    from latentjam.api import read_music
    from latentjam.plots import plot_sequences

    model = _load(args.model, args.input)
    original = read_music(args.input)
    out = model.reconstruct(original)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    written = _write(out, folder / "reconstruction.mid", audio=args.audio)
    windows = len(model.windows(original))
    written.append(
        plot_sequences(
            [original, out],
            folder / "reconstruction.png",
            titles=[f"input ({Path(args.input).name})", f"{model.name} reconstruction"],
            length=windows * model.window_beats,
            drums=model.kind == "drums",
        )
    )
    print(f"{windows} window(s) of {model.window_beats:g} beats")
    _report(written)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    """Decode `--steps` points on the latent path from A to B."""
    model = _load(args.model, args.a, args.b)
    for music in (args.a, args.b):
        _say_window(model, music, args.window)
    pieces = model.interpolate(
        args.a, args.b, args.steps, method=args.method, window=args.window, qpm=args.qpm
    )
    _warn_if_silent(pieces, "step")
    labels = [_label(i, args.steps) for i in range(args.steps)]
    _report(
        _write_set(
            model,
            pieces,
            Path(args.out),
            "step",
            labels,
            audio=args.audio,
            title=f"{args.method} step",
        )
    )
    return 0


def _scales(text: str) -> list[float]:
    try:
        scales = [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise LatentjamError(f"--scales must be comma-separated numbers, got {text!r}") from None
    if not scales:
        raise LatentjamError("--scales is empty")
    return scales


def run_attribute(args: argparse.Namespace) -> int:
    """Decode the piece moved along an attribute vector at each scale."""
    from latentjam import latent as lat

    model = _load(args.model, args.input)
    scales = _scales(args.scales)
    window = _say_window(model, args.input, args.window)
    z = model.attribute_latents(args.input, args.attribute, scales, window=window)
    pieces = model.decode(z, qpm=args.qpm)
    _warn_if_silent(pieces, "scale")
    labels = [f"{s:+g}" for s in scales]
    folder = Path(args.out)
    written = _write_set(
        model, pieces, folder, args.attribute, labels, audio=args.audio, title=f"{args.attribute} x"
    )
    measured = lat.measure(model.decode_tensor(z), args.attribute)
    summary = {
        "model": model.name,
        "attribute": args.attribute,
        "window": window,
        "scales": scales,
        "measured": [None if v != v else float(v) for v in measured],
    }
    _write_json(folder / f"{args.attribute}.json", summary)
    print("scale   " + "  ".join(f"{s:>6g}" for s in scales))
    print(f"{args.attribute:<8}" + "  ".join(f"{v:6.3g}" for v in measured))
    _report(written)
    return 0


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_json(path, data, indent=2)


def run_map(args: argparse.Namespace) -> int:
    """Encode the model's corpus, project it and colour it by an attribute."""
    from latentjam import latent as lat
    from latentjam.plots import plot_latent_map, project

    model = _load(args.model, args.highlight)
    if args.attribute not in model.attribute_names():
        model.attribute_vector(args.attribute)  # raises the explanation
    if args.limit < 2:
        raise LatentjamError("--limit must be at least 2")
    x = model.corpus_windows(args.limit)
    z = model.encode(x)
    proj = model.metadata.get("projection") or {}
    stored = None
    if "mean" in proj and "components" in proj:  # the model's own map (the jam's 3-D view)
        import numpy as np

        stored = (
            np.asarray(proj["mean"], dtype=np.float64),
            np.asarray(proj["components"], dtype=np.float64)[: args.dims],
        )
        if stored[1].shape != (args.dims, model.latent_dim):
            stored = None
    points, basis = project(z, args.dims, basis=stored)
    highlight = labels = None
    if args.highlight:
        hz = model.encode(args.highlight)
        highlight, _ = project(hz, args.dims, basis=basis)
        every = max(1, -(-len(hz) // 8))  # at most ~8 labels, first and last always
        labels = [str(i) if i % every == 0 or i == len(hz) - 1 else "" for i in range(len(hz))]
    path = plot_latent_map(
        points,
        args.out,
        values=lat.measure(x, args.attribute),
        label=args.attribute,
        title=f"{model.name}: {len(z)} windows of {model.corpus_name()} "
        f"({'stored' if stored else 'PCA'} projection)",
        highlight=highlight,
        highlight_labels=labels,
    )
    print(f"encoded {len(z)} windows of the {model.corpus_name()!r} corpus")
    _report([path])
    return 0


def run_drumify(args: argparse.Namespace) -> int:
    """Turn the rhythm of any MIDI file into a full drum groove."""
    from latentjam.api import drumify, read_music, tapped
    from latentjam.plots import plot_sequences

    path = Path(args.out)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise LatentjamError(f"--out should be a .mid file, got {path.name}")
    original = read_music(args.input)
    out = drumify(original, temperature=args.temperature, seed=args.seed, model=args.model)
    hits = sum(len(t) for t in out.tracks)
    written = _write(out, path, audio=args.audio)
    written.append(
        plot_sequences(
            [tapped(original), out],
            path.with_suffix(".png"),
            titles=["taps", "drumified"],
            drums=True,
        )
    )
    print(f"{sum(len(t) for t in original.tracks)} notes read as taps -> {hits} drum hits")
    _report(written)
    return 0


def run_humanize(args: argparse.Namespace) -> int:
    """Give a drum pattern learned velocities and micro-timing."""
    from latentjam.api import humanize, read_music
    from latentjam.plots import plot_sequences

    original = read_music(args.input)
    out = humanize(original, temperature=args.temperature, seed=args.seed, model=args.model)
    path = Path(args.out)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise LatentjamError(f"--out should be a .mid file, got {path.name}")
    written = _write(out, path, audio=args.audio)
    written.append(
        plot_sequences(
            [original, out], path.with_suffix(".png"), titles=["input", "humanized"], drums=True
        )
    )
    _report(written)
    return 0
