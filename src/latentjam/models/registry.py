"""One builder for every model: a saved config dict's "kind" -> "module:Class", imported lazily."""

from __future__ import annotations

import importlib
from typing import Any

from torch import nn

from latentjam.errors import LatentjamError

# kind -> "module:Class". A class with `from_config(dict)` is built with it, otherwise with
# `Class(**config_without_kind)`.
REGISTRY: dict[str, str] = {
    "recurrent_vae": "latentjam.models.recurrent_vae:RecurrentVAE",
    "bar_vae": "latentjam.models.bar_vae:PianoRollBarVAE",
    "mel_vae": "latentjam.models.mel_vae:MelVAE",
    "wave_vae": "latentjam.models.wave_vae:WaveVAE",
    "groove_vae": "latentjam.models.groove:GrooveVAE",
    "drumify_vae": "latentjam.models.drumify:DrumifyVAE",
}


def model_class(kind: str) -> type[nn.Module]:
    """The class registered for `kind` (imported on first use)."""
    try:
        target = REGISTRY[kind]
    except KeyError:
        raise LatentjamError(
            f"unknown model kind {kind!r}; known kinds: {', '.join(sorted(REGISTRY))}"
        ) from None
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise LatentjamError(f"model kind {kind!r} is not available ({module_name})") from None
        raise
    return getattr(module, class_name)


def build_model(config: dict[str, Any] | Any) -> nn.Module:
    """Build any registered model from its config (a dict with "kind", or a config dataclass)."""
    if not isinstance(config, dict):
        config = config.to_dict() if hasattr(config, "to_dict") else dict(vars(config))
    if "kind" not in config:
        raise LatentjamError("model config has no 'kind'")
    cls = model_class(config["kind"])
    if hasattr(cls, "from_config"):
        return cls.from_config(dict(config))
    return cls(**{k: v for k, v in config.items() if k != "kind"})
