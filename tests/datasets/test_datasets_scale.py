"""Builds that scale: resume after an interruption, duplicates by content, info.csv splits."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from latentjam.convert import DrumGrid
from latentjam.datasets import build, build_dataset, load_dataset


class Killed(BaseException):
    """Stands in for the process being killed half-way (nothing catches it)."""


def _build(tree, out, **kw):
    return build_dataset([tree], out, DrumGrid(), kind="drums", progress=False, **kw)


def test_an_interrupted_build_resumes_without_redoing_finished_parts(
    midi_tree, tmp_path, monkeypatch
):
    monkeypatch.setattr(build, "PART_FILES", 4)
    whole = tmp_path / "whole"
    _build(midi_tree, whole, workers=1)
    calls, killed = [], []
    real = build.convert_file

    def counting(path, converter):
        calls.append(path)
        if len(calls) == 9 and not killed:  # killed while converting the third part
            killed.append(path)
            raise Killed
        return real(path, converter)

    monkeypatch.setattr(build, "convert_file", counting)
    out = tmp_path / "ds"
    with pytest.raises(Killed):
        _build(midi_tree, out, workers=1)
    assert not (out / "manifest.json").exists()
    assert sorted(p.name for p in (out / ".build").glob("part-*.json")) == [
        "part-00000.json",
        "part-00001.json",
    ]
    calls.clear()
    report = _build(midi_tree, out, workers=1)  # the same command again
    assert len(calls) == report.files - 8  # the two finished parts were not converted again
    assert not (out / ".build").exists()
    a = json.loads((whole / "manifest.json").read_text())
    b = json.loads((out / "manifest.json").read_text())
    assert a["files"] == b["files"] and a["counts"] == b["counts"] and a["shards"] == b["shards"]
    for split in ("train", "valid", "test"):
        np.testing.assert_array_equal(load_dataset(whole, split), load_dataset(out, split))
    # a different build into the same folder starts afresh instead of mixing parts
    calls.clear()
    _build(midi_tree / "mma", out, workers=1)
    assert len(calls) == len(list((midi_tree / "mma").glob("*.mid")))


def test_identical_files_are_used_once(midi_tree, tmp_path):
    copy = midi_tree / "games" / "copy_of_mma_rock.mid"
    shutil.copy(next((midi_tree / "mma").glob("mma_rock.mid")), copy)
    report = _build(midi_tree, tmp_path / "ds", workers=2)
    (dup,) = [s for s in report.skipped if s["reason"] == "duplicate"]
    # files go in path order: games/copy_of_mma_rock.mid first, mma/mma_rock.mid is the copy
    assert dup["path"].endswith("mma/mma_rock.mid") and dup["message"].endswith(copy.name)
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert manifest["counts"]["skipped_by_reason"]["duplicate"] == 1


def test_the_groove_midi_dataset_s_info_csv_sets_the_splits(midi_tree, tmp_path):
    files = sorted(p.relative_to(midi_tree).as_posix() for p in midi_tree.rglob("*.mid"))
    wanted = {
        f: ("test" if i % 3 == 0 else "validation" if i % 3 == 1 else "train")
        for i, f in enumerate(files)
    }
    lines = [
        "drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split"
    ]
    lines += [
        f"d1,s1,{i},rock,120,beat,4-4,{f},,1.0,{s}" for i, (f, s) in enumerate(wanted.items())
    ]
    (midi_tree / "info.csv").write_text("\n".join(lines) + "\n")
    _build(midi_tree, tmp_path / "ds", workers=1)
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    got = {e["path"]: e["split"] for e in manifest["files"]}
    assert got and all(got[f] == {"validation": "valid"}.get(wanted[f], wanted[f]) for f in got)
    assert "info.csv" in manifest["split_rule"]
