"""Reverse water-filling and the Gaussian test channel."""

import itertools

import numpy as np
import pytest

from latentjam.channel import (
    apply_channel,
    channel_variances,
    exact_allocation,
    gaussian_channel,
    greedy_allocation,
    water_level,
)
from latentjam.errors import LatentjamError


def test_greedy_by_hand():
    # v = (4, 1, 0.5): bit 1 -> dim 0 (v0 = 1); bit 2 -> tie 1 vs 1, lowest index: dim 0
    # (v0 = 0.25); bit 3 -> dim 1 (v1 = 0.25); bit 4 -> dim 2 (0.5 is the largest).
    np.testing.assert_array_equal(greedy_allocation([4, 1, 0.5], 4), [2, 1, 1])
    np.testing.assert_array_equal(greedy_allocation([4, 1, 0.5], 0), [0, 0, 0])


def test_greedy_spends_budget_and_matches_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        v = rng.gamma(1.0, size=4)
        for bits in (1, 3, 6):
            b = greedy_allocation(v, bits)
            assert b.sum() == bits
            best = min(
                (float((v * 4.0 ** -np.array(c)).sum()), c)
                for c in itertools.product(range(bits + 1), repeat=4)
                if sum(c) == bits
            )
            assert (v * 4.0**-b).sum() == pytest.approx(best[0], rel=1e-12)


def test_greedy_skips_zero_variance():
    np.testing.assert_array_equal(greedy_allocation([0.0, 2.0, 0.0], 5), [0, 5, 0])
    np.testing.assert_array_equal(greedy_allocation([0.0, 0.0], 5), [0, 0])


def test_exact_spends_budget_and_leaves_low_dims_dry():
    v = np.array([8.0, 2.0, 1.0, 0.01, 0.0])
    for bits in (0.3, 1.0, 2.5, 7.0, 40.0):
        b = exact_allocation(v, bits)
        assert b.sum() == pytest.approx(bits, abs=1e-9)
        theta = water_level(v, bits)
        assert np.all(b[v <= theta] == 0)
        assert np.all(b[v > theta] > 0)
        # distortion is theta on every active dimension
        np.testing.assert_allclose(v[v > theta] * 4.0 ** -b[v > theta], theta, rtol=1e-9)
    # by hand: v = (8, 2), 1 bit: only dim 0 is active while theta >= 2, and one bit on it
    # gives theta = 8 / 4 = 2 exactly, the water level where dim 1 would start.
    np.testing.assert_allclose(exact_allocation([8.0, 2.0], 1.0), [1.0, 0.0], atol=1e-9)
    # 3 bits: both active, theta = sqrt(8 * 2) / 2^3 = 0.5 -> b = (0.5 log2 16, 0.5 log2 4)
    np.testing.assert_allclose(exact_allocation([8.0, 2.0], 3.0), [2.0, 1.0], atol=1e-9)


def test_exact_matches_brute_force_grid():
    rng = np.random.default_rng(2)
    step = 0.01
    for _ in range(5):
        v = rng.gamma(1.0, size=3)
        bits = 2.0
        b = exact_allocation(v, bits)
        exact = float((v * 4.0**-b).sum())
        grid = np.arange(0.0, bits + step / 2, step)
        best = np.inf
        for b0 in grid:
            for b1 in grid[grid <= bits - b0 + 1e-9]:
                b2 = bits - b0 - b1
                best = min(best, float((v * 4.0 ** -np.array([b0, b1, b2])).sum()))
        assert exact <= best + 1e-12
        assert exact == pytest.approx(best, rel=2e-3)


def test_zero_bits_sends_m_and_huge_budget_returns_input():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(5, 4)) + 3.0
    var = np.array([1.0, 2.0, 0.5, 3.0])
    m = np.array([0.1, -0.2, 0.3, 0.0])
    np.testing.assert_array_equal(gaussian_channel(z, np.zeros(4), var, m, rng), np.tile(m, (5, 1)))
    np.testing.assert_array_equal(gaussian_channel(z, np.full(4, np.inf), var, m, rng), z)
    for method in ("greedy", "exact"):
        z_hat, bits = apply_channel(z, None, 100000, method=method, rng=rng)
        assert bits.sum() == pytest.approx(100000)
        np.testing.assert_array_equal(z_hat, z)
        z_hat, bits = apply_channel(z, None, 0, method=method, rng=rng)
        np.testing.assert_array_equal(z_hat, np.zeros_like(z))
        z_hat, _ = apply_channel(z, None, 0, method=method, zero_rate="query", rng=rng)
        np.testing.assert_allclose(z_hat, np.tile(z.mean(0), (5, 1)))


def test_channel_output_statistics():
    # One bit on a unit-variance dim: d = 1/4, z_hat = 0.75 z + sqrt(3/16) eps -> for z = 0 the
    # output has variance 3/16.
    rng = np.random.default_rng(4)
    out = gaussian_channel(np.zeros((20000, 1)), np.ones(1), np.ones(1), 0.0, rng)
    assert out.var() == pytest.approx(3 / 16, rel=0.05)
    out = gaussian_channel(np.ones((20000, 1)), np.ones(1), np.ones(1), 0.0, rng)
    assert out.mean() == pytest.approx(0.75, abs=0.01)


def test_variance_sources():
    mu = np.array([[0.0, 1.0], [2.0, 1.0]])
    sigma = np.array([[1.0, 2.0], [1.0, 2.0]])
    np.testing.assert_allclose(channel_variances(mu, sigma, "signal"), [1.0, 0.0])
    np.testing.assert_allclose(channel_variances(mu, sigma, "posterior"), [1.0, 4.0])
    # the signal variance puts the bits on the dimension that moves with the query
    _, bits = apply_channel(mu, sigma, 3, variance="signal")
    np.testing.assert_array_equal(bits, [3, 0])
    _, bits = apply_channel(mu, sigma, 3, variance="posterior")
    assert bits[1] > bits[0]
    with pytest.raises(LatentjamError):
        channel_variances(mu, sigma, "nope")


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    mu = torch.randn(6, 3, dtype=torch.float32)
    z_hat, _ = apply_channel(mu, torch.ones(6, 3), 1000, method="exact")
    assert isinstance(z_hat, torch.Tensor) and z_hat.dtype == torch.float32
    torch.testing.assert_close(z_hat, mu)


def test_bad_input():
    with pytest.raises(LatentjamError):
        greedy_allocation([1.0, -1.0], 2)
    with pytest.raises(LatentjamError):
        greedy_allocation([1.0], 1.5)
    with pytest.raises(LatentjamError):
        exact_allocation([1.0], -1)
