"""`latentjam improvise` (query -> bit-budget channel -> answer) and `latentjam analyze`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np

from latentjam.atomic import atomic_write_json
from latentjam.errors import LatentjamError

DEFAULT_BUDGETS = (0, 2, 4, 8, 16, 32, 64, 128, 256)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `improvise` and `analyze` sub-commands."""
    p = subparsers.add_parser(
        "improvise", help="answer a query MIDI file through a bit-budget channel (R bits per bar)"
    )
    p.add_argument("query", help="query MIDI file")
    p.add_argument("--model", default="pianoroll", help="shipped model name or model file")
    p.add_argument(
        "--bits",
        type=float,
        default=64,
        help="channel budget R in bits per window (a window is one bar for pianoroll)",
    )
    p.add_argument("--out", required=True, help="output directory (MIDI, PNG, JSON)")
    p.add_argument(
        "--sweep",
        action="store_true",
        help="also run a range of budgets and report distance, overlap and IR",
    )
    p.add_argument(
        "--budgets",
        help=f"comma-separated budgets for --sweep (default {','.join(map(str, DEFAULT_BUDGETS))})",
    )
    p.add_argument(
        "--method",
        choices=("greedy", "exact"),
        default="greedy",
        help="whole-bit greedy allocation (the paper's) or exact reverse water-filling",
    )
    p.add_argument(
        "--variance",
        choices=("signal", "posterior"),
        default="signal",
        help="variance to allocate on: of mu over the query (default) or posterior",
    )
    p.add_argument(
        "--zero-rate",
        choices=("prior", "query"),
        default="prior",
        help="what a dimension without bits sends: the prior mean 0 or the query mean",
    )
    p.add_argument("--sample", action="store_true", help="sample z from the posterior, not mu")
    p.add_argument("--seed", type=int, default=0, help="seed of the channel noise")
    p.set_defaults(func=run_improvise)

    a = subparsers.add_parser(
        "analyze", help="information dynamics of a MIDI file (Variable Markov Oracle)"
    )
    a.add_argument("input", help="MIDI file")
    a.add_argument("--features", choices=("chroma", "latent"), default="chroma")
    a.add_argument("--model", default="pianoroll", help="model for --features latent")
    a.add_argument(
        "--unit",
        choices=("bar", "beat"),
        default="bar",
        help="one chroma frame per bar or per beat (latent: always the model's bars)",
    )
    a.add_argument(
        "--distance",
        choices=("tonnetz", "cosine", "euclidean"),
        help="frame distance (default: tonnetz for chroma, cosine for latents)",
    )
    a.add_argument("--thresholds", type=int, default=100, help="number of thresholds to sweep")
    a.add_argument("--min-length", type=int, default=2, help="shortest motif, in frames")
    a.add_argument("--min-count", type=int, default=2, help="fewest motif occurrences")
    a.add_argument("--json", required=True, help="write the analysis here")
    a.add_argument(
        "--plots", help="directory for PNG plots (default: JSON_STEM_plots/ beside --json)"
    )
    a.set_defaults(func=run_analyze)


# ---------------------------------------------------------------------------------------------
# query <-> model windows


def _converter(model: Any) -> tuple[Any, int]:
    """The model's converter (`latentjam.api.converter_for`, drum mapping included) and how
    many bars one window spans."""
    from latentjam.api import converter_for

    conv = converter_for(model, getattr(model, "metadata", None))
    config = model.config
    bars = 1 if getattr(config, "kind", None) == "bar_vae" else int(getattr(config, "bars", 2))
    return conv, bars


