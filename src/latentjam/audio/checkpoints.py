"""Audio models by name: the shipped `mel-vae` / `wave-tiny` or any audio model file.

Model files are written and read by `latentjam.pretrained` (`save_model`, `load_model`), which
also reads training checkpoints; this module only resolves the
audio names and refuses a model that is not an audio model.
"""

from __future__ import annotations

import os
from pathlib import Path

from latentjam.errors import LatentjamError

SHIPPED = ("mel-vae", "wave-tiny")
AUDIO_KINDS = ("mel_vae", "wave_vae")


def pretrained_dir() -> Path:
    """Folder of the shipped checkpoints (src/latentjam/pretrained)."""
    return Path(__file__).resolve().parent.parent / "pretrained"


def load_audio_model(name_or_path: str | os.PathLike):
    """Load a shipped audio model by name ("mel-vae", "wave-tiny") or a model / training
    checkpoint file, in eval mode."""
    from latentjam.pretrained import load_model, read_model_file

    path = Path(name_or_path)
    if not path.is_file():
        shipped = pretrained_dir() / f"{name_or_path}.pt"
        if not shipped.is_file():
            raise LatentjamError(
                f"no audio model named or found at {name_or_path!r} (shipped: {', '.join(SHIPPED)})"
            )
        path = shipped
    kind = dict(read_model_file(path)["config"]).get("kind")
    if kind not in AUDIO_KINDS:
        raise LatentjamError(
            f"this is a {kind!r} model, not an audio model: the audio commands play mel-vae, "
            "wave-tiny or an audio model file (see latentjam models)"
        )
    return load_model(path)
