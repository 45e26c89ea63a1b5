"""The corpus cache: keyed by corpus and converter, a hit never re-parses, compact on disk."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("music21")

from latentjam.convert import DrumGrid, MelodyOneHot, PianoRollBars
from latentjam.corpora import corpus_sequences, load_corpus, music21_source
from latentjam.corpora.store import (
    concat_encoded,
    decode_windows,
    encode_windows,
    pack_sequences,
    unpack_sequences,
)
from latentjam.errors import LatentjamError


@pytest.fixture
def parse_calls(monkeypatch, tmp_path):
    """Fresh cache folder; counts the real music21 parses (the parser itself still runs)."""
    monkeypatch.setenv("LATENTJAM_CACHE", str(tmp_path))
    calls = []
    real = music21_source.parse_piece

    def counting(ref, **kwargs):
        calls.append(ref.key)
        return real(ref, **kwargs)

    monkeypatch.setattr(music21_source, "parse_piece", counting)
    return calls


def test_cache_hit_is_identical_and_does_not_parse_again(parse_calls, tmp_path):
    conv = MelodyOneHot(bars=2)
    first = load_corpus("oneills1850", conv, "all", progress=False, limit=5, workers=0)
    assert len(parse_calls) == 5
    assert list((tmp_path / "corpora").glob("oneills1850--*.npz"))
    again = load_corpus("oneills1850", conv, "all", progress=False, limit=5, workers=0)
    assert len(parse_calls) == 5
    assert again.dtype == np.float32 and np.array_equal(first, again)
    # another converter reuses the parsed sequences: still no parsing
    four = load_corpus(
        "oneills1850", MelodyOneHot(bars=4), "all", progress=False, limit=5, workers=0
    )
    assert len(parse_calls) == 5 and four.shape[1:] == (64, 90)
    assert len(list(corpus_sequences("oneills1850", limit=5, progress=False))) == 5
    assert len(parse_calls) == 5


def test_splits_partition_the_windows(parse_calls):
    conv = MelodyOneHot(bars=2)
    parts = [
        load_corpus("oneills1850", conv, s, progress=False, limit=8, workers=0)
        for s in ("train", "valid", "test")
    ]
    whole = load_corpus("oneills1850", conv, "all", progress=False, limit=8, workers=0)
    assert sum(len(p) for p in parts) == len(whole) and len(parts[0]) > 0
    with pytest.raises(LatentjamError, match="unknown split"):
        load_corpus("oneills1850", conv, "training", limit=8, workers=0)
    with pytest.raises(LatentjamError, match="unknown corpus"):
        load_corpus("lakh", conv)


def test_parallel_workers_give_the_same_tensors(parse_calls, tmp_path, monkeypatch):
    serial = load_corpus(
        "ryans-mammoth", PianoRollBars(), "all", progress=False, limit=3, workers=0
    )
    monkeypatch.setenv("LATENTJAM_CACHE", str(tmp_path / "other"))
    parallel = load_corpus(
        "ryans-mammoth", PianoRollBars(), "all", progress=False, limit=3, workers=2
    )
    assert np.array_equal(serial, parallel) and len(serial) > 0


@pytest.mark.parametrize("kind", ["onehot", "bits", "float32"])
def test_window_encodings_round_trip(kind):
    rng = np.random.default_rng(0)
    if kind == "onehot":
        x = np.eye(90, dtype=np.float32)[rng.integers(0, 90, (5, 32))]
    elif kind == "bits":
        x = (rng.random((5, 16, 13)) > 0.7).astype(np.float32)
    else:
        x = rng.random((5, 32, 27)).astype(np.float32)
    encoding, arrays = encode_windows(x)
    assert encoding == kind
    assert np.array_equal(decode_windows(encoding, arrays, x.shape), x)


def test_mixed_chunks_join_in_the_most_compact_shared_encoding():
    rng = np.random.default_rng(1)
    onehot = np.eye(12, dtype=np.float32)[rng.integers(0, 12, (3, 16))]
    bits = (rng.random((2, 16, 12)) > 0.5).astype(np.float32)
    real = rng.random((4, 16, 12)).astype(np.float32)
    for parts, kind in (
        ([onehot, onehot], "onehot"),
        ([onehot, bits], "bits"),
        ([bits, real, onehot], "float32"),
    ):
        encoding, arrays = concat_encoded([encode_windows(p) for p in parts], (16, 12))
        whole = np.concatenate(parts)
        assert encoding == kind
        assert np.array_equal(decode_windows(encoding, arrays, whole.shape), whole)


def test_sequences_pack_and_unpack(real_midi_files):
    from latentjam.midi import read_midi

    seqs = [read_midi(p) for p in real_midi_files[:3]]
    back = unpack_sequences(pack_sequences(seqs), [s.source for s in seqs])
    grid = DrumGrid(bars=2)
    for a, b in zip(seqs, back, strict=True):
        assert [len(t) for t in a.tracks] == [len(t) for t in b.tracks]
        assert a.tempos == b.tempos and a.time_signatures == b.time_signatures
        assert np.array_equal(grid.windows(a), grid.windows(b))
