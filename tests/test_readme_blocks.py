"""The README's other command blocks, run on real fixture files with their outputs checked.

Placeholders (~/midi/..., QUERY.mid, song.wav, ...) become fixture files or folders; lengths are
cut (`--max-steps 3000` -> 2, `--max-minutes` dropped); commands that would parse a whole music21
corpus (minutes) are listed in SLOW and left to their own tests.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from latentjam.cli import main
from latentjam.midi import read_midi

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"
SLOW = (
    "--corpus oneills1850",  # parses O'Neill's (minutes)
    "corpus build ryans-mammoth",  # parses Ryan's Mammoth (minutes)
    "corpus info essen",  # parses the Essen collection (about 7 minutes)
)


def _commands(title: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}")
    section = text[start : text.index("\n## ", start + 3)]
    block = re.findall(r"```sh\n(.*?)```", section, flags=re.S)[0]
    return [ln.split("  #")[0].strip() for ln in block.splitlines() if ln.startswith("latentjam ")]


def _run(command: str, replace: dict[str, str]) -> int:
    for old, new in replace.items():
        command = command.replace(old, new)
    command = re.sub(r"\[.*?\]", "", command)
    return main(shlex.split(command)[1:])


@pytest.fixture
def midi_folders(tmp_path) -> dict[str, str]:
    """~/midi/groove, mine, tunes and piano as folders of real fixture files."""
    folders = {
        "groove": sorted((FIX / "midi").glob("mma_*.mid")),
        "mine": sorted((FIX / "convert").glob("game_*.mid")),
        "tunes": sorted((FIX / "convert").glob("m21_ryans_*.mid")),
        "piano": sorted((FIX / "convert").glob("m21_bach_*.mid")),
    }
    out = {}
    for name, files in folders.items():
        folder = tmp_path / "midi" / name
        folder.mkdir(parents=True)
        for f in files:
            shutil.copy(f, folder / f.name)
        out[f"~/midi/{name}"] = str(folder)
    return out


def test_readme_dataset_block(tmp_path, monkeypatch, midi_folders, capsys):
    monkeypatch.chdir(tmp_path)
    for command in _commands("Your own MIDI as a dataset"):
        assert _run(command, midi_folders) == 0, command
    from latentjam.datasets import load_dataset

    assert load_dataset("data/drums", "train").shape[1:] == (32, 27)
    assert load_dataset("data/melody", "train").shape[1:] == (64, 90)
    bars = sum(len(load_dataset("data/bars", s)) for s in ("train", "valid", "test"))
    assert bars > 0
    assert "windows" in capsys.readouterr().out


def test_readme_corpus_block(tmp_path, capsys):
    for command in _commands("Real corpora"):
        if any(slow in command for slow in SLOW):
            continue
        assert _run(command, {}) == 0, command
    printed = capsys.readouterr().out
    assert "drums" in printed and "11033" in printed.replace(",", "")


@pytest.mark.slow
def test_readme_improvise_block(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    query = str(FIX / "convert" / "game_simutrans_sundaydrivers_ppq96.mid")
    for command in _commands("Improvise from a query"):
        assert _run(command, {"QUERY.mid": query, "IN.mid": query}) == 0, command
    assert sum(len(t) for t in read_midi("answer/answer.mid").tracks) > 0
    assert len(list(Path("sweep").glob("*.mid"))) >= 5 and Path("sweep/sweep.png").is_file()
    for name in ("a", "b", "l"):
        data = json.loads(Path(f"analysis/{name}.json").read_text())
        assert data["frames"] > 0 and Path(f"analysis/{name}_plots/ir_curve.png").is_file()


@pytest.mark.slow
def test_readme_train_block(tmp_path, monkeypatch, capsys):
    import torch

    monkeypatch.chdir(tmp_path)
    data = tmp_path / "my_dataset"
    assert (
        main(
            [
                "data",
                "build",
                str(FIX / "midi"),
                "--kind",
                "drums",
                "--out",
                str(data),
                "--workers",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    gpu = torch.cuda.is_available()
    for command in _commands("Train and evaluate"):
        if any(slow in command for slow in SLOW):
            continue
        command = re.sub(r"--max-minutes \S+", "", command)
        if command.startswith("latentjam train") and "--list-presets" not in command:
            command += " --max-steps 2 --no-progress"
        command = command.replace("--preset drums ", "--preset tiny-drums ")
        code = _run(command, {"my_dataset/": str(data), "my.pt": "runs/mine/model.pt"})
        if "--accelerator gpu" in command and not gpu:
            assert code == 2 and "no CUDA GPU" in capsys.readouterr().err, command
        else:
            assert code == 0, command
    report = json.loads(Path("eval/drums.json").read_text())
    assert report["reconstruction"]["hit_f1"] > 0.8
    assert json.loads(Path("eval/mine.json").read_text())["test_windows"] > 0


@pytest.mark.slow
def test_readme_audio_block(tmp_path, monkeypatch):
    import numpy as np

    from latentjam.audio.io import read_audio

    monkeypatch.chdir(tmp_path)
    wavs = tmp_path / "my_wavs"
    wavs.mkdir()
    flacs = sorted((FIX / "audio").glob("*.flac"))
    for f in flacs:
        shutil.copy(f, wavs / f.name)
    replace = {
        "song.wav": str(flacs[0]),
        "a.wav": str(flacs[0]),
        "b.wav": str(flacs[-1]),
        "--bundled": f"--data {wavs}",
        "--max-steps 3000": "--max-steps 2",
        "--max-minutes 15": "--max-steps 2",
        "--out map.png": "--split train --out map.png",  # two files: no test split
    }
    for command in _commands("Audio VAEs"):
        assert _run(command, replace) == 0, command
    audio, _ = read_audio(next(Path("rec").glob("*.wav")))
    assert np.sqrt(np.mean(audio**2)) > 1e-3
    assert len(list(Path("samples").glob("*.wav"))) == 4
    assert Path("map.png").stat().st_size > 5000


@pytest.mark.slow
def test_readme_commands_that_parse_whole_corpora(tmp_path, monkeypatch, capsys):
    """The README lines left out above because they parse a whole music21 corpus (minutes on
    the first run; later runs read the cache): run as written, outputs checked."""
    monkeypatch.chdir(tmp_path)
    corpus = [c for c in _commands("Real corpora") if any(s in c for s in SLOW)]
    train = [c for c in _commands("Train and evaluate") if any(s in c for s in SLOW)]
    assert len(corpus) == 2 and len(train) == 1
    for command in corpus:
        assert _run(command, {}) == 0, command
    printed = capsys.readouterr().out
    info = json.loads(printed[printed.index("{") :])  # corpus info essen --json
    assert info["windows_per_split"]["train"] > 10_000, info
    assert _run(train[0] + " --max-steps 2", {}) == 0
    assert (tmp_path / "runs" / "m" / "model.pt").is_file()
    explore = ROOT / "README.md"
    line = next(
        ln.split("  #")[0].strip()
        for ln in explore.read_text().splitlines()
        if ln.startswith("latentjam map --model melody")
    )
    song = FIX / "convert" / "m21_ryans_banishmisfortune.mid"
    assert _run(line, {"song.mid": str(song)}) == 0, line
    png = tmp_path / "out" / "map.png"
    assert png.stat().st_size > 20_000
