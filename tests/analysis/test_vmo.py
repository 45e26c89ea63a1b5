"""Variable Markov Oracle: hand-worked small sequences, distances, motifs, generation."""

import numpy as np
import pytest

from latentjam.analysis.vmo import (
    Oracle,
    RunningInformationRate,
    build_oracle,
    compror_blocks,
    find_motifs,
    generate,
    information_rate,
)

A, B = 0.0, 10.0


def frames(*values):
    return np.array(values, dtype=float)[:, None]


def test_abab_b_by_hand():
    # a b a b b, threshold 1 (a and b are 10 apart, equal letters 0 apart).
    # i=1 a: chain empty -> new symbol 0, sfx 0, lrs 0; trn[0] = [1].
    # i=2 b: k = sfx[1] = 0, trn[0] = [1] holds no b -> trn[0] += [2]; new symbol 1.
    # i=3 a: k = sfx[2] = 0, trn[0] = [1, 2]: state 1 is an a -> sfx 1;
    #        lrs = common suffix(2, 0) + 1 = lrs[2] + 1 = 1 (0 is sfx[2]).
    # i=4 b: k = sfx[3] = 1, trn[1] = [2]: a b -> sfx 2; 1 is sfx[3] so lrs = lrs[3] + 1 = 2.
    # i=5 b: k = sfx[4] = 2, trn[2] = [3] (an a) -> trn[2] += [5], k = sfx[2] = 0;
    #        trn[0] = [1, 2]: state 2 -> sfx 2; common suffix(2, 1): sfx[1] = 0 = sfx[2],
    #        min(lrs[2], lrs[1]) = 0 -> lrs 1; rsfx[2] = [4] has lrs 2 != 1: no better link.
    o = build_oracle(frames(A, B, A, B, B), threshold=1.0)
    assert o.sfx == [-1, 0, 0, 1, 2, 2]
    assert o.lrs == [0, 0, 0, 1, 2, 1]
    assert o.trn == [[1, 2], [2], [3, 5], [4], [5], []]
    assert o.rsfx == [[1, 2], [3], [4, 5], [], [], []]
    assert o.symbols == [-1, 0, 1, 0, 1, 1]
    # compror: 1 and 2 are new; 3-4 copy states 1-2 (lrs[4] = 2 >= 2); 5 copies one frame
    # (lrs[5] = 1 < 3 ends the block, then 1 >= 1).
    assert compror_blocks(o.lrs) == [(0, 0), (1, 0), (2, 2), (4, 1)]
    assert o.code() == [(0, 1), (0, 2), (2, 1), (1, 2)]
    # cw0 = 1 1 0 0 0, cw1 = 1 1 1 0 1, block lengths 1 1 2 2 1:
    # h0 = log2(1 2 2 2 2) = 0 1 1 1 1; h1 = log2(1 2 3 3 4) / (1 1 2 2 1)
    # IR = max(0, h0 - h1) = 0, 0, 1 - log2(3)/2, 1 - log2(3)/2, 0
    h = 1 - np.log2(3) / 2
    np.testing.assert_allclose(o.information_rate(), [0, 0, h, h, 0])


def test_nontransitive_threshold_and_better_link_by_hand():
    # 0.6, 0.0, 1.2 with threshold 1: 0.6 is close to both others, 0.0 and 1.2 are not close.
    # i=1: new symbol. i=2: k = 0, trn[0] = [1] within 0.6 -> sfx 1, lrs = lrs[1] + 1 = 1.
    # i=3: k = sfx[2] = 1, trn[1] = [2] at distance 1.2 -> trn[1] += [3], k = 0;
    #      trn[0] = [1] within 0.6 -> sfx 1, lrs = lrs[1] + 1 = 1; symbol of state 1.
    #      Better link: rsfx[1] = [2] has lrs 1 and the symbol one step back (state 1) equals
    #      the one before state 3 (state 2, same symbol) -> sfx 2, lrs 2.
    o = build_oracle(frames(0.6, 0.0, 1.2), threshold=1.0)
    assert o.sfx == [-1, 0, 1, 2]
    assert o.lrs == [0, 0, 1, 2]
    assert o.trn == [[1], [2, 3], [3], []]
    assert o.symbols == [-1, 0, 0, 0]
    # one new frame then a 2-frame copy: h0 = 0 0 0, h1 = 0, 1/2, 1/2 -> IR all 0
    assert compror_blocks(o.lrs) == [(0, 0), (1, 2)]
    np.testing.assert_array_equal(o.information_rate(), [0, 0, 0])


def test_information_rate_of_a_repeated_block():
    # lrs of "abcabc" as symbols: 0 0 0 1 2 3 -> three new frames, then one 3-frame copy.
    # h0 = log2(1 2 3 3 3 3); h1 = log2(1 2 3 4 4 4) / (1 1 1 3 3 3)
    ir = information_rate([0, 0, 0, 0, 1, 2, 3])
    expected = np.log2([1, 2, 3, 3, 3, 3]) - np.log2([1, 2, 3, 4, 4, 4]) / [1, 1, 1, 3, 3, 3]
    np.testing.assert_allclose(ir, np.maximum(expected, 0))
    o = build_oracle(frames(0, 10, 20, 0, 10, 20), threshold=1.0)
    assert o.lrs == [0, 0, 0, 0, 1, 2, 3]


