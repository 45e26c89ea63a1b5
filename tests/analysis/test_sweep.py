"""The threshold sweep builds exactly the oracles built one threshold at a time."""

import numpy as np
import pytest

from latentjam.analysis import distances as dist
from latentjam.analysis.chroma import chroma_per_bar
from latentjam.analysis.sweep import default_thresholds, sweep, sweep_lrs
from latentjam.analysis.vmo import build_oracle
from latentjam.midi import read_midi


def motif_sequence(n, d, seed):
    """Noisy repeats of a few random motifs, plus exact duplicates (ties between candidates)."""
    rng = np.random.default_rng(seed)
    motifs = [rng.normal(size=(rng.integers(3, 9), d)) for _ in range(6)]
    parts = []
    while sum(len(p) for p in parts) < n:
        m = motifs[rng.integers(len(motifs))]
        parts.append(m if rng.random() < 0.3 else m + 0.3 * rng.normal(size=m.shape))
    return np.concatenate(parts)[:n]


def longest_repeat(lrs_rows) -> int:
    """The most consecutive states whose repeated suffix grows by one each (one repeat)."""
    best = 0
    for row in np.asarray(lrs_rows):
        grows = np.concatenate([[False], np.diff(row) == 1, [False]])
        edges = np.flatnonzero(np.diff(grows.astype(int)))
        if len(edges):
            best = max(best, int((edges[1::2] - edges[::2]).max()))
    return best


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_sweep_matches_one_threshold_at_a_time(distance):
    x = motif_sequence(160, 6, seed=3)
    table = dist.self_distances(dist.prepare(x, distance), distance)
    thresholds = default_thresholds(table, 30)
    lrs = sweep_lrs(table, thresholds)
    for t, row in zip(thresholds, lrs, strict=True):
        assert list(row) == build_oracle(x, t, distance).lrs, t


@pytest.mark.parametrize("distance", ["euclidean", "cosine", "tonnetz"])
def test_earlier_distances_are_the_lower_triangle(distance):
    # 150 frames: the 64-row blocks end inside the table; silent frames for cosine and tonnetz
    rng = np.random.default_rng(8)
    x = rng.random((150, 12))
    x[[5, 70, 71]] = 0.0
    prepared = dist.prepare(x, distance)
    full = dist.self_distances(prepared, distance)
    lower = dist.earlier_distances(prepared, distance)
    np.testing.assert_array_equal(lower, np.tril(full, -1))
    assert (lower[np.tril_indices(150, -1)] > 0).mean() > 0.9


def test_sweep_reads_only_the_lower_triangle():
    # a small alphabet (ties between earlier frames everywhere, also across the nearest-frame
    # search's 256-row blocks) gives the same oracles from either table
    from latentjam.analysis.sweep import _nearest_earlier

    x = np.random.default_rng(9).integers(0, 4, size=(300, 2)).astype(float)
    prepared = dist.prepare(x, "euclidean")
    full = dist.self_distances(prepared, "euclidean")
    lower = dist.earlier_distances(prepared, "euclidean")
    thresholds = default_thresholds(full, 12)
    np.testing.assert_array_equal(sweep_lrs(lower, thresholds), sweep_lrs(full, thresholds))
    near_d, near_s = _nearest_earlier(lower)
    for i in (2, 100, 257, 258, 300):  # state i holds frame i - 1
        row = full[i - 1, : i - 1]
        assert near_d[i] == row.min() and near_s[i] == int(row.argmin()) + 1


def test_sweep_on_real_chroma_with_tonnetz(midi_dir):
    chroma = chroma_per_bar(read_midi(midi_dir / "simutrans_flyingaway.mid"))
    result = sweep(chroma, distance="tonnetz", count=25)
    for t, total in zip(result.thresholds, result.ir_sums, strict=True):
        assert total == build_oracle(chroma, t, "tonnetz").information_rate().sum()
    assert result.best_threshold == result.thresholds[np.argmax(result.ir_sums)]
    assert result.ir_sums.max() > 0
    assert result.best_oracle.information_rate().sum() == result.ir_sums.max()


