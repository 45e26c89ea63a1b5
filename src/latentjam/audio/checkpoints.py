"""Audio model checkpoints: the shipped `mel-vae` / `wave-tiny` and any trained model file.

Layout (shared with `latentjam.pretrained`, which loads these files too):
{"format": "latentjam-model/1", "kind": "mel_vae" | "wave_vae", "config": dict,
 "state_dict": fp16 tensors, "metadata": dict}. Training checkpoints of the adversarial loop
({"generator", "config", ...}) load as well.
"""

from __future__ import annotations

import os
from pathlib import Path

from latentjam.audio.presets import build
from latentjam.errors import LatentjamError

SHIPPED = ("mel-vae", "wave-tiny")


def save_model(
    model, path: str | os.PathLike, metadata: dict | None = None, *, half: bool = True
) -> Path:
    """Write {"kind", "config", "state_dict", "metadata"} atomically (fp16 weights by default)."""
    import torch

    from latentjam.training.adversarial import save_checkpoint

    state = {
        k: (v.half() if half and v.is_floating_point() else v)
        for k, v in model.state_dict().items()
    }
    state = {k: v for k, v in state.items() if not k.startswith("stft_loss.")}
    payload = {
        "format": "latentjam-model/1",
        "kind": model.config.kind,
        "config": model.config.to_dict(),
        "state_dict": state,
        "metadata": dict(metadata or {}),
        "torch": str(torch.__version__),
    }
    return save_checkpoint(path, payload)


def pretrained_dir() -> Path:
    """Folder of the shipped checkpoints (src/latentjam/pretrained)."""
    return Path(__file__).resolve().parent.parent / "pretrained"


def load_audio_model(name_or_path: str | os.PathLike):
    """Load a shipped model by name ("mel-vae", "wave-tiny") or any checkpoint path; eval mode.

    A training checkpoint written by `train_preset` (key "generator") is accepted too.
    """
    import torch

    path = Path(name_or_path)
    if not path.is_file():
        shipped = pretrained_dir() / f"{name_or_path}.pt"
        if not shipped.is_file():
            raise LatentjamError(
                f"no audio model named or found at {name_or_path!r} (shipped: {', '.join(SHIPPED)})"
            )
        path = shipped
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise LatentjamError(f"cannot read model checkpoint {path}: {exc}") from exc
    if not isinstance(payload, dict) or "config" not in payload:
        raise LatentjamError(f"{path} is not a latentjam audio model checkpoint")
    model = build(payload["config"])
    state = payload.get("state_dict", payload.get("generator"))
    missing, unexpected = model.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=False
    )
    missing = [k for k in missing if not k.startswith("stft_loss.")]
    if missing or unexpected:
        raise LatentjamError(
            f"{path} does not match its config (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    model.eval()
    model.metadata = payload.get("metadata", {})
    return model
