"""Read, write, resample and segment mono audio held as float32 numpy arrays of shape (n,)."""

from __future__ import annotations

import io
import os
from math import gcd
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_path
from latentjam.errors import LatentjamError, missing_extra

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


def _soundfile():
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise missing_extra("soundfile", "audio") from exc
    return soundfile


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels: (n,) or (n, channels) -> (n,) float32."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1:
        raise LatentjamError(f"expected audio of shape (n,) or (n, channels), got {audio.shape}")
    return np.ascontiguousarray(audio, dtype=np.float32)


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Polyphase resampling (scipy.signal.resample_poly) of (n,) audio; float32 out."""
    if orig_sr <= 0 or target_sr <= 0:
        raise LatentjamError(f"sample rates must be positive, got {orig_sr} -> {target_sr}")
    audio = np.asarray(audio, dtype=np.float32)
    if orig_sr == target_sr:
        return audio
    try:
        from scipy.signal import resample_poly
    except ImportError as exc:  # pragma: no cover
        raise missing_extra("scipy", "audio") from exc
    g = gcd(int(orig_sr), int(target_sr))
    out = resample_poly(audio, int(target_sr) // g, int(orig_sr) // g, axis=0)
    return np.ascontiguousarray(out, dtype=np.float32)


def decode_audio(
    data: bytes, sample_rate: int | None = None, *, name: str = "audio data"
) -> tuple[np.ndarray, int]:
    """Decode encoded audio bytes (WAV/FLAC/OGG) to mono float32, resampled if asked."""
    sf = _soundfile()
    try:
        audio, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, TypeError) as exc:
        reason = str(exc).rsplit(": ", 1)[-1].strip() or type(exc).__name__
        midi = data[:4] == b"MThd"
        hint = " (a MIDI file: the audio commands read WAV, FLAC or OGG)" if midi else ""
        raise LatentjamError(f"{name}: not readable audio ({reason}){hint}") from None
    audio = to_mono(audio)
    if sample_rate is not None and sample_rate != sr:
        audio, sr = resample(audio, sr, sample_rate), sample_rate
    return audio, int(sr)


def read_audio(path: str | os.PathLike, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read a WAV/FLAC/OGG file as mono float32 (n,), resampled to `sample_rate` if given."""
    path = Path(path)
    if not path.is_file():
        raise LatentjamError(f"no such audio file: {path}")
    return decode_audio(path.read_bytes(), sample_rate, name=str(path))


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> Path:
    """Write (n,) float audio atomically; format from the suffix (WAV 16-bit PCM by default)."""
    sf = _soundfile()
    path = Path(path)
    audio = to_mono(audio)
    if not np.all(np.isfinite(audio)):
        raise LatentjamError("refusing to write audio containing NaN or infinity")
    audio = np.clip(audio, -1.0, 1.0)
    suffix = path.suffix.lower()
    fmt = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}.get(suffix)
    if fmt is None:
        raise LatentjamError(f"unsupported audio suffix {suffix!r}; use one of {AUDIO_SUFFIXES}")
    subtype = "VORBIS" if fmt == "OGG" else "PCM_16"
    with atomic_path(path) as tmp:
        sf.write(str(tmp), audio, int(sample_rate), format=fmt, subtype=subtype)
    return path


def segment(
    audio: np.ndarray, length: int, hop: int | None = None, *, pad: bool = False
) -> np.ndarray:
    """Cut (n,) audio into windows: returns (k, length) float32 (k may be 0).

    Windows start every `hop` samples (default: `length`, no overlap). With `pad`, a last partial
    window is zero-padded instead of dropped.
    """
    if length <= 0:
        raise LatentjamError(f"segment length must be positive, got {length}")
    hop = length if hop is None else hop
    if hop <= 0:
        raise LatentjamError(f"segment hop must be positive, got {hop}")
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    n = audio.shape[0]
    if pad and n > 0:
        k = max(1, -(-max(n - length, 0) // hop) + 1)
        need = (k - 1) * hop + length
        audio = np.pad(audio, (0, need - n))
    elif n < length:
        return np.zeros((0, length), dtype=np.float32)
    else:
        k = (n - length) // hop + 1
    idx = np.arange(length)[None, :] + hop * np.arange(k)[:, None]
    return audio[idx]  # (k, length)


def peak_normalize(audio: np.ndarray, peak: float = 0.95) -> np.ndarray:
    """Scale (n,) audio so its largest absolute sample is `peak` (silence stays silent)."""
    audio = np.asarray(audio, dtype=np.float32)
    m = float(np.abs(audio).max()) if audio.size else 0.0
    return audio if m < 1e-8 else (audio * (peak / m)).astype(np.float32)
