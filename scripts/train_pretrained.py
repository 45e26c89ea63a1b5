"""Reproduce the shipped sequence-VAE models: train each preset on its bundled corpus, then
package it (fp16 weights, corpus attribute vectors, PCA projection, test metrics, model card).

    python scripts/train_pretrained.py                       # all four, ~15 min each on 1 core
    python scripts/train_pretrained.py --only drums --only drums-baseline
    python scripts/train_pretrained.py --package-only        # re-package finished runs
    python scripts/train_pretrained.py --package-only --runs runs/gpu --run-suffix -s0 \
        --trained-on "one NVIDIA H200 GPU, 14 runs side by side"   # runs of train_on_gpu.py

Runs go to --runs (default ./runs/pretrained/<name>); a run that already finished is not
trained again, an interrupted one is resumed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

NAMES = ("drums", "drums-baseline", "melody", "melody-baseline")
PRETRAINED = Path(__file__).resolve().parents[1] / "src" / "latentjam" / "pretrained"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def train(name: str, run: Path, steps: int | None) -> dict:
    """Train (or resume) one preset with the real CLI; returns wall and CPU seconds."""
    cmd = [
        sys.executable,
        "-m",
        "latentjam",
        "train",
        "--preset",
        name,
        "--out",
        str(run),
        "--no-progress",
    ]
    if steps:
        cmd += ["--max-steps", str(steps)]
    if (run / "checkpoints" / "last.ckpt").exists():
        cmd.append("--resume")
    t0, c0 = time.time(), _child_cpu()
    subprocess.run(cmd, check=True)
    timing = {"wall_seconds": time.time() - t0, "cpu_seconds": _child_cpu() - c0}
    log = run / "timing.json"
    previous = (
        json.loads(log.read_text()) if log.exists() else {"wall_seconds": 0, "cpu_seconds": 0}
    )
    total = {k: previous.get(k, 0) + v for k, v in timing.items()}
    log.write_text(json.dumps(total))
    return total


FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "models"
QUICK_WINDOWS = 300


def quick_fixture(name: str, test_x: np.ndarray) -> Path:
    """The first QUICK_WINDOWS test windows of a model's corpus, for the card check in CI."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    kind = "drums" if test_x.shape[-1] == 27 else "melody"
    path = FIXTURES / f"{kind}_test{QUICK_WINDOWS}.npz"
    if not path.exists():
        np.savez_compressed(path, x=np.asarray(test_x[:QUICK_WINDOWS], dtype=np.float32))
    return path


def quick_check(model_file: Path, fixture: Path) -> dict:
    """`latentjam evaluate --quick` on the fixture windows: the figures the card check repeats."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "quick.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "latentjam",
                "evaluate",
                "--model",
                str(model_file),
                "--data",
                str(fixture),
                "--quick",
                "--json",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        return json.loads(out.read_text())["summary"]


def package(name: str, run: Path, quick: bool, trained_on: str = "", history: str = "") -> Path:
    """Corpus metadata + test metrics + fp16 model file + model card."""
    import torch

    from latentjam.api import converter_for
    from latentjam.corpora import load_corpus
    from latentjam.evaluation import corpus_metadata, evaluate_model
    from latentjam.presets import get_preset
    from latentjam.pretrained import load_model, save_model

    torch.set_num_threads(1)
    preset = get_preset(name)
    model = load_model(run / "model.pt")
    conv = converter_for(model)
    train_x = load_corpus(preset.corpus, conv, "train", progress=False)
    test_x = load_corpus(preset.corpus, conv, "test", progress=False)
    meta = dict(model.metadata)
    data = dict(meta.get("data", {}))
    if not str(data.get("source", "")).startswith("corpus:"):  # trained from an exported array
        data.update(
            source=f"corpus:{preset.corpus}",
            converter=conv.cache_key(),
            trained_from=data.get("source"),
        )
    meta["data"] = data
    meta.update(corpus_metadata(model, train_x, samples=2000 if quick else 5000))
    report = evaluate_model(model, test_x, quick=quick, seed=0, name=name)
    report.pop("_raw", None)
    timing_file = run / "timing.json"
    timing = json.loads(timing_file.read_text()) if timing_file.exists() else {}
    meta.update(
        {
            "name": name,
            "preset": name,
            "description": preset.description,
            "corpus": preset.corpus,
            "trained": datetime.now(timezone.utc).date().isoformat(),
            "cpu_seconds": timing.get("cpu_seconds"),
            "wall_seconds": timing.get("wall_seconds"),
            "trained_on": trained_on or "CPU",
            "history": history,
            "test_metrics": {
                k: report[k] for k in ("reconstruction", "smoothness", "attributes", "flatness")
            },
            "summary": report["summary"],
        }
    )
    out = save_model(PRETRAINED / f"{name}.pt", model, metadata=_plain(meta), half=True)
    fixture = quick_fixture(name, test_x)
    check = quick_check(out, fixture)
    _write_card(name, preset, meta, out, check, fixture)
    return out


def _plain(obj):
    """Metadata as plain Python (torch.load(weights_only=True) reads it back)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _training_line(meta: dict, t: dict) -> str:
    steps = meta.get("steps", t.get("max_steps", "?"))
    head = (
        f"- Training: {steps} steps, batch {t.get('batch_size', '?')}, Adam "
        f"lr {t.get('lr', '?')} (warm-up {t.get('warmup_steps', 0)} steps, x{t.get('lr_decay')}"
        f" per step to {t.get('lr_min', '?')})"
    )
    if meta.get("trained_on", "CPU") == "CPU":
        return (
            head + f"; CPU time {meta.get('cpu_seconds') or 0:.0f} s (wall "
            f"{meta.get('wall_seconds') or 0:.0f} s on 2 shared cores)"
        )
    return head + f"; {meta.get('wall_seconds') or 0:.0f} s wall on {meta['trained_on']}"


