"""Audio models end to end: presets, training data, shipped checkpoints, and the audio operations
(reconstruct, sample, interpolate) used by `latentjam audio ...`.

Checkpoint layout (also of the shipped src/latentjam/pretrained/{mel-vae,wave-tiny}.pt):
{"kind": "mel_vae" | "wave_vae", "config": dict, "state_dict": fp16 tensors, "metadata": dict}.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from latentjam.audio.mel import GRIFFIN_LIM_ITERATIONS
from latentjam.errors import LatentjamError

AUDIO_PRESETS = ("mel-vae", "mel-vae-2d", "wave-tiny", "wave-paper-like")
SHIPPED = ("mel-vae", "wave-tiny")
WAVE_TRAIN_SAMPLES = 8192  # waveform VAE training segment (the encoder pads it to a hop multiple)


def preset_config(name: str):
    """Frozen config dataclass of an audio preset name."""
    from latentjam.models.mel_vae import MEL_PRESETS
    from latentjam.models.wave_vae import WAVE_PRESETS

    if name in MEL_PRESETS:
        return MEL_PRESETS[name]
    if name.startswith("wave-") and name[5:] in WAVE_PRESETS:
        return WAVE_PRESETS[name[5:]]
    raise LatentjamError(f"unknown audio preset {name!r}; choose from {', '.join(AUDIO_PRESETS)}")


def build(config):
    """Model from a config dataclass or a checkpoint config dict (dispatch on "kind")."""
    from latentjam.models.mel_vae import MelVAE
    from latentjam.models.wave_vae import WaveVAE

    kind = config["kind"] if isinstance(config, dict) else config.kind
    classes = {"mel_vae": MelVAE, "wave_vae": WaveVAE}
    if kind not in classes:
        raise LatentjamError(f"not an audio model kind: {kind!r}")
    return classes[kind].from_config(config)


def is_mel(model) -> bool:
    """True for a `MelVAE`, False for a `WaveVAE`."""
    return model.config.kind == "mel_vae"


def sample_rate_of(model) -> int:
    """Audio sample rate the model reads and writes."""
    return int(model.config.sample_rate)


def segment_samples(model) -> int:
    """Audio length of one model input: one mel segment, or the waveform training segment."""
    if is_mel(model):
        return model.mel_spec().samples(model.config.frames)
    return WAVE_TRAIN_SAMPLES


def mel_segments(model, audio_segments: np.ndarray, batch: int = 256) -> np.ndarray:
    """Audio (k, n) -> [0, 1] log-mel (k, n_mels, frames) float32 for a `MelVAE`."""
    spec = model.mel_spec()
    out = [spec(audio_segments[i:i + batch]).numpy() for i in range(0, len(audio_segments), batch)]
    return np.concatenate(out) if out else np.zeros((0, spec.n_mels, model.config.frames),
                                                    dtype=np.float32)


def training_arrays(model, folder, split: str | None = "train",
                    max_segments: int | None = None):
    """The model's inputs from an audio folder: (k, n_mels, frames) mels or (k, n) audio.

    Training data (split "train" or None) overlaps by half a segment; other splits do not.
    """
    from latentjam.audio.datasets import load_segments

    n = segment_samples(model)
    hop = n // 2 if split in ("train", None) else n
    audio = load_segments(folder, sample_rate=sample_rate_of(model), length=n, split=split,
                          hop=hop, max_segments=max_segments)
    return mel_segments(model, audio) if is_mel(model) else audio


# -- checkpoints ---------------------------------------------------------------------------------
def save_model(model, path: str | os.PathLike, metadata: dict | None = None, *,
               half: bool = True) -> Path:
    """Write {"kind", "config", "state_dict", "metadata"} atomically (fp16 weights by default)."""
    import torch

    from latentjam.training.adversarial import save_checkpoint

    state = {k: (v.half() if half and v.is_floating_point() else v)
             for k, v in model.state_dict().items()}
    state = {k: v for k, v in state.items() if not k.startswith("stft_loss.")}
    payload = {"format": "latentjam-model/1", "kind": model.config.kind,
               "config": model.config.to_dict(), "state_dict": state,
               "metadata": dict(metadata or {}), "torch": str(torch.__version__)}
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
            raise LatentjamError(f"no audio model named or found at {name_or_path!r} "
                                 f"(shipped: {', '.join(SHIPPED)})")
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
        {k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=False)
    missing = [k for k in missing if not k.startswith("stft_loss.")]
    if missing or unexpected:
        raise LatentjamError(f"{path} does not match its config (missing {missing[:3]}, "
                             f"unexpected {unexpected[:3]})")
    model.eval()
    model.metadata = payload.get("metadata", {})
    return model


# -- operations ----------------------------------------------------------------------------------
def _mel_decode_audio(model, mels, n_iter: int | None = None) -> np.ndarray:
    """(k, n_mels, frames) [0, 1] mels -> (k, n) audio via Griffin-Lim."""
    spec = model.mel_spec()
    n_iter = GRIFFIN_LIM_ITERATIONS if n_iter is None else n_iter
    return spec.invert(mels, n_iter=n_iter, length=spec.samples(model.config.frames))


def reconstruct(model, audio: np.ndarray, *,
                n_iter: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Encode and decode (n,) audio at the model's rate -> (audio (n,), [0,1] mel of the output)."""
    import torch

    from latentjam.audio.io import segment

    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        raise LatentjamError("cannot reconstruct empty audio")
    with torch.no_grad():
        if is_mel(model):
            n = segment_samples(model)
            segs = segment(audio, n, pad=True)  # (k, n)
            mels = model(torch.from_numpy(mel_segments(model, segs)))  # (k, n_mels, frames)
            out = _mel_decode_audio(model, mels, n_iter).reshape(-1)[: audio.size]
        else:
            out = model(torch.from_numpy(audio)[None])[0].numpy()
    return out.astype(np.float32), _display_mel(model, out)


