"""Cross-check against the `vmo` 0.30.5 package (a dev-only dependency, never used by latentjam).

`vmo/__init__.py` imports only the oracle module (numpy + scipy), which works on current numpy
and scipy; `vmo.analysis` needs librosa, so its pattern finder is not compared here.
"""

import numpy as np
import pytest

from latentjam.analysis import distances as dist
from latentjam.analysis.chroma import chroma_per_bar
from latentjam.analysis.sweep import default_thresholds, sweep_lrs
from latentjam.analysis.vmo import build_oracle, information_rate
from latentjam.midi import read_midi

vmo = pytest.importorskip("vmo")


def reference_ir(frames, threshold, metric):
    dim = frames.shape[1]
    oracle = vmo.build_oracle(frames, flag="a", threshold=threshold, dfunc=metric, dim=dim)
    return oracle, oracle.IR()[0]


def latent_like(n, d, seed):
    rng = np.random.default_rng(seed)
    motifs = [rng.normal(size=(rng.integers(4, 12), d)) for _ in range(8)]
    parts = []
    while sum(len(p) for p in parts) < n:
        parts.append(motifs[rng.integers(8)] + 0.3 * rng.normal(size=(1, d)))
    return np.concatenate(parts)[:n] + 0.2 * rng.normal(size=(n, d))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_links_and_information_rate_match_vmo(metric):
    x = latent_like(200, 8, seed=5)
    table = dist.self_distances(dist.prepare(x, metric), metric)
    thresholds = default_thresholds(table, 20)
    swept = sweep_lrs(table, thresholds)
    for t, lrs in zip(thresholds, swept, strict=True):
        ref, ref_ir = reference_ir(x, t, metric)
        ours = build_oracle(x, t, metric)
        assert ours.sfx[1:] == ref.sfx[1:]
        assert ours.lrs == ref.lrs == list(lrs)
        assert ours.trn == ref.trn and ours.rsfx == ref.rsfx
        np.testing.assert_array_equal(ours.information_rate(), ref_ir)
        assert information_rate(lrs).sum() == ref_ir.sum()


def test_tonnetz_on_real_chroma_matches_vmo_on_centroids(midi_dir):
    # latentjam's "tonnetz" distance is the Euclidean distance between Harte centroids, so the
    # reference gets the same centroids with its Euclidean distance.
    chroma = chroma_per_bar(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    centroids = dist.prepare(chroma, "tonnetz")
    for t in np.linspace(0.05, 1.5, 12):
        ref, ref_ir = reference_ir(centroids, t, "euclidean")
        ours = build_oracle(chroma, t, "tonnetz")
        assert ours.lrs == ref.lrs
        ref.encode()
        assert ours.code() == [tuple(c) for c in ref.code]
        assert ours.information_rate().sum() == ref_ir.sum()


@pytest.mark.parametrize("dim", [1, 2, 5, 12, 33])
def test_distance_tables_are_bit_identical_to_scipy(dim):
    # the reference compares scipy's cdist values with the threshold and picks the first of
    # equal ones: the same bits make the same choices
    cdist = pytest.importorskip("scipy.spatial.distance").cdist
    x = np.random.default_rng(dim).normal(size=(70, dim))
    for metric in ("euclidean", "cosine"):
        ours = dist.self_distances(dist.prepare(x, metric), metric)
        assert np.array_equal(ours, cdist(x, x, metric)), metric
        assert np.array_equal(ours[40, :40], cdist(x[40:41], x[:40], metric)[0]), metric
