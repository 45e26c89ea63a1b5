"""Quality per CPU-minute of training-recipe choices for the sequence VAEs (issue: models worth
playing with).

Each variant is a preset with some fields changed; it is trained with the real `fit` for a fixed
number of steps on one thread, then scored by greedy decoding from the posterior mean on the
validation split (the first 500 windows): drums hit F1, melody exact pitch on note-on steps,
onset F1 and step accuracy. One JSON line per variant is appended to --json.

    python benchmarks/recipe.py --variant melody-baseline:fb=256,w=256,aug=transpose --steps 3000
    python benchmarks/recipe.py --list          # the knobs a variant can turn
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KNOBS = {
    "beta": "KL weight (baseline objective)",
    "fb": "free bits per 2-bar sequence (baseline objective)",
    "kappa": "GECO constraint kappa (FM objective)",
    "w": "width of every GRU (encoder, conductor, bar decoder)",
    "drop": "decoder input dropout",
    "aug": "transpose: random +-5 semitone transposition per window",
    "lr": "peak learning rate",
    "decay": "per-step learning-rate decay",
    "warmup": "linear warm-up steps",
    "nz": "latent size",
}


def build(name: str):
    """A preset changed by a variant name: `PRESET` or `PRESET:knob=value,knob=value`."""
    from latentjam.presets import get_preset

    preset_name, _, spec = name.partition(":")
    preset = get_preset(preset_name)
    knobs = dict(kv.split("=", 1) for kv in spec.split(",") if kv and kv != "shipped")
    unknown = set(knobs) - set(KNOBS)
    if unknown:
        raise SystemExit(f"unknown knobs {sorted(unknown)}; known: {KNOBS}")
    model, objective, train = {}, {}, {}
    elements = preset.model.steps * preset.model.feature_dim
    if "beta" in knobs or "fb" in knobs:
        objective["beta"] = float(knobs.get("beta", preset.objective.beta))
        if "fb" in knobs:
            objective["free_bits"] = float(knobs["fb"]) * 0.6931471805599453 / elements
    if "kappa" in knobs:
        objective["kappa"] = float(knobs["kappa"])
    if "w" in knobs:
        w = int(knobs["w"])
        model.update(encoder_hidden=(w,), conductor_hidden=w, decoder_hidden=(w,))
    if "drop" in knobs:
        model["input_dropout"] = float(knobs["drop"])
    if "nz" in knobs:
        model["latent_dim"] = int(knobs["nz"])
    for knob, field, cast in (
        ("lr", "lr", float),
        ("decay", "lr_decay", float),
        ("warmup", "warmup_steps", int),
    ):
        if knob in knobs:
            train[field] = cast(knobs[knob])
    return preset.replace(
        model=dataclasses.replace(preset.model, **model),
        objective=dataclasses.replace(preset.objective, **objective),
        train=dataclasses.replace(preset.train, **train),
        augment=knobs.get("aug", preset.augment),
    )


def run(name: str, steps: int, batch: int | None) -> dict:
    """Train one variant for `steps` steps on one thread and score it on the validation split."""
    import torch

    from latentjam.commands.train import make_augmentation
    from latentjam.corpora import load_corpus
    from latentjam.datasets import make_converter
    from latentjam.evaluation import reconstruction
    from latentjam.models import RecurrentVAE
    from latentjam.regularizers import Objective
    from latentjam.training.data import ArrayDataModule
    from latentjam.training.fit import fit

    torch.set_num_threads(1)
    preset = build(name)
    train_cfg = dataclasses.replace(
        preset.train, max_steps=steps, checkpoint_every=10**9, val_every=10**9, log_every=50
    )
    if batch:
        train_cfg = dataclasses.replace(train_cfg, batch_size=batch)
    conv = make_converter(preset.model.data, bars=preset.model.bars)
    x = load_corpus(preset.corpus, conv, "train", progress=False)
    v = load_corpus(preset.corpus, conv, "valid", progress=False)[:500]
    torch.manual_seed(0)
    model = RecurrentVAE(preset.model)
    data = ArrayDataModule(
        x,
        None,
        batch_size=train_cfg.batch_size,
        seed=0,
        transform=make_augmentation(preset.augment),
    )
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        fit(model, Objective(preset.objective), data, train_cfg, tmp, progress=False)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    model.eval()
    scores = reconstruction(model, np.asarray(v, np.float32), preset.model.data)
    keep = ("hit_f1", "step_accuracy", "note_on_pitch_accuracy", "onset_f1")
    return {
        "variant": name,
        "steps": steps,
        "batch": train_cfg.batch_size,
        "cpu_minutes": round(cpu / 60, 2),
        "wall_minutes": round((time.time() - t0) / 60, 2),
        **{k: round(v, 4) for k, v in scores.items() if k in keep},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--json", default="benchmarks/results/recipe.jsonl")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(f"{k:8s} {v}" for k, v in KNOBS.items()))
        return 0
    for name in args.variant:
        row = run(name, args.steps, args.batch)
        print(json.dumps(row), flush=True)
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
