"""Refit the velocity / offset rows of a shipped drum model's output layer on its own greedy
decodes of the training windows (latentjam.training.head_refit), and measure the errors before
and after against the per-class, per-position mean table.

    python scripts/refit_drum_heads.py drums drums-baseline --out runs/refit

Writes OUT/NAME/model.pt (with the shipped model's metadata) and OUT/NAME/timing.json, for
`python scripts/train_pretrained.py --package-only --runs OUT --only NAME ...`, and the figures
to benchmarks/results/head_refit.json. About a minute per model on one CPU thread.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latentjam.api import converter_for
from latentjam.corpora import load_corpus
from latentjam.evaluation import decoder, encode_means
from latentjam.pretrained import load_model, save_model
from latentjam.training.head_refit import refit_continuous_outputs
from train_humanize import masked_mse, table_baseline

K = 9
RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "head_refit.json"


def figures(model, train: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """Hit F1 of greedy decodes from posterior means; velocity / offset MSE on the hits the
    decode shares with the data, for the model and for the table on the same hits and on all."""
    y = decoder(model)(encode_means(model, x))
    hits, pred = x[..., :K] > 0.5, y[..., :K] > 0.5
    both = hits & pred
    tp = float(both.sum())
    f1 = 2 * tp / max(1.0, float(hits.sum() + pred.sum()))
    tv, to = table_baseline(train, x)
    vel, off = x[..., K : 2 * K], x[..., 2 * K :]
    return {
        "hit_f1": f1,
        "velocity_mse_on_shared_hits": masked_mse(y[..., K : 2 * K], vel, both),
        "offset_mse_on_shared_hits": masked_mse(y[..., 2 * K :], off, both),
        "table_velocity_mse_on_shared_hits": masked_mse(tv, vel, both),
        "table_offset_mse_on_shared_hits": masked_mse(to, off, both),
        "table_velocity_mse_on_all_hits": masked_mse(tv, vel, hits),
        "table_offset_mse_on_all_hits": masked_mse(to, off, hits),
    }


def record(key: str, entry: dict) -> None:
    """Add one model's figures to RESULTS: read, update and replace under a file lock, so that
    refits running side by side do not drop each other's entries."""
    with open(RESULTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[key] = entry
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(results, indent=1) + "\n")
        os.replace(tmp, RESULTS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="shipped drum model names or model files")
    ap.add_argument("--out", default="runs/refit")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for name in args.models:
        model = load_model(name)
        corpus = str(model.metadata["data"]["source"]).removeprefix("corpus:")
        conv = converter_for(model)
        split = {
            s: load_corpus(corpus, conv, s, progress=False) for s in ("train", "valid", "test")
        }
        before = {s: figures(model, split["train"], split[s]) for s in ("valid", "test")}
        start = time.process_time()
        errors = refit_continuous_outputs(
            model, torch.as_tensor(split["train"]), rounds=args.rounds, steps=args.steps
        )
        cpu = time.process_time() - start
        after = {s: figures(model, split["train"], split[s]) for s in ("valid", "test")}
        run = Path(args.out) / Path(name).stem
        meta = dict(model.metadata)
        meta["head_refit"] = {"rounds": args.rounds, "steps": args.steps, "cpu_seconds": cpu}
        save_model(run / "model.pt", model, metadata=meta, half=True)
        timing = {"cpu_seconds": meta.get("cpu_seconds"), "wall_seconds": meta.get("wall_seconds")}
        (run / "timing.json").write_text(json.dumps(timing))
        entry = {
            "command": "python scripts/refit_drum_heads.py " + " ".join(argv or sys.argv[1:]),
            "fit_error_per_round": errors,
            "refit_cpu_seconds": cpu,
            "before": before,
            "after": after,
        }
        record(Path(name).stem, entry)
        print(json.dumps(entry, indent=1), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
