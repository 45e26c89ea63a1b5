"""Scale: training memory on streamed data of 10^4-10^6 windows, streamed vs in-memory speed,
and `data build` memory and files/s on 10^3-10^5 MIDI files. Inputs are made here from the
bundled files: melody windows are Ryan's Mammoth windows transposed (every shift that stays in
range) and re-ordered; MIDI files are the bundled drum corpus's files re-timed (each copy moved
by a few ticks and given its own tempo, so no two files are byte-identical).

    python benchmarks/scale.py            # full run (10^6 windows, 10^5 files; ~15 minutes)
    python benchmarks/scale.py --quick    # 10^3-10^4 (about 2 minutes)

Peak memory is the maximum resident set size of each `latentjam` process (GNU time's %M).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "scale.json"
ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "LATENTJAM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


# ----------------------------------------------------------------------------- the inputs


def melody_codes() -> np.ndarray:
    """Every Ryan's Mammoth training window as event codes, (n, 32) uint8."""
    from latentjam.convert import MelodyOneHot
    from latentjam.corpora import load_corpus

    x = load_corpus("ryans-mammoth", MelodyOneHot(), "train", progress=False)
    return x.argmax(-1).astype(np.uint8)


def transposed(codes: np.ndarray, shift: int) -> np.ndarray:
    """Windows (n, 32) of event codes moved by `shift` semitones; codes 0-1 (note-off, hold)
    stay; windows that would leave the 88 keys are dropped."""
    pitched = codes >= 2
    moved = codes.astype(np.int64) + np.where(pitched, shift, 0)
    ok = ((moved >= 2) & (moved < 90) | ~pitched).all(axis=1)
    return moved[ok].astype(np.uint8)


