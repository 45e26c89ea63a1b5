"""A folder tree of real MIDI fixtures plus broken files, for dataset builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from latentjam.midi import to_midi_bytes
from latentjam.music import Sequence, Tempo, Track

FIXTURES = Path(__file__).parents[1] / "fixtures"

# file name -> skip category it must be reported with, for a drum build
BROKEN = {
    "bad/empty.mid": "empty",
    "bad/readme.mid": "not MIDI",
    "bad/truncated.mid": "truncated",
    "bad/absurd_tempo.mid": "absurd tempo",
    "bad/no_notes.mid": "no notes",
    "bad/short.mid": "no complete window",
}


@pytest.fixture
def midi_tree(tmp_path) -> Path:
    """tmp/src/{games,mma,music21}/*.mid (real files) and tmp/src/bad/* (broken files)."""
    src = tmp_path / "src"
    for sub, pattern in [("games", "game_*.mid"), ("mma", "mma_*.mid"), ("music21", "m21_*.mid")]:
        (src / sub).mkdir(parents=True)
        for f in sorted((FIXTURES / "convert").glob(pattern)):
            shutil.copy(f, src / sub / f.name)
    for f in sorted((FIXTURES / "midi").glob("*.mid")):
        shutil.copy(f, src / "games" / f.name)
    bad = src / "bad"
    bad.mkdir()
    (bad / "empty.mid").write_bytes(b"")
    (bad / "readme.mid").write_text("this is not a MIDI file\n")
    real = (FIXTURES / "midi" / "openmsx_5432gone.mid").read_bytes()
    (bad / "truncated.mid").write_bytes(real[: len(real) // 2])
    drum = Track.from_notes([(36, 100, b * 1.0, 0.1) for b in range(16)], is_drum=True)
    (bad / "absurd_tempo.mid").write_bytes(
        to_midi_bytes(Sequence([drum], tempos=[Tempo(0.0, 5000.0)]))
    )
    (bad / "no_notes.mid").write_bytes(to_midi_bytes(Sequence([Track.empty()])))
    one_bar = Track.from_notes([(36, 100, b * 1.0, 0.1) for b in range(4)], is_drum=True)
    (bad / "short.mid").write_bytes(to_midi_bytes(Sequence([one_bar])))
    (src / "notes.txt").write_text("not a .mid file: ignored\n")
    return src


@pytest.fixture
def broken_files() -> dict[str, str]:
    """Path under the tree's root -> skip category a drum build must report."""
    return dict(BROKEN)
