"""music21 corpus pieces -> Sequence, checked against music21's own view of the same tune."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("music21")

from latentjam.convert import MelodyOneHot
from latentjam.corpora import corpus_report
from latentjam.corpora.music21_source import (
    PieceRef,
    corpus_root,
    list_pieces,
    parse_piece,
)


def music21_view(path: str, number=None):
    """music21's own notes of a piece after repeat expansion and tie merging."""
    from music21 import converter

    kwargs = {"number": number} if number is not None else {}
    score = converter.parse(str(corpus_root() / path), forceSource=True, **kwargs)
    return score.expandRepeats().stripTies()


def test_listing_splits_multi_tune_abc_files_and_honours_limit():
    pieces = list_pieces("oneills1850", ("*.abc",), limit=7)
    assert len(pieces) == 7
    assert pieces[0] == PieceRef("oneills1850/0001-0050.abc", 1)
    assert pieces[0].key == "oneills1850/0001-0050.abc#1"
    assert all(p.number is None for p in list_pieces("ryansMammoth", ("*.abc",), limit=3))


def test_reel_with_pickup_matches_music21_notes_and_bar_lines():
    ref = PieceRef("ryansMammoth/AcaciaReel.abc")
    seq = parse_piece(ref)
    score = music21_view(ref.path)
    notes = [n for n in score.flatten().notes if n.quarterLength > 0]
    track = seq.tracks[0]
    assert len(seq.tracks) == 1 and len(track) == len(notes) == 248
    order = np.lexsort((track.pitch, track.start))
    assert sorted(track.pitch.tolist()) == sorted(int(n.pitch.midi) for n in notes)
    # the 2/4 tune starts with an eighth-note pickup: shifted so beat 0 is that bar's downbeat
    shift = 2.0 - 0.5
    starts = sorted(float(n.offset) + shift for n in notes)
    assert np.allclose(track.start[order], starts)
    measures = list(score.parts[0].getElementsByClass("Measure"))
    full = [float(m.offset) + shift for m in measures[1:] if m.duration.quarterLength == 2.0]
    assert set(full) <= set(seq.downbeats().tolist())
    assert seq.time_signatures[0][1:] == (2, 4)


def test_tied_notes_are_merged_and_chorale_voices_become_tracks():
    ref = PieceRef("bach/bwv10.7.mxl")
    seq = parse_piece(ref)
    score = music21_view(ref.path)
    assert [t.name for t in seq.tracks] == ["Soprano", "Alto", "Tenor", "Bass"]
    for track, part in zip(seq.tracks, score.parts, strict=True):
        notes = list(part.flatten().notes)
        assert len(track) == len(notes)
        assert np.allclose(track.duration, sorted_durations(notes, track))


def sorted_durations(notes, track):
    by_time = sorted(notes, key=lambda n: (float(n.offset), n.pitch.midi))
    return [float(n.quarterLength) for n in by_time]


def test_tunes_that_cannot_expand_repeats_are_counted_not_raised():
    # the first four of Ryan's tunes include AbithaMugginsFavoriteReel, whose repeats
    # music21 cannot expand
    report = corpus_report(
        "ryans-mammoth", MelodyOneHot(bars=2), limit=4, workers=0, progress=False
    )
    assert report["pieces"] == 3 and report["skipped"] == 1
    (reason,) = report["skipped_reasons"]
    assert reason.startswith("ExpanderException")
    assert report["windows"] > 50
    assert sum(report["windows_per_split"].values()) == report["windows"]
