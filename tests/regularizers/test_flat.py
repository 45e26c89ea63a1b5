"""Flat-manifold regulariser: the stochastic estimate is unbiased against the exact Jacobian."""

from __future__ import annotations

import pytest
import torch

from latentjam.models import RecurrentVAEConfig, build_model
from latentjam.regularizers import FlatManifold
from latentjam.regularizers.flat import (
    _penalty_from_jacobian,
    jacobian,
    jacobian_finite_difference,
    mixup,
    penalty_exact,
    penalty_finite_difference,
    penalty_pairs,
    penalty_stochastic,
)


def _decoder():
    # a short sequence (2 bars of 2 steps) keeps the many-probe checks fast
    cfg = RecurrentVAEConfig(
        latent_dim=4,
        encoder_hidden=(8,),
        conductor_hidden=8,
        decoder_hidden=(8,),
        prior="normal",
        steps_per_bar=2,
    )
    return build_model(cfg.to_dict()).double()


def test_jacobian_matches_autograd_and_finite_differences():
    model = _decoder()
    z = torch.randn(3, 4, dtype=torch.float64)
    jac = jacobian(model.metric_output, z)  # (B, M, Nz)
    zz = z.clone().requires_grad_(True)
    out = model.metric_output(zz)
    for k in (0, 17, 50):  # a few rows of J by reverse mode
        (row,) = torch.autograd.grad(out[:, k].sum(), zz, retain_graph=True)
        assert torch.allclose(jac[:, k], row, atol=1e-10)
    fd = jacobian_finite_difference(model.metric_output, z, step=1e-6)
    assert torch.allclose(fd, jac, atol=1e-5)


def test_stochastic_estimate_is_unbiased():
    """Mean over many probes == exact ||G - c^2 I||_F^2 / Nz^2 (given or estimated c^2)."""
    model = _decoder()
    z = torch.randn(3, 4, dtype=torch.float64)
    exact, c2 = penalty_exact(model.metric_output, z)
    est, _c2_est = penalty_stochastic(model.metric_output, z, c2=c2, probes=5000)
    assert torch.allclose(est, exact, rtol=0.05)
    single, _ = penalty_stochastic(model.metric_output, z, c2=c2, probes=1)
    assert not torch.allclose(single, exact, rtol=0.05)  # one probe is noisy, the mean is not
    # estimated c^2 (Hutchinson, leave-one-out): unbiased for the batch-mean trace too
    _, c2_hat = penalty_stochastic(model.metric_output, z, probes=5000)
    assert abs(float(c2_hat) - float(c2)) < 0.03 * float(c2)
    # the reference estimator agrees too
    fd, _ = penalty_finite_difference(model.metric_output, z, c2=c2, step=1e-6)
    assert torch.allclose(fd, exact, rtol=1e-3)


def test_stochastic_gradient_is_unbiased():
    model = _decoder()
    z = torch.randn(2, 4, dtype=torch.float64)
    params = [model.decoder.to_params.weight]
    exact, c2 = penalty_exact(model.metric_output, z)
    (g_exact,) = torch.autograd.grad(exact.sum(), params)
    est, _ = penalty_stochastic(model.metric_output, z, c2=c2, probes=5000)
    (g_est,) = torch.autograd.grad(est.sum(), params)
    assert (g_est - g_exact).norm() < 0.1 * g_exact.norm()


def test_mixup_range_and_stop_gradient():
    z = torch.randn(64, 3, requires_grad=True)
    mixed = mixup(z, points=64, alpha0=0.25)
    assert not mixed.requires_grad and mixed.shape == (64, 3)
    # 1-D check of the range: points between z_i and z_j, extended by alpha0 on both sides
    pair = torch.tensor([[0.0], [1.0]])
    values = torch.cat([mixup(pair, 2, 0.25) for _ in range(300)])
    assert float(values.min()) < -0.1 and float(values.max()) > 1.1
    assert float(values.min()) >= -0.25 - 1e-6 and float(values.max()) <= 1.25 + 1e-6


