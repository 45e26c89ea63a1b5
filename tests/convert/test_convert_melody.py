"""Melody one-hot: round trips on real files, monophonic reduction and transposition."""

from __future__ import annotations

import numpy as np

from latentjam.convert import MelodyOneHot, transpose, transpose_windows
from latentjam.music import Sequence, Track


def codes(x):
    return list(x.argmax(axis=1))


def test_midi_tensor_midi_tensor_is_exact_on_real_files(real_sequence, through_midi):
    for conv in (MelodyOneHot(bars=2), MelodyOneHot(bars=4)):
        x = conv.windows(real_sequence)
        assert x.shape[1:] == (conv.steps, 90)
        assert np.all(x.sum(axis=2) == 1)
        for w in x:
            np.testing.assert_array_equal(conv.to_tensor(through_midi(conv.from_tensor(w))), w)


def test_events_hold_note_off_and_repeat():
    notes = [(60, 90, 0.0, 1.0), (60, 90, 1.0, 0.5), (62, 90, 2.0, 0.25)]
    seq = Sequence([Track.from_notes(notes)])
    c = codes(MelodyOneHot(bars=1).to_tensor(seq))
    assert c[:12] == [60 - 19, 0, 0, 0, 60 - 19, 0, 1, 0, 62 - 19, 1, 0, 0]


def test_monophonic_reduction_keeps_the_highest_note():
    # a chord C-E-G held two beats, then its top note stops and E continues a beat
    seq = Sequence(
        [
            Track.from_notes(
                [(60, 90, 0.0, 3.0), (64, 90, 0.0, 3.0), (67, 90, 0.0, 2.0), (72, 90, 0.5, 0.25)]
            )
        ]
    )
    c = codes(MelodyOneHot(bars=1).to_tensor(seq))
    assert c[0] == 67 - 19 and c[2] == 72 - 19 and c[3] == 67 - 19  # G, high C, back to G
    assert c[8] == 64 - 19 and c[12] == 1  # E re-sounds when G stops; rest at beat 3


def test_drum_notes_and_out_of_range_pitches_are_ignored():
    seq = Sequence(
        [
            Track.from_notes([(110, 90, 0.0, 1.0), (50, 90, 0.0, 1.0)]),
            Track.from_notes([(80, 90, 0.0, 1.0)], is_drum=True),
        ]
    )
    assert codes(MelodyOneHot(bars=1).to_tensor(seq))[0] == 50 - 19


def test_transposition_drops_shifts_that_leave_the_keyboard():
    seq = Sequence([Track.from_notes([(23, 90, 0.0, 1.0), (100, 90, 1.0, 1.0)])])
    x = MelodyOneHot(bars=1).to_tensor(seq)
    up = transpose(x, 5)
    assert codes(up)[:5] == [28 - 19, 0, 0, 0, 105 - 19]
    assert transpose(x, 9) is None and transpose(x, -3) is None and transpose(x, -2) is not None
    batch = transpose_windows(np.stack([x, transpose(x, 8)]), range(-5, 6))
    # window 0 fits shifts -2..8 -> -2..5 (8); window 1 (25..108) fits -5..0 (6)
    assert len(batch) == 8 + 6
    assert np.all(batch.sum(axis=2) == 1)


def test_window_starting_inside_a_note_starts_with_its_note_on():
    seq = Sequence([Track.from_notes([(70, 90, 3.0, 3.0)])])
    c = codes(MelodyOneHot(bars=1).to_tensor(seq, start_beat=4.0))
    assert c[:9] == [70 - 19] + [0] * 7 + [1]
