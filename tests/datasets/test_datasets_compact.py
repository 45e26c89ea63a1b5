"""Compact shard storage: real windows of every kind come back bit-identical."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentjam.convert import DrumGrid, MelodyOneHot, PianoRollBars
from latentjam.datasets.compact import decode, encode
from latentjam.midi import read_midi

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("kind", "conv", "encoding"),
    [
        ("drums", DrumGrid(), "drums"),
        ("drums", DrumGrid(bars=4, mapping="roland"), "drums"),
        ("melody", MelodyOneHot(), "codes"),
        ("pianoroll", PianoRollBars(24, 101), "bits"),
    ],
)
def test_real_windows_round_trip_exactly(kind, conv, encoding):
    files = sorted((FIXTURES / "convert").glob("*.mid")) + sorted((FIXTURES / "midi").glob("*.mid"))
    x = np.concatenate([conv.windows(read_midi(f)) for f in files])
    assert len(x) > 50
    arrays = encode(kind, x)
    assert str(arrays["encoding"]) == encoding
    assert sum(a.nbytes for a in arrays.values()) < x.nbytes / 3
    back = decode(arrays, x.shape[2])
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, x)


def test_values_off_the_grid_are_stored_as_float32():
    rng = np.random.default_rng(0)
    x = rng.random((3, 32, 27), dtype=np.float32)
    arrays = encode("drums", x)
    assert str(arrays["encoding"]) == "float32"
    np.testing.assert_array_equal(decode(arrays, 27), x)