def _write_card(name, preset, meta, path: Path, check: dict, fixture: Path) -> None:
    from latentjam.models.recurrent_vae import RecurrentVAEConfig
    from latentjam.regularizers.objective import ObjectiveConfig

    m = (
        RecurrentVAEConfig.from_dict(meta["model_config"])
        if meta.get("model_config")
        else preset.model
    )
    o = (
        ObjectiveConfig.from_dict(meta["objective_config"])
        if meta.get("objective_config")
        else preset.objective
    )
    t = meta.get("train_config", {})
    s = meta["summary"]
    data = meta.get("data", {})
    lines = [
        f"# {name}: {preset.description}",
        "",
        f"- Model: RecurrentVAE, {m.bars} bars x {m.steps_per_bar} steps, {m.feature_dim} "
        f"features, latent {m.latent_dim}-D; BiGRU encoder {list(m.encoder_hidden)}, "
        f"conductor {m.conductor_hidden}, bar GRU {list(m.decoder_hidden)}; prior: {m.prior}"
        + (f" (VHP, MLP {list(m.prior_hidden)}, K={m.iw_samples})" if m.prior == "vhp" else "")
        + (f"; decoder input dropout {m.input_dropout:g} in training" if m.input_dropout else ""),
        f"- Objective: {o.kl}"
        + (
            f" (kappa={o.kappa}, nu={o.nu}, lambda floor {o.lambda_min})"
            if o.kl == "geco"
            else f" (beta={o.beta}, free bits {o.free_bits:.4f} nats/element)"
        )
        + (
            f"; flat regulariser eta={o.eta}, {o.flat_points} mixup points (a0={o.alpha0}), "
            f"{o.flat_estimator} estimator ({o.flat_jvp} JVP), every {o.flat_every} steps"
            if o.eta > 0
            else "; no flat regulariser"
        ),
        f"- Data: bundled corpus `{preset.corpus}` ({data.get('n_train', '?')} training windows"
        + (f", {data['n_valid']} validation" if data.get("n_valid") else "")
        + f"), converter `{data.get('converter', '?')}`"
        + (f"; training batches augmented: {preset.augment}" if preset.augment else ""),
        _training_line(meta, t) + (f". {meta['history']}" if meta.get("history") else ""),
        f"- File: `{path.name}` (fp16 weights, {path.stat().st_size / 1e6:.1f} MB)",
        "",
        "## Test-split metrics (`latentjam evaluate`)",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [
        f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in s.items()
    ]
    rel = fixture.relative_to(FIXTURES.parents[2])
    lines += [
        "",
        f"## Quick check (`latentjam evaluate --model {name} --data {rel} --quick`)",
        "",
        "The card check in the tests repeats this and compares within the tolerances of "
        "`tests/pretrained/test_cards.py`.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [
        f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in check.items()
    ]
    lines += [
        "",
        "## Stored metadata",
        "",
        "- `attributes`: attribute vectors from encoded training windows (table 2 protocol: top "
        "minus bottom quartile mean latent), with their correlation r on training windows",
        "- `projection`: fixed 3-D PCA of the training latents (mean, components) for the jam view",
        "- `latent_variance`, `latent_range`: per-axis statistics of the training latents",
        "",
        "FM-Music-VAE vs the baseline over three seeds (paper table 2 / fig. 2 protocols), what "
        "reproduces and what does not: `docs/reproduction.md`.",
        "",
        "Reproduce: "
        + (
            "the scripts named in the training line above, in order (each header says how to "
            "run it; `scripts/package_gpu_models.sh` and `scripts/continue_melody_on_cpu.sh` "
            "hold the packaging commands); "
            f"on a CPU alone: `python scripts/train_pretrained.py --only {name}` "
            "(the same preset, without a wall-time cut)"
            if meta.get("trained_on", "CPU") != "CPU"
            else f"`python scripts/train_pretrained.py --only {name}`"
        ),
        "",
    ]
    card = path.with_suffix(".md")
    tmp = card.with_name(card.name + ".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, card)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", choices=NAMES)
    ap.add_argument("--runs", default="runs/pretrained")
    ap.add_argument("--max-steps", type=int, help="override the presets' step count")
    ap.add_argument("--package-only", action="store_true")
    ap.add_argument("--quick-eval", action="store_true", help="fewer evaluation samples")
    ap.add_argument("--run-suffix", default="", help="run folder = RUNS/NAME + suffix")
    ap.add_argument("--trained-on", default="", help="where the runs trained (card text)")
    ap.add_argument("--history", default="", help="how the run came about (card text)")
    args = ap.parse_args(argv)
    for name in args.only or NAMES:
        run = Path(args.runs) / f"{name}{args.run_suffix}"
        if not args.package_only and not (run / "model.pt").exists():
            print(f"== training {name} -> {run}", flush=True)
            print(train(name, run, args.max_steps), flush=True)
        print(f"== packaging {name}", flush=True)
        print(package(name, run, args.quick_eval, args.trained_on, args.history), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
