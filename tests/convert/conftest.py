"""Helpers for converter tests: every real MIDI fixture, read once per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from latentjam.midi import read_midi, to_midi_bytes

FIXTURES = Path(__file__).parents[1] / "fixtures"
REAL_FILES = sorted((FIXTURES / "midi").glob("*.mid")) + sorted(
    (FIXTURES / "convert").glob("*.mid")
)


@pytest.fixture(params=REAL_FILES, ids=lambda p: p.name)
def real_sequence(request):
    """A `Sequence` read from one real MIDI file written by other software."""
    return read_midi(request.param)


@pytest.fixture
def through_midi():
    """Function: write a `Sequence` as a standard MIDI file (480 PPQ) and read it back."""
    return lambda sequence: read_midi(to_midi_bytes(sequence))
