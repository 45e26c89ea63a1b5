"""Shared fixtures: real MIDI files, seeded randomness, one torch thread, a private cache."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MIDI_DIR = FIXTURES / "midi"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Corpus and attribute caches go to a throw-away folder, never to ~/.cache (the bundled
    drum corpus is converted once per test session)."""
    old = os.environ.get("LATENTJAM_CACHE")
    os.environ["LATENTJAM_CACHE"] = str(tmp_path_factory.mktemp("latentjam-cache"))
    yield
    if old is None:
        os.environ.pop("LATENTJAM_CACHE", None)
    else:
        os.environ["LATENTJAM_CACHE"] = old


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
