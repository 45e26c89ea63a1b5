"""`latentjam train` / `latentjam evaluate` end to end on real MIDI converted to drum grids."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentjam.cli import main
from latentjam.convert import DrumGrid
from latentjam.midi import read_midi


@pytest.fixture
def drum_windows(tmp_path, midi_dir):
    """Drum-grid windows of the real MMA groove fixtures, saved as an array file."""
    conv = DrumGrid(bars=2)
    x = np.concatenate([conv.windows(read_midi(p)) for p in sorted(midi_dir.glob("mma_*.mid"))])
    assert len(x) >= 4
    path = tmp_path / "drums.npy"
    np.save(path, x)
    return path


@pytest.mark.slow
def test_train_then_evaluate(tmp_path, drum_windows, capsys):
    out = tmp_path / "run"
    args = [
        "train",
        "--preset",
        "tiny-drums",
        "--data",
        str(drum_windows),
        "--out",
        str(out),
        "--max-steps",
        "4",
        "--no-progress",
    ]
    assert main(args) == 0
    assert (out / "model.pt").exists() and (out / "checkpoints" / "last.ckpt").exists()
    assert main(args) == 2  # refuses to overwrite a run
    assert main([*args[:-3], "--max-steps", "6", "--resume", "--no-progress"]) == 0
    shown = capsys.readouterr()
    assert "from step 4 of 6" in shown.err  # the library logs progress; the CLI shows it
    assert "litlogger" not in shown.out + shown.err and "LeafSpec" not in shown.err
    report = tmp_path / "eval.json"
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(out / "checkpoints" / "last.ckpt"),
                "--data",
                str(drum_windows),
                "--json",
                str(report),
                "--quick",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert f"wrote {report}" in printed
    data = json.loads(report.read_text(), parse_constant=_refuse)  # no bare NaN / Infinity
    assert set(data["attributes"]) == {"density", "velocity", "offset"}
    density = data["attributes"]["density"]
    assert {"r", "r_ellipsoid", "r_all"} <= set(density) and 0 <= density["discard_rate"] < 1
    assert data["flatness"]["condition_number"] >= 1.0
    assert 0 <= data["reconstruction"]["hit_accuracy"] <= 1
    assert all(p.endswith(".png") for p in data["plots"])
    assert data["smoothness"]["n"] == 100
    # a --set change and a warm start from the run's own weights
    again = tmp_path / "again"
    assert (
        main(
            [
                *args[:-3],
                "--max-steps",
                "2",
                "--no-progress",
                "--out",
                str(again),
                "--set",
                "model.input_dropout=0.2",
                "--init-from",
                str(out / "model.pt"),
            ]
        )
        == 0
    )
    from latentjam.pretrained import load_model

    assert load_model(again / "model.pt").config.input_dropout == 0.2
    assert main([*args[:-3], "--out", str(tmp_path / "x"), "--set", "model.nope=1"]) == 2
    assert "has no field 'nope'" in capsys.readouterr().err


def _refuse(name: str) -> None:
    raise ValueError(f"{name} in JSON")


def test_presets_listed_and_bad_data_is_a_user_error(tmp_path, capsys):
    assert main(["train", "--list-presets"]) == 0
    listed = capsys.readouterr().out
    assert "drums-baseline" in listed and "drums-paper" in listed
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((4, 16, 27), np.float32))
    assert (
        main(["train", "--preset", "tiny-drums", "--data", str(bad), "--out", str(tmp_path / "r")])
        == 2
    )
    assert "the model needs (N, 32, 27)" in capsys.readouterr().err
    assert main(["train", "--preset", "nope", "--out", str(tmp_path / "r")]) == 2
