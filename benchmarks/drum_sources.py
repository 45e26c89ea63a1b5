"""Drum reconstruction per source: greedy hit F1 of each model on each source's test pieces,
on the old (five-package) test split and on the whole test split.

    python benchmarks/drum_sources.py drums drums-baseline runs/X/model.pt \\
        --json benchmarks/results/drum_sources.json
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from results_file import write_results

OLD_SOURCES = ("mma", "hydrogen", "tk707", "simutrans", "openmsx")  # before Freedoom was added


def per_source(model, windows: dict[str, np.ndarray]) -> dict[str, float]:
    """{source: hit F1} for one model; windows {source: (N, 32, 27)}."""
    from latentjam.evaluation import reconstruction

    return {k: reconstruction(model, x, "drums")["hit_f1"] for k, x in windows.items()}


def main(argv: list[str] | None = None) -> int:
    import torch

    from latentjam.corpora import drums_index
    from latentjam.corpora.load import load_corpus_by_source
    from latentjam.datasets import make_converter
    from latentjam.pretrained import load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="shipped drum model names or model files")
    ap.add_argument("--json", required=True)
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
    result = {
        "command": "python benchmarks/drum_sources.py " + " ".join(args.models),
        "windows": {k: len(x) for k, x in windows.items()},
        "hit_f1": {m: per_source(load_model(m), windows) for m in args.models},
    }
    write_results(args.json, result)
    for m, row in result["hit_f1"].items():
        print(m, " ".join(f"{k} {v:.3f}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
