"""Out-of-range numbers are refused when the arguments are parsed, before any work starts."""

from __future__ import annotations

import pytest

from latentjam.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "build", "x", "--kind", "drums", "--bars", "0", "--out", "o"], "at least 1"),
        (["data", "build", "x", "--kind", "drums", "--hop", "-1", "--out", "o"], "at least 1"),
        (["corpus", "info", "drums", "--bars", "0"], "at least 1"),
        (["audio", "sample", "--temperature", "-1", "--out", "o"], ">= 0"),
        (["sample", "--temperature", "nan", "--out", "o"], ">= 0"),
    ],
)
def test_bad_numbers_are_parse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_tempo_error_shows_the_tempo_it_refused(tmp_path):
    from latentjam.errors import InvalidMidiError
    from latentjam.midi import read_midi

    # one track, tempo 1000.02 qpm (59998 us per quarter) and one note
    track = (
        b"\x00\xff\x51\x03"
        + (59998).to_bytes(3, "big")
        + b"\x00\x90\x3c\x40\x60\x80\x3c\x00\x00\xff\x2f\x00"
    )
    data = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60" + b"MTrk" + len(track).to_bytes(4, "big")
    path = tmp_path / "fast.mid"
    path.write_bytes(data + track)
    with pytest.raises(InvalidMidiError, match=r"absurd tempo 1000\.0"):
        read_midi(path)