def write_dataset(folder: Path, codes: np.ndarray, n: int, valid: int = 1000) -> None:
    """A melody dataset of `n` train windows (+ `valid`) in the `data build` format, written
    shard by shard from transposed, shuffled copies of `codes` (never dense)."""
    from latentjam.datasets.build import FORMAT

    shards_dir = folder / "shards"
    shards_dir.mkdir(parents=True)
    rng = np.random.default_rng(0)
    pool = [transposed(codes, s) for s in range(-5, 7)]
    shards, per_shard = [], 65536
    for split, count in (("train", n), ("valid", valid)):
        done, k = 0, 0
        while done < count:
            m = min(per_shard, count - done)
            source = pool[rng.integers(len(pool))]
            rows = source[rng.integers(0, len(source), m)]  # (m, 32)
            name = f"{split}-{k:05d}.npz"
            np.savez(
                shards_dir / name,
                source=np.zeros(m, np.int32),
                encoding=np.array("codes"),
                codes=rows,
            )
            shards.append(
                {"file": f"shards/{name}", "split": split, "windows": m, "encoding": "codes"}
            )
            done, k = done + m, k + 1
    manifest = {
        "format": FORMAT,
        "version": 1,
        "kind": "melody",
        "window_shape": [32, 90],
        "dtype": "float32",
        "shards": shards,
        "files": [],
        "counts": {"windows_per_split": {"train": n, "valid": valid, "test": 0}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def write_midi_tree(folder: Path, n_files: int) -> None:
    """`n_files` drum MIDI files: the bundled corpus's files, each copy re-timed."""
    from latentjam.midi import read_midi, write_midi
    from latentjam.music import Sequence, Tempo, Track

    originals = sorted((ROOT / "src" / "latentjam" / "corpora" / "drums").rglob("*.mid"))
    pieces = [read_midi(p) for p in originals]
    for i in range(n_files):
        seq = pieces[i % len(pieces)]
        k = i // len(pieces)
        shift = (k % 7) / 480.0  # up to 6 ticks later, inside the same 16th
        tracks = [
            Track(t.pitch, t.velocity, t.start + shift, t.duration, t.is_drum, t.program, t.name)
            for t in seq.tracks
        ]
        moved = Sequence(
            tracks,
            [Tempo(0.0, 90.0 + (k % 61))],
            list(seq.time_signatures),
            ppq=seq.ppq,
        )
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        write_midi(moved, sub / f"f{i:06d}.mid")


# ----------------------------------------------------------------------------- the measures


def peak_rss(cmd: list[str], cwd: Path) -> tuple[float, float, str]:
    """(peak RSS in MB, wall seconds, output) of `cmd` run under GNU time."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "MAXRSS %M", *cmd],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
    )
    wall = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-3000:]}")
    kb = int(re.findall(r"MAXRSS (\d+)", out)[-1])
    return kb / 1024.0, wall, out


def train_rss(data: Path, work: Path) -> float:
    """Peak RSS (MB) of `latentjam train --data DATA --max-steps 20` (melody-baseline-quick)."""
    cmd = [sys.executable, "-m", "latentjam", "train", "--preset", "melody-baseline-quick"]
    cmd += ["--data", str(data), "--out", str(work / f"run-{data.name}"), "--max-steps", "20"]
    cmd += ["--no-progress"]
    mb, _, _ = peak_rss(cmd, work)
    return mb


def steps_per_second(data: Path, steps: int, rounds: int) -> dict:
    """Training steps/s (forward, backward, Adam) fed by the streamed split against the same
    split held dense in memory, alternated `rounds` times; medians."""
    import torch

    from latentjam.datasets import load_dataset
    from latentjam.datasets.stream import stream_split
    from latentjam.models import RecurrentVAE
    from latentjam.presets import get_preset
    from latentjam.regularizers import Objective
    from latentjam.training.data import ArrayDataModule

    torch.set_num_threads(1)
    preset = get_preset("melody-baseline-quick")
    sources = {"streamed": stream_split(data, "train"), "in memory": load_dataset(data, "train")}
    rates: dict[str, list[float]] = {k: [] for k in sources}
    for _ in range(rounds):
        for name, windows in sources.items():
            torch.manual_seed(0)
            model = RecurrentVAE(preset.model)
            objective = Objective(preset.objective)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            batches = iter(ArrayDataModule(windows, batch_size=64, seed=0).train_dataloader())
            next(batches)
            t0 = time.perf_counter()
            for step in range(steps):
                (x,) = next(batches)
                loss, _ = objective(model, x, step)
                opt.zero_grad()
                loss.backward()
                opt.step()
            rates[name].append(steps / (time.perf_counter() - t0))
    med = {k: statistics.median(v) for k, v in rates.items()}
    return {
        "steps_per_s": med,
        "rounds": rates,
        "ratio_streamed_over_memory": med["streamed"] / med["in memory"],
    }


def build_measure(tree: Path, out: Path, work: Path, n_files: int) -> dict:
    """`latentjam data build` of `tree` (2 workers): peak RSS of the main process and of the
    whole run, files/s."""
    cmd = [sys.executable, "-m", "latentjam", "data", "build", str(tree), "--kind", "drums"]
    cmd += ["--out", str(out), "--quiet", "--workers", "2"]
    mb, wall, _ = peak_rss(cmd, work)
    return {
        "files": n_files,
        "peak_rss_mb": round(mb, 1),
        "seconds": round(wall, 2),
        "files_per_s": round(n_files / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", default=str(RESULTS))
    args = ap.parse_args(argv)
    window_sizes = (10**3, 10**4) if args.quick else (10**4, 10**5, 10**6)
    file_sizes = (10**2, 10**3) if args.quick else (10**3, 10**4, 10**5)
    result: dict = {
        "quick": args.quick,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": "python benchmarks/scale.py" + (" --quick" if args.quick else ""),
    }
    with tempfile.TemporaryDirectory(prefix="latentjam-scale-") as tmp:
        work = Path(tmp)
        codes = melody_codes()
        train = []
        for n in window_sizes:
            folder = work / f"windows-{n}"
            write_dataset(folder, codes, n)
            mb = train_rss(folder, work)
            train.append({"windows": n, "peak_rss_mb": round(mb, 1)})
            print(json.dumps(train[-1]), flush=True)
        result["train_peak_rss"] = train
        result["train_rss_ratio_largest_over_smallest"] = (
            train[-1]["peak_rss_mb"] / train[0]["peak_rss_mb"]
        )
        speed = steps_per_second(work / f"windows-{window_sizes[0]}", 30 if args.quick else 100, 3)
        result["train_speed_at_smallest"] = speed
        print(json.dumps(speed), flush=True)
        builds = []
        for n in file_sizes:
            tree = work / f"midi-{n}"
            write_midi_tree(tree, n)
            builds.append(build_measure(tree, work / f"built-{n}", work, n))
            print(json.dumps(builds[-1]), flush=True)
            shutil.rmtree(tree)
            shutil.rmtree(work / f"built-{n}")
        result["build"] = builds
        result["build_rss_ratio_largest_over_smallest"] = (
            builds[-1]["peak_rss_mb"] / builds[0]["peak_rss_mb"]
        )
        result["targets"] = {
            "train_rss_ratio": "<= 1.2",
            "streamed_over_memory_steps": ">= 0.9",
            "build_rss_ratio": "<= 1.2",
            "build_files_per_s": "not falling as the tree grows",
        }
    path = write_results(args.json, result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
