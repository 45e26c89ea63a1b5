"""Smoothness: max Hamming distance between consecutive decoded interpolation points."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.analysis.smoothness import (
    binarize,
    interpolation_smoothness,
    line_points,
    plot_smoothness,
    summarize,
)


def test_max_jump_along_a_line():
    lines = np.zeros((2, 4, 3, 2), dtype=bool)
    lines[0, 2:, 0, 0] = True  # one cell switches once: max jump 1
    lines[1, 1, :, :] = True  # all 6 cells on at point 1 then off again: max jump 6
    assert interpolation_smoothness(lines).tolist() == [1, 6]
    with pytest.raises(ValueError, match="points >= 2"):
        interpolation_smoothness(np.zeros((2, 1, 3, 2)))


def test_binarize_uses_hits_and_note_ons():
    drums = np.zeros((32, 27), np.float32)
    drums[0, 3], drums[0, 12] = 1.0, 0.9  # a hit and its velocity
    assert binarize(drums, "drums").sum() == 1 and binarize(drums, "drums").shape == (32, 9)
    melody = np.zeros((32, 90), np.float32)
    melody[:, 0] = 1.0  # holds only: no note-ons
    melody[5] = 0
    melody[5, 40] = 1.0
    assert binarize(melody, "melody").sum() == 1 and binarize(melody, "melody").shape == (32, 88)


def test_line_points_and_summary(tmp_path):
    a, b = np.zeros((1, 2)), np.ones((1, 2))
    pts = line_points(a, b, 5)
    assert pts.shape == (1, 5, 2) and np.allclose(pts[0, :, 0], [0, 0.25, 0.5, 0.75, 1])
    s = summarize(np.array([1, 2, 3, 4, 100]))
    assert s["median"] == 3 and s["n"] == 5
    out = plot_smoothness({"fm": np.array([1, 2, 3]), "base": np.array([4, 5])}, tmp_path / "s.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
