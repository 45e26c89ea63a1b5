"""A `latentjam train` process killed (SIGKILL) mid-run and resumed ends exactly like a run that
was never interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

STEPS = 120


def _cmd(data, out, *extra):
    return [
        sys.executable,
        "-m",
        "latentjam",
        "train",
        "--preset",
        "tiny-drums",
        "--data",
        str(data),
        "--out",
        str(out),
        "--max-steps",
        str(STEPS),
        "--no-progress",
        *extra,
    ]


def _dataset(tmp_path, x):
    """`x` as a built dataset folder (compact shards, read streamed by `train`)."""
    import json

    from latentjam.datasets.build import FORMAT
    from latentjam.datasets.compact import encode

    folder = tmp_path / "ds"
    (folder / "shards").mkdir(parents=True)
    np.savez(
        folder / "shards" / "train-00000.npz",
        source=np.zeros(len(x), np.int32),
        **encode("drums", x),
    )
    shard = {"file": "shards/train-00000.npz", "split": "train", "windows": len(x)}
    manifest = {"format": FORMAT, "window_shape": [32, 27], "shards": [shard], "files": []}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("stored", ["npy", "dataset"])
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, stored):
    """Both memory-mapped sources: a plain .npy and a dataset folder's compact shards."""
    rng = np.random.default_rng(0)
    x = (rng.random((48, 32, 27)) < 0.1).astype(np.float32)
    x[:, :, 9:18] = x[:, :, :9] * np.float32(100 / 127)  # hits with velocity 100, on the grid
    np.save(tmp_path / "x.npy", x)
    data = tmp_path / "x.npy" if stored == "npy" else _dataset(tmp_path, x)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    full = tmp_path / "full"
    subprocess.run(_cmd(data, full), check=True, capture_output=True, env=env)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _cmd(data, killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    ckpt = killed / "checkpoints" / "last.ckpt"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if ckpt.exists():
            step = torch.load(ckpt, weights_only=True)["global_step"]
            if step >= 10:
                break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stopped_at = torch.load(ckpt, weights_only=True)["global_step"]
    assert 10 <= stopped_at < STEPS
    subprocess.run(_cmd(data, killed, "--resume"), check=True, capture_output=True, env=env)

    a = torch.load(full / "checkpoints" / "last.ckpt", weights_only=True)
    b = torch.load(ckpt, weights_only=True)
    assert a["global_step"] == b["global_step"] == STEPS
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
    assert a["latentjam"]["lambda"] == b["latentjam"]["lambda"]
