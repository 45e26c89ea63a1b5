"""FM-Music-VAE training-step cost: FM step vs baseline step, and the flat regulariser's
Jacobian estimators vs finite differences along every latent axis.

Measured side by side in one process, one thread, alternating, repeated, median:

1. step: one optimiser step (forward, backward, Adam) of the baseline ("drums-baseline": normal
   prior, beta/free bits) and of FM-Music-VAE ("drums": VHP prior, GECO, flat regulariser) at
   the same size and batch. The FM step is reported with the regulariser on every step and
   amortised over the preset's lazy cycle (applied every `flat_every` steps, weight scaled).
2. regulariser: forward + backward of the flatness penalty alone at M mixup points, for
   - finite_difference: the reference, J by forward differences along all Nz axes;
   - stochastic: ||J^T J u||^2 - 2 c^2 ||J u||^2 + c^4 Nz, one JVP + one VJP per probe;
   - pairs: ((J u).(J v) - c^2 u.v)^2 over probe pairs, JVPs by central differences.
   "Equal estimate quality": the training objective is the mean penalty over random mixup
   points, so each estimator's minibatch estimate has variance (var_points + var_probe) / M.
   Both variances are measured on the same points (exact penalties from forward-mode
   Jacobians); an estimator gets M_eq = M_ref * (var_points + var_probe) / var_points points
   to match the reference (whose probe variance is zero) and is timed at M_eq.

    python benchmarks/fm_step.py            # full
    python benchmarks/fm_step.py --quick    # < 1 minute
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from latentjam.models import RecurrentVAE
from latentjam.presets import get_preset
from latentjam.regularizers import Objective, ObjectiveConfig
from latentjam.regularizers.flat import (
    mixup,
    penalty_exact,
    penalty_finite_difference,
    penalty_pairs,
    penalty_stochastic,
)
from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "fm_step.json"
MAX_POINTS = 1024  # estimators needing more points than this for equal quality are timed here


def _batch(b: int, seed: int = 0) -> torch.Tensor:
    """A drum-grid-like batch (B, 32, 27): ~8% hits with velocities and offsets."""
    g = torch.Generator().manual_seed(seed)
    hits = (torch.rand(b, 32, 9, generator=g) < 0.08).float()
    vel = hits * torch.rand(b, 32, 9, generator=g)
    off = hits * (torch.rand(b, 32, 9, generator=g) - 0.5)
    return torch.cat([hits, vel, off], dim=-1)


def _trainer(preset: str, **objective_changes):
    p = get_preset(preset)
    torch.manual_seed(0)
    model = RecurrentVAE(p.model)
    cfg = ObjectiveConfig.from_dict({**p.objective.to_dict(), **objective_changes})
    obj = Objective(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    state = {"step": 0}

    def step(x: torch.Tensor) -> None:
        loss, logs = obj(model, x, state["step"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        obj.update(logs)
        state["step"] += 1

    return step, cfg, model


def _alternate(fns: dict, reps: int) -> dict[str, float]:
    """Median CPU seconds (this process, one thread) per call, calls interleaved round-robin.

    CPU time rather than wall time: the machine is shared, and other processes' load would
    otherwise land on whichever function happened to be running."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():  # warm-up
        fn()
    for _ in range(reps):
        for name, fn in fns.items():
            t = time.process_time()
            fn()
            times[name].append(time.process_time() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def bench_steps(batch: int, reps: int) -> dict:
    x = _batch(batch)
    base, _, _ = _trainer("drums-baseline")
    every = get_preset("drums").objective.flat_every
    # flat_start=0: the regulariser is on from the first timed step (the preset warms up first)
    fm1, _, _ = _trainer("drums", flat_every=1, flat_start=0)
    fm_lazy, _, _ = _trainer("drums", flat_start=0)
    fm_off, _, _ = _trainer("drums", eta=0.0)

    def lazy_cycle() -> None:  # `every` steps, one of them with the regulariser
        for _ in range(every):
            fm_lazy(x)

    t = _alternate(
        {
            "baseline": lambda: base(x),
            "fm_every_step": lambda: fm1(x),
            "fm_lazy_cycle": lazy_cycle,
            "fm_without_flat": lambda: fm_off(x),
        },
        reps,
    )
    t["fm_lazy"] = t.pop("fm_lazy_cycle") / every
    return {
        "seconds": t,
        "flat_every": every,
        "batch": batch,
        "ratio_lazy": t["fm_lazy"] / t["baseline"],
        "ratio_every_step": t["fm_every_step"] / t["baseline"],
        "ratio_vhp_geco_only": t["fm_without_flat"] / t["baseline"],
    }


def _variances(f, z: torch.Tensor, estimators: dict, repeats: int) -> dict:
    """Point variance of the exact penalty and each estimator's probe variance (fixed c^2)."""
    exact, c2 = penalty_exact(f, z)
    exact = exact.detach().double()
    out = {"mean_penalty": float(exact.mean()), "var_points": float(exact.var()), "c2": float(c2)}
    for name, est in estimators.items():
        draws = torch.stack([est(z, c2).detach().double() for _ in range(repeats)])  # (R, Q)
        out[name] = {
            "var_probe": float(draws.var(0).mean()),
            "bias_rel": float((draws.mean(0).mean() - exact.mean()) / exact.mean()),
        }
    return out


def _model_and_latents(name: str | None):
    """The trained model (for realistic Jacobians) and encoded corpus windows, or a fresh one."""
    if name:
        from latentjam.corpora import load_corpus
        from latentjam.datasets import make_converter
        from latentjam.pretrained import load_model

        model = load_model(name)
        x = load_corpus("drums", make_converter("drums"), "test", progress=False)[:256]
        with torch.no_grad():
            return model, model.encode(torch.as_tensor(x))[0], name
    torch.manual_seed(0)
    model = RecurrentVAE(get_preset("drums").model)
    with torch.no_grad():
        return model, model.encode(_batch(256, seed=1))[0] * 4, "fresh (untrained) drums preset"


def bench_regulariser(
    points: int, reps: int, var_points: int, var_repeats: int, model_name: str | None
) -> dict:
    model, z_all, source = _model_and_latents(model_name)
    f = model.metric_output
    estimators = {
        "stochastic": lambda z, c2=None: penalty_stochastic(f, z, c2=c2, jvp_mode="central")[0],
        "stochastic_diff": lambda z, c2=None: penalty_stochastic(
            f, z, c2=c2, jvp_mode="difference"
        )[0],
        "stochastic_fwd": lambda z, c2=None: penalty_stochastic(f, z, c2=c2)[0],
        "pairs": lambda z, c2=None: penalty_pairs(f, z, c2=c2, probes=2, jvp_mode="central")[0],
        "pairs_diff": lambda z, c2=None: penalty_pairs(
            f, z, c2=c2, probes=2, jvp_mode="difference"
        )[0],
        "pairs4_diff": lambda z, c2=None: penalty_pairs(
            f, z, c2=c2, probes=4, jvp_mode="difference"
        )[0],
    }
    # decoder rows evaluated per point; forward mode counted as 2 (primal + tangent), a lower bound
    rows = {
        "stochastic": 3,
        "stochastic_diff": 2,
        "stochastic_fwd": 2,
        "pairs": 4,
        "pairs_diff": 3,
        "pairs4_diff": 5,
    }
    with torch.no_grad():
        zq = mixup(z_all, var_points, 0.25)
    var = _variances(f, zq, estimators, var_repeats)
    m_eq = {
        name: max(
            2, math.ceil(points * (var["var_points"] + var[name]["var_probe"]) / var["var_points"])
        )
        for name in estimators
    }

    def run(fn, m):
        z = mixup(z_all, m, 0.25)

        def call():
            model.zero_grad()
            fn(z).mean().backward()

        return call

    fns = {"finite_difference": run(lambda z: penalty_finite_difference(f, z)[0], points)}
    for name, est in estimators.items():
        fns[f"{name}@{points}"] = run(est, points)
        fns[f"{name}@eq{m_eq[name]}"] = run(est, m_eq[name])
    t = _alternate(fns, reps)
    ratios = {name: t["finite_difference"] / t[f"{name}@eq{m_eq[name]}"] for name in estimators}
    nz = z_all.shape[1]
    # If time were proportional to decoder rows, an estimator could be at most this much faster
    # than the reference ((Nz + 1) rows per point) at equal quality: rows alone set the ceiling.
    ceiling = {name: (nz + 1) / rows[name] * points / m_eq[name] for name in estimators}
    return {
        "points": points,
        "rows_per_point": {"finite_difference": nz + 1, **rows},
        "row_ceiling_equal_quality": ceiling,
        "model": source,
        "points_capped_at": MAX_POINTS,
        "seconds": t,
        "variance": var,
        "points_equal_quality": m_eq,
        "speedup_equal_quality": ratios,
        "speedup_equal_points": {
            n: t["finite_difference"] / t[f"{n}@{points}"] for n in estimators
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument(
        "--model",
        default="drums",
        help="trained model for the variance measurement ('' for a fresh network)",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    reps = 3 if args.quick else 9
    steps = bench_steps(batch=64, reps=reps)
    reg = bench_regulariser(
        points=16,
        reps=reps,
        var_points=16 if args.quick else 48,
        var_repeats=20 if args.quick else 60,
        model_name=args.model or None,
    )
    best = max(reg["speedup_equal_quality"], key=reg["speedup_equal_quality"].get)
    targets = [
        {
            "name": "FM step / baseline step (lazy regulariser, shipped config)",
            "value": round(steps["ratio_lazy"], 3),
            "target": 1.5,
            "unit": "x",
            "met": steps["ratio_lazy"] <= 1.5,
        },
        {
            "name": "FM step / baseline step (regulariser every step)",
            "value": round(steps["ratio_every_step"], 3),
            "target": 1.5,
            "unit": "x",
            "met": steps["ratio_every_step"] <= 1.5,
        },
        {
            "name": f"regulariser speed-up vs finite differences, equal quality ({best})",
            "value": round(reg["speedup_equal_quality"][best], 2),
            "target": 10.0,
            "unit": "x",
            "met": reg["speedup_equal_quality"][best] >= 10.0,
        },
    ]
    result = {
        "benchmark": "fm_step",
        "quick": args.quick,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "load_average": os.getloadavg(),
        },
        "targets": targets,
        "steps": steps,
        "regulariser": reg,
    }
    print(f"{'step (ms, median)':40s} {'value':>10s}")
    for k, v in steps["seconds"].items():
        print(f"  {k:38s} {1000 * v:10.1f}")
    print(f"{'regulariser at M points (ms)':40s}")
    for k, v in reg["seconds"].items():
        print(f"  {k:38s} {1000 * v:10.1f}")
    print("variance:", json.dumps(reg["variance"]))
    print("points for equal quality:", reg["points_equal_quality"])
    print(
        f"\n| estimator | rows/point | speed-up, {reg['points']} points"
        " | points for equal quality | speed-up, equal quality"
        " | row-count ceiling, equal quality |\n|---|---|---|---|---|---|"
    )
    for name, eq in reg["points_equal_quality"].items():
        print(
            f"| {name} | {reg['rows_per_point'][name]} | {reg['speedup_equal_points'][name]:.2f}x"
            f" | {eq} | {reg['speedup_equal_quality'][name]:.2f}x"
            f" | {reg['row_ceiling_equal_quality'][name]:.2f}x |"
        )
    print("\n| target | value | goal | met |\n|---|---|---|---|")
    for t in targets:
        print(f"| {t['name']} | {t['value']} {t['unit']} | {t['target']} | {t['met']} |")
    write_results(RESULTS, result)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
