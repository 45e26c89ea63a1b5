"""`latentjam improvise` and `latentjam analyze` end to end with the shipped pianoroll model."""

import json

import numpy as np
import pytest

from latentjam.cli import main
from latentjam.convert import PianoRollBars
from latentjam.midi import read_midi

QUERY = "openmsx_5432gone.mid"


def test_analyze_chroma_writes_json_and_plots(midi_dir, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert (
        main(
            [
                "analyze",
                str(midi_dir / QUERY),
                "--unit",
                "beat",
                "--thresholds",
                "30",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["distance"] == "tonnetz" and data["frames"] == len(data["frame_start_beats"])
    curve = data["ir_curve"]
    assert len(curve["thresholds"]) == 30
    assert data["best_threshold"] == curve["thresholds"][int(np.argmax(curve["ir_sums"]))]
    assert (tmp_path / "a_plots" / "ir_curve.png").stat().st_size > 0
    assert (tmp_path / "a_plots" / "ir_motifs.png").stat().st_size > 0
    assert "best threshold" in capsys.readouterr().out
    # a second analysis beside it keeps its own pictures
    assert (
        main(
            [
                "analyze",
                str(midi_dir / QUERY),
                "--thresholds",
                "10",
                "--json",
                str(tmp_path / "b.json"),
            ]
        )
        == 0
    )
    assert (tmp_path / "b_plots" / "ir_curve.png").is_file()
    assert (tmp_path / "a_plots" / "ir_curve.png").read_bytes() != (
        tmp_path / "b_plots" / "ir_curve.png"
    ).read_bytes()


@pytest.mark.slow
def test_analyze_latent_features(midi_dir, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "l.json"
    assert (
        main(
            [
                "analyze",
                str(midi_dir / QUERY),
                "--features",
                "latent",
                "--model",
                "pianoroll",
                "--thresholds",
                "20",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert data["distance"] == "cosine" and data["unit"] == "window"
    assert data["frames"] == len(read_midi(midi_dir / QUERY).downbeats())


@pytest.mark.slow
def test_improvise_budgets(midi_dir, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "imp"
    assert (
        main(
            [
                "improvise",
                str(midi_dir / QUERY),
                "--model",
                "pianoroll",
                "--bits",
                "0",
                "--out",
                str(out),
                "--sweep",
                "--budgets",
                "0,16,100000",
            ]
        )
        == 0
    )
    report = json.loads((out / "improvise.json").read_text())
    conv = PianoRollBars(low=24, high=101)
    n = report["windows"]
    assert n == len(read_midi(midi_dir / QUERY).downbeats())
    # 0 bits: every bar receives the prior mean, so every answered bar is the same bar
    bars = (
        conv.to_tensor(read_midi(out / "answer.mid"), 0.0),
        conv.to_tensor(read_midi(out / "answer.mid"), 4.0),
    )
    np.testing.assert_array_equal(*bars)
    assert sum(report["answer"]["bits_per_dimension"]) == 0
    rows = {r["bits"]: r for r in report["sweep"]}
    assert sum(rows[16.0]["bits_per_dimension"]) == 16
    # a huge budget passes the query's latents unchanged: closer to the query than 0 bits
    assert rows[100000.0]["note_overlap_mean"] > rows[0.0]["note_overlap_mean"]
    assert rows[100000.0]["tonnetz_mean"] < rows[0.0]["tonnetz_mean"]
    for r in rows.values():
        assert (out / r["midi"]).exists() and len(r["tonnetz_per_bar"]) == n
    assert (out / "query_and_answer.png").stat().st_size > 0
    assert (out / "sweep.png").stat().st_size > 0


def test_bad_input_is_one_line_error(tmp_path, capsys):
    junk = tmp_path / "junk.mid"
    junk.write_text("not midi")
    assert main(["analyze", str(junk), "--json", str(tmp_path / "x.json")]) == 2
    assert main(["improvise", str(junk), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("latentjam: error:") == 2
