"""Two CPU processes (DDP over gloo) train through the real `latentjam train` command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch


@pytest.mark.slow
def test_two_process_gloo_run_trains(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.random((64, 32, 27)) < 0.1).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "latentjam",
        "train",
        "--preset",
        "tiny-drums",
        "--data",
        str(tmp_path / "x.npy"),
        "--out",
        str(out),
        "--max-steps",
        "4",
        "--devices",
        "2",
        "--strategy",
        "ddp",
        "--no-progress",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "GLOBAL_RANK: 1" in proc.stderr + proc.stdout  # really two processes
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 4
    assert ckpt["latentjam"]["lambda"] > 1.0  # the averaged constraint drove lambda up
    rows = (out / "logs" / "run-0" / "metrics.csv").read_text().splitlines()
    assert len(rows) >= 5 and "train/lambda" in rows[0]