def query_windows(seq, conv, bars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every window of the query, silent ones included, so answers stay aligned by bar.

    Returns tensors (n, T, D), window start beats (n,) and window lengths in beats (n,).
    """
    downbeats = seq.downbeats()
    if len(downbeats) == 0:
        raise LatentjamError("the query has no notes (no bars to answer)")
    starts = downbeats[::bars]
    ends = np.append(starts[1:], starts[-1] + bars * seq.signature_at(starts[-1]).bar_beats)
    x = np.stack([conv.to_tensor(seq, float(s)) for s in starts]).astype(np.float32)
    return x, starts, ends - starts


def windows_to_sequence(windows: np.ndarray, conv, starts, lengths, qpm: float):
    """Decoded windows (n, T, D) placed at the query's window starts, clipped to each window.

    Drum and pitched notes are kept apart (one track each), so drum models answer with drums.
    """
    from latentjam.music import Sequence, Tempo, Track

    groups: dict[bool, list[tuple]] = {False: [], True: []}
    for w, s0, length in zip(windows, starts, lengths, strict=True):
        decoded = conv.from_tensor(w)
        for drums in (False, True):
            track = decoded.merged(drums=drums)
            keep = track.start < length - 1e-9
            groups[drums].append(
                (
                    track.pitch[keep],
                    track.velocity[keep],
                    track.start[keep] + s0,
                    np.minimum(track.duration[keep], length - track.start[keep]),
                )
            )
    tracks = []
    for drums, parts in groups.items():
        cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
        if len(cols[0]) or not drums:
            tracks.append(Track(*cols, is_drum=drums, name="answer drums" if drums else "answer"))
    return Sequence(tracks, [Tempo(0.0, qpm)])


def encode(model: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of every window: x (n, T, D) -> mu, sigma (n, Nz) float64."""
    from latentjam.models.batched import posterior

    mu, sigma = posterior(model, x)
    return mu.astype(np.float64), sigma.astype(np.float64)


def answer(model: Any, mu, sigma, bits: float, args, rng) -> tuple[np.ndarray, np.ndarray]:
    """Channel + decoder: (answer windows (n, T, D) of 0/1, bits per latent dimension)."""
    import torch

    from latentjam.channel import apply_channel

    z_hat, alloc = apply_channel(
        mu,
        sigma,
        bits,
        method=args.method,
        variance=args.variance,
        zero_rate=args.zero_rate,
        sample_posterior=args.sample,
        rng=rng,
    )
    with torch.no_grad():
        probs = model.decode(torch.from_numpy(np.asarray(z_hat, dtype=np.float32)))
    return (probs.numpy() > 0.5).astype(np.float32), np.asarray(alloc)


def _window_chroma(seq, starts) -> np.ndarray:
    from latentjam.analysis.chroma import chroma_per_bar

    return chroma_per_bar(seq, starts)


def _measure(query_seq, answer_seq, x, ans, starts, pitches) -> dict[str, Any]:
    """Distance of the answer from the query per window, and the answer's information rate."""
    from latentjam.analysis.compare import note_overlap, tonnetz_per_bar
    from latentjam.analysis.information import analyze_frames

    qc, ac = _window_chroma(query_seq, starts), _window_chroma(answer_seq, starts)
    tonnetz = tonnetz_per_bar(qc, ac)
    overlap = note_overlap(x, ans, pitches)
    info = analyze_frames(ac, "tonnetz") if len(ac) >= 2 else None
    return {
        "tonnetz_per_bar": tonnetz.tolist(),
        "tonnetz_mean": float(tonnetz.mean()),
        "note_overlap_per_bar": overlap.tolist(),
        "note_overlap_mean": float(overlap.mean()),
        "answer_ir_rate": info.ir_rate if info else 0.0,
        "answer_best_threshold": info.sweep.best_threshold if info else None,
    }


def _write_json(path: Path, data: dict) -> None:
    atomic_write_json(path, data)


def _budgets(text: str | None) -> list[float]:
    if not text:
        return [float(b) for b in DEFAULT_BUDGETS]
    try:
        out = [float(b) for b in text.split(",") if b.strip()]
    except ValueError:
        raise LatentjamError(f"--budgets must be comma-separated numbers, got {text!r}") from None
    if not out or any(b < 0 for b in out):
        raise LatentjamError("--budgets needs at least one budget, all >= 0")
    return out


def run_improvise(args: argparse.Namespace) -> int:
    """Handler of `latentjam improvise`."""
    import torch

    torch.set_num_threads(int(os.environ.get("LATENTJAM_THREADS", "1")))
    from latentjam.midi import read_midi, write_midi
    from latentjam.plots import plot_sequences
    from latentjam.pretrained import load_model

    if args.bits < 0:
        raise LatentjamError("--bits must be >= 0")
    budgets = _budgets(args.budgets) if args.sweep else []
    query = read_midi(args.query)
    model = load_model(args.model)
    conv, bars = _converter(model)
    x, starts, lengths = query_windows(query, conv, bars)
    qpm = query.qpm_at(0.0)
    pitches = getattr(conv, "pitches", x.shape[2])
    mu, sigma = encode(model, x)
    unit = "bar" if bars == 1 else f"{bars}-bar window"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def one(bits: float, name: str) -> dict[str, Any]:
        rng = np.random.default_rng(args.seed)
        ans, alloc = answer(model, mu, sigma, bits, args, rng)
        seq = windows_to_sequence(ans, conv, starts, lengths, qpm)
        write_midi(seq, out / f"{name}.mid")
        return {
            "bits": bits,
            "midi": f"{name}.mid",
            "bits_per_dimension": alloc.tolist(),
            "seq": seq,
            "answer": ans,
            **_measure(query, seq, x, ans, starts, pitches),
        }

    main = one(args.bits, "answer")
    end = float(starts[-1] + lengths[-1])
    plot_sequences(
        [query, main["seq"]],
        out / "query_and_answer.png",
        length=end,
        titles=[
            f"query: {Path(args.query).name}",
            f"answer: {args.model}, {args.bits:g} bits per {unit}",
        ],
        drums=getattr(model.config, "data", "") == "drums",
    )
    report = {
        "query": str(args.query),
        "model": str(args.model),
        "windows": len(x),
        "bars_per_window": bars,
        "window_start_beats": starts.tolist(),
        "channel": {
            "method": args.method,
            "variance": args.variance,
            "zero_rate": args.zero_rate,
            "sample_posterior": args.sample,
            "seed": args.seed,
        },
        "answer": {k: v for k, v in main.items() if k not in ("seq", "answer")},
    }
    print(
        f"{len(x)} windows; answer at {args.bits:g} bits/{unit}: mean Tonnetz distance "
        f"{main['tonnetz_mean']:.3f}, note overlap {main['note_overlap_mean']:.3f}, "
        f"IR {main['answer_ir_rate']:.3f} bits/{unit} -> {out / 'answer.mid'}"
    )
    if budgets:
        rows = []
        print(f"{'bits':>6} {'tonnetz':>8} {'overlap':>8} {'IR':>6}")
        for b in budgets:
            r = one(b, f"answer_{b:g}bits")
            rows.append({k: v for k, v in r.items() if k not in ("seq", "answer")})
            print(
                f"{b:>6g} {r['tonnetz_mean']:>8.3f} {r['note_overlap_mean']:>8.3f} "
                f"{r['answer_ir_rate']:>6.3f}"
            )
        query_info = _measure(query, query, x, x, starts, pitches)
        report["sweep"] = rows
        report["query_ir_rate"] = query_info["answer_ir_rate"]
        _plot_sweep(rows, query_info["answer_ir_rate"], out / "sweep.png", unit)
    _write_json(out / "improvise.json", report)
    print(
        f"wrote {out / 'improvise.json'}, {out / 'query_and_answer.png'}"
        + (f", {out / 'sweep.png'}" if budgets else "")
    )
    return 0


def _plot_sweep(rows: list[dict], query_ir: float, path: Path, unit: str = "bar") -> None:
    """Three panels against the budget: Tonnetz distance, note overlap, answer IR."""
    from latentjam.plots import _figure, save_figure

    bits = np.array([r["bits"] for r in rows])
    x = np.log2(bits + 1.0)
    fig = _figure(9.0, 2.8)
    axes = fig.subplots(1, 3)
    panels = (
        ("tonnetz_mean", f"mean Tonnetz distance per {unit}"),
        ("note_overlap_mean", "note overlap (Jaccard)"),
        ("answer_ir_rate", f"answer IR (bits per {unit})"),
    )
    for ax, (key, title) in zip(axes, panels, strict=True):
        ax.plot(x, [r[key] for r in rows], marker="o")
        if key == "answer_ir_rate":
            ax.axhline(query_ir, color="0.5", linestyle="--", linewidth=0.8, label="query")
            ax.legend(fontsize=7)
        ax.set_title(title, fontsize=8)
        ax.set_xticks(x, [f"{b:g}" for b in bits], fontsize=6, rotation=45)
        ax.set_xlabel(f"channel bits per {unit}", fontsize=7)
        ax.tick_params(axis="y", labelsize=6)
    fig.tight_layout()
    save_figure(fig, path)


# ---------------------------------------------------------------------------------------------
# analyze


def run_analyze(args: argparse.Namespace) -> int:
    """Handler of `latentjam analyze`."""
    from latentjam.analysis.chroma import chroma_per_bar
    from latentjam.analysis.information import analyze_frames
    from latentjam.midi import read_midi

    if args.thresholds < 2:
        raise LatentjamError("--thresholds must be at least 2")
    seq = read_midi(args.input)
    if args.features == "chroma":
        starts = np.arange(0.0, np.ceil(seq.end), 1.0) if args.unit == "beat" else seq.downbeats()
        if len(starts) < 2:
            raise LatentjamError("the file is too short to analyse (fewer than 2 frames)")
        frames = chroma_per_bar(seq, starts)
        distance = args.distance or "tonnetz"
        if distance == "tonnetz" and not frames.any():
            raise LatentjamError("the file has no pitched notes: chroma is empty")
    else:
        import torch

        torch.set_num_threads(int(os.environ.get("LATENTJAM_THREADS", "1")))
        from latentjam.pretrained import load_model

        model = load_model(args.model)
        conv, bars = _converter(model)
        x, starts, _ = query_windows(seq, conv, bars)
        if len(x) < 2:
            raise LatentjamError("the file is too short to analyse (fewer than 2 windows)")
        frames, _ = encode(model, x)
        distance = args.distance or "cosine"
    if distance == "tonnetz" and args.features != "chroma":
        raise LatentjamError("the tonnetz distance needs --features chroma")
    result = analyze_frames(
        frames,
        distance,
        count=args.thresholds,
        min_length=args.min_length,
        min_count=args.min_count,
    )
    report = {
        "input": str(args.input),
        "features": args.features,
        "unit": args.unit if args.features == "chroma" else "window",
        "model": args.model if args.features == "latent" else None,
        "frame_start_beats": starts.tolist(),
        **result.to_dict(starts),
    }
    json_path = Path(args.json)
    plots = Path(args.plots) if args.plots else json_path.parent / f"{json_path.stem}_plots"
    _plot_analysis(result, starts, plots)
    _write_json(json_path, report)
    print(
        f"{len(frames)} frames ({args.features}, {distance}); best threshold "
        f"{result.sweep.best_threshold:.4g}: IR sum {report['best_ir_sum']:.3f}, "
        f"{result.ir_rate:.3f} bits per frame"
    )
    for m in result.motifs[:10]:
        where = ", ".join(f"{starts[s]:g}" for s in m.starts)
        print(f"  motif of {m.length} frames x{len(m.starts)} at beats {where}")
    if len(result.motifs) > 10:
        print(f"  ... {len(result.motifs) - 10} more in the JSON")
    print(f"wrote {json_path}, {plots / 'ir_curve.png'}, {plots / 'ir_motifs.png'}")
    return 0


def _plot_analysis(result, starts: np.ndarray, folder: Path) -> None:
    """ir_curve.png (IR sum against threshold) and ir_motifs.png (IR over time + motifs)."""
    from matplotlib.patches import Rectangle

    from latentjam.plots import _figure, save_figure

    s = result.sweep
    fig = _figure(5.0, 3.0)
    ax = fig.subplots()
    ax.plot(s.thresholds, s.ir_sums)
    ax.axvline(
        s.best_threshold,
        color="tab:red",
        linestyle="--",
        linewidth=0.8,
        label=f"best {s.best_threshold:.3g}",
    )
    ax.set_xlabel(f"threshold ({s.distance} distance)", fontsize=8)
    ax.set_ylabel("sum of information rate (bits)", fontsize=8)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    save_figure(fig, folder / "ir_curve.png")

    shown = result.motifs[:8]
    fig = _figure(9.0, 3.5 + 0.15 * len(shown))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1 + 0.2 * len(shown)])
    top.step(starts, result.ir, where="post")
    top.set_ylabel("IR (bits)", fontsize=8)
    top.set_title(f"information rate at threshold {s.best_threshold:.3g}", fontsize=8)
    step = float(np.median(np.diff(starts))) if len(starts) > 1 else 1.0
    for row, m in enumerate(shown):
        for st in m.starts:
            x0 = starts[st]
            x1 = starts[st + m.length] if st + m.length < len(starts) else starts[-1] + step
            bottom.add_patch(Rectangle((x0, row - 0.4), x1 - x0, 0.8, color=f"C{row % 10}"))
    bottom.set_ylim(-0.6, max(len(shown), 1) - 0.4)
    bottom.set_yticks(
        range(len(shown)), [f"{m.length} x{len(m.starts)}" for m in shown], fontsize=6
    )
    bottom.set_xlabel("beats", fontsize=8)
    bottom.set_title("motifs (length x occurrences)", fontsize=8)
    for ax in (top, bottom):
        ax.tick_params(labelsize=7)
    bottom.set_xlim(starts[0], starts[-1] + step)
    fig.tight_layout()
    save_figure(fig, folder / "ir_motifs.png")
