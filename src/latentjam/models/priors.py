"""Latent priors behind one interface: `kl(z, mu, sigma) -> (B,)` nats and `sample(n) -> (n, Nz)`.

- `StandardNormalPrior`: p(z) = N(0, I), analytic KL (the MusicVAE baseline).
- `VHPPrior`: the learned hierarchical prior p(z) = int p_Theta(z|zeta) N(zeta; 0, I) dzeta
  (Klushyn et al. 2019) with auxiliary posterior q_Phi(zeta|z); its `kl` is the K-sample
  importance-weighted upper bound of KL(q(z|x) || p(z)) (FM-Music-VAE paper, eq. 2).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

_LOG_2PI = math.log(2 * math.pi)


def gaussian_log_prob(x: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """log N(x; mu, diag(sigma^2)) summed over the last axis."""
    return (-0.5 * ((x - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * _LOG_2PI).sum(-1)


def standard_normal_kl(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Elementwise KL(N(mu, exp(log_var)) || N(0, 1)), same shape as mu; callers sum the latent
    axes they have and average over the batch."""
    return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var)


class StandardNormalPrior(nn.Module):
    """p(z) = N(0, I)."""

    def __init__(self, *, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        # no weights: an empty buffer follows `.to(device)` so samples land where the model is
        self.register_buffer("_anchor", torch.empty(0), persistent=False)

    def kl(self, z: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Analytic KL(N(mu, sigma^2) || N(0, I)) per sequence, (B,); z is unused."""
        del z
        return 0.5 * (mu**2 + sigma**2 - 1 - 2 * torch.log(sigma)).sum(-1)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws from N(0, I), (n, Nz)."""
        device = self._anchor.device
        return torch.randn(n, self.latent_dim, generator=generator, device=device)


def _mlp(size_in: int, hidden: tuple[int, ...], size_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(size_in, width), nn.ReLU()]
        size_in = width
    layers.append(nn.Linear(size_in, size_out))
    return nn.Sequential(*layers)


class VHPPrior(nn.Module):
    """Hierarchical prior with diagonal Gaussian p_Theta(z|zeta) and q_Phi(zeta|z) from MLPs."""

    def __init__(
        self,
        *,
        latent_dim: int,
        zeta_dim: int | None = None,
        hidden: tuple[int, ...] = (256, 256),
        samples: int = 8,
        sigma_floor: float = 1e-3,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.zeta_dim = zeta_dim or latent_dim
        self.samples = samples
        self.sigma_floor = sigma_floor
        self.p_z = _mlp(self.zeta_dim, tuple(hidden), 2 * latent_dim)  # p_Theta(z | zeta)
        self.q_zeta = _mlp(latent_dim, tuple(hidden), 2 * self.zeta_dim)  # q_Phi(zeta | z)

    def _gaussian(self, net: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, raw = net(x).chunk(2, dim=-1)
        return mu, F.softplus(raw) + self.sigma_floor

    def log_prob_bound(self, z: torch.Tensor, samples: int | None = None) -> torch.Tensor:
        """Importance-weighted lower bound of log p(z) with K samples, (B,); tighter as K grows."""
        k = samples or self.samples
        b = z.shape[0]
        mu_q, sigma_q = self._gaussian(self.q_zeta, z)  # (B, Nzeta)
        eps = torch.randn(k, b, self.zeta_dim, dtype=z.dtype, device=z.device)
        zeta = mu_q + sigma_q * eps  # (K, B, Nzeta), reparameterised
        log_q = gaussian_log_prob(zeta, mu_q, sigma_q)  # (K, B)
        log_p_zeta = gaussian_log_prob(zeta, torch.zeros_like(zeta), torch.ones_like(zeta))
        mu_p, sigma_p = self._gaussian(self.p_z, zeta.reshape(k * b, -1))  # (K*B, Nz)
        log_p_z = gaussian_log_prob(
            z.unsqueeze(0).expand(k, -1, -1).reshape(k * b, -1), mu_p, sigma_p
        ).reshape(k, b)
        return torch.logsumexp(log_p_z + log_p_zeta - log_q, dim=0) - math.log(k)

    def kl(
        self, z: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor, samples: int | None = None
    ) -> torch.Tensor:
        """Single-sample estimate of the IW upper bound F on KL(q(z|x) || p(z)), (B,).

        F = log q(z|x) - logmeanexp_k [log p(z|zeta_k) + log N(zeta_k) - log q(zeta_k|z)],
        z ~ q(z|x) given, zeta_k ~ q_Phi(zeta|z).
        """
        return gaussian_log_prob(z, mu, sigma) - self.log_prob_bound(z, samples)

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """z ~ p(z): zeta ~ N(0, I), then z ~ p_Theta(z | zeta), (n, Nz)."""
        device = self.p_z[0].weight.device
        zeta = torch.randn(n, self.zeta_dim, generator=generator, device=device)
        mu, sigma = self._gaussian(self.p_z, zeta)
        return mu + sigma * torch.randn(mu.shape, generator=generator, device=device)


def build_prior(
    kind: str,
    *,
    latent_dim: int,
    zeta_dim: int | None = None,
    hidden: tuple[int, ...] = (256, 256),
    samples: int = 8,
) -> nn.Module:
    """A prior by name: "normal" or "vhp"."""
    if kind == "normal":
        return StandardNormalPrior(latent_dim=latent_dim)
    if kind == "vhp":
        return VHPPrior(latent_dim=latent_dim, zeta_dim=zeta_dim, hidden=hidden, samples=samples)
    raise ValueError(f"unknown prior {kind!r} (expected 'normal' or 'vhp')")
