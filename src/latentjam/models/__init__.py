"""Plain nn.Module VAEs (torch side): encoders, decoders, heads, priors and the one builder."""

from latentjam.models.recurrent_vae import RecurrentVAE, RecurrentVAEConfig
from latentjam.models.registry import REGISTRY, build_model, model_class

__all__ = ["REGISTRY", "RecurrentVAE", "RecurrentVAEConfig", "build_model", "model_class"]
