"""Render MIDI to audio offline with a General MIDI soundfont (midirenderer + TimGM6mb.sf2)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentjam.errors import LatentjamError, missing_extra

SOUNDFONT_ENV = "LATENTJAM_SOUNDFONT"


def find_soundfont() -> Path:
    """The .sf2 to render with: $LATENTJAM_SOUNDFONT, else the TimGM6mb.sf2 shipped by pretty_midi.

    TimGM6mb (Tim Brechbill, GPL-2) is not copied into latentjam; it is used from pretty_midi's
    installed package.
    """
    env = os.environ.get(SOUNDFONT_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise LatentjamError(f"${SOUNDFONT_ENV} points to a missing file: {path}")
        return path
    import importlib.util

    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        raise missing_extra("pretty_midi", "audio")
    path = Path(next(iter(spec.submodule_search_locations))) / "TimGM6mb.sf2"
    if not path.is_file():
        raise LatentjamError(
            f"pretty_midi is installed but has no soundfont at {path}; "
            f"set ${SOUNDFONT_ENV} to a General MIDI .sf2 file"
        )
    return path


def as_piano(sequence):
    """A copy of a `Sequence` with drums dropped, every pitched track on GM program 0, and
    tempo / metre changes after the last note dropped (they would render as silence)."""
    from dataclasses import replace

    tracks = [replace(t, program=0) for t in sequence.tracks if not t.is_drum and len(t)]
    end = max((t.end for t in tracks), default=0.0)
    tempos = [t for i, t in enumerate(sequence.tempos) if i == 0 or t.beat <= end]
    sigs = [s for i, s in enumerate(sequence.time_signatures) if i == 0 or s.beat <= end]
    return replace(sequence, tracks=tracks, tempos=tempos, time_signatures=sigs)


def render_midi_bytes(
    midi_bytes: bytes, sample_rate: int = 16000, soundfont: str | os.PathLike | None = None
) -> np.ndarray:
    """Render standard-MIDI-file bytes to mono float32 audio (n,) at `sample_rate`."""
    try:
        import midirenderer
    except ImportError as exc:  # pragma: no cover
        raise missing_extra("midirenderer", "audio") from exc
    from latentjam.audio.io import decode_audio

    sf2 = Path(soundfont) if soundfont else find_soundfont()
    try:
        wav = midirenderer.render_wave_from(_read_soundfont(str(sf2)), bytes(midi_bytes))
    except (ValueError, RuntimeError) as exc:
        raise LatentjamError(f"could not render MIDI with {sf2.name}: {exc}") from exc
    audio, _ = decode_audio(wav, sample_rate)
    return audio


def render_sequence(
    sequence,
    sample_rate: int = 16000,
    *,
    piano: bool = True,
    soundfont: str | os.PathLike | None = None,
) -> np.ndarray:
    """Render a `latentjam.music.Sequence` (on piano by default) to mono float32 audio (n,)."""
    from latentjam.midi import to_midi_bytes

    if piano:
        sequence = as_piano(sequence)
    if not sequence.tracks:
        raise LatentjamError("nothing to render: the piece has no pitched notes")
    return render_midi_bytes(to_midi_bytes(sequence), sample_rate, soundfont)


_SF2_CACHE: dict[str, bytes] = {}


def _read_soundfont(path: str) -> bytes:
    if path not in _SF2_CACHE:
        _SF2_CACHE.clear()
        _SF2_CACHE[path] = Path(path).read_bytes()
    return _SF2_CACHE[path]