def test_incremental_add_equals_batch_build():
    rng = np.random.default_rng(0)
    x = np.repeat(rng.normal(size=(12, 3)), 3, axis=0) + 0.05 * rng.normal(size=(36, 3))
    for distance in ("euclidean", "cosine"):
        batch = build_oracle(x, 0.4, distance)
        inc = Oracle(threshold=0.4, distance=distance)
        for f in x:
            inc.add(f)
        assert (inc.sfx, inc.lrs) == (batch.sfx, batch.lrs)
        assert (inc.trn, inc.rsfx) == (batch.trn, batch.rsfx)
        assert inc.features.shape == (36, 3)


def test_vectorised_euclidean_builds_the_same_oracle():
    # the jam's fast path (one norm per step over a growing table) against the reference sums,
    # over enough frames that the table grows twice (64 -> 128 -> 256 rows)
    rng = np.random.default_rng(1)
    x = np.tile(rng.normal(size=(40, 8)), (4, 1)) + 0.05 * rng.normal(size=(160, 8))
    batch = build_oracle(x, 0.6, "euclidean")
    fast = Oracle(threshold=0.6, exact_order=False)
    for f in x:
        fast.add(f)
    assert (fast.sfx, fast.lrs, fast.symbols) == (batch.sfx, batch.lrs, batch.symbols)
    assert (fast.trn, fast.rsfx) == (batch.trn, batch.rsfx)
    assert max(batch.lrs) > 40  # the block came back, so distances decided links
    np.testing.assert_array_equal(fast.features, x)


def test_running_information_rate_equals_the_whole_parse():
    # after every frame, sequences with new symbols, repeats, copied blocks and restarts of them
    rng = np.random.default_rng(2)
    for trial in range(30):
        palette = 10.0 * rng.normal(size=(int(rng.integers(2, 7)), 3))
        symbols = rng.integers(0, len(palette), int(rng.integers(1, 90)))
        if trial % 2:
            symbols = np.tile(symbols[: max(1, len(symbols) // 4)], 5)
        oracle, running = Oracle(threshold=1.0), RunningInformationRate()
        for s in symbols:
            oracle.add(palette[s])
            running.append(oracle.lrs[-1])
            assert running.total() == pytest.approx(information_rate(oracle.lrs).sum(), abs=1e-12)
        assert running.frames == len(symbols)


def test_cosine_treats_silent_frames_as_one_symbol():
    x = np.array([[0, 0], [1, 0], [0, 0], [0, 0], [0, 1]], dtype=float)
    o = build_oracle(x, 0.1, "cosine")
    # the silent frames 1, 3, 4 share a symbol; the two notes are new symbols
    assert o.symbols[1] == o.symbols[3] == o.symbols[4]
    assert o.n_symbols == 3


def test_tonnetz_distance_groups_chords():
    c_major = np.eye(12)[[0, 4, 7]].sum(0)
    a_minor = np.eye(12)[[9, 0, 4]].sum(0)
    f_sharp = np.eye(12)[[6, 10, 1]].sum(0)
    chroma = np.stack([c_major, f_sharp, c_major * 2, a_minor, f_sharp])
    o = build_oracle(chroma, 1.0, "tonnetz")
    # C major played louder is the same centroid; A minor shares two notes with C and lies
    # 0.80 from it in the Tonnetz; F# major is 1.97 from C and 1.85 from A minor.
    assert o.symbols[1] == o.symbols[3] == o.symbols[4]
    assert o.symbols[2] == o.symbols[5] != o.symbols[1]


def test_motifs_find_a_planted_pattern():
    rng = np.random.default_rng(1)
    motif = rng.normal(size=(5, 4)) * 3
    parts, starts = [], []
    pos = 0
    for _ in range(4):
        filler = rng.normal(size=(rng.integers(3, 7), 4)) * 3
        parts += [filler, motif + 0.01 * rng.normal(size=(5, 4))]
        starts.append(pos + len(filler))
        pos += len(filler) + 5
    o = build_oracle(np.concatenate(parts), 0.5)
    motifs = find_motifs(o, min_length=3, min_count=2)
    assert motifs, "the planted motif was not found"
    top = motifs[0]
    assert top.length == 5
    assert set(top.starts) == set(starts)


def test_generation_recombines_the_original():
    o = build_oracle(frames(0, 10, 20, 0, 10, 30, 0, 10, 20), threshold=1.0)
    rng = np.random.default_rng(0)
    # p_continue = 1: plain playback, wrapping around at the end
    np.testing.assert_array_equal(generate(o, 12, p_continue=1.0, rng=rng), [*range(9), 0, 1, 2])
    path = generate(o, 200, p_continue=0.3, min_context=1, rng=rng)
    assert path.min() >= 0 and path.max() < 9
    # jumps happen (not plain playback) yet every step goes to a frame that followed the same
    # context in the original: after a 0 comes a 10, always
    assert np.any(np.diff(path) != 1)
    values = np.array([0, 10, 20, 0, 10, 30, 0, 10, 20])[path]
    assert np.all(values[1:][values[:-1] == 0] == 10)


def test_bad_input():
    with pytest.raises(ValueError, match="unknown distance 'manhattan'"):
        build_oracle(np.zeros((3, 2)), 0.1, "manhattan")
    with pytest.raises(ValueError, match="features must be finite"):
        build_oracle(np.full((3, 2), np.nan), 0.1)
    with pytest.raises(ValueError, match="tonnetz distance needs non-negative chroma"):
        build_oracle(np.ones((3, 11)), 0.1, "tonnetz")
