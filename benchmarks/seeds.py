"""FM-Music-VAE vs its MusicVAE-style baseline over seeds: table 2 (attribute r), fig. 2
(smoothness), flatness and reconstruction as mean +- sd, with the paper's figures beside them;
and r_within for each attribute (r between the scale and each starting window's own change).

The runs are folders named PRESET-sSEED plus an optional suffix, each holding a model.pt (same
recipe, data, size and budget for both objectives): `scripts/train_on_gpu.py` run folders, or
folders linking to CPU runs of `scripts/train_drums_on_cpu.sh` (docs/reproduction.md):

    python benchmarks/seeds.py --runs runs/gpu --json benchmarks/results/seeds.json [--quick]
    python benchmarks/seeds.py --runs runs/gpu3 --suffix=-aug \\
        --json benchmarks/results/seeds_drums_aug.json
    python benchmarks/seeds.py --runs runs/clean-seeds --suffix=-clean \\
        --json benchmarks/results/seeds_drums_clean_cpu_refit.json

`--rows-from FILE` adds the runs of an earlier result file for the presets this --runs folder
lacks (an FM variant against the baseline seeds measured before, same protocol):

    python benchmarks/seeds.py --runs runs/kappa016 --suffix=-k016 \\
        --rows-from benchmarks/results/seeds_drums_clean_cpu.json \\
        --json benchmarks/results/seeds_drums_kappa016_cpu.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

PAPER = {  # table 2: (FM-Music-VAE, MusicVAE) at the same latent size
    "drums": {"r_density": (0.89, 0.50), "r_velocity": (0.84, 0.27), "r_offset": (0.69, 0.21)},
    "melody": {"r_density": (0.89, 0.37), "r_pitch": (0.77, 0.42)},
}
KINDS = {"drums": ("drums", "drums-baseline"), "melody": ("melody", "melody-baseline")}


def evaluate_runs(runs: Path, quick: bool, suffix: str = "") -> dict[str, list[dict]]:
    """{preset: [summary of each seed's run]} on the preset corpus's test split."""
    import torch

    from latentjam.corpora import load_corpus
    from latentjam.datasets import make_converter
    from latentjam.evaluation import evaluate_model
    from latentjam.presets import get_preset
    from latentjam.pretrained import load_model

    torch.set_num_threads(1)
    out: dict[str, list[dict]] = {}
    for fm, base in KINDS.values():
        for preset in (fm, base):
            corpus = get_preset(preset).corpus
            for run in sorted(runs.glob(f"{preset}-s[0-9]{suffix}")):
                model = load_model(run / "model.pt")
                test = load_corpus(corpus, make_converter(model.config.data), "test", False)
                t0 = time.time()
                report = evaluate_model(model, test, quick=quick, seed=0, name=run.name)
                row = {
                    "run": run.name,
                    "steps": model.metadata.get("steps"),
                    **report["summary"],
                    **{  # r between the scale and each starting window's own change
                        f"r_within_{k}": v["r_within"]
                        for k, v in report["attributes"].items()
                        if v.get("r_within") is not None
                    },
                    "seconds": round(time.time() - t0, 1),
                }
                print(json.dumps(row), flush=True)
                out.setdefault(preset, []).append(row)
    return out


def table(rows: dict[str, list[dict]]) -> str:
    """Markdown: one row per metric, mean +- sd per objective, the paper's figure beside it."""
    lines = []
    for kind, (fm, base) in KINDS.items():
        if fm not in rows or base not in rows:
            continue
        keys = [
            k for k in rows[fm][0] if isinstance(rows[fm][0][k], (int, float)) and k != "seconds"
        ]
        lines += [
            f"\n{kind}: {len(rows[fm])} seeds FM, {len(rows[base])} seeds baseline\n",
            "| metric | FM-Music-VAE | baseline | FM - baseline | paper FM / baseline |",
            "| --- | --- | --- | --- | --- |",
        ]
        for k in keys:
            a = np.array([r[k] for r in rows[fm]], dtype=float)
            b = np.array([r[k] for r in rows[base]], dtype=float)
            paper = PAPER[kind].get(k)
            lines.append(
                f"| {k} | {a.mean():.3g} +- {a.std(ddof=1) if len(a) > 1 else 0:.2g} "
                f"| {b.mean():.3g} +- {b.std(ddof=1) if len(b) > 1 else 0:.2g} "
                f"| {a.mean() - b.mean():+.3g} | {f'{paper[0]} / {paper[1]}' if paper else ''} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--quick", action="store_true", help="reduced protocol (500 samples)")
    ap.add_argument("--suffix", default="", help="run folders PRESET-sSEED + this")
    ap.add_argument(
        "--rows-from", help="an earlier result file: its runs of the presets --runs lacks"
    )
    args = ap.parse_args(argv)
    rows = evaluate_runs(Path(args.runs), args.quick, args.suffix)
    if args.rows_from:
        earlier = json.loads(Path(args.rows_from).read_text())
        for preset, preset_rows in earlier["runs"].items():
            rows.setdefault(preset, preset_rows)
    text = table(rows)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "quick": args.quick,
        "suffix": args.suffix,
        "rows_from": args.rows_from,
        "runs": rows,
        "table": text,
    }
    path.write_text(json.dumps(result, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
