"""Audio model presets and the glue between a model and audio: rates, input lengths, mel inputs."""

from __future__ import annotations

import numpy as np

from latentjam.audio.mel import mel_spec_of

AUDIO_PRESETS = ("mel-vae", "mel-vae-2d", "wave-tiny", "wave-paper-like")  # latentjam.presets
WAVE_TRAIN_SAMPLES = 8192  # waveform VAE training segment (the encoder pads it to a hop multiple)


def preset_config(name: str):
    """Frozen config dataclass of an audio preset name (from the one registry,
    `latentjam.presets`)."""
    from latentjam.presets import get_audio_preset

    return get_audio_preset(name)


def is_mel(model) -> bool:
    """True for a `MelVAE`, False for a `WaveVAE`."""
    return model.config.kind == "mel_vae"


def sample_rate_of(model) -> int:
    """Audio sample rate the model reads and writes."""
    return int(model.config.sample_rate)


def segment_samples(model) -> int:
    """Audio length of one model input: one mel segment, or the waveform training segment."""
    if is_mel(model):
        return mel_spec_of(model).samples(model.config.frames)
    return WAVE_TRAIN_SAMPLES


def mel_segments(model, audio_segments: np.ndarray, batch: int = 256) -> np.ndarray:
    """Audio (k, n) -> [0, 1] log-mel (k, n_mels, frames) float32 for a `MelVAE`."""
    spec = mel_spec_of(model)
    out = [
        spec(audio_segments[i : i + batch]).numpy() for i in range(0, len(audio_segments), batch)
    ]
    return (
        np.concatenate(out)
        if out
        else np.zeros((0, spec.n_mels, model.config.frames), dtype=np.float32)
    )
