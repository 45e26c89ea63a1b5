"""Priors: the VHP importance-weighted bound is an upper bound of the KL and tightens with K."""

from __future__ import annotations

import math

import torch

from latentjam.models.priors import StandardNormalPrior, VHPPrior, gaussian_log_prob


def _true_log_prior(prior: VHPPrior, z: torch.Tensor) -> torch.Tensor:
    """log p(z) = log int p(z|zeta) N(zeta) dzeta by quadrature on a fine grid (1-D zeta), (B,)."""
    grid = torch.linspace(-9, 9, 3001, dtype=torch.float64).unsqueeze(-1)  # (G, 1)
    mu, sigma = prior._gaussian(prior.p_z, grid)  # (G, Nz)
    log_pz = gaussian_log_prob(z.unsqueeze(1), mu.unsqueeze(0), sigma.unsqueeze(0))  # (B, G)
    log_pzeta = -0.5 * grid[:, 0] ** 2 - 0.5 * math.log(2 * math.pi)
    dz = float(grid[1, 0] - grid[0, 0])
    return torch.logsumexp(log_pz + log_pzeta, dim=1) + math.log(dz)


def test_iw_bound_is_an_upper_bound_that_tightens_with_k():
    torch.manual_seed(1)
    prior = VHPPrior(latent_dim=2, zeta_dim=1, hidden=(16,), samples=1).double()
    mu = torch.tensor([[0.3, -0.2]], dtype=torch.float64)
    sigma = torch.tensor([[0.5, 0.8]], dtype=torch.float64)
    n = 2000
    with torch.no_grad():
        z = mu + sigma * torch.randn(n, 2, dtype=torch.float64)
        mus, sigmas = mu.expand(n, -1), sigma.expand(n, -1)
        true_kl = (gaussian_log_prob(z, mus, sigmas) - _true_log_prior(prior, z)).mean()
        bounds = [float(prior.kl(z, mus, sigmas, samples=k).mean()) for k in (1, 4, 16, 128)]
    assert all(b >= float(true_kl) - 1e-3 for b in bounds)
    assert bounds[0] > bounds[1] > bounds[2] > bounds[3]
    assert bounds[0] - float(true_kl) > 0.05  # the K=1 bound is visibly loose here ...
    assert bounds[3] - float(true_kl) < 0.3 * (bounds[0] - float(true_kl))  # ... K=128 much less


def test_standard_normal_kl_matches_monte_carlo():
    prior = StandardNormalPrior(latent_dim=3)
    mu = torch.tensor([[0.5, -1.0, 0.0]], dtype=torch.float64)
    sigma = torch.tensor([[0.3, 1.5, 1.0]], dtype=torch.float64)
    z = mu + sigma * torch.randn(200_000, 3, dtype=torch.float64)
    zeros, ones = torch.zeros_like(z), torch.ones_like(z)
    mc = (gaussian_log_prob(z, mu, sigma) - gaussian_log_prob(z, zeros, ones)).mean()
    assert abs(float(prior.kl(z[:1], mu, sigma)[0]) - float(mc)) < 0.01


def test_vhp_sampling_and_gradients():
    prior = VHPPrior(latent_dim=4, hidden=(8,), samples=3)
    assert prior.sample(5).shape == (5, 4)
    z = torch.randn(6, 4, requires_grad=True)
    kl = prior.kl(z, torch.zeros(6, 4), torch.ones(6, 4))
    kl.sum().backward()
    assert kl.shape == (6,)
    assert prior.p_z[0].weight.grad is not None and prior.q_zeta[0].weight.grad is not None


def test_standard_normal_samples_follow_the_module_device():
    from latentjam.models.priors import StandardNormalPrior

    prior = StandardNormalPrior(latent_dim=4)
    assert prior.sample(3).device.type == "cpu"
    assert prior.to("meta").sample(3).device.type == "meta"  # stands in for "cuda" here
    assert "_anchor" not in prior.state_dict()  # saved files are unchanged
