"""Why the drum models' timing knob stops at "slightly late": what laid-back windows look like in
the bundled corpus, and how a drum model reconstructs them.

    python benchmarks/investigations/drum_timing/drum_timing.py [--model drums] \
        [--json benchmarks/investigations/drum_timing/drums.json]

Prints and writes: the share of training windows on the grid, early and late; per-hit offsets of
the late windows (mean offset > 0.03 half-steps); the model's mean offset for windows binned by
their true mean offset, greedy from the posterior mean and teacher-forced (the true previous
steps fed in, and the same with their offsets zeroed); and the late windows' mean offset at each
16th of the bar, true and teacher-forced; swing (the mean offset of the hits on odd 16ths) of
test windows with more than two such hits against their greedy decodes; and the spread of the
mean offset of the training windows' greedy decodes (what the model can play).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

K = 9  # drum classes; DrumGrid layout hits [0, K), velocities [K, 2K), offsets [2K, 3K)
BINS = ((-1.0, -0.1), (-0.1, -0.03), (-0.001, 0.001), (0.03, 0.1), (0.1, 1.0))


def mean_offset(x: np.ndarray) -> np.ndarray:
    """Mean offset over each window's hits, (n,) from grids (n, T, 27)."""
    hits = x[..., :K] > 0.5
    return (x[..., 2 * K :] * hits).sum((1, 2)) / np.maximum(hits.sum((1, 2)), 1)


def swing(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean offset of the hits on odd 16ths (n,), and whether a window has more than two."""
    hits = x[..., :K] > 0.5
    odd = np.arange(x.shape[1]) % 2 == 1
    count = hits[:, odd].sum((1, 2))
    return (x[:, odd, 2 * K :] * hits[:, odd]).sum((1, 2)) / np.maximum(count, 1), count > 2


def teacher_forced_offsets(model, x: np.ndarray, *, zero_fed_offsets: bool) -> np.ndarray:
    """Offsets (n, T, 9) the decoder predicts from the posterior mean with the true previous
    steps fed in (their offsets zeroed if asked)."""
    import torch

    xt = torch.from_numpy(np.asarray(x, np.float32))
    fed = xt.clone()
    if zero_fed_offsets:
        fed[..., 2 * K :] = 0.0
    with torch.no_grad():
        mu = model.encode(xt)[0]
        params = model.decoder.teacher_forced(mu, fed)  # (n, T, 27)
    return torch.tanh(params[..., 2 * K :]).numpy()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="drums")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--limit", type=int, default=400, help="windows per teacher-forced bin")
    args = ap.parse_args(argv)
    import torch

    from latentjam.api import converter_for
    from latentjam.corpora import load_corpus
    from latentjam.evaluation import decoder, encode_means
    from latentjam.pretrained import load_model

    torch.set_num_threads(1)
    model = load_model(args.model).eval()
    train = load_corpus("drums", converter_for(model), "train", progress=False)
    true = mean_offset(train)
    greedy = mean_offset(decoder(model)(encode_means(model, train)))
    out: dict = {
        "model": args.model,
        "windows": len(train),
        "share_on_grid": float((true == 0).mean()),
        "share_early": float((true < -0.03).mean()),
        "share_late": float((true > 0.03).mean()),
        "bins": [],
    }
    for lo, hi in BINS:
        sel = (true > lo) & (true <= hi)
        x = train[sel][: args.limit]
        hits = x[..., :K] > 0.5
        out["bins"].append(
            {
                "true_mean_offset_range": [lo, hi],
                "windows": int(sel.sum()),
                "true": float(true[sel].mean()),
                "greedy": float(greedy[sel].mean()),
                "teacher_forced": float(
                    teacher_forced_offsets(model, x, zero_fed_offsets=False)[hits].mean()
                ),
                "teacher_forced_fed_offsets_zeroed": float(
                    teacher_forced_offsets(model, x, zero_fed_offsets=True)[hits].mean()
                ),
            }
        )
    late = train[true > 0.03]
    hits = late[..., :K] > 0.5
    offsets = late[..., 2 * K :][hits]
    out["late_windows_per_hit_offset_quantiles"] = {
        str(q): float(np.quantile(offsets, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)
    }
    out["late_windows_share_of_hits_on_grid"] = float((offsets == 0).mean())
    predicted = teacher_forced_offsets(model, late[: args.limit], zero_fed_offsets=False)
    pos = np.arange(late.shape[1]) % 16
    lim = hits[: args.limit]
    out["late_windows_by_position"] = [
        {
            "step": int(p),
            "true": float(late[: args.limit, pos == p, 2 * K :][lim[:, pos == p]].mean()),
            "teacher_forced": float(predicted[:, pos == p][lim[:, pos == p]].mean()),
        }
        for p in range(16)
    ]
    test = load_corpus("drums", converter_for(model), "test", progress=False)
    true_swing, has = swing(test)
    decoded_swing, has_decoded = swing(decoder(model)(encode_means(model, test)))
    both = has & has_decoded
    out["test_swing"] = {
        "windows": int(both.sum()),
        "sd": float(true_swing[both].std()),
        "greedy_r": float(np.corrcoef(true_swing[both], decoded_swing[both])[0, 1]),
        "greedy_slope": float(np.polyfit(true_swing[both], decoded_swing[both], 1)[0]),
    }
    out["train_mean_offset_quantiles"] = {
        str(q): {"data": float(np.quantile(true, q)), "greedy": float(np.quantile(greedy, q))}
        for q in (0.01, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
    }
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
