"""Attribute measures, vectors and the table 2 correlation protocol."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.analysis.attributes import (
    attribute_correlation,
    attribute_vector,
    compute_attributes,
    pearson,
)


def test_drum_and_melody_attributes():
    x = np.zeros((2, 32, 27), np.float32)
    x[0, [0, 4], 0] = 1.0
    x[0, [0, 4], 9] = [0.5, 1.0]
    x[0, [0, 4], 18] = [-0.2, 0.4]
    a = compute_attributes(x, "drums")
    assert a["density"].tolist() == [2, 0]
    assert np.isclose(a["velocity"][0], 0.75) and np.isnan(a["velocity"][1])
    assert np.isclose(a["offset"][0], 0.1)
    m = np.zeros((1, 32, 90), np.float32)
    m[0, :, 0] = 1
    m[0, [0, 8], 0] = 0
    m[0, 0, 2 + 39] = 1  # MIDI 60
    m[0, 8, 2 + 43] = 1  # MIDI 64
    b = compute_attributes(m, "melody")
    assert b["density"][0] == 2 and b["pitch"][0] == 62


def test_vector_points_from_low_to_high():
    rng = np.random.default_rng(0)
    values = rng.normal(size=400)
    latents = rng.normal(size=(400, 3)) * 0.1
    latents[:, 1] += values  # attribute lives on axis 1
    vec = attribute_vector(latents, values)
    assert np.argmax(np.abs(vec)) == 1 and vec[1] > 0


def test_correlation_protocol_on_a_linear_decoder():
    """An attribute that moves with z along the vector correlates with s; noise does not."""
    rng = np.random.default_rng(1)
    latents = rng.uniform(-2, 2, size=(1000, 4)).astype(np.float32)
    vec = np.array([2.0, 0, 0, 0], np.float32)
    res = attribute_correlation(
        latents, vec, lambda z: z, lambda w: w[:, 0], samples=500, rng=rng, within=True
    )
    assert res["n"] == 500 and res["r"] > 0.4
    assert res["r_within"] > 0.999  # relative to each start point the attribute is exactly 2 s
    assert np.all(np.abs(res["scale"]) <= 1)
    noise = attribute_correlation(
        latents, vec, lambda z: z, lambda w: rng.normal(size=len(w)), samples=500, rng=rng
    )
    assert abs(noise["r"]) < 0.15
    # points pushed outside the encoded range are discarded, never kept
    far = attribute_correlation(
        latents, np.full(4, 3.0, np.float32), lambda z: z, lambda w: w[:, 0], samples=200, rng=rng
    )
    assert far["discard_rate"] > 0.3


def test_pearson_ignores_nan():
    assert np.isclose(pearson([1, 2, 3, np.nan], [2, 4, 6, 1]), 1.0)
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3]))


def test_discard_regions_box_ellipsoid_and_none():
    """A vector across a correlated cloud stays in its box but leaves its ellipsoid."""
    rng = np.random.default_rng(2)
    t = rng.normal(size=2000)
    latents = np.stack([t, t + 0.05 * rng.normal(size=2000)], axis=1).astype(np.float32)
    across = np.array([1.0, -1.0], np.float32)  # orthogonal to the cloud's long axis
    kwargs = {"samples": 300, "rng": rng}
    box = attribute_correlation(latents, across, lambda z: z, lambda w: w[:, 0], **kwargs)
    ellipse = attribute_correlation(
        latents, across, lambda z: z, lambda w: w[:, 0], region="ellipsoid", **kwargs
    )
    everything = attribute_correlation(
        latents, across, lambda z: z, lambda w: w[:, 0], region="none", **kwargs
    )
    assert box["discard_rate"] < 0.3 < 0.8 < ellipse["discard_rate"]
    assert everything["discard_rate"] == 0 and everything["n"] == 300
    assert np.all(np.abs(ellipse["scale"]) < 0.2)  # only small steps across the cloud survive
    with pytest.raises(ValueError, match="unknown region"):
        attribute_correlation(latents, across, lambda z: z, lambda w: w[:, 0], region="ball")
