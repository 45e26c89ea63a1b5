"""Train the shipped humanize model (GrooveVAE) on the bundled drum corpus and write its card.

    nice -n 5 python scripts/train_humanize.py --table-prior [--steps 3000] [--minutes 9]

(the shipped model: --table-prior, seed 0)

One CPU thread, seeded. Writes src/latentjam/pretrained/humanize.pt (fp16) and humanize.md
with test-split figures against two baselines: flat (every hit at the corpus's mean velocity,
on the grid) and a per-class, per-16th-position table of mean velocity and offset.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from latentjam.convert import DrumGrid
from latentjam.corpora import load_corpus
from latentjam.models.groove import CLASSES, GrooveConfig, GrooveVAE, position_table
from latentjam.pretrained import HERE, save_model


def masked_mse(pred: np.ndarray, target: np.ndarray, hits: np.ndarray) -> float:
    """Mean squared error over hit cells: arrays (n, T, 9)."""
    return float(((pred - target) ** 2)[hits].mean())


def table_baseline(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean velocity and offset per (class, 16th position in the bar) from `train`
    (`position_table`), applied to the hits of `test`: returns velocities and offsets (n, T, 9)."""
    vel_t, off_t = position_table(train)
    tpos = np.arange(test.shape[1]) % 16
    return (
        np.broadcast_to(vel_t[tpos], test[..., :CLASSES].shape),
        np.broadcast_to(off_t[tpos], test[..., :CLASSES].shape),
    )


def evaluate(model: GrooveVAE, train: np.ndarray, test: np.ndarray) -> dict[str, dict[str, float]]:
    """Velocity / offset MSE at the hits of `test` for the model (z = 0) and both baselines."""
    hits = test[..., :CLASSES] > 0.5
    vel, off = test[..., CLASSES : 2 * CLASSES], test[..., 2 * CLASSES :]
    out = model.humanize_grids(test)
    mean_vel = float(train[..., CLASSES : 2 * CLASSES][train[..., :CLASSES] > 0.5].mean())
    tv, to = table_baseline(train, test)
    return {
        "model (z = 0)": {
            "velocity_mse": masked_mse(out[..., CLASSES : 2 * CLASSES], vel, hits),
            "offset_mse": masked_mse(out[..., 2 * CLASSES :], off, hits),
        },
        "flat (mean velocity, on the grid)": {
            "velocity_mse": masked_mse(np.full_like(vel, mean_vel), vel, hits),
            "offset_mse": masked_mse(np.zeros_like(off), off, hits),
        },
        "per-class, per-position table": {
            "velocity_mse": masked_mse(tv, vel, hits),
            "offset_mse": masked_mse(to, off, hits),
        },
    }


