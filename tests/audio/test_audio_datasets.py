"""Rendering MIDI offline with the GM soundfont, and audio-folder datasets."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from latentjam.audio.datasets import audio_files, load_segments, render_bundled, split_of
from latentjam.audio.io import read_audio, write_audio
from latentjam.audio.render import find_soundfont, render_sequence
from latentjam.errors import LatentjamError
from latentjam.midi import read_midi


def test_soundfont_found():
    assert find_soundfont().suffix == ".sf2"


def test_render_real_midi_a_few_seconds(tmp_path, midi_dir):
    seq = read_midi(midi_dir / "simutrans_flyingaway.mid")
    seq.tracks = [t.select(t.start < 8.0) for t in seq.tracks]  # first two bars
    assert seq.tempos[-1].beat > 100  # the file has a late tempo event ...
    audio = render_sequence(seq, 16000)  # ... which as_piano drops: no long silent tail
    assert audio.dtype == np.float32 and 4 * 16000 < audio.size < 10 * 16000
    rms = np.sqrt(np.mean(audio**2))
    assert rms > 1e-3  # piano notes, not silence
    path = write_audio(tmp_path / "r.wav", audio, 16000)
    assert read_audio(path)[0].size == audio.size


def test_render_drums_only_is_a_clear_error(midi_dir):
    with pytest.raises(LatentjamError):
        render_sequence(read_midi(midi_dir / "mma_gypsyjazz.mid"))


def test_split_is_deterministic_and_balanced():
    names = [f"piece{i}" for i in range(1000)]
    splits = [split_of(n) for n in names]
    assert splits == [split_of(n) for n in names]
    assert 700 < splits.count("train") < 900 and splits.count("test") > 50


def test_folder_segments(tmp_path, audio_clips):
    for sub, clip in zip(("train", "test"), audio_clips, strict=True):
        (tmp_path / sub).mkdir()
        shutil.copy(clip, tmp_path / sub / clip.name)
    (tmp_path / "notes.txt").write_text("not audio")
    assert len(audio_files(tmp_path)) == 2
    train = load_segments(tmp_path, sample_rate=16000, length=16000, split="train")
    assert train.shape == (4, 16000)
    everything = load_segments(tmp_path, sample_rate=8000, length=8000, hop=4000, split=None)
    assert everything.shape == (2 * 7, 8000)
    with pytest.raises(LatentjamError):
        load_segments(tmp_path, sample_rate=16000, length=16000 * 10)
    with pytest.raises(LatentjamError):
        load_segments(tmp_path / "missing", sample_rate=16000, length=100)


def test_silent_segments_are_dropped(tmp_path, audio_clips):
    audio, _ = read_audio(audio_clips[0])
    write_audio(tmp_path / "a.wav", np.concatenate([np.zeros(32000, np.float32), audio]), 16000)
    segs = load_segments(tmp_path, sample_rate=16000, length=16000, split=None)
    assert segs.shape == (4, 16000)


@pytest.mark.slow
def test_render_bundled_corpus_small(tmp_path):
    out = render_bundled(tmp_path / "corpus", sample_rate=8000, pieces=2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["files"]) == 2 and manifest["sample_rate"] == 8000
    for f in manifest["files"]:
        audio, sr = read_audio(out / f["split"] / f"{f['name']}.flac")
        assert sr == 8000 and abs(audio.size / sr - f["seconds"]) < 0.05
        assert np.abs(audio).max() > 0.9
