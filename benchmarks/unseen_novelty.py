"""How new are a held-out source's drum windows, and does novelty explain the unseen-source drop?

Novelty of a window is the Hamming distance from its hit grid (32 steps x 9 classes) to the
nearest training window's (training split without the held-out source). With a model trained
without that source, each window's greedy-decode hit F1 is binned by novelty on both sides, and
the test split's per-bin F1 reweighted to the held-out source's novelty mix says how much of the
drop novelty alone accounts for.

    python benchmarks/unseen_novelty.py --json benchmarks/results/unseen_novelty.json \\
        [--drums RUN/model.pt] [--source openmsx]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from results_file import write_results

K = 9  # drum classes: the first K features of a step are the hits
BINS = ((0, 0), (1, 5), (6, 11), (12, 19), (20, 10_000))


def hit_grid(x: np.ndarray) -> np.ndarray:
    """(N, T, F) windows -> (N, T*K) float32 hit indicators."""
    return (x[..., :K] > 0.5).reshape(len(x), -1).astype(np.float32)


def nearest_hamming(query: np.ndarray, train: np.ndarray, chunk: int = 512) -> np.ndarray:
    """(N,) Hamming distance from each query grid to its nearest training grid."""
    t_ones = train.sum(1)
    out = np.empty(len(query), np.int64)
    for i in range(0, len(query), chunk):
        q = query[i : i + chunk]
        # |a xor b| = |a| + |b| - 2 a.b   (q: (n, D), train: (M, D) -> (n, M))
        d = q.sum(1, keepdims=True) + t_ones[None, :] - 2.0 * (q @ train.T)
        out[i : i + chunk] = np.rint(d.min(1)).astype(np.int64)
    return out


def window_f1(model, x: np.ndarray) -> np.ndarray:
    """(N,) hit F1 of each window's greedy decode from its posterior mean."""
    from latentjam.evaluation import decoder, encode_means

    y = decoder(model)(encode_means(model, x))
    hits, pred = x[..., :K] > 0.5, y[..., :K] > 0.5
    tp = (hits & pred).sum((1, 2))
    return 2.0 * tp / np.maximum(1, hits.sum((1, 2)) + pred.sum((1, 2)))


def bin_of(novelty: np.ndarray) -> np.ndarray:
    """(N,) index into BINS."""
    idx = np.zeros(len(novelty), np.int64)
    for b, (lo, hi) in enumerate(BINS):
        idx[(novelty >= lo) & (novelty <= hi)] = b
    return idx


def side_summary(novelty: np.ndarray, f1: np.ndarray | None) -> dict:
    """Novelty distribution (and per-bin mean window F1) of one side."""
    idx = bin_of(novelty)
    out = {
        "windows": len(novelty),
        "novelty_median": float(np.median(novelty)),
        "exact_share": float(np.mean(novelty == 0)),
        "bins": {},
    }
    for b, (lo, hi) in enumerate(BINS):
        name = f"{lo}-{hi}" if hi < 10_000 else f"{lo}+"
        row = {"share": float(np.mean(idx == b))}
        if f1 is not None and (idx == b).any():
            row["mean_window_f1"] = float(f1[idx == b].mean())
        out["bins"][name] = row
    if f1 is not None:
        out["mean_window_f1"] = float(f1.mean())
        out["r_f1_novelty"] = float(np.corrcoef(f1, novelty)[0, 1])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default="openmsx")
    ap.add_argument("--drums", help="drum model trained without --source (adds per-bin F1)")
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)

    from latentjam.corpora.load import load_corpus_by_source
    from latentjam.datasets import make_converter

    conv = make_converter("drums")
    load = load_corpus_by_source
    train = load("drums", conv, "train", exclude=args.source, progress=False)
    seen = load("drums", conv, "test", exclude=args.source, progress=False)
    unseen = load("drums", conv, "all", only=args.source, progress=False)
    grid_train = hit_grid(train)
    nov_seen = nearest_hamming(hit_grid(seen), grid_train)
    nov_unseen = nearest_hamming(hit_grid(unseen), grid_train)
    f1_seen = f1_unseen = None
    if args.drums:
        import torch

        from latentjam.pretrained import load_model

        torch.set_num_threads(1)
        model = load_model(args.drums)
        f1_seen = window_f1(model, np.asarray(seen, np.float32))
        f1_unseen = window_f1(model, np.asarray(unseen, np.float32))
    out = {
        "command": "python benchmarks/unseen_novelty.py " + " ".join(argv or sys.argv[1:]),
        "held_out_source": args.source,
        "training_windows": len(train),
        "novelty": "Hamming distance of the 32 x 9 hit grid to the nearest training window",
        "test_split": side_summary(nov_seen, f1_seen),
        "unseen": side_summary(nov_unseen, f1_unseen),
    }
    if args.drums:
        idx_s, idx_u = bin_of(nov_seen), bin_of(nov_unseen)
        per_bin = np.array(
            [f1_seen[idx_s == b].mean() if (idx_s == b).any() else np.nan for b in range(5)]
        )
        mix = np.bincount(idx_u, minlength=len(BINS)) / len(idx_u)
        ok = ~np.isnan(per_bin)
        reweighted = float((per_bin[ok] * mix[ok]).sum() / mix[ok].sum())
        out["model"] = args.drums
        out["test_split_f1_reweighted_to_unseen_novelty"] = reweighted
        out["drop_mean_window_f1"] = float(f1_seen.mean() - f1_unseen.mean())
        out["drop_explained_by_novelty"] = float(f1_seen.mean() - reweighted)
    write_results(args.json, out)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
