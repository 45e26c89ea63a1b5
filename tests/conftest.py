"""Shared fixtures: paths to real MIDI files, seeded randomness, one torch thread."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MIDI_DIR = FIXTURES / "midi"


@pytest.fixture(autouse=True)
def _seed_everything():
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - seeds code that still uses the legacy global generator
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
    torch.set_num_threads(1)


@pytest.fixture
def midi_dir() -> Path:
    """Folder of real MIDI files written by other software (see fixtures/README.md)."""
    return MIDI_DIR


@pytest.fixture
def real_midi_files() -> list[Path]:
    """Every real fixture MIDI file."""
    return sorted(MIDI_DIR.glob("*.mid"))
