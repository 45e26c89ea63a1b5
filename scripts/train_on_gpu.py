"""Train many sequence-VAE runs at once on one GPU machine that has no music libraries.

The shipped models and their extra seeds are independent runs of `latentjam train`; on a GPU
they are run side by side (one process each, one CPU thread each), every run stopped by the
same wall-time budget. Three steps:

    python scripts/train_on_gpu.py export --out .gpu/data    # here: compact corpora
    python3 scripts/train_on_gpu.py run --data .gpu/data --runs /tmp/runs --minutes 7 \\
        --job drums:0 --job melody:1 --job drums:0:drums-without-openmsx   # there: train
    python3 scripts/train_on_gpu.py pack --runs /tmp/runs --out $OUT    # there: fp16 tar files
    python scripts/train_on_gpu.py unpack --tar-dir DIR --runs runs/gpu  # here: model files back

The compact corpora are a few MB (drum grids as float16, melodies as one byte per step), so
they travel with the working tree; `run` expands them to the converters' float32 arrays.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

CORPUS_OF = {"drums": "drums", "melody": "ryans-mammoth"}


def export(out: Path, corpora: list[str], exclude: list[str]) -> None:
    """Write each corpus's train split compactly: drums f16 grids, melodies uint8 codes;
    `exclude` entries CORPUS-SOURCE also write that corpus without one source."""
    from latentjam.corpora.load import load_corpus_by_source
    from latentjam.corpora.registry import CORPORA
    from latentjam.datasets import make_converter

    out.mkdir(parents=True, exist_ok=True)
    jobs = [(name, name, "") for name in corpora]
    jobs += [
        (f"{spec}", spec.split("-without-")[0], spec.split("-without-")[1]) for spec in exclude
    ]
    for name, corpus, dropped in jobs:
        kind = CORPORA[corpus].kind
        x = load_corpus_by_source(
            corpus, make_converter(kind), "train", exclude=dropped, progress=False
        )
        if kind == "melody":
            np.savez_compressed(out / f"{name}.npz", codes=x.argmax(-1).astype(np.uint8))
        else:
            np.savez_compressed(out / f"{name}.npz", grid=x.astype(np.float16))
        print(f"{name}: {x.shape} -> {out / name}.npz", flush=True)


def expand(path: Path, dest: Path) -> Path:
    """A compact corpus file -> the dense float32 (N, T, D) .npy that `train --data` reads."""
    raw = np.load(path)
    if "codes" in raw:
        codes = raw["codes"].astype(np.int64)  # (N, T)
        x = np.zeros((*codes.shape, 90), dtype=np.float32)
        np.put_along_axis(x, codes[..., None], 1.0, axis=-1)
    else:
        x = raw["grid"].astype(np.float32)
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.save(dest, x)
    return dest


def run(args: argparse.Namespace) -> int:
    """Start every job at once, wait for all of them, report each one's end."""
    from latentjam.presets import get_preset

    runs = Path(args.runs)
    dense = {}
    procs = []
    for spec in args.job:
        preset_name, seed, *rest = spec.split(":")
        data_name = [rest[0]] if rest and rest[0] else []
        settings = [s for s in rest[1].split(";") if s] if len(rest) > 1 else []
        label = rest[2] if len(rest) > 2 else ""
        preset = get_preset(preset_name)
        corpus = data_name[0] if data_name else preset.corpus
        if corpus not in dense:
            dense[corpus] = expand(
                Path(args.data) / f"{corpus}.npz", runs / "data" / f"{corpus}.npy"
            )
        out = runs / (
            f"{preset_name}-s{seed}"
            + (f"-{corpus}" if data_name else "")
            + (f"-{label}" if label else "")
        )
        cmd = [
            sys.executable,
            "-m",
            "latentjam",
            "train",
            "--preset",
            preset_name,
            "--data",
            str(dense[corpus]),
            "--seed",
            seed,
            "--out",
            str(out),
            "--accelerator",
            args.accelerator,
            "--max-minutes",
            str(args.minutes),
            "--no-progress",
        ]
        if args.max_steps:
            cmd += ["--max-steps", str(args.max_steps)]
        if args.batch_size:
            cmd += ["--batch-size", str(args.batch_size)]
        for setting in settings:
            if setting.startswith("init="):
                cmd += ["--init-from", setting[len("init=") :]]
            elif setting.startswith("augment="):
                cmd += ["--augment", setting[len("augment=") :]]
            else:
                cmd += ["--set", setting]
        out.mkdir(parents=True, exist_ok=True)
        log = (out / "train.log").open("w")
        env = {**os.environ, "LATENTJAM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        procs.append(
            (
                spec,
                out,
                subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env),
                time.time(),
            )
        )
        print(f"started {spec} -> {out}", flush=True)
    failed = 0
    for spec, out, proc, t0 in procs:
        code = proc.wait()
        took = time.time() - t0
        (out / "timing.json").write_text(json.dumps({"wall_seconds": took, "exit": code}))
        print(f"{spec}: exit {code} after {took:.0f} s", flush=True)
        if code:
            failed += 1
            print((out / "train.log").read_text()[-3000:], flush=True)
    return 1 if failed else 0


