"""latentjam: make music with variational autoencoders, and jam with them live."""

from latentjam.errors import LatentjamError

__all__ = ["LatentjamError", "__version__", "load"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """`latentjam.load` (the notebook API) is imported on first use, so `import latentjam`
    stays light (no torch)."""
    if name == "load":
        from latentjam.api import load

        return load
    raise AttributeError(f"module 'latentjam' has no attribute {name!r}")
