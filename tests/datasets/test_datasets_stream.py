"""Streamed training data: compact shards memory-mapped, decoded one batch at a time."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from latentjam.convert import DrumGrid, MelodyOneHot
from latentjam.datasets import build_dataset, load_dataset
from latentjam.datasets.stream import ArrayWindows, CompactWindows, stream_split
from latentjam.midi import read_midi


@pytest.mark.parametrize(("conv", "kind"), [(DrumGrid(), "drums"), (MelodyOneHot(), "melody")])
def test_streamed_split_equals_the_dense_one_and_is_small(midi_tree, tmp_path, conv, kind):
    ds = tmp_path / "ds"
    build_dataset([midi_tree], ds, conv, kind=kind, progress=False, workers=1, valid=0.3, test=0.3)
    for split in ("train", "valid", "test"):
        dense = load_dataset(ds, split)
        windows = stream_split(ds, split)
        assert windows.shape == dense.shape and len(windows) == len(dense)
        np.testing.assert_array_equal(windows.dense(), dense)  # bit-identical floats
        rows = np.random.default_rng(0).integers(0, len(dense), 17)
        np.testing.assert_array_equal(windows.take(rows), dense[rows])
        assert all(isinstance(a, np.memmap) for a in windows.arrays.values())
        assert windows.nbytes * (6 if kind == "drums" else 300) <= dense.nbytes
    cache = ds / "stream" / "train.json"
    stamp = cache.stat().st_mtime_ns
    stream_split(ds, "train")
    assert cache.stat().st_mtime_ns == stamp  # reused, not rewritten
    # a rebuilt dataset (different shards) remakes the cache
    build_dataset(
        [midi_tree / "mma"], ds, conv, kind=kind, progress=False, workers=1, valid=0.3, test=0.3
    )
    np.testing.assert_array_equal(stream_split(ds, "train").dense(), load_dataset(ds, "train"))


def test_the_data_module_gives_the_same_batches_dense_or_streamed(midi_tree):
    torch = pytest.importorskip("torch")
    from latentjam.convert.drums import random_drum_variation
    from latentjam.training.data import ArrayDataModule

    x = DrumGrid().windows(read_midi(midi_tree / "games" / "openmsx_5432gone.mid"))
    sources = [x, CompactWindows.from_dense("drums", x), ArrayWindows(x.astype(np.float64))]
    batches = []
    for data in sources:
        dm = ArrayDataModule(data, data, batch_size=8, seed=3, transform=random_drum_variation)
        it = iter(dm.train_dataloader())
        batches.append([next(it)[0] for _ in range(5)])
        valid = [b[0] for b in dm.val_dataloader()]
        assert sum(len(b) for b in valid) == len(x)
        torch.testing.assert_close(torch.cat(valid), torch.as_tensor(x))
    for other in batches[1:]:
        for a, b in zip(batches[0], other, strict=True):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.slow
def test_two_process_gloo_run_trains_on_streamed_shards(midi_tree, tmp_path):
    torch = pytest.importorskip("torch")
    ds = tmp_path / "ds"
    build_dataset([midi_tree], ds, DrumGrid(), kind="drums", progress=False, workers=1)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "latentjam", "train", "--preset", "tiny-drums"]
    cmd += ["--data", str(ds), "--out", str(out), "--max-steps", "4", "--devices", "2"]
    cmd += ["--strategy", "ddp", "--no-progress"]
    env = {**os.environ, "LATENTJAM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "GLOBAL_RANK: 1" in proc.stderr + proc.stdout
    assert (ds / "stream" / "train.vel.npy").is_file()  # it trained from the stream cache
    ckpt = torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 4
