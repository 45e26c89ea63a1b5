"""The batched drum grid paths equal the per-call converter round trip (Sequence + DrumGrid)."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.convert import DrumGrid
from latentjam.jam.grids import calls_to_drum_windows, drum_windows_to_notes
from latentjam.jam.protocol import STEPS_PER_BAR, Note
from latentjam.jam.session import JamModel, fallback_projection


def _jam_model(bars: int, mapping: str = "gm") -> JamModel:
    return JamModel(
        "t", "drums", None, DrumGrid(bars=bars, mapping=mapping), fallback_projection(4)
    )


def _random_call(rng: np.random.Generator, bars: int) -> tuple[Note, ...]:
    steps = bars * STEPS_PER_BAR
    n = int(rng.integers(0, 60))
    # few distinct pitches and steps, so notes collide in a cell (loudest / earliest wins)
    pitches = rng.choice([36, 38, 42, 46, 35, 44, 51, 49, 0, 127, 60], n)
    offsets = np.where(
        rng.random(n) < 0.5, rng.integers(-20, 20, n) / 20.0, rng.uniform(-1.0, 0.999, n)
    )
    offsets[rng.random(n) < 0.1] = -1.0  # as early as allowed (the step before)
    # velocities from a small set half the time: equally loud notes in a cell (earliest wins)
    velocities = np.where(rng.random(n) < 0.5, rng.choice([90, 127], n), rng.integers(1, 128, n))
    at = np.where(rng.random(n) < 0.5, rng.integers(0, 4, n), rng.integers(0, steps, n))
    return tuple(
        Note(int(p), int(v), int(s), float(o))
        for p, v, s, o in zip(pitches, velocities, at, offsets, strict=True)
    )


@pytest.mark.parametrize(("model_bars", "mapping"), [(2, "gm"), (1, "roland"), (4, "gm")])
def test_calls_to_windows_equal_the_converter(model_bars, mapping):
    rng = np.random.default_rng(7)
    jm = _jam_model(model_bars, mapping)
    calls, n_windows, expected = [], [], []
    for _ in range(40):
        bars = int(rng.integers(1, 9))
        notes = _random_call(rng, bars)
        calls.append(notes)
        ref = jm.notes_to_windows(notes, bars, 120.0)
        n_windows.append(len(ref))
        expected.append(ref)
    got = calls_to_drum_windows(calls, n_windows, jm.converter.steps, mapping)
    np.testing.assert_array_equal(got, np.concatenate(expected))
    assert got[:, :, :9].sum() > 100  # the calls were not empty


def test_no_calls_and_empty_calls():
    assert calls_to_drum_windows([], [], 32).shape == (0, 32, 27)
    out = calls_to_drum_windows([(), ()], [1, 2], 32)
    assert out.shape == (3, 32, 27) and not out.any()


@pytest.mark.parametrize("model_bars", [2, 1])
def test_windows_to_notes_equal_the_converter(model_bars):
    rng = np.random.default_rng(11)
    jm = _jam_model(model_bars)
    t = jm.converter.steps
    rows, spans, expected = 0, [], []
    grids = []
    for _ in range(40):
        reply_bars = int(rng.integers(1, 9))
        n = -(-reply_bars // model_bars)
        g = np.zeros((n, t, 27), dtype=np.float32)
        g[:, :, :9] = rng.random((n, t, 9)) < 0.25
        g[:, :, 9:18] = rng.random((n, t, 9)) * g[:, :, :9]
        g[:, :, 18:] = rng.uniform(-1.2, 1.2, (n, t, 9)) * g[:, :, :9]
        g[:, :, :9][rng.random((n, t, 9)) < 0.05] = 0.5  # exactly on the threshold: no hit
        grids.append(g)
        spans.append((rows, n, reply_bars * STEPS_PER_BAR))
        expected.append([x.to_json() for x in jm.windows_to_notes(g, reply_bars, 120.0)])
        rows += n
    got = drum_windows_to_notes(np.concatenate(grids), spans)
    assert got == expected
    assert sum(map(len, got)) > 500
