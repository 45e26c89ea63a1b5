"""Train an audio preset on a folder of audio and write a shipped-layout model file."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from latentjam.audio.presets import (
    is_mel,
    mel_segments,
    preset_config,
    sample_rate_of,
    segment_samples,
)
from latentjam.errors import LatentjamError


def training_arrays(model, folder, split: str | None = "train", max_segments: int | None = None):
    """The model's inputs from an audio folder: (k, n_mels, frames) mels or (k, n) audio.

    Training data (split "train" or None) overlaps by half a segment; other splits do not.
    """
    from latentjam.audio.datasets import load_segments

    n = segment_samples(model)
    hop = n // 2 if split in ("train", None) else n
    audio = load_segments(
        folder,
        sample_rate=sample_rate_of(model),
        length=n,
        split=split,
        hop=hop,
        max_segments=max_segments,
    )
    return mel_segments(model, audio) if is_mel(model) else audio


def _fit_mel(
    model,
    x,
    valid,
    out_dir: Path,
    *,
    max_steps: int,
    max_seconds: float | None,
    batch_size: int,
    seed: int,
    resume: bool,
) -> None:
    """Train a `MelVAE` in place through the shared VAE training (beta-KL objective)."""
    from latentjam.regularizers.objective import Objective, ObjectiveConfig
    from latentjam.training.config import TrainConfig
    from latentjam.training.data import ArrayDataModule
    from latentjam.training.fit import fit

    cfg = TrainConfig(
        batch_size=batch_size,
        lr=1e-3,
        lr_decay=0.9995,
        lr_min=1e-4,
        max_steps=max_steps,
        grad_clip=5.0,
        seed=seed,
        checkpoint_every=max(100, max_steps // 4),
        val_every=max(50, max_steps // 10),
        log_every=max(1, min(50, max_steps)),
    )
    objective = Objective(ObjectiveConfig(kl="beta", beta=model.config.beta))
    data = ArrayDataModule(x, valid, batch_size=batch_size, seed=seed)
    fit(
        model,
        objective,
        data,
        cfg,
        out_dir / "lightning",
        resume=resume and (out_dir / "lightning").is_dir(),
        progress=sys.stderr.isatty(),  # a progress bar when someone watches; quiet in logs
        description={"task": "audio", "kind": model.config.kind},
        max_minutes=None if max_seconds is None else max_seconds / 60,
    )


def _fit_wave(
    model,
    x,
    valid,
    out_dir: Path,
    *,
    max_steps: int,
    max_seconds: float | None,
    warmup_steps: int,
    batch_size: int,
    seed: int,
    resume: bool,
) -> None:
    """Train a `WaveVAE` in place: its own loss, joined by an STFT discriminator after the
    warm-up (steps, or 60% of the wall-clock budget)."""
    from latentjam.models.stft_discriminator import STFTDiscriminator
    from latentjam.training.adversarial import AdversarialConfig, fit_adversarial
    from latentjam.training.config import TrainConfig

    cfg = TrainConfig(
        batch_size=batch_size,
        lr=1e-3,
        lr_decay=1.0,
        lr_min=1e-3,
        max_steps=max_steps,
        grad_clip=5.0,
        seed=seed,
        checkpoint_every=100,
        val_every=max(50, max_steps // 10),
        log_every=max(1, min(100, max_steps // 10)),
    )
    adversarial = AdversarialConfig(
        warmup_steps=warmup_steps,
        warmup_seconds=None if max_seconds is None else 0.6 * max_seconds,
    )
    fit_adversarial(
        model,
        x,
        out_dir / "lightning",
        train_config=cfg,
        adversarial=adversarial,
        discriminator=STFTDiscriminator(),
        valid=valid,
        resume=resume and (out_dir / "lightning").is_dir(),
        max_minutes=None if max_seconds is None else max_seconds / 60,
        progress=sys.stderr.isatty(),
        description={"task": "audio", "kind": model.config.kind},
    )


def train_preset(
    preset: str,
    data_dir,
    out_dir,
    *,
    max_steps: int = 2000,
    max_seconds: float | None = None,
    batch_size: int | None = None,
    warmup_steps: int | None = None,
    max_segments: int | None = None,
    seed: int = 0,
    log=print,
    resume: bool = False,
    init_from=None,
) -> Path:
    """Train an audio preset on a folder of audio; writes out_dir/model.pt (and checkpoints).

    Both kinds train through Lightning (`latentjam.training.fit`; resumable atomic checkpoints
    under out_dir/lightning, `max_seconds` a wall-clock budget): mel presets with the beta-KL
    objective, waveform presets with their own loss joined by an STFT discriminator after
    `warmup_steps` (default 60% of the steps) or 60% of `max_seconds`
    (`latentjam.training.adversarial`). model.pt is the fp16 shipped-model layout; returns
    its path.
    """
    import torch

    torch.manual_seed(seed)
    config = preset_config(preset)
    from latentjam.models import build_model

    model = build_model(config)
    if init_from is not None:  # weights of an earlier model of the same preset
        from latentjam.audio.checkpoints import load_audio_model

        start_from = load_audio_model(init_from)
        if start_from.config != model.config:
            raise LatentjamError(f"--init-from {init_from}: not a {preset} model")
        model.load_state_dict(start_from.state_dict())
        model.train()
    mel = is_mel(model)
    try:
        x = training_arrays(model, data_dir, "train", max_segments)
        split = "train"
    except LatentjamError:  # a few files, none of which hashed to "train": use them all
        x = training_arrays(model, data_dir, None, max_segments)
        split = None
        log("no audio in the train split; training on every file (no validation)")
    try:
        valid = (
            training_arrays(model, data_dir, "valid", max_segments=256 if mel else 16)
            if split
            else None
        )
    except LatentjamError:
        valid = None
    bs = batch_size or (64 if mel else 8)
    if len(x) < bs:
        bs = max(1, len(x))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log(
        f"training {preset}: {len(x)} segments of shape {tuple(x.shape[1:])}, "
        f"{sum(p.numel() for p in model.parameters())} parameters"
    )
    start = time.monotonic()
    if mel:
        _fit_mel(
            model,
            x,
            valid,
            out_dir,
            max_steps=max_steps,
            max_seconds=max_seconds,
            batch_size=bs,
            seed=seed,
            resume=resume,
        )
    else:
        _fit_wave(
            model,
            x,
            valid,
            out_dir,
            max_steps=max_steps,
            max_seconds=max_seconds,
            warmup_steps=warmup_steps if warmup_steps is not None else int(0.6 * max_steps),
            batch_size=bs,
            seed=seed,
            resume=resume,
        )
    from latentjam.training.adversarial import evaluate
    from latentjam.training.fit import checkpoint_path

    ckpt = torch.load(checkpoint_path(out_dir / "lightning"), map_location="cpu", weights_only=True)
    final = {"step": int(ckpt["global_step"])}
    final.update(evaluate(model, x[:512]))
    if valid is not None:
        final.update({f"valid_{k}": v for k, v in evaluate(model, valid).items()})
    final["seconds"] = round(time.monotonic() - start, 1)
    log(" ".join(f"{k}={v:.4g}" for k, v in final.items()))
    meta = {
        "preset": preset,
        "steps": final["step"],
        "engine": "lightning" if mel else "adversarial",
        "train_segments": len(x),
        "final": final,
        "data": str(data_dir),
    }
    from latentjam.pretrained import save_model

    return save_model(out_dir / "model.pt", model, metadata=meta)
