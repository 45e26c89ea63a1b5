"""Chroma per bar from Sequences and from piano-roll bars."""

import numpy as np

from latentjam.analysis.chroma import chroma_from_pianoroll, chroma_per_bar
from latentjam.midi import read_midi
from latentjam.music import Sequence, Track


def test_chroma_per_bar_weights_by_sounding_time():
    # C4 for a whole 4/4 bar, E4 for the last beat of bar 0 and the first beat of bar 1,
    # G3 (pc 7) for two beats in bar 1.
    track = Track.from_notes([(60, 90, 0.0, 4.0), (64, 90, 3.0, 2.0), (55, 90, 4.0, 2.0)])
    chroma = chroma_per_bar(Sequence([track]))
    assert chroma.shape == (2, 12)
    np.testing.assert_allclose(chroma[0, [0, 4]], [4.0, 1.0])
    np.testing.assert_allclose(chroma[1, [4, 7]], [1.0, 2.0])
    assert chroma.sum() == 8.0


def test_chroma_from_pianoroll_reads_sounding_columns_only():
    bars = np.zeros((1, 16, 2 * 88), dtype=np.float32)
    bars[0, :8, 60 - 21] = 1  # C4 sounds 8 steps
    bars[0, :, 88 + 62 - 21] = 1  # struck flags of D4 are ignored
    bars[0, 4:6, 72 - 21] = 1  # C5 sounds 2 steps
    chroma = chroma_from_pianoroll(bars, low=21)
    np.testing.assert_allclose(chroma[0], np.eye(12)[0] * 10)


def test_real_file_chroma_is_finite(midi_dir):
    seq = read_midi(midi_dir / "openmsx_5432gone.mid")
    chroma = chroma_per_bar(seq)
    assert len(chroma) == len(seq.downbeats())
    assert len(chroma) == 24 and np.isfinite(chroma).all() and chroma.sum() > 0


def test_empty_sequence_has_no_bars(midi_dir):
    assert chroma_per_bar(read_midi(midi_dir / "mma_gypsyjazz.mid")).shape == (0, 12)
