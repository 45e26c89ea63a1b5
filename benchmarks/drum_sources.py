"""Drum reconstruction per source: greedy hit F1 of each model on each source's test pieces,
on the old (five-package) test split, on the whole test split and on the validation split; and
velocity / offset MSE on the hits each decode shares with the data, beside the per-class,
per-position mean table (built from the training split) on the same hits. With --midi DIR, the
same for the drum tracks of every MIDI file under DIR, a source from outside the corpus (for
example the Debian package planetblupi-music-midi: `apt-get download planetblupi-music-midi`,
`dpkg -x` it, then --midi FOLDER/usr/share/planetblupi/music).

    python benchmarks/drum_sources.py drums drums-baseline runs/X/model.pt \\
        --json benchmarks/results/drum_sources.json
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from results_file import write_results

OLD_SOURCES = ("mma", "hydrogen", "tk707", "simutrans", "openmsx")  # before Freedoom was added


K = 9  # drum classes: hits, then velocities, then offsets along the last axis


def per_source(model, windows: dict[str, np.ndarray]) -> dict[str, float]:
    """{source: hit F1} for one model; windows {source: (N, 32, 27)}."""
    from latentjam.evaluation import reconstruction

    return {k: reconstruction(model, x, "drums")["hit_f1"] for k, x in windows.items()}


def continuous_errors(model, x: np.ndarray, table: tuple[np.ndarray, np.ndarray]) -> dict:
    """Velocity / offset MSE of the greedy decode of x (N, T, 27) and of the table
    (velocity, offset), each (16, 9), on the hits the decode shares with x."""
    from latentjam.evaluation import decoder, encode_means

    y = decoder(model)(encode_means(model, x))  # (N, T, 27)
    both = (x[..., :K] > 0.5) & (y[..., :K] > 0.5)
    pos = np.arange(x.shape[1]) % len(table[0])
    out = {}
    for name, cols, tab in (
        ("velocity", slice(K, 2 * K), table[0]),
        ("offset", slice(2 * K, None), table[1]),
    ):
        true = x[..., cols][both]
        out[f"{name}_mse"] = float(((y[..., cols][both] - true) ** 2).mean())
        out[f"table_{name}_mse"] = float(
            ((np.broadcast_to(tab[pos], both.shape)[both] - true) ** 2).mean()
        )
    return out


def main(argv: list[str] | None = None) -> int:
    import torch

    from latentjam.corpora import drums_index, load_corpus
    from latentjam.corpora.load import load_corpus_by_source
    from latentjam.datasets import make_converter
    from latentjam.datasets.build import find_midi_files
    from latentjam.errors import InvalidMidiError
    from latentjam.midi import read_midi
    from latentjam.models.groove import position_table
    from latentjam.pretrained import load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="shipped drum model names or model files")
    ap.add_argument("--json", required=True)
    ap.add_argument("--midi", help="a folder of MIDI files from outside the corpus")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    conv = make_converter("drums")
    sources = sorted({e["source"] for e in drums_index()["files"].values()})
    windows = {}
    for source in sources:
        x = load_corpus_by_source("drums", conv, "test", only=source, progress=False)
        if len(x):  # a small source may have no piece in the test split
            windows[source] = np.asarray(x, np.float32)
    old = [windows[s] for s in OLD_SOURCES if s in windows]
    windows["test split of the five-package corpus"] = np.concatenate(old)
    windows["test split"] = np.concatenate([windows[s] for s in sources if s in windows])
    windows["validation split"] = np.asarray(load_corpus("drums", conv, "valid", progress=False))
    if args.midi:
        outside = []
        for f in find_midi_files([args.midi]):
            try:
                outside.append(conv.windows(read_midi(f.path)))
            except InvalidMidiError as err:  # a corrupt file is skipped and reported
                print(f"skipped {f.path}: {err}", file=sys.stderr)
        windows[f"outside the corpus: {args.midi}"] = np.concatenate(outside).astype(np.float32)
    table = position_table(load_corpus("drums", conv, "train", progress=False))
    models = {m: load_model(m) for m in args.models}
    result = {
        "command": "python benchmarks/drum_sources.py "
        + " ".join(args.models)
        + (f" --midi {args.midi}" if args.midi else ""),
        "windows": {k: len(x) for k, x in windows.items()},
        "hit_f1": {m: per_source(model, windows) for m, model in models.items()},
        "velocity_offset_mse_on_shared_hits": {
            m: {k: continuous_errors(model, x, table) for k, x in windows.items()}
            for m, model in models.items()
        },
    }
    write_results(args.json, result)
    for m, row in result["hit_f1"].items():
        print(m, " ".join(f"{k} {v:.3f}" for k, v in row.items()))
        for k, e in result["velocity_offset_mse_on_shared_hits"][m].items():
            print(
                f"  {k}: velocity {e['velocity_mse']:.4f} (table {e['table_velocity_mse']:.4f})"
                f", offset {e['offset_mse']:.4f} (table {e['table_offset_mse']:.4f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
