"""Piano-roll bars: round trips on real files, held vs repeated notes, pitch range and classes."""

from __future__ import annotations

import numpy as np

from latentjam.convert import PianoRollBars
from latentjam.music import Sequence, Track


def test_midi_tensor_midi_tensor_is_exact_on_real_files(real_sequence, through_midi):
    for conv in (PianoRollBars(), PianoRollBars(low=24, high=101)):
        x = conv.windows(real_sequence)
        assert x.shape[1:] == (16, 2 * conv.pitches)
        p = conv.pitches
        assert np.all(x[:, :, p:] <= x[:, :, :p])  # struck implies sounding
        for w in x:
            np.testing.assert_array_equal(conv.to_tensor(through_midi(conv.from_tensor(w))), w)


def test_repeated_and_held_notes_differ():
    held = Sequence([Track.from_notes([(60, 90, 0.0, 2.0)])])
    repeated = Sequence([Track.from_notes([(60, 90, 0.0, 1.0), (60, 90, 1.0, 1.0)])])
    conv = PianoRollBars(low=48, high=72)
    a, b = conv.to_tensor(held), conv.to_tensor(repeated)
    k = 60 - 48
    np.testing.assert_array_equal(a[:, k], b[:, k])
    assert a[:, conv.pitches + k].sum() == 1 and b[:, conv.pitches + k].sum() == 2
    assert list(conv.from_tensor(b).tracks[0].notes) == [(60, 100, 0.0, 1.0), (60, 100, 1.0, 1.0)]


def test_pitch_range_and_pitch_classes():
    conv = PianoRollBars(low=24, high=101)
    assert conv.feature_dim == 156 and conv.pitch_classes[0] == 0 and conv.pitch_classes[5] == 5
    assert conv.pitch_classes[13] == (24 + 13) % 12
    notes = [(23, 90, 0.0, 1.0), (102, 90, 0.0, 1.0), (61, 90, 0.0, 1.0)]
    seq = Sequence([Track.from_notes(notes)])
    x = conv.to_tensor(seq)
    assert x.sum() == 4 * 1 + 1 and x[0, 61 - 24] == 1
    assert conv.cache_key() != PianoRollBars().cache_key()


def test_tied_bar_counts_as_struck_on_its_first_step():
    seq = Sequence([Track.from_notes([(60, 90, 3.0, 2.0)])])
    x = PianoRollBars().to_tensor(seq, start_beat=4.0)
    k = 60 - 21
    assert x[:4, k].all() and not x[4:, k].any() and x[0, 88 + k] == 1
