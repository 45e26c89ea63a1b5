"""Audio test fixtures: real rendered piano clips (see tests/fixtures/audio/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

AUDIO_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "audio"
CLIPS = ("bach_bwv66.6_piano_16k.flac", "bach_bwv269_piano_16k.flac")


def render_fixture(corpus_name: str, out: Path, seconds: float = 4.0) -> Path:
    """How the fixtures were made: music21 chorale -> MIDI -> GM piano at 16 kHz."""
    from music21 import corpus
    from music21.midi import translate

    from latentjam.audio.io import peak_normalize, write_audio
    from latentjam.audio.render import as_piano, render_midi_bytes
    from latentjam.midi import read_midi, to_midi_bytes

    midi = translate.streamToMidiFile(corpus.parse(corpus_name)).writestr()
    audio = render_midi_bytes(to_midi_bytes(as_piano(read_midi(midi))), 16000)
    return write_audio(out, peak_normalize(audio[: int(16000 * seconds)]), 16000)


@pytest.fixture
def audio_clips() -> list[Path]:
    """The two real rendered 4-second piano clips."""
    return [AUDIO_DIR / name for name in CLIPS]
