"""Dataset builds on real MIDI trees: skip report, splits by source, parallel == serial, loading."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentjam.convert import DrumGrid, MelodyOneHot
from latentjam.datasets import (
    build_dataset,
    dataset_info,
    find_midi_files,
    load_dataset,
    make_converter,
    split_of,
)
from latentjam.errors import LatentjamError
from latentjam.midi import read_midi


def build(tree, out, conv=None, **kw):
    conv = conv or DrumGrid()
    kind = "drums" if isinstance(conv, DrumGrid) else "melody"
    return build_dataset([tree], out, conv, kind=kind, progress=False, **kw)


def test_every_bad_file_is_skipped_with_its_reason_and_nothing_is_dropped(
    midi_tree, tmp_path, broken_files
):
    report = build(midi_tree, tmp_path / "ds", workers=1)
    skipped = json.loads((tmp_path / "ds" / "skipped.json").read_text())
    reasons = {s["path"].split("src/", 1)[1]: s["reason"] for s in skipped}
    for name, reason in broken_files.items():
        assert reasons[name] == reason
    # music21 melodies and an MMA example without channel 10 have no drums
    assert reasons["music21/m21_bach_bwv66_6.mid"] == "no drum notes"
    assert reasons["mma/mma_example_drum_ppq384.mid"] == "no drum notes"
    info = dataset_info(tmp_path / "ds")
    counts = info["counts"]
    other = []
    assert counts["files_found"] == len(find_midi_files([midi_tree], other)) == report.files
    assert counts["other_files_ignored"] == 1 and other[0].endswith("notes.txt")
    assert "ignored 1 other files" in report.summary()
    assert counts["files_used"] + counts["files_skipped"] == counts["files_found"]
    assert counts["skipped_by_reason"]["no drum notes"] >= 4
    assert f"skipped {counts['files_skipped']} files" in report.summary()
    assert "truncated 1" in report.summary()


def test_splits_are_disjoint_by_source_and_windows_match_the_converter(midi_tree, tmp_path):
    build(midi_tree, tmp_path / "ds", workers=1, valid=0.3, test=0.3)
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    files = manifest["files"]
    seen = {}
    for split in ("train", "valid", "test"):
        x, source = load_dataset(tmp_path / "ds", split, with_source=True)
        assert x.dtype == np.float32 and x.shape[1:] == (32, 27) and len(x) == len(source)
        assert {files[i]["split"] for i in set(source.tolist())} <= {split}
        seen[split] = set(source.tolist())
        assert len(x) == manifest["counts"]["windows_per_split"][split]
    assert not (
        seen["train"] & seen["valid"]
        or seen["train"] & seen["test"]
        or seen["valid"] & seen["test"]
    )
    assert all(seen.values())  # 30 % each: every split got some files
    # the windows of one file are exactly what the converter gives for it
    entry = next(i for i, f in enumerate(files) if f["path"].endswith("mma_rock.mid"))
    x, source = load_dataset(tmp_path / "ds", files[entry]["split"], with_source=True)
    direct = DrumGrid().windows(read_midi(midi_tree / files[entry]["path"]))
    np.testing.assert_array_equal(x[source == entry], direct)


def test_split_depends_only_on_the_relative_path():
    keys = [f"folder/piece{i}.mid" for i in range(2000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    share = {s: splits.count(s) / len(keys) for s in ("train", "valid", "test")}
    assert 0.75 < share["train"] < 0.85 and 0.07 < share["test"] < 0.13


def test_parallel_build_equals_single_process_build(midi_tree, tmp_path):
    conv = MelodyOneHot(bars=2)
    build(midi_tree, tmp_path / "one", conv, workers=1)
    build(midi_tree, tmp_path / "two", conv, workers=2)
    a = json.loads((tmp_path / "one" / "manifest.json").read_text())
    b = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert a["files"] == b["files"] and a["counts"] == b["counts"] and a["shards"] == b["shards"]
    assert (tmp_path / "one" / "skipped.json").read_text() == (
        tmp_path / "two" / "skipped.json"
    ).read_text()
    for split in ("train", "valid", "test"):
        xa, sa = load_dataset(tmp_path / "one", split, with_source=True)
        xb, sb = load_dataset(tmp_path / "two", split, with_source=True)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(sa, sb)


def test_rebuild_replaces_and_refuses_foreign_folders(midi_tree, tmp_path):
    out = tmp_path / "ds"
    build(midi_tree / "mma", out, workers=1)
    first = dataset_info(out)["counts"]["files_found"]
    build(midi_tree / "games", out, workers=1)
    assert dataset_info(out)["counts"]["files_found"] != first
    assert not list(out.glob(".shards-*"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("x")
    with pytest.raises(LatentjamError, match="not a latentjam dataset"):
        build(midi_tree, foreign)
    with pytest.raises(LatentjamError, match="no MIDI files"):
        build(tmp_path / "foreign", tmp_path / "out2")
    with pytest.raises(LatentjamError, match="not a latentjam dataset"):
        load_dataset(foreign)


def test_converter_choice():
    assert make_converter("drums", mapping="roland").cache_key().startswith("drums-v1-bars2-roland")
    assert make_converter("pianoroll").steps == 16
    with pytest.raises(LatentjamError, match="one bar"):
        make_converter("pianoroll", bars=2)
    with pytest.raises(LatentjamError, match="kind"):
        make_converter("bass")
