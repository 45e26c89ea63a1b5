"""The bundled drum corpus: real files from six Debian packages, documented, split by piece."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentjam.convert import DrumGrid
from latentjam.corpora import corpus_report, drums_index, load_corpus
from latentjam.corpora.load import DRUMS_DIR
from latentjam.midi import read_midi

SOURCES = {
    "mma": "mma",
    "hydrogen": "hydrogen-data",
    "tk707": "tk707",
    "simutrans": "simutrans-data",
    "openmsx": "openttd-openmsx",
    "freedoom": "freedoom",
}
MIN_WINDOWS = {
    "mma": 2000,
    "hydrogen": 150,
    "tk707": 150,
    "simutrans": 3000,
    "openmsx": 1000,
    "freedoom": 3000,
}


@pytest.fixture(scope="module")
def report():
    return corpus_report("drums", DrumGrid(bars=2), progress=False)


def test_every_source_gives_many_two_bar_windows(report):
    for source, minimum in MIN_WINDOWS.items():
        assert report["windows_per_source"][source] >= minimum, source
    assert report["shape"][1:] == [32, 27]


def test_splits_hold_whole_groups_and_are_all_used(report):
    x = {
        s: load_corpus("drums", DrumGrid(bars=2), s, progress=False)
        for s in ("train", "valid", "test")
    }
    assert all(len(v) > 0 for v in x.values())
    assert sum(len(v) for v in x.values()) == report["windows"]
    assert len(x["train"]) > 5 * len(x["test"])
    index = drums_index()
    groups = {}
    for key, entry in index["files"].items():
        groups.setdefault(entry["group"], set()).add(key)
    # MMA grooves of one style file share a group: a style is never in two splits
    assert any(len(keys) > 5 for keys in groups.values())


def test_sources_file_names_every_source_package_and_licence():
    text = (DRUMS_DIR / "SOURCES.md").read_text(encoding="utf-8")
    index = drums_index()
    for source, package in SOURCES.items():
        assert f"## {source} ({package})" in text
        assert index["packages"][package] != "unknown"
        assert index["packages"][package] in text
    for licence in ("GPL-2+", "GPL-2", "Artistic-1.0", "BSD-3-Clause"):
        assert licence in text
    assert "2-bar windows" in text and "latentjam.convert was not available" not in text


def test_bundled_files_are_drum_only_midi_at_480_ppq():
    index = drums_index()
    assert {e["source"] for e in index["files"].values()} == set(SOURCES)
    for key, entry in list(index["files"].items())[::40]:
        seq = read_midi(DRUMS_DIR / key)
        assert seq.ppq == 480
        assert [t.is_drum for t in seq.tracks] == [True]
        assert len(seq.tracks[0]) == entry["notes"]
        assert entry["bars"] == len(seq.downbeats())


def test_index_records_skips_and_mma_aliases():
    index = drums_index()
    for item in index["skipped"]:
        assert item["source"] in SOURCES and item["reason"]
    aliases = [a for e in index["files"].values() for a in e.get("aliases", [])]
    assert "50srock/50sRockSus" in aliases  # same drums as 50sRock, kept once
    json.dumps(index)  # plain JSON all the way down


def test_every_bundled_song_is_written_on_the_beat_grid():
    # songs whose onsets fall near a sixteenth only as often as random times would (1 in 5)
    # are skipped by the builder; the Freedoom lumps recorded that way are in `skipped`
    index = drums_index()
    off_grid = [s for s in index["skipped"] if s["reason"].startswith("drums off the beat grid")]
    assert len(off_grid) >= 5
    assert all(s["onsets_near_grid"] < 0.28 for s in off_grid)
    for key in list(index["files"])[::7]:
        starts = read_midi(DRUMS_DIR / key).tracks[0].start * 4  # in sixteenths
        near = np.minimum(starts % 1, 1 - starts % 1) < 0.1
        assert near.mean() > 0.3, key


def test_hydrogen_swing_moves_offbeat_sixteenths_late():
    # GM_kit_Jazzy has swing_factor 0.44: off-beat 16ths sound 0.44 * 6/48 beat late
    x = DrumGrid(bars=2).windows(read_midi(DRUMS_DIR / "hydrogen/GM_kit_Jazzy.mid"))
    hits = x[:, :, :9] > 0
    offsets = x[:, :, 18:][hits]
    steps = np.nonzero(hits)[1]
    late = offsets[steps % 2 == 1]
    assert len(late) > 0 and np.allclose(late, 2 * 0.44 * 6 / 48 / 0.25, atol=1 / 60)
    assert np.allclose(offsets[steps % 2 == 0], 0.0)
