"""Do the notes survive? Chroma correlation and onset F1 on real rendered piano, with controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentjam.audio.io import read_audio
from latentjam.audio.metrics import chroma, chroma_correlation, onset_f1, onset_times

CLIP = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "bach_bwv66.6_piano_16k.flac"
SR = 16000


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    audio, sr = read_audio(CLIP)
    assert sr == SR
    return audio


def test_a_pure_tone_is_its_pitch_class():
    t = np.arange(SR) / SR
    a440 = np.sin(2 * np.pi * 440.0 * t).astype(np.float32)
    c = chroma(a440, SR)
    assert c.shape[0] == 12 and int(c.mean(axis=1).argmax()) == 9  # A


def test_onsets_of_clicks_are_found_where_they_are():
    x = np.zeros(2 * SR, np.float32)
    for at in (0.25, 0.75, 1.25, 1.6):
        i = int(at * SR)
        x[i : i + 800] = np.sin(np.arange(800) * 0.3) * np.exp(-np.arange(800) / 200)
    found = onset_times(x, SR)
    assert len(found) == 4 and np.allclose(found, (0.25, 0.75, 1.25, 1.6), atol=0.03)


def test_the_clip_scores_one_against_itself_and_controls_score_low(clip):
    assert chroma_correlation(clip, clip, SR) == pytest.approx(1.0)
    assert onset_f1(clip, clip, SR) == 1.0
    noise = np.random.default_rng(0).standard_normal(clip.size).astype(np.float32) * 0.1
    assert chroma_correlation(clip, noise, SR) < 0.3 and onset_f1(clip, noise, SR) < 0.5
    late = np.roll(clip, int(0.3 * SR))  # every onset 300 ms late: outside the 50 ms tolerance
    assert onset_f1(clip, late, SR) < 0.6
    semitone = np.interp(np.arange(0, clip.size - 1, 2 ** (1 / 12)), np.arange(clip.size), clip)
    assert chroma_correlation(clip, semitone.astype(np.float32), SR) < 0.3  # other notes
