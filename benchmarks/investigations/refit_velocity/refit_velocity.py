"""Why drum velocity r (paper table 2) turns into seed noise after the head refit: loudness of
greedy reconstructions, and loudness along the velocity attribute vector, before and after.

    python benchmarks/investigations/refit_velocity/refit_velocity.py \\
        runs/drums-remix-s1/model.pt runs/refit/drums-remix-s1/model.pt ... \\
        --json benchmarks/investigations/refit_velocity/remix_seeds.json

For each model file, on the drum test split: the spread of each window's mean decoded velocity
(over its decoded hits) and its correlation with the data's; then, with the velocity attribute
vector v (top minus bottom quartile of the training windows' posterior means by mean velocity),
each test latent moved to z + a v for a in -1..1: the per-window least-squares slope of decoded
mean velocity against a, its mean and the share of windows where loudness rises with a.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

STEPS = np.linspace(-1.0, 1.0, 5)


def mean_velocity(x: np.ndarray) -> np.ndarray:
    """(n,) mean velocity over each window's hits (0 where it has none), grids (n, T, 27)."""
    from latentjam.analysis.attributes import compute_attributes

    return np.nan_to_num(compute_attributes(x, "drums")["velocity"])


def study(path: str, train: np.ndarray, test: np.ndarray) -> dict[str, float]:
    """Figures for one model file."""
    from latentjam.analysis.attributes import attribute_vector
    from latentjam.evaluation import decoder, encode_means
    from latentjam.pretrained import load_model

    model = load_model(path)
    decode = decoder(model)
    v = attribute_vector(encode_means(model, train), mean_velocity(train))
    z = encode_means(model, test)
    data = mean_velocity(test)
    recon = mean_velocity(decode(z))
    # (len(STEPS), n) decoded mean velocity along z + a v
    along = np.stack([mean_velocity(decode(z + a * v[None, :])) for a in STEPS])
    centred = STEPS - STEPS.mean()
    slopes = (centred[:, None] * (along - along.mean(0))).sum(0) / (centred**2).sum()
    return {
        "recon_sd_window_velocity": float(recon.std()),
        "data_sd_window_velocity": float(data.std()),
        "r_recon_data_window_velocity": float(np.corrcoef(recon, data)[0, 1]),
        "mean_slope_along_v": float(slopes.mean()),
        "sd_slope_along_v": float(slopes.std()),
        "share_rising_along_v": float(np.mean(slopes > 0)),
    }


def main(argv: list[str] | None = None) -> int:
    import torch

    from latentjam.corpora import load_corpus
    from latentjam.datasets import make_converter

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="drum model files")
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    conv = make_converter("drums")
    train = np.asarray(load_corpus("drums", conv, "train", False), np.float32)
    test = np.asarray(load_corpus("drums", conv, "test", False), np.float32)
    out = {}
    for path in args.models:
        out[path] = study(path, train, test)
        print(path, json.dumps(out[path]), flush=True)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
