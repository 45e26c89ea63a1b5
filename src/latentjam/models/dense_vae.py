"""What the dense Bernoulli VAEs share (piano-roll bars, mel spectrograms): posterior sampling,
sigmoid decoding and the binary cross-entropy + KL terms."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from latentjam.models.priors import standard_normal_kl


class DenseBernoulliVAE(nn.Module):
    """Base of VAEs whose data x (B, ...) lies in [0, 1] and is decoded as Bernoulli means.

    Subclasses define `encode_params(x) -> (mu, log_var)`, each (B, Nz), and
    `decode_logits(z) -> logits` shaped like x.
    """

    def encode_params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, ...) -> mu, log-variance, each (B, Nz)."""
        raise NotImplementedError

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, Nz) -> logits shaped like the data."""
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, ...) -> mu, sigma, each (B, Nz)."""
        mu, log_var = self.encode_params(x)
        return mu, torch.exp(0.5 * log_var)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, Nz) -> Bernoulli means in (0, 1), shaped like the data."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct through the posterior mean: x -> means, same shape."""
        mu, _ = self.encode_params(x)
        return self.decode(mu)

    def bernoulli_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """{"recon": binary cross-entropy summed over one example (nats), "kl": KL to N(0, I)
        (nats), both averaged over the batch; "z": the posterior sample (B, Nz)}."""
        mu, log_var = self.encode_params(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)  # reparameterisation
        logits = self.decode_logits(z)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = standard_normal_kl(mu, log_var).sum(dim=1).mean()
        return {"recon": recon, "kl": kl, "z": z}