CARD = """# humanize: GrooveVAE for velocities and micro-timing

Gives a quantised, flat-velocity drum pattern the velocities and micro-timing of played drums,
keeping its hits (the "humanize" task of GrooVAE, Gillick et al. 2019).
Used by `latentjam humanize IN.mid --out OUT.mid` and `latentjam.load("drums").humanize(...)`.

- Model: `latentjam.models.groove.GrooveVAE` ({params} parameters): BiGRU encoder of the full
  grid -> {nz}-D groove-style latent; BiGRU decoder over [hits, z, position in the bar] ->
  velocities (sigmoid) and offsets (tanh) for the 9 drum classes, {bars} bars of 16th notes.
  {prior}Loss: MSE of velocities and offsets at the hits + {beta} x KL (per element); in training
  {dropout:.0%} of the windows are decoded from z = 0, so z = 0 learns the best feel from the
  hits alone.
- Data: the bundled drum corpus (`latentjam.corpora`, "drums", 2-bar DrumGrid windows, hop 1
  bar): {n_train} train / {n_valid} valid / {n_test} test windows (split by piece).
- Training: {steps} steps, batch 64, AdamW lr {lr:g} (weight decay {wd:g}), one CPU thread,
  {seconds:.0f} CPU s, seed {seed}
  (`scripts/train_humanize.py{flags}`). Weights stored as fp16.

## Held-out pieces (mean squared error at the hits; velocities in 0..1, offsets in half-steps)

| predictor | valid: velocity MSE | valid: offset MSE | test: velocity MSE | test: offset MSE |
| --- | --- | --- | --- | --- |
{rows}

The checkpoint kept is the one with the lowest validation error at z = 0 (checked every 250
steps).
Much of the remaining error is each piece's overall loudness, which no predictor that sees only
the hits can know (sampling z with `--temperature` varies it).

Limits: the corpus is mostly sequenced grooves (MMA, Hydrogen, TK-707 demos and game music),
whose "feel" is programmed accents and light randomisation, not recorded drummers as in the
Groove MIDI Dataset; the model learns that feel. Offsets at a window's first step are never
early (the converter clamps them).
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--minutes", type=float, default=9.0, help="stop early after this")
    parser.add_argument("--out", default=str(HERE / "humanize.pt"))
    parser.add_argument("--hidden", type=int, default=GrooveConfig.hidden, help="GRU units")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--decay", type=float, default=0.999, help="learning-rate decay per step")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="AdamW weight decay")
    parser.add_argument(
        "--table-prior",
        action="store_true",
        help="learn changes to the per-class, per-position mean table (GrooveConfig.table_prior)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    grid = DrumGrid()
    train = load_corpus("drums", grid, split="train", progress=False)
    valid = load_corpus("drums", grid, split="valid", progress=False)
    test = load_corpus("drums", grid, split="test", progress=False)
    config = GrooveConfig(hidden=args.hidden, table_prior=args.table_prior)
    model = GrooveVAE(config)
    if args.table_prior:
        model.set_position_table(*position_table(train))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=args.decay)
    start, step = time.process_time(), 0
    best, best_state = float("inf"), None
    for step in range(1, args.steps + 1):
        idx = rng.integers(0, len(train), 64)
        loss = model.losses(torch.from_numpy(train[idx]))
        opt.zero_grad()
        loss["loss"].backward()
        nn_utils_clip(model)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == args.steps:
            model.eval()  # what humanize does: z = 0, hits only
            v = evaluate(model, train, valid)["model (z = 0)"]
            model.train()
            score = v["velocity_mse"] + v["offset_mse"]
            if score < best:
                best = score
                best_state = {k: t.detach().clone() for k, t in model.state_dict().items()}
            print(
                f"step {step}: train {loss['recon'].item():.4f} valid (z = 0) vel "
                f"{v['velocity_mse']:.4f} off {v['offset_mse']:.4f}",
                flush=True,
            )
        if time.process_time() - start > args.minutes * 60:
            break
    seconds = time.process_time() - start
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    if config.table_prior:
        model.config = config = choose_scales(model, train, valid)
        print(
            f"scales on valid: velocity {model.config.velocity_scale} offset "
            f"{model.config.offset_scale}",
            flush=True,
        )
    figures = {"valid": evaluate(model, train, valid), "test": evaluate(model, train, test)}
    print(json.dumps(figures, indent=2))
    meta = {
        "data": {
            "source": "corpus:drums",
            "converter": grid.cache_key(),
            "n_train": len(train),
            "n_valid": len(valid),
            "n_test": len(test),
        },
        "steps": step,
        "cpu_seconds": round(seconds, 1),
        "test_metrics": figures,
        "representation": "drums",
        "bars": config.bars,
    }
    out = save_model(args.out, model, metadata=meta)
    rows = "\n".join(
        f"| {name} | {figures['valid'][name]['velocity_mse']:.4f} | "
        f"{figures['valid'][name]['offset_mse']:.4f} | {f['velocity_mse']:.4f} | "
        f"{f['offset_mse']:.4f} |"
        for name, f in figures["test"].items()
    )
    prior = (
        "The decoder's outputs change a per-class, per-position table of the training windows'\n"
        "  mean velocities and offsets (`table_prior`); the changes are scaled by "
        f"{config.velocity_scale:g} (velocities)\n  and {config.offset_scale:g} (offsets) "
        "when decoding, the scales (0, 0.25, .., 1) that do best on the\n  valid split. "
        if config.table_prior
        else ""
    )
    card = CARD.format(
        prior=prior,
        flags=" --table-prior" if config.table_prior else "",
        params=sum(p.numel() for p in model.parameters()),
        nz=config.latent_dim,
        bars=config.bars,
        beta=config.beta,
        dropout=config.style_dropout,
        n_train=len(train),
        n_valid=len(valid),
        n_test=len(test),
        steps=step,
        seconds=seconds,
        rows=rows,
        lr=args.lr,
        wd=args.weight_decay,
        seed=args.seed,
    )
    card_path = Path(out).with_suffix(".md")
    tmp = card_path.with_name(card_path.name + ".part")
    tmp.write_text(card, encoding="utf-8")
    os.replace(tmp, card_path)
    print(f"wrote {out} and {card_path}")
    return 0


def choose_scales(model: GrooveVAE, train: np.ndarray, valid: np.ndarray) -> GrooveConfig:
    """The config with the velocity and the offset scale (0, 0.25, .., 1) that give the lowest
    error on `valid`, each chosen on its own (they act on separate outputs)."""
    best: dict[str, tuple[float, float]] = {}
    for scale in (0.0, 0.25, 0.5, 0.75, 1.0):
        model.config = dataclasses.replace(model.config, velocity_scale=scale, offset_scale=scale)
        err = evaluate(model, train, valid)["model (z = 0)"]
        for name in ("velocity", "offset"):
            if name not in best or err[f"{name}_mse"] < best[name][1]:
                best[name] = (scale, err[f"{name}_mse"])
    return dataclasses.replace(
        model.config, velocity_scale=best["velocity"][0], offset_scale=best["offset"][0]
    )


def nn_utils_clip(model: torch.nn.Module) -> None:
    """Clip the gradient norm at 1 (GRUs occasionally spike)."""
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)


if __name__ == "__main__":
    raise SystemExit(main())
