"""The FM-Music-VAE paper's table 2 (attribute-vector correlations) and fig. 2 (interpolation
smoothness) for FM-Music-VAE vs the MusicVAE-style baseline, on the bundled corpora's test
splits, at equal latent size, data and training budget (the shipped models).

    python benchmarks/paper_tables.py            # full protocol (5000 samples, 1000 pairs)
    python benchmarks/paper_tables.py --quick    # reduced protocol, < 1 minute per pair
    python benchmarks/paper_tables.py --models drums=runs/x/model.pt,drums-baseline=...  # others

Writes benchmarks/results/paper_tables.json and PNG plots under benchmarks/results/paper_tables/.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from latentjam.analysis.attributes import plot_attribute_scatter
from latentjam.analysis.flatness import plot_spectra
from latentjam.analysis.smoothness import plot_smoothness
from latentjam.corpora import load_corpus
from latentjam.datasets import make_converter
from latentjam.evaluation import evaluate_model
from latentjam.pretrained import load_model
from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "paper_tables.json"
PLOTS = Path(__file__).parent / "results" / "paper_tables"
PAIRS = (("drums", "drums-baseline"), ("melody", "melody-baseline"))
PAPER = {  # table 2: FM-Music-VAE vs MusicVAE at the same latent size
    "drums": {"density": (0.89, 0.50), "velocity": (0.84, 0.27), "offset": (0.69, 0.21)},
    "melody": {"density": (0.89, 0.37), "pitch": (0.77, 0.42)},
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--models", default="", help="name=path overrides, comma separated")
    ap.add_argument("--only", choices=("drums", "melody"))
    ap.add_argument(
        "--out", type=Path, default=None, help="write JSON + plots here instead of results/"
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    results_path = args.out / "paper_tables.json" if args.out else RESULTS
    plots = args.out / "plots" if args.out else PLOTS
    paths = dict(item.split("=", 1) for item in args.models.split(",") if item)
    result: dict = {"benchmark": "paper_tables", "quick": args.quick, "pairs": {}}
    targets = []
    rows = []
    for fm_name, base_name in PAIRS:
        kind = fm_name
        if args.only and args.only != kind:
            continue
        models = {n: load_model(paths.get(n, n)) for n in (fm_name, base_name)}
        fm_cfg, base_cfg = models[fm_name].config, models[base_name].config
        assert fm_cfg.latent_dim == base_cfg.latent_dim, "compare at equal latent size only"
        corpus = models[fm_name].metadata.get("corpus") or (
            "drums" if kind == "drums" else "ryans-mammoth"
        )
        test = load_corpus(
            corpus, make_converter(fm_cfg.data, bars=fm_cfg.bars), "test", progress=False
        )
        reports = {}
        for name, model in models.items():
            t = time.process_time()
            reports[name] = evaluate_model(model, test, quick=args.quick, seed=0, name=name)
            reports[name]["cpu_seconds"] = time.process_time() - t
        fm, base = reports[fm_name], reports[base_name]
        plots.mkdir(parents=True, exist_ok=True)
        plot_smoothness(
            {n: r["_raw"]["smoothness"] for n, r in reports.items()},
            plots / f"{kind}_smoothness.png",
        )
        for n, r in reports.items():
            plot_attribute_scatter(r["_raw"]["attributes"], plots / f"{n}_attributes.png")
        plot_spectra(
            {n: r["_raw"]["metric"] for n, r in reports.items()},
            plots / f"{kind}_metric_spectra.png",
        )
        for r in reports.values():
            r.pop("_raw")
        for attr, (paper_fm, paper_base) in PAPER[kind].items():
            a, b = fm["attributes"][attr]["r"], base["attributes"][attr]["r"]
            rows.append((kind, attr, a, b, paper_fm, paper_base))
            aw, bw = fm["attributes"][attr]["r_within"], base["attributes"][attr]["r_within"]
            rows.append(
                (kind, f"{attr}, r within start point (not in the paper)", aw, bw, None, None)
            )
            for key, what in (("r_ellipsoid", "ellipsoid region"), ("r_all", "no discarding")):
                fa, fb = fm["attributes"][attr][key], base["attributes"][attr][key]
                rows.append((kind, f"{attr}, r with {what} (not in the paper)", fa, fb, None, None))
            targets.append(
                {
                    "name": f"{kind} {attr} correlation: FM minus baseline",
                    "value": round(a - b, 3),
                    "target": "> 0",
                    "unit": "r",
                    "met": bool(a > b),
                }
            )
        sa, sb = fm["smoothness"]["median"], base["smoothness"]["median"]
        rows.append((kind, "smoothness median (lower is better)", sa, sb, None, None))
        targets.append(
            {
                "name": f"{kind} median smoothness: FM minus baseline",
                "value": round(sa - sb, 3),
                "target": "< 0 (smoother)",
                "unit": "Hamming",
                "met": bool(sa < sb),
            }
        )
        result["pairs"][kind] = {
            "corpus": corpus,
            "test_windows": len(test),
            "latent_dim": fm_cfg.latent_dim,
            "reports": reports,
        }
    result.update(
        {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(["benchmarks/paper_tables.py", *(argv or sys.argv[1:])]),
            "machine": {
                "platform": platform.platform(),
                "python": platform.python_version(),
                "cpu_count": os.cpu_count(),
                "torch": torch.__version__,
            },
            "targets": targets,
            "paper": PAPER,
        }
    )
    print("| data | measure | FM (ours) | baseline (ours) | FM (paper) | MusicVAE (paper) |")
    print("|---|---|---|---|---|---|")
    for kind, what, a, b, pa, pb in rows:
        paper = f"{pa} | {pb}" if pa is not None else "- | -"
        print(f"| {kind} | {what} | {a:.3f} | {b:.3f} | {paper} |")
    for pair in result["pairs"].values():
        for name, r in pair["reports"].items():
            print(
                f"{name}: recon {r['reconstruction']}, flatness cond "
                f"{r['flatness']['condition_number']:.1f}, log-eig var "
                f"{r['flatness']['log_eig_var']:.2f}, equidistance CV median "
                f"{r['flatness']['equidistance_cv']['median']:.3f}"
            )
    write_results(results_path, result)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