def test_trivial_and_repeated_thresholds():
    x = motif_sequence(40, 3, seed=4)
    table = dist.self_distances(dist.prepare(x, "euclidean"), "euclidean")
    lrs = sweep_lrs(table, np.array([0.0, 1e-9, 0.8, 0.8, 1e9]))
    assert not lrs[0].any() and not lrs[1].any()  # nothing closer than 0: all new symbols
    np.testing.assert_array_equal(lrs[2], lrs[3])
    np.testing.assert_array_equal(lrs[4], np.maximum(np.arange(41) - 1, 0))  # one symbol


def test_batched_information_rate_sums_are_bit_identical():
    from latentjam.analysis.vmo import information_rate, information_rate_sums

    x = motif_sequence(120, 4, seed=6)
    table = dist.self_distances(dist.prepare(x, "euclidean"), "euclidean")
    lrs = sweep_lrs(table, default_thresholds(table, 25))
    expected = [information_rate(row).sum() for row in lrs]
    assert information_rate_sums(lrs).tolist() == expected
    assert information_rate_sums([[0, 0, 0, 1, 2, 1]])[0] == 2 - np.log2(3)  # "abab b" by hand


def test_vectorised_compror_parse_on_many_small_oracles():
    # letters from small alphabets: new symbols, single copies, long and overlapping repeats
    from latentjam.analysis.vmo import information_rate, information_rate_sums

    rng = np.random.default_rng(7)
    rows, expected = [], []
    for _ in range(120):
        x = rng.integers(0, rng.integers(1, 6), size=(40, 1)).astype(float)
        lrs = build_oracle(x, 0.5).lrs
        rows.append(lrs)
        expected.append(information_rate(lrs).sum())
    assert information_rate_sums(rows).tolist() == expected
    assert information_rate_sums([[0]]).tolist() == [0.0]


@pytest.mark.parametrize("distance", ["tonnetz", "euclidean", "cosine"])
def test_dense_sweep_on_beat_chroma(midi_dir, monkeypatch, distance):
    # Dense thresholds on real per-beat chroma (held chords: exact repeats and ties) split the
    # threshold classes often, also in the middle of a suffix-chain walk that has already added
    # forward links (which must then be taken back), and long repeats go the diagonal way.
    from latentjam.analysis import sweep as sweep_module

    seq = read_midi(midi_dir / "simutrans_flyingaway.mid")
    chroma = chroma_per_bar(seq, np.arange(0.0, np.floor(seq.end), 1.0))
    calls = {"unlink": 0}
    unlink = sweep_module._unlink

    def spy_unlink(st, i, stop):
        calls["unlink"] += st.sfx[i - 1] > stop  # a chain was walked before the split
        return unlink(st, i, stop)

    monkeypatch.setattr(sweep_module, "_unlink", spy_unlink)
    table = dist.self_distances(dist.prepare(chroma, distance), distance)
    thresholds = default_thresholds(table, 60)
    lrs = sweep_lrs(table, thresholds)
    for t, row in zip(thresholds, lrs, strict=True):
        assert list(row) == build_oracle(chroma, t, distance).lrs, t
    assert calls["unlink"] > 0 and longest_repeat(lrs) > 8


def test_sweep_on_small_alphabets_and_long_repeats():
    # Letters from small alphabets (ties everywhere: find_better's links and the root search
    # choose among equal candidates) and a long exact repeat with noise around it (runs
    # longer than the part of a diagonal compared in Python, which numpy then finishes).
    from latentjam.analysis import sweep as sweep_module

    rng = np.random.default_rng(11)
    seqs = [rng.integers(0, k, size=(90, 1)).astype(float) for k in (2, 3, 5)]
    motif = rng.normal(size=(sweep_module.PY_DIAGONAL + 40, 3))
    noise = rng.normal(size=(30, 3))
    seqs.append(np.concatenate([noise, motif, noise[:7], motif, motif[:50] + 0.01]))
    longest = 0
    for x in seqs:
        table = dist.self_distances(dist.prepare(x, "euclidean"), "euclidean")
        ties = table[:5, :5].ravel()  # thresholds equal to distances that occur
        thresholds = np.unique(np.concatenate([default_thresholds(table, 20), ties]))
        lrs = sweep_lrs(table, thresholds)
        for t, row in zip(thresholds, lrs, strict=True):
            assert list(row) == build_oracle(x, t, "euclidean").lrs, t
        longest = max(longest, longest_repeat(lrs))
    assert longest > sweep_module.PY_DIAGONAL
