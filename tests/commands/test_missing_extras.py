"""On a base install each command that needs an extra says which one, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MIDI = str(FIXTURES / "convert" / "mma_rock.mid")
WAV = str(FIXTURES / "audio" / "bach_bwv269_piano_16k.flac")

BLOCK = (
    "import sys\n"
    "for name in {blocked!r}: sys.modules[name] = None\n"
    "from latentjam.cli import main\n"
    "sys.exit(main({argv!r}))\n"
)


def _run(blocked: list[str], argv: list[str], tmp_path) -> subprocess.CompletedProcess:
    code = BLOCK.format(blocked=blocked, argv=argv)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


@pytest.mark.parametrize(
    ("blocked", "argv", "extra"),
    [
        (["torch"], ["sample", "--model", "drums", "--out", "o"], "torch"),
        (["torch"], ["train", "--list-presets"], "torch"),
        (["torch"], ["evaluate", "--model", "drums", "--json", "e.json"], "torch"),
        (["torch"], ["humanize", MIDI, "--out", "o.mid"], "torch"),
        (["soundfile"], ["audio", "reconstruct", WAV, "--out", "o"], "audio"),
    ],
)
def test_missing_extra_is_one_line_naming_it(blocked, argv, extra, tmp_path):
    proc = _run(blocked, argv, tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"latentjam[{extra}]" in lines[0]


def test_audio_errors_name_the_file_and_the_model(tmp_path, capsys):
    from latentjam.cli import main

    assert main(["audio", "reconstruct", MIDI, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert MIDI in err and "BytesIO" not in err and "MIDI file" in err
    assert main(["audio", "sample", "--model", "drums", "--out", str(tmp_path / "s")]) == 2
    assert "not an audio model" in capsys.readouterr().err