def test_regulariser_trains_only_the_decoder_and_is_lazy():
    model = _decoder().float()
    x = torch.zeros(4, 4, 27)
    x[..., 0] = 1.0
    terms = model.losses(x)
    reg = FlatManifold(eta=10.0, points=4, every=2)
    loss, logs = reg(model, terms, step=0)
    assert set(logs) == {"flat", "c2"}
    loss.backward()
    assert model.encoder.to_params.weight.grad is None  # stop-gradient on z_mix
    assert model.decoder.to_params.weight.grad is not None
    assert reg(model, terms, step=1) == (None, {})
    warm = FlatManifold(eta=10.0, points=4, start=4)
    assert warm(model, terms, step=2) == (None, {}) and warm(model, terms, step=4)[0] is not None


def test_pair_estimator_and_central_jvps_are_unbiased():
    model = _decoder()
    z = torch.randn(3, 4, dtype=torch.float64)
    exact, c2 = penalty_exact(model.metric_output, z)
    # 4000 independent copies of each point, one probe pair each (the estimate is heavy-tailed)
    pairs, _ = penalty_pairs(model.metric_output, z.repeat(4000, 1), c2=c2, probes=2)
    assert torch.allclose(pairs.reshape(4000, 3).mean(0), exact, rtol=0.1)
    central, _ = penalty_stochastic(model.metric_output, z, c2=c2, probes=5000, jvp_mode="central")
    assert torch.allclose(central, exact, rtol=0.05)


def test_forward_difference_jvps_are_unbiased_and_share_the_base_row():
    model = _decoder()
    z = torch.randn(3, 4, dtype=torch.float64)
    exact, c2 = penalty_exact(model.metric_output, z)
    stoch, _ = penalty_stochastic(model.metric_output, z, c2=c2, probes=5000, jvp_mode="difference")
    assert torch.allclose(stoch, exact, rtol=0.05)
    pairs, _ = penalty_pairs(
        model.metric_output, z.repeat(4000, 1), c2=c2, probes=2, jvp_mode="difference"
    )
    assert torch.allclose(pairs.reshape(4000, 3).mean(0), exact, rtol=0.1)
    calls = []

    def counted(zz: torch.Tensor) -> torch.Tensor:
        calls.append(zz.shape[0])
        return model.metric_output(zz)

    penalty_pairs(counted, z, probes=3, jvp_mode="difference")
    assert calls == [3 * (1 + 3)]  # one f(z) row per point + one row per probe


def test_unknown_jvp_mode_is_a_clear_error():
    model = _decoder()
    z = torch.randn(2, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="unknown JVP mode"):
        penalty_stochastic(model.metric_output, z, jvp_mode="backward")


def test_stop_gradient_c2_shrinks_the_decoder_and_a_differentiable_one_does_not():
    """<d pen / d G, G> >= 0 with a stop-gradient c^2 (the ratchet); 0 with a differentiable one."""
    torch.manual_seed(3)
    jac = torch.randn(5, 7, 4, dtype=torch.float64)  # anisotropic Jacobians (B, M, Nz)
    for c2_grad, expect_positive in ((False, True), (True, False)):
        scale = torch.ones((), dtype=torch.float64, requires_grad=True)
        pen, c2 = _penalty_from_jacobian(scale * jac, None, c2_grad)
        normalised = pen.mean() / c2**2
        (d_scale,) = torch.autograd.grad(normalised, scale)
        if expect_positive:
            assert d_scale > 1e-6  # descent shrinks every Jacobian
        else:
            assert abs(d_scale) < 1e-9  # scale-free: nothing to gain by shrinking


def test_differentiable_c2_estimators_stay_unbiased_and_train():
    model = _decoder()
    z = torch.randn(3, 4, dtype=torch.float64)
    exact, c2 = penalty_exact(model.metric_output, z)
    est, _ = penalty_stochastic(
        model.metric_output, z, c2=c2, probes=5000, jvp_mode="central", c2_grad=True
    )
    assert torch.allclose(est, exact, rtol=0.05)
    _, c2_free = penalty_pairs(model.metric_output, z, probes=3, c2_grad=True)
    assert c2_free.requires_grad
    reg = FlatManifold(eta=1.0, points=3, normalize=True, c2_gradient=True)
    terms = model.losses(torch.rand(3, 4, 27, dtype=torch.float64))
    loss, logs = reg(model, terms, step=0)
    loss.backward()
    assert torch.isfinite(loss) and "flat_normalized" in logs
    with pytest.raises(ValueError, match="needs normalize"):
        FlatManifold(eta=1.0, c2_gradient=True)
