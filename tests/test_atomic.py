"""Atomic writes leave normal file modes (not mkstemp's private 0600)."""

from __future__ import annotations

import os
import stat

import numpy as np

from latentjam.atomic import atomic_write_bytes


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_atomic_files_get_the_mode_of_a_plain_open(tmp_path):
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    written = atomic_write_bytes(tmp_path / "a.bin", b"data")
    assert written.read_bytes() == b"data"
    assert _mode(written) == _mode(plain)
    assert not list(tmp_path.glob(".*.tmp"))


def test_wav_and_jam_recordings_are_readable_by_others(tmp_path):
    from latentjam.audio.io import write_audio

    old = os.umask(0o022)
    try:
        wav = write_audio(tmp_path / "x.wav", np.zeros(1600, np.float32), 16000)
        # what a jam recording is written with
        atomic_write_bytes(tmp_path / "s.json", b"{}")
    finally:
        os.umask(old)
    assert _mode(wav) == 0o644 and _mode(tmp_path / "s.json") == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    import pytest

    from latentjam.atomic import atomic_path, atomic_write_json

    def write_half_then_fail(path):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")

    target = atomic_write_json(tmp_path / "sub" / "a.json", {"v": 1})
    with pytest.raises(RuntimeError, match="killed mid-write"):
        write_half_then_fail(target)
    assert target.read_text() == '{\n "v": 1\n}\n'
    with pytest.raises(ValueError, match="not JSON compliant"):
        atomic_write_json(target, {"v": float("nan")}, allow_nan=False)
    assert target.read_text() == '{\n "v": 1\n}\n'
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.json"]


def test_the_temporary_keeps_the_suffix_writers_choose_formats_by(tmp_path):
    from latentjam.atomic import atomic_path

    with atomic_path(tmp_path / "plot.png", suffix=".png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path and tmp.name.startswith(".plot")
        tmp.write_bytes(b"png")
    assert (tmp_path / "plot.png").read_bytes() == b"png"