def _display_mel(model, audio: np.ndarray) -> np.ndarray:
    from latentjam.audio.mel import MelSpec

    spec = model.mel_spec() if is_mel(model) else MelSpec(sample_rate=sample_rate_of(model))
    return spec(audio).numpy()


def sample(model, n: int, *, seconds: float = 2.0, seed: int = 0,
           temperature: float = 1.0) -> list[np.ndarray]:
    """`n` clips decoded from z ~ N(0, temperature^2 I) -> list of (samples,) float32 arrays."""
    import torch

    if n < 1:
        raise LatentjamError("need at least one sample")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if is_mel(model):
            z = torch.randn(n, model.config.latent_dim, generator=gen) * temperature
            audio = _mel_decode_audio(model, model.decode(z))
        else:
            length = max(1, round(seconds * sample_rate_of(model)))
            frames = -(-length // model.hop)
            z = torch.randn(n, model.config.latent_channels, frames, generator=gen) * temperature
            audio = model.decode(z).numpy()[:, :length]
    return [a.astype(np.float32) for a in audio]


def interpolate(model, a: np.ndarray, b: np.ndarray, steps: int = 5) -> list[np.ndarray]:
    """Linear interpolation between the posterior means of two clips -> `steps` audio clips.

    Both clips are cut to the shorter one's length n. The waveform VAE encodes each whole clip
    into one (latent_channels, frames) latent; the mel VAE encodes each ~1 s segment separately
    and interpolates segment by segment, so every output is n samples long.
    """
    import torch

    from latentjam.audio.io import segment

    if steps < 2:
        raise LatentjamError("interpolation needs at least 2 steps")
    n = min(a.size, b.size)
    if n == 0:
        raise LatentjamError("cannot interpolate empty audio")
    t = torch.linspace(0.0, 1.0, steps)
    with torch.no_grad():
        if is_mel(model):
            seg = segment_samples(model)
            k = -(-n // seg)  # segments per clip (the last one zero-padded)
            segs = np.concatenate([segment(x[:n], seg, pad=True) for x in (a, b)])  # (2k, seg)
            mu, _ = model.encode(torch.from_numpy(mel_segments(model, segs)))  # (2k, Nz)
            z = (1 - t[:, None, None]) * mu[None, :k] + t[:, None, None] * mu[None, k:]
            mels = model.decode(z.reshape(steps * k, -1))  # (steps * k, n_mels, frames)
            out = _mel_decode_audio(model, mels).reshape(steps, k * seg)
        else:
            pair = torch.from_numpy(np.stack([a[:n], b[:n]]).astype(np.float32))  # (2, n)
            mu, _ = model.encode(pair)  # (2, C, frames)
            z = (1 - t[:, None, None]) * mu[:1] + t[:, None, None] * mu[1:]  # (steps, C, frames)
            out = model.decode(z).numpy()
    return [np.asarray(x[:n], dtype=np.float32) for x in out]


def latent_map(model, mels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and standard deviations (k, latent_dim) of mel segments (k, n_mels, T)."""
    import torch

    with torch.no_grad():
        mu, sigma = model.encode(torch.as_tensor(mels))
    return mu.numpy(), sigma.numpy()


# -- training ------------------------------------------------------------------------------------
def _fit_mel_lightning(model, x, valid, out_dir: Path, *, max_steps: int, batch_size: int,
                       seed: int) -> dict:
    """Train a `MelVAE` in place through the shared Lightning training (beta-KL objective)."""
    from latentjam.regularizers.objective import Objective, ObjectiveConfig
    from latentjam.training.adversarial import evaluate
    from latentjam.training.config import TrainConfig
    from latentjam.training.data import ArrayDataModule
    from latentjam.training.fit import fit

    cfg = TrainConfig(batch_size=batch_size, lr=1e-3, lr_decay=0.9995, lr_min=1e-4,
                      max_steps=max_steps, grad_clip=5.0, seed=seed,
                      checkpoint_every=max(100, max_steps // 4),
                      val_every=max(50, max_steps // 10), log_every=max(1, min(50, max_steps)))
    objective = Objective(ObjectiveConfig(kl="beta", beta=model.config.beta))
    data = ArrayDataModule(x, valid, batch_size=batch_size, seed=seed)
    fit(model, objective, data, cfg, out_dir / "lightning", progress=False,
        description={"task": "audio", "kind": model.config.kind})
    final = {"step": max_steps}
    final.update(evaluate(model, x[:512]))
    if valid is not None:
        final.update({f"valid_{k}": v for k, v in evaluate(model, valid).items()})
    return final


def train_preset(preset: str, data_dir, out_dir, *, max_steps: int = 2000,
                 max_seconds: float | None = None, batch_size: int | None = None,
                 warmup_steps: int | None = None, max_segments: int | None = None,
                 seed: int = 0, engine: str = "lightning", log=print) -> Path:
    """Train an audio preset on a folder of audio; writes out_dir/model.pt (and checkpoints).

    Mel presets train through the shared Lightning training (`latentjam.training.fit`, resumable
    checkpoints under out_dir/lightning) unless `engine="loop"`; waveform presets, and mel with
    `engine="loop"`, use the generator/discriminator loop of `latentjam.training.adversarial`
    (checkpoint out_dir/checkpoint.pt), which alone honours `max_seconds`. model.pt is the
    fp16 shipped-checkpoint layout; returns its path.
    """
    if engine not in ("lightning", "loop"):
        raise LatentjamError(f"engine must be 'lightning' or 'loop', got {engine!r}")
    import torch

    from latentjam.models.stft_discriminator import STFTDiscriminator
    from latentjam.training.adversarial import AdversarialConfig, train

    torch.manual_seed(seed)
    config = preset_config(preset)
    model = build(config)
    mel = is_mel(model)
    try:
        x = training_arrays(model, data_dir, "train", max_segments)
        split = "train"
    except LatentjamError:  # a few files, none of which hashed to "train": use them all
        x = training_arrays(model, data_dir, None, max_segments)
        split = None
        log("no audio in the train split; training on every file (no validation)")
    try:
        valid = (training_arrays(model, data_dir, "valid", max_segments=256 if mel else 16)
                 if split else None)
    except LatentjamError:
        valid = None
    bs = batch_size or (64 if mel else 8)
    if len(x) < bs:
        bs = max(1, len(x))
    train_cfg = AdversarialConfig(
        max_steps=max_steps, batch_size=bs, lr=1e-3,
        warmup_steps=warmup_steps if warmup_steps is not None else int(0.6 * max_steps),
        warmup_seconds=None if max_seconds is None else 0.6 * max_seconds,
        log_every=max(1, min(100, max_steps // 10)), max_seconds=max_seconds, seed=seed)
    disc = None if mel else STFTDiscriminator()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log(f"training {preset}: {len(x)} segments of shape {tuple(x.shape[1:])}, "
        f"{sum(p.numel() for p in model.parameters())} parameters")
    start = time.monotonic()
    if mel and engine == "lightning":
        final = _fit_mel_lightning(model, x, valid, out_dir, max_steps=max_steps,
                                   batch_size=bs, seed=seed)
        log(" ".join(f"{k}={v:.4g}" for k, v in final.items()))
    else:
        history = train(model, x, config=train_cfg, discriminator=disc, valid=valid,
                        checkpoint=out_dir / "checkpoint.pt",
                        checkpoint_extra=lambda: {"config": model.config.to_dict(),
                                                  "kind": model.config.kind},
                        log=log)
        final = history[-1] if history else {"step": 0}
    final["seconds"] = round(time.monotonic() - start, 1)
    meta = {"preset": preset, "steps": final["step"], "engine": engine if mel else "adversarial",
            "train_segments": len(x), "final": final, "data": str(data_dir)}
    return save_model(model, out_dir / "model.pt", meta)
