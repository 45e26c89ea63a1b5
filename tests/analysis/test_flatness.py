"""Flatness figures: 1 / 0 for a flat metric, larger for a curved one."""

from __future__ import annotations

import numpy as np

from latentjam.analysis.flatness import equidistance, metric_statistics, plot_spectra


def test_flat_metric_scores_perfectly():
    g = np.stack([2.0 * np.eye(3)] * 5)
    s = metric_statistics(g)
    assert np.isclose(s["condition_number"], 1.0)
    assert np.isclose(s["log_eig_var"], 0.0) and np.isclose(s["log_eig_var_relative"], 0.0)
    assert np.isclose(s["c2"], 2.0)


def test_curved_metric_scores_worse():
    rng = np.random.default_rng(0)
    j = rng.normal(size=(8, 10, 3))
    s = metric_statistics(j.transpose(0, 2, 1) @ j)
    assert s["condition_number"] > 1.5 and s["log_eig_var"] > 0.05
    # same anisotropic G everywhere: not isotropic, but no variation relative to the mean
    same = metric_statistics(np.stack([np.diag([1.0, 4.0, 9.0])] * 4))
    assert same["condition_number"] == 9.0 and np.isclose(same["log_eig_var_relative"], 0.0)


def test_equidistance(tmp_path):
    t = np.linspace(0, 1, 11)
    even = np.stack([t, 2 * t], axis=-1)[None]  # (1, 11, 2)
    uneven = np.stack([t**3, 0 * t], axis=-1)[None]
    assert np.isclose(equidistance(even)[0], 0.0) and equidistance(uneven)[0] > 0.5
    out = plot_spectra({"a": np.stack([np.eye(3)] * 2)}, tmp_path / "g.png")
    assert out.exists()
