"""Drum grid: lossless round trips on real files, class mappings, loudest-note and timing rules."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.convert import DRUM_CLASSES, DrumGrid
from latentjam.convert.drums import OUTPUT_PITCHES
from latentjam.errors import LatentjamError
from latentjam.music import Sequence, Track


def drum_seq(notes, **kw):
    return Sequence([Track.from_notes(notes, is_drum=True)], **kw)


@pytest.mark.parametrize(
    "conv", [DrumGrid(), DrumGrid(bars=4, mapping="roland")], ids=["gm2", "roland4"]
)
def test_midi_tensor_midi_tensor_is_exact_on_real_files(real_sequence, conv, through_midi):
    x = conv.windows(real_sequence)
    assert x.dtype == np.float32 and x.shape[1:] == (conv.steps, 27)
    for w in x:
        back = conv.to_tensor(through_midi(conv.from_tensor(w, qpm=93.0)))
        np.testing.assert_array_equal(back, w)


def test_real_file_has_hits_velocities_and_offsets(midi_dir):
    from latentjam.midi import read_midi

    x = DrumGrid().windows(read_midi(midi_dir / "openmsx_5432gone.mid"))
    assert len(x) > 10
    hits, vel, off = x[..., :9], x[..., 9:18], x[..., 18:]
    assert set(np.unique(hits)) == {0.0, 1.0}
    assert np.all((vel > 0) == (hits > 0)) and vel.max() <= 1.0
    assert np.all(off[hits == 0] == 0) and np.all((off >= -1) & (off < 1))


def test_grid_values_for_known_notes():
    # kick on the beat, snare 30 ticks late (of 120 per step), hi-hat 60 ticks early
    seq = drum_seq(
        [(36, 127, 0.0, 0.1), (38, 64, 1.0 + 30 / 480, 0.1), (42, 100, 2.0 - 60 / 480, 0.1)]
    )
    x = DrumGrid(bars=1).to_tensor(seq)
    assert x.shape == (16, 27)
    assert x[0, 0] == 1 and x[0, 9] == 1.0 and x[0, 18] == 0
    assert x[4, 1] == 1 and x[4, 10] == np.float32(64 / 127) and x[4, 19] == np.float32(0.5)
    # exactly half a step early belongs to the later step with offset -1
    assert x[8, 2] == 1 and x[8, 20] == np.float32(-1.0)
    assert x[:, :9].sum() == 3


def test_keeps_the_loudest_note_per_class_per_step():
    seq = drum_seq([(38, 40, 0.0, 0.1), (40, 110, 0.02, 0.1), (37, 90, 0.05, 0.1)])
    x = DrumGrid(bars=1).to_tensor(seq)
    assert x[0, 1] == 1 and x[0, 10] == np.float32(110 / 127)
    assert x[0, 19] == np.float32(round(0.02 * 480) / 60)


def test_roland_and_gm_mappings_differ_where_the_td11_does():
    seq = drum_seq([(58, 100, 0.0, 0.1), (45, 100, 1.0, 0.1), (48, 100, 2.0, 0.1)])
    gm = DrumGrid(bars=1, mapping="gm").to_tensor(seq)
    roland = DrumGrid(bars=1, mapping="roland").to_tensor(seq)
    names = lambda x: [DRUM_CLASSES[c] for c in np.nonzero(x[:, :9])[1]]  # noqa: E731
    assert names(gm) == ["crash", "low_tom", "mid_tom"]
    assert names(roland) == ["low_tom", "mid_tom", "high_tom"]
    assert DrumGrid(mapping="gm").cache_key() != DrumGrid(mapping="roland").cache_key()


def test_from_tensor_writes_canonical_pitches_on_a_drum_track():
    x = np.zeros((32, 27), dtype=np.float32)
    x[np.arange(9) * 3, np.arange(9)] = 1
    x[np.arange(9) * 3, 9 + np.arange(9)] = 0.5
    seq = DrumGrid().from_tensor(x, qpm=100)
    (track,) = seq.tracks
    assert track.is_drum and seq.tempos[0].qpm == 100
    assert list(track.pitch) == list(OUTPUT_PITCHES)
    assert set(track.velocity) == {64}


def test_notes_just_before_a_window_land_on_its_first_step_on_the_beat(through_midi):
    seq = drum_seq([(36, 100, 4.0 - 10 / 480, 0.1), (36, 100, 0.0, 0.1)])
    x = DrumGrid(bars=1).to_tensor(seq, start_beat=4.0)
    assert x[0, 0] == 1 and x[0, 18] == 0.0
    np.testing.assert_array_equal(
        DrumGrid(bars=1).to_tensor(through_midi(DrumGrid(bars=1).from_tensor(x))), x
    )


def test_no_drums_gives_no_windows_and_bad_settings_raise():
    seq = Sequence([Track.from_notes([(60, 100, 0.0, 1.0)] * 1)])
    assert DrumGrid().windows(seq).shape == (0, 32, 27)
    with pytest.raises(LatentjamError, match="mapping"):
        DrumGrid(mapping="tr808")
    with pytest.raises(LatentjamError, match="metre"):
        DrumGrid(metre="waltz")


def test_random_drum_variation_makes_plausible_new_grooves(midi_dir):
    from latentjam.convert.drums import TIMEKEEPING, random_drum_variation
    from latentjam.midi import read_midi

    x = DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    y = random_drum_variation(x, np.random.default_rng(5), swap=1.0, drop=0.2)
    assert y.shape == x.shape and y.dtype == np.float32
    hits = y[..., :9] > 0.5
    assert np.all((y[..., 9:18] > 0) == hits)  # a velocity exactly where there is a hit
    assert np.all(y[..., 18:][~hits] == 0)
    assert np.all(hits.sum(axis=(1, 2)) >= 1)
    other = [c for c in range(9) if c not in TIMEKEEPING]
    assert np.all(y[..., other] <= x[..., other])  # kick, snare, toms, crash: only dropped
    assert (y[..., :9] > 0.5).sum() < (x[..., :9] > 0.5).sum()
    np.testing.assert_array_equal(
        y, random_drum_variation(x, np.random.default_rng(5), swap=1.0, drop=0.2)
    )
    same = random_drum_variation(x, np.random.default_rng(5), swap=0.0, drop=0.0, loudness=0.0)
    np.testing.assert_allclose(same, x)


def test_random_drum_mix_takes_whole_parts_and_second_bars_from_other_grooves(midi_dir):
    from latentjam.convert.drums import PARTS, random_drum_mix, random_drum_variation
    from latentjam.midi import read_midi

    x = DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    # without drops and loudness, every part of every bar is a whole part of some window's bar
    y = random_drum_variation(
        x, np.random.default_rng(3), swap=0.5, parts=PARTS, bar_mix=0.5, drop=0.0, loudness=0.0
    )
    for bar in (slice(0, 16), slice(16, 32)):
        for part in PARTS:
            cols = [c + k * 9 for k in range(3) for c in part]
            have = y[:, bar][..., cols]  # (n, 16, 3 * len(part))
            pool = np.concatenate([x[:, s][..., cols] for s in (slice(0, 16), slice(16, 32))])
            assert all(any(np.array_equal(h, p) for p in pool) for h in have)
    assert not np.array_equal(y, x)  # something moved
    z = random_drum_mix(x, np.random.default_rng(3))
    assert z.shape == x.shape and np.all((z[..., 9:18] > 0) == (z[..., :9] > 0.5))
    np.testing.assert_array_equal(z, random_drum_mix(x, np.random.default_rng(3)))


def test_random_drum_remix_splices_single_beats_of_a_part_from_the_same_beat_elsewhere(midi_dir):
    from latentjam.convert.drums import PARTS, random_drum_remix, random_drum_variation
    from latentjam.midi import read_midi

    x = DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    y = random_drum_variation(
        x, np.random.default_rng(4), swap=0.0, parts=PARTS, beat_swap=0.5, drop=0.0, loudness=0.0
    )
    for beat in range(8):
        steps = slice(4 * beat, 4 * beat + 4)
        for part in PARTS:
            cols = [c + k * 9 for k in range(3) for c in part]
            pool = x[:, steps][..., cols]  # (n, 4, 3 * len(part)): that beat in every window
            have = y[:, steps][..., cols]
            assert all(any(np.array_equal(h, p) for p in pool) for h in have)
    assert not np.array_equal(y, x)
    z = random_drum_remix(x, np.random.default_rng(4))
    assert z.shape == x.shape and np.all((z[..., 9:18] > 0) == (z[..., :9] > 0.5))
    np.testing.assert_array_equal(z, random_drum_remix(x, np.random.default_rng(4)))


def test_random_drum_variation_feel_moves_each_window_by_one_shift(midi_dir):
    from latentjam.convert.drums import random_drum_variation
    from latentjam.midi import read_midi

    x = DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    x = np.concatenate([x] * 8)  # enough windows for both halves
    y = random_drum_variation(
        x, np.random.default_rng(2), swap=0.0, drop=0.0, loudness=0.0, feel=0.3
    )
    np.testing.assert_array_equal(y[..., :18], x[..., :18])  # hits and velocities untouched
    hits = x[..., :9] > 0.5
    assert np.all(y[..., 18:][~hits] == 0) and np.all(y[:, 0, 18:] >= 0)  # step 0 never early
    later = hits.copy()
    later[:, 0] = False  # step 0's clamp can break the common shift
    shifts = [np.unique(np.round((y - x)[i, ..., 18:][later[i]], 5)) for i in range(len(x))]
    assert all(len(s) <= 1 for s in shifts)  # one shift per window
    moved = [s[0] for s in shifts if len(s) and s[0] != 0]
    assert 0.2 * len(x) < len(moved) < 0.8 * len(x)  # about half the windows
    assert max(np.abs(moved)) <= 0.3 and min(moved) < 0 < max(moved)
