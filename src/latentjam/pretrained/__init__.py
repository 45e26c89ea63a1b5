"""Shipped pretrained models: `load_model(name_or_path)`, `list_models()`, `save_model(...)`.

A model file `<name>.pt` is a torch-saved dict {"format", "config", "state_dict", "metadata"}:
the config has a "kind" understood by `latentjam.models.build_model`, the state dict may be
fp16 (loaded back as fp32), and metadata is plain JSON-like data (training data, steps, CPU
time, metrics, attribute vectors, a fixed 3-D projection of the latent space, ...). The model
card `<name>.md` sits next to it. Lightning checkpoints (`*.ckpt`) written by `latentjam train`
or `latentjam audio train`, and the checkpoints of the hand-written adversarial audio loop that
earlier versions wrote ({"generator", "config", ...}), load too. This
module is the one place that writes and reads model files, for every kind of model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from latentjam.atomic import atomic_path
from latentjam.errors import LatentjamError

FORMAT = "latentjam-model/1"
HERE = Path(__file__).parent


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        from latentjam.errors import missing_extra

        raise missing_extra("torch", "torch") from None
    return torch


def model_path(name_or_path: str | os.PathLike) -> Path:
    """Resolve a shipped model name ("drums") or a file path to an existing file."""
    path = Path(name_or_path)
    if path.suffix in (".pt", ".ckpt") or path.exists():
        if not path.is_file():
            raise LatentjamError(f"no model file at {path}")
        return path
    matches = sorted(HERE.glob(f"{name_or_path}.pt"))
    if not matches:
        known = ", ".join(m["name"] for m in list_models()) or "none"
        raise LatentjamError(f"unknown model {str(name_or_path)!r}; shipped models: {known}")
    return matches[0]


def read_model_file(name_or_path: str | os.PathLike) -> dict[str, Any]:
    """The raw contents {"config", "state_dict", "metadata"} of a model or training checkpoint."""
    torch = _torch()
    path = model_path(name_or_path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        # torch's own text can advise weights_only=False (unsafe for untrusted files): never
        # pass it on; the first line of a short message only
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or len(first) > 160:
            first = "not a model file saved by latentjam (or a training checkpoint)"
        raise LatentjamError(f"cannot read model file {path}: {first}") from None
    if not isinstance(data, dict):
        raise LatentjamError(f"{path} is not a latentjam model file")
    if data.get("format") == FORMAT:
        return data
    if "generator" in data and "config" in data:  # an earlier version's adversarial-loop run
        return {
            "format": FORMAT,
            "config": data["config"],
            "state_dict": data["generator"],
            "metadata": {"steps": int(data.get("step", 0)) + 1},
        }
    if "latentjam" in data and "state_dict" in data:  # a Lightning checkpoint from `train`
        extra = data["latentjam"]
        state = {
            k[len("model.") :]: v for k, v in data["state_dict"].items() if k.startswith("model.")
        }
        meta = {
            "data": extra.get("data", {}),
            "steps": int(data.get("global_step", 0)),
            "objective_config": extra.get("objective_config", {}),
            "train_config": extra.get("train_config", {}),
        }
        return {
            "format": FORMAT,
            "config": extra["model_config"],
            "state_dict": state,
            "metadata": meta,
        }
    raise LatentjamError(f"{path} is not a latentjam model file")


def load_model(name_or_path: str | os.PathLike, *, device: str = "cpu") -> Any:
    """Build the model in eval mode (fp32) with its weights; `model.metadata` holds the metadata."""
    from latentjam.models import build_model

    torch = _torch()
    data = read_model_file(name_or_path)
    model = build_model(dict(data["config"]))
    state = {
        k: v.float() if torch.is_floating_point(v) else v for k, v in data["state_dict"].items()
    }
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise LatentjamError(
            f"{model_path(name_or_path)} does not match its config: {first}"
        ) from None
    model.metadata = dict(data.get("metadata") or {})
    return model.to(device).eval()


def save_model(
    path: str | os.PathLike,
    model: Any,
    *,
    metadata: dict[str, Any] | None = None,
    half: bool = True,
) -> Path:
    """Write `model` (which has `.config` with "kind") atomically as a model file (fp16 floats
    by default); `load_model` reads it back."""
    torch = _torch()
    config = model.config.to_dict() if hasattr(model.config, "to_dict") else dict(model.config)
    state = {
        k: (v.detach().half() if half and torch.is_floating_point(v) else v.detach()).cpu().clone()
        for k, v in model.state_dict().items()
    }
    payload = {
        "format": FORMAT,
        "config": config,
        "state_dict": state,
        "metadata": dict(metadata or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def list_models() -> list[dict[str, Any]]:
    """Shipped models: name, path, and the model card's first heading line."""
    out = []
    for pt in sorted(HERE.glob("*.pt")):
        card = pt.with_suffix(".md")
        title = ""
        if card.exists():
            title = next(
                (ln.lstrip("# ").strip() for ln in card.read_text().splitlines() if ln.strip()), ""
            )
        out.append(
            {
                "name": pt.stem,
                "path": str(pt),
                "card": str(card) if card.exists() else "",
                "title": title,
            }
        )
    return out


__all__ = ["FORMAT", "list_models", "load_model", "model_path", "read_model_file", "save_model"]
