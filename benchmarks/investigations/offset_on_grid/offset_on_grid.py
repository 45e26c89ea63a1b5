"""Why the drum models' offset error is above the per-position table on the test split: the
offsets each model decodes for on-grid windows it trained on and for those it did not, split
into a shift of the whole window and a per-hit part; optionally, the head refit redone on
decodes of posterior samples instead of posterior means.

    python benchmarks/investigations/offset_on_grid/offset_on_grid.py drums drums-baseline \\
        [--refit-from-samples drums] --json benchmarks/investigations/offset_on_grid/result.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

K = 9  # drum classes: hits, then velocities, then offsets along the last axis
SOURCES = ("freedoom", "mma", "openmsx", "simutrans")


def offsets_by_source(conv) -> dict[str, dict[str, float]]:
    """Share of hits exactly on the grid and mean squared offset, per source and split."""
    from latentjam.corpora.load import load_corpus_by_source

    out = {}
    for split in ("train", "test"):
        for source in SOURCES:
            x = np.asarray(
                load_corpus_by_source("drums", conv, split, only=source, progress=False), np.float32
            )
            if not len(x):
                continue
            off = x[..., 2 * K :][x[..., :K] > 0.5]
            out[f"{split} {source}"] = {
                "windows": len(x),
                "on_grid_share": float((np.abs(off) < 1e-6).mean()),
                "mean_square_offset": float((off**2).mean()),
            }
    return out


def decoded_offsets(model, x: np.ndarray) -> dict[str, float]:
    """Offset MSE of the greedy decode of x (N, T, 27) on the hits it shares with x: in all,
    the part a shift of the whole window explains and the per-hit rest."""
    from latentjam.evaluation import decoder, encode_means

    y = decoder(model)(encode_means(model, x))  # (N, T, 27)
    both = (x[..., :K] > 0.5) & (y[..., :K] > 0.5)
    err = np.where(both, y[..., 2 * K :] - x[..., 2 * K :], np.nan)  # (N, T, 9)
    shift = np.nanmean(err.reshape(len(x), -1), axis=1)  # (N,) the window's mean error
    rest = err - shift[:, None, None]
    return {
        "offset_mse": float(np.nanmean(err**2)),
        "window_shift_part": float(
            (np.broadcast_to(shift[:, None, None], err.shape)[both] ** 2).mean()
        ),
        "per_hit_part": float(np.nanmean(rest**2)),
    }


def refit_from_samples(name: str, train: np.ndarray, sets: dict[str, np.ndarray]) -> dict:
    """The head refit with greedy decodes of z ~ q(z | x) instead of the posterior means:
    velocity / offset MSE against the table before and after."""
    import torch

    import latentjam.training.head_refit as head_refit
    from latentjam.models.groove import position_table
    from latentjam.pretrained import load_model

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from drum_sources import continuous_errors

    def sampled_features(model, x: torch.Tensor, *, batch: int = 512) -> torch.Tensor:
        """Bar-GRU outputs (N, T, H) of greedy decodes of posterior samples of x (N, T, D)."""
        taken: list[torch.Tensor] = []
        hook = model.decoder.to_params.register_forward_hook(
            lambda mod, inp, out: taken.append(inp[0])
        )
        chunks = []
        try:
            with torch.no_grad():
                for i in range(0, len(x), batch):
                    taken.clear()
                    mu, sigma = model.encode(x[i : i + batch])
                    model.decoder.generate(mu + sigma * torch.randn_like(mu))
                    chunks.append(torch.stack(taken, dim=1))
        finally:
            hook.remove()
        return torch.cat(chunks)

    table = position_table(train)
    model = load_model(name)
    before = {k: continuous_errors(model, x, table) for k, x in sets.items()}
    plain = head_refit.greedy_features
    head_refit.greedy_features = sampled_features
    try:
        head_refit.refit_continuous_outputs(model, torch.as_tensor(train))
    finally:
        head_refit.greedy_features = plain
    after = {k: continuous_errors(model, x, table) for k, x in sets.items()}
    return {"before": before, "after_refit_from_samples": after}


def main(argv: list[str] | None = None) -> int:
    import torch

    from latentjam.corpora import load_corpus
    from latentjam.corpora.load import load_corpus_by_source
    from latentjam.datasets import make_converter
    from latentjam.pretrained import load_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="shipped drum model names or model files")
    ap.add_argument("--refit-from-samples", help="a model to refit on posterior samples")
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    conv = make_converter("drums")
    free_train = np.asarray(
        load_corpus_by_source("drums", conv, "train", only="freedoom", progress=False), np.float32
    )
    free_train = free_train[np.random.default_rng(0).choice(len(free_train), 600, replace=False)]
    hits = free_train[..., :K] > 0.5
    on_grid = ~np.any(hits & (np.abs(free_train[..., 2 * K :]) > 1e-6), axis=(1, 2))  # (N,)
    free_test = np.asarray(
        load_corpus_by_source("drums", conv, "test", only="freedoom", progress=False), np.float32
    )
    result: dict = {
        "command": "python benchmarks/investigations/offset_on_grid/offset_on_grid.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "offsets_in_the_data": offsets_by_source(conv),
        "models": {},
    }
    for name in args.models:
        model = load_model(name)
        result["models"][name] = {
            "freedoom test (every hit on the grid)": decoded_offsets(model, free_test),
            "freedoom train, on-grid windows (600 drawn)": decoded_offsets(
                model, free_train[on_grid]
            ),
            "freedoom train, other windows": decoded_offsets(model, free_train[~on_grid]),
        }
    if args.refit_from_samples:
        sets = {
            "test": np.asarray(load_corpus("drums", conv, "test", progress=False), np.float32),
            "valid": np.asarray(load_corpus("drums", conv, "valid", progress=False), np.float32),
            "freedoom test": free_test,
        }
        train = np.asarray(load_corpus("drums", conv, "train", progress=False), np.float32)
        result["refit_from_samples"] = {
            args.refit_from_samples: refit_from_samples(args.refit_from_samples, train, sets)
        }
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
