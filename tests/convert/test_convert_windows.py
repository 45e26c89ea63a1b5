"""Window alignment: downbeats, hop, metre policy for 3/4, 6/8 and metre changes."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.convert import DrumGrid, MelodyOneHot, PianoRollBars
from latentjam.convert.windows import window_starts
from latentjam.music import Sequence, TimeSignature, Track


def piece(numerator, denominator, beats, changes=()):
    notes = [(36, 100, b * 0.5, 0.25) for b in range(int(beats * 2))]
    sigs = [TimeSignature(0.0, numerator, denominator), *changes]
    return Sequence([Track.from_notes(notes, is_drum=True)], time_signatures=sigs)


def starts(seq, **kw):
    onsets = seq.merged(drums=True).start
    return list(window_starts(seq, onsets, **kw))


def test_four_four_windows_on_every_bar_with_a_hop():
    seq = piece(4, 4, 32)  # 8 bars
    assert starts(seq, bars=2) == [0, 4, 8, 12, 16, 20, 24]
    assert starts(seq, bars=2, hop_bars=2) == [0, 8, 16, 24]
    assert starts(seq, bars=4) == [0, 4, 8, 12, 16]
    assert len(DrumGrid(bars=2, hop_bars=2).windows(seq)) == 4


@pytest.mark.parametrize(("num", "den", "bar"), [(3, 4, 3.0), (6, 8, 3.0), (2, 4, 2.0)])
def test_other_metres_start_on_real_downbeats_and_span_four_quarter_bars(num, den, bar):
    seq = piece(num, den, 24)
    got = starts(seq, bars=2)
    assert got == list(np.arange(0, 24 - 8 + 1e-9, bar))
    assert starts(seq, bars=2, metre="four-four") == []
    assert len(DrumGrid(metre="four-four").windows(seq)) == 0


def test_metre_change_only_four_four_stretches_with_that_policy():
    seq = piece(4, 4, 40, changes=[TimeSignature(16.0, 3, 4), TimeSignature(25.0, 4, 4)])
    assert starts(seq, bars=2) == [0, 4, 8, 12, 16, 19, 22, 25, 29, 33]
    assert starts(seq, bars=2, metre="four-four") == [0, 4, 8, 25, 29, 33]


def test_incomplete_last_window_is_not_made():
    seq = piece(4, 4, 10)  # notes in bars 1-3; bar 3 is the last
    assert starts(seq, bars=2) == [0, 4]
    assert MelodyOneHot().windows(Sequence()).shape == (0, 32, 90)


@pytest.mark.parametrize(
    "conv",
    [
        DrumGrid(),
        DrumGrid(bars=4, hop_bars=2),
        MelodyOneHot(),
        MelodyOneHot(metre="four-four"),
        PianoRollBars(low=36, high=96),
    ],
    ids=lambda c: c.cache_key(),
)
def test_fast_windows_equal_one_window_at_a_time_at_each_downbeat(real_sequence, conv):
    drums = isinstance(conv, DrumGrid)
    notes = real_sequence.merged(drums=drums)
    onsets = notes.start if drums else np.rint(notes.start * 4) / 4  # quantised onsets
    at = window_starts(
        real_sequence,
        onsets,
        bars=getattr(conv, "bars", 1),
        hop_bars=getattr(conv, "hop_bars", 1),
        metre=conv.metre,
    )
    singles = np.stack([conv.to_tensor(real_sequence, b) for b in at]) if len(at) else None
    x = conv.windows(real_sequence)
    if singles is None:
        assert len(x) == 0
        return
    head = {DrumGrid: slice(0, 9), MelodyOneHot: slice(2, 90)}.get(type(conv), slice(None))
    singles = singles[singles[:, :, head].any(axis=(1, 2))]
    np.testing.assert_array_equal(x, singles)
    assert np.all(np.isin(at, real_sequence.downbeats()))
