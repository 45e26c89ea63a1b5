"""`latentjam data build` / `data info` through the real command-line entry point."""

from __future__ import annotations

import json

from latentjam.cli import main


def test_build_and_info(midi_tree, tmp_path, capsys):
    out = tmp_path / "ds"
    code = main(
        [
            "data",
            "build",
            str(midi_tree / "mma"),
            str(midi_tree / "music21"),
            "--kind",
            "melody",
            "--bars",
            "4",
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "files converted" in printed and "windows: train" in printed
    assert main(["data", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["kind"] == "melody" and info["window_shape"] == [64, 90]
    assert info["converter"]["settings"]["bars"] == 4
    assert len(info["sources"]) == 2
    assert main(["data", "info", str(out)]) == 0
    assert "train" in capsys.readouterr().out


def test_a_broken_file_named_directly_is_a_one_line_error(midi_tree, tmp_path, capsys):
    code = main(
        [
            "data",
            "build",
            str(midi_tree / "bad" / "truncated.mid"),
            "--kind",
            "drums",
            "--out",
            str(tmp_path / "ds"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "truncated" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "ds").exists()
    assert main(["data", "info", str(tmp_path / "nowhere")]) == 2
    assert (
        main(
            [
                "data",
                "build",
                str(tmp_path / "missing"),
                "--kind",
                "drums",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )


def test_a_build_where_every_file_is_skipped_fails(midi_tree, tmp_path, capsys):
    code = main(
        [
            "data",
            "build",
            str(midi_tree / "bad"),
            "--kind",
            "drums",
            "--out",
            str(tmp_path / "ds"),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "every file was skipped" in err


def test_an_empty_split_is_warned_about(midi_tree, tmp_path, capsys):
    code = main(
        [
            "data",
            "build",
            str(midi_tree / "mma"),
            "--kind",
            "drums",
            "--out",
            str(tmp_path / "ds"),
            "--workers",
            "1",
            "--quiet",
            "--valid",
            "0.0001",
            "--test",
            "0.0001",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "split has no windows" in err


def test_a_whole_folder_can_be_a_test_set_and_evaluated(midi_tree, tmp_path, capsys):
    out = tmp_path / "ds"
    assert (
        main(
            [
                "data",
                "build",
                str(midi_tree / "mma"),
                "--kind",
                "drums",
                "--out",
                str(out),
                "--workers",
                "1",
                "--quiet",
                "--valid",
                "0",
                "--test",
                "1",
            ]
        )
        == 0
    )
    from latentjam.datasets import load_dataset

    assert len(load_dataset(out, "train")) == 0 and len(load_dataset(out, "test")) > 0
