"""latentjam: make music with variational autoencoders, and jam with them live."""

from latentjam.errors import LatentjamError

__all__ = ["LatentjamError", "__version__"]
__version__ = "0.1.0"
