"""Latent operations: interpolation ends and norms, seeded sampling, neighbourhoods, attributes."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam import latent as lat
from latentjam.errors import LatentjamError


@pytest.fixture
def pair():
    rng = np.random.default_rng(3)
    return rng.standard_normal(16), rng.standard_normal(16)


@pytest.mark.parametrize("method", ["lerp", "slerp"])
def test_interpolation_ends_are_exact(pair, method):
    a, b = pair
    path = lat.interpolate(a, b, 7, method)
    assert path.shape == (7, 16)
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)


def test_lerp_is_evenly_spaced_on_the_line(pair):
    a, b = pair
    path = lat.lerp(a, b, 5)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((b - a) / 4, (4, 1)), atol=1e-12)


def test_slerp_keeps_norms_where_lerp_shrinks(pair):
    a, b = pair
    b = b * np.linalg.norm(a) / np.linalg.norm(b)  # equal norms
    norms = np.linalg.norm(lat.slerp(a, b, 9), axis=-1)
    np.testing.assert_allclose(norms, np.linalg.norm(a), rtol=1e-10)
    assert np.linalg.norm(lat.lerp(a, b, 9)[4]) < 0.9 * np.linalg.norm(a)


def test_slerp_norm_moves_linearly_and_angle_uniformly(pair):
    a, b = pair
    path = lat.slerp(a, 3.0 * b, 6)
    norms = np.linalg.norm(path, axis=-1)
    np.testing.assert_allclose(norms, np.linspace(np.linalg.norm(a), 3 * np.linalg.norm(b), 6))
    unit = path / norms[:, None]
    steps = np.arccos(np.clip(np.sum(unit[1:] * unit[:-1], axis=-1), -1, 1))
    np.testing.assert_allclose(steps, steps[0], rtol=1e-8)


def test_slerp_near_parallel_and_opposite_vectors(pair):
    a, _ = pair
    near = lat.slerp(a, a * (1 + 1e-12), 5)
    assert np.all(np.isfinite(near))
    np.testing.assert_allclose(near, np.tile(a, (5, 1)), rtol=1e-9)
    opposite = lat.slerp(a, -a, 5)
    assert np.all(np.isfinite(opposite))
    np.testing.assert_allclose(np.linalg.norm(opposite, axis=-1), np.linalg.norm(a))
    assert abs(opposite[2] @ a) < 1e-9  # half way round: orthogonal to both ends


def test_slerp_zero_vector_falls_back_to_lerp(pair):
    a, _ = pair
    np.testing.assert_allclose(lat.slerp(np.zeros(16), a, 3), lat.lerp(np.zeros(16), a, 3))


def test_batched_interpolation_and_torch_in_torch_out(pair):
    torch = pytest.importorskip("torch")
    a, b = pair
    ta = torch.tensor(np.stack([a, b]), dtype=torch.float32)
    tb = torch.tensor(np.stack([b, a]), dtype=torch.float32)
    out = lat.slerp(ta, tb, 4)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    assert tuple(out.shape) == (4, 2, 16)
    np.testing.assert_allclose(out[:, 0].numpy(), lat.slerp(a, b, 4), rtol=1e-5, atol=1e-6)


def test_bad_interpolation_input():
    with pytest.raises(LatentjamError, match="at least 2 steps"):
        lat.lerp(np.zeros(3), np.ones(3), 1)
    with pytest.raises(LatentjamError, match="shapes"):
        lat.slerp(np.zeros(3), np.ones(4), 3)
    with pytest.raises(LatentjamError, match="unknown interpolation"):
        lat.interpolate(np.zeros(3), np.ones(3), 3, "cubic")


def test_sampling_is_seeded_and_scaled_by_temperature():
    a = lat.sample_normal(2000, 8, temperature=0.5, seed=1)
    np.testing.assert_array_equal(a, lat.sample_normal(2000, 8, temperature=0.5, seed=1))
    assert not np.array_equal(a, lat.sample_normal(2000, 8, temperature=0.5, seed=2))
    assert abs(a.std() - 0.5) < 0.02
    assert not lat.sample_normal(3, 8, temperature=0.0, seed=1).any()
    with pytest.raises(LatentjamError):
        lat.sample_normal(3, 8, temperature=-1)


def test_similar_points_lie_on_the_sphere(pair):
    a, _ = pair
    pts = lat.similar(a, 0.7, 50, seed=4)
    np.testing.assert_allclose(np.linalg.norm(pts - a, axis=-1), 0.7)
    np.testing.assert_array_equal(pts, lat.similar(a, 0.7, 50, seed=4))
    assert np.linalg.norm((pts - a).mean(axis=0)) < 0.35  # directions spread out


def test_attribute_vector_points_from_low_to_high():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((400, 6))
    values = 2.0 * z[:, 2] + 0.1 * rng.standard_normal(400)  # the attribute lives on axis 2
    values[:10] = np.nan  # undefined attributes are left out
    v = lat.attribute_vector(z, values)
    assert np.argmax(np.abs(v)) == 2 and v[2] > 2.0
    with pytest.raises(LatentjamError):
        lat.attribute_vector(z, np.ones(400))  # no variation


def test_measures_on_real_drum_windows(midi_dir):
    from latentjam.convert import DrumGrid
    from latentjam.midi import read_midi

    w = DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    density = lat.measure(w, "density")
    np.testing.assert_array_equal(density, (w[..., :9] > 0.5).sum(axis=(1, 2)))
    velocity = lat.measure(w, "velocity")
    assert np.all((velocity > 0) & (velocity <= 1))
    silent = np.zeros((1, 32, 27), np.float32)
    assert np.isnan(lat.measure(silent, "velocity")[0])
    with pytest.raises(LatentjamError, match="choose density, velocity, offset"):
        lat.measure(w, "pitch")


def test_along_moves_by_scaled_vector(pair):
    a, b = pair
    out = lat.along(a, b, [-1, 0, 2])
    np.testing.assert_allclose(out, [a - b, a, a + 2 * b])