def pack(runs: Path, out: Path, limit: float = 15e6) -> None:
    """fp16 model files + each run's metrics CSV and timing into tar files under `limit` bytes."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    part, size, tar = 0, 0.0, None
    for run_dir in sorted(p for p in runs.iterdir() if (p / "model.pt").exists()):
        data = torch.load(run_dir / "model.pt", map_location="cpu", weights_only=True)
        data["state_dict"] = {
            k: v.half() if torch.is_floating_point(v) else v for k, v in data["state_dict"].items()
        }
        buf = io.BytesIO()
        torch.save(data, buf)
        files = {f"{run_dir.name}/model.pt": buf.getvalue()}
        for extra in [
            run_dir / "timing.json",
            run_dir / "train.log",
            *run_dir.glob("logs/*/metrics.csv"),
        ]:
            if extra.exists():
                files[f"{run_dir.name}/{extra.relative_to(run_dir)}"] = extra.read_bytes()
        need = sum(len(b) for b in files.values())
        if tar is None or size + need > limit:
            if tar is not None:
                tar.close()
            tar = tarfile.open(out / f"runs-{part}.tar", "w")  # noqa: SIM115 - spans several runs
            part, size = part + 1, 0.0
        for name, blob in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        size += need
        print(f"packed {run_dir.name} ({need / 1e6:.1f} MB)", flush=True)
    if tar is not None:
        tar.close()


def unpack(tar_dir: Path, runs: Path) -> None:
    """The tar files of `pack` -> run folders with model.pt, logs and timing."""
    runs.mkdir(parents=True, exist_ok=True)
    for path in sorted(tar_dir.glob("runs-*.tar")):
        with tarfile.open(path) as tar:
            tar.extractall(runs, filter="data")
        print(f"unpacked {path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", required=True)
    e.add_argument("--corpus", action="append", default=[])
    e.add_argument("--without", action="append", default=[], help="CORPUS-without-SOURCE")
    r = sub.add_parser("run")
    r.add_argument("--data", required=True)
    r.add_argument("--runs", required=True)
    r.add_argument("--minutes", type=float, required=True)
    r.add_argument("--max-steps", type=int)
    r.add_argument("--batch-size", type=int)
    r.add_argument("--accelerator", default="gpu")
    r.add_argument(
        "--job",
        action="append",
        required=True,
        help="PRESET:SEED[:DATA[:SET;SET...[:LABEL]]]; "
        "SET is PART.FIELD=VALUE, init=MODEL or augment=NAME",
    )
    p = sub.add_parser("pack")
    p.add_argument("--runs", required=True)
    p.add_argument("--out", required=True)
    u = sub.add_parser("unpack")
    u.add_argument("--tar-dir", required=True)
    u.add_argument("--runs", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "export":
        export(Path(args.out), args.corpus or sorted(set(CORPUS_OF.values())), args.without)
        return 0
    if args.cmd == "run":
        return run(args)
    if args.cmd == "pack":
        pack(Path(args.runs), Path(args.out))
        return 0
    unpack(Path(args.tar_dir), Path(args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
