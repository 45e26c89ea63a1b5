"""Tonnetz centroids and distances against values worked out by hand."""

import numpy as np
import pytest

from latentjam.analysis.tonnetz import tonnetz, tonnetz_distance

SQ3 = np.sqrt(3.0)


def pcs(*classes, weights=None):
    c = np.zeros(12)
    for k, p in enumerate(classes):
        c[p] += 1.0 if weights is None else weights[k]
    return c


def test_single_pitch_classes_by_hand():
    # C (pc 0): every angle is 0 -> (sin, cos) = (0, 1) on the radius-1, 1, 0.5 circles.
    np.testing.assert_allclose(tonnetz(pcs(0)), [0, 1, 0, 1, 0, 0.5], atol=1e-12)
    # G (pc 7): fifths 49pi/6 = pi/6 (mod 2pi) -> (1/2, sqrt3/2); minor thirds 21pi/2 = pi/2
    # -> (1, 0); major thirds 14pi/3 = 2pi/3 -> 0.5 * (sqrt3/2, -1/2).
    np.testing.assert_allclose(tonnetz(pcs(7)), [0.5, SQ3 / 2, 1, 0, SQ3 / 4, -0.25], atol=1e-12)
    # F# (pc 6): 7pi, 9pi, 4pi -> (0, -1), (0, -1), 0.5 * (0, 1).
    np.testing.assert_allclose(tonnetz(pcs(6)), [0, -1, 0, -1, 0, 0.5], atol=1e-12)


def test_centroid_is_l1_normalised_mean():
    # {C, G} with weights 3 and 3 -> half of each column; loudness does not matter.
    expected = [0.25, (1 + SQ3 / 2) / 2, 0.5, 0.5, SQ3 / 8, 0.125]
    np.testing.assert_allclose(tonnetz(pcs(0, 7, weights=[3, 3])), expected, atol=1e-12)
    np.testing.assert_allclose(tonnetz(pcs(0, 7)), expected, atol=1e-12)


def test_distances_by_hand():
    c, g, cs, fs = pcs(0), pcs(7), pcs(1), pcs(6)
    # |phi(C) - phi(G)|^2 = 1/4 + (1 - sqrt3/2)^2 + 1 + 1 + 3/16 + 9/16 = 4.75 - sqrt3
    assert tonnetz_distance(c, g) == pytest.approx(np.sqrt(4.75 - SQ3), abs=1e-12)
    # |phi(C) - phi(C#)|^2 = 1/4 + (1 + sqrt3/2)^2 + 1 + 1 + 3/16 + 9/16 = 4.75 + sqrt3
    assert tonnetz_distance(c, cs) == pytest.approx(np.sqrt(4.75 + SQ3), abs=1e-12)
    # tritone: (0, 2, 0, 2, 0, 0) apart
    assert tonnetz_distance(c, fs) == pytest.approx(np.sqrt(8.0), abs=1e-12)
    # a fifth is closer than a semitone, and the distance is symmetric and zero on itself
    assert tonnetz_distance(c, g) < tonnetz_distance(c, cs)
    assert tonnetz_distance(g, c) == tonnetz_distance(c, g)
    assert tonnetz_distance(c, c * 5) == 0.0


def test_empty_chroma_is_origin_and_batches_broadcast():
    np.testing.assert_array_equal(tonnetz(np.zeros(12)), np.zeros(6))
    assert tonnetz_distance(np.zeros(12), pcs(0)) == pytest.approx(1.5)  # |(0,1,0,1,0,.5)|
    batch = np.stack([pcs(0), pcs(7), np.zeros(12)])
    assert tonnetz(batch).shape == (3, 6)
    np.testing.assert_allclose(tonnetz_distance(batch, pcs(0)), [0, np.sqrt(4.75 - SQ3), 1.5])


def test_bad_chroma_is_rejected():
    with pytest.raises(ValueError, match="12 pitch classes"):
        tonnetz(np.ones(11))
    with pytest.raises(ValueError, match="must be non-negative"):
        tonnetz(-np.ones(12))
