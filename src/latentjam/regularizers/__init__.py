"""Latent regularisers and training objectives behind one interface (KL, GECO, flatness)."""

from latentjam.regularizers.constrained import GECO
from latentjam.regularizers.flat import FlatManifold
from latentjam.regularizers.kl import BetaKL
from latentjam.regularizers.objective import Objective, ObjectiveConfig

__all__ = ["GECO", "BetaKL", "FlatManifold", "Objective", "ObjectiveConfig"]
