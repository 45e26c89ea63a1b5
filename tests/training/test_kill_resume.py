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


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.random((48, 32, 27)) < 0.1).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    full = tmp_path / "full"
    subprocess.run(_cmd(tmp_path / "x.npy", full), check=True, capture_output=True, env=env)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _cmd(tmp_path / "x.npy", killed),
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
    subprocess.run(
        _cmd(tmp_path / "x.npy", killed, "--resume"), check=True, capture_output=True, env=env
    )

    a = torch.load(full / "checkpoints" / "last.ckpt", weights_only=True)
    b = torch.load(ckpt, weights_only=True)
    assert a["global_step"] == b["global_step"] == STEPS
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), key
    assert a["latentjam"]["lambda"] == b["latentjam"]["lambda"]
