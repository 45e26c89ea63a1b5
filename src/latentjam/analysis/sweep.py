"""Threshold sweep for the oracle: all thresholds grown together, sharing the distance work.

The reference implementation rebuilds the oracle from scratch for each threshold, computing
distances as it goes (a scipy call per suffix-chain step). Here the (N, N) distance table is
computed once (vectorised, in the same summation order as scipy's cdist), and the oracles for
all thresholds ("lanes") are grown together, one state at a time: the state's distance row is
converted to a Python list once for all lanes, and the search among the first states of every
symbol (the root's links, which the reference compares one by one) becomes a lookup in a
per-lane nearest-founder table maintained with numpy. Thresholds at or below the smallest
distance give the trivial oracle (every frame a new symbol) without running, and equal
thresholds run once. The result is exactly what `vmo.build_oracle` builds one threshold at a
time (tests compare suffix links, repeated-suffix lengths and information rates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentjam.analysis import distances as dist
from latentjam.analysis.vmo import Oracle, build_oracle, information_rate_sums
from latentjam.errors import LatentjamError

MAX_FRAMES = 12000  # the N x N float64 distance table is ~1.2 GB at this size


@dataclass(frozen=True)
class SweepResult:
    """IR sums per threshold, the best threshold and its oracle."""

    thresholds: np.ndarray  # (T,)
    ir_sums: np.ndarray  # (T,)
    best_threshold: float
    best_oracle: Oracle
    distance: str

    @property
    def best_index(self) -> int:
        """Index of the best threshold in `thresholds`."""
        return int(np.argmax(self.ir_sums))


def default_thresholds(table: np.ndarray, count: int = 100) -> np.ndarray:
    """`count` thresholds evenly spaced from 0 to the largest distance between frames, (count,)."""
    top = float(table.max()) if table.size else 1.0
    return np.linspace(0.0, top if top > 0 else 1.0, count)


def sweep(
    features, thresholds=None, distance: str = "euclidean", count: int = 100
) -> SweepResult:
    """Information-rate sums over a range of thresholds; keep the best (first on ties).

    features: raw frames (N, D) (chroma (N, 12) for "tonnetz"); thresholds: (T,) or None for
    `default_thresholds(count)`.
    """
    x = dist.prepare(features, distance)
    if len(x) == 0:
        raise ValueError("cannot analyse an empty sequence")
    if len(x) > MAX_FRAMES:
        raise LatentjamError(
            f"{len(x)} frames is more than the sweep's {MAX_FRAMES} (it keeps an N x N distance "
            "table): analyse a coarser unit (bars instead of beats) or an excerpt"
        )
    table = dist.self_distances(x, distance)
    thr = default_thresholds(table, count) if thresholds is None else np.asarray(thresholds, float)
    if thr.ndim != 1 or len(thr) == 0:
        raise ValueError("thresholds must be a non-empty 1-D array")
    lrs = sweep_lrs(table, thr)
    sums = information_rate_sums(lrs)
    best = int(np.argmax(sums))
    return SweepResult(
        thresholds=thr,
        ir_sums=sums,
        best_threshold=float(thr[best]),
        best_oracle=build_oracle(features, float(thr[best]), distance),
        distance=distance,
    )


def sweep_lrs(table: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Repeated-suffix lengths for every threshold: table (N, N), thresholds (T,) -> (T, N + 1)."""
    n = len(table)
    thr = np.asarray(thresholds, dtype=np.float64)
    out = np.zeros((len(thr), n + 1), dtype=np.int64)
    if n < 2:
        return out
    off_diagonal_min = float(np.min(table[np.tril_indices(n, -1)]))
    live = np.flatnonzero(thr > off_diagonal_min)
    # equal thresholds build equal oracles: run each distinct one once
    uniq, back = np.unique(thr[live], return_inverse=True)
    if len(uniq):
        out[live] = _lanes(table, uniq)[back]
    return out


def _lanes(table: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """Grow one oracle per threshold, states in the outer loop: returns lrs (T, N + 1).

    Per state, the distance row is converted to a Python list once and shared by every lane;
    each lane then runs the incremental step of `Oracle._add_state` on plain lists, with the
    forward links stored as "k + 1, then extras" and the root's links (the first state of
    every symbol) replaced by a per-lane table of the nearest such state to every later state,
    updated with numpy for all lanes that start a symbol at this state.
    """
    n = len(table)
    n_lanes = len(thr)
    s_len = n + 2
    near_d = np.full((n_lanes, s_len), np.inf)
    near_s = np.zeros((n_lanes, s_len), dtype=np.int64)
    # per lane: index, threshold, sfx, lrs, symbols, extra forward links {k: [...]} (trn[k] is
    # [k + 1] + extra[k]), reverse suffix links filed by link and length
    # {sfx * S + lrs: [states]}, symbol counter
    lanes = [
        (lane, t, [-1] + [0] * n, [0] * (n + 1), [-1] + [0] * n, {}, {}, [0])
        for lane, t in enumerate(thr.tolist())
    ]
    for i in range(1, n + 1):
        row = [np.inf, *table[i - 1, :i].tolist()]  # row[s]: distance to state s (frame s-1)
        col_d = near_d[:, i].tolist()
        col_s = near_s[:, i].tolist()
        new_lanes = []
        im1 = i - 1
        for lane, t, sfx, lrs, sym, extra, rsfx, nsym in lanes:
            k = sfx[im1]
            if k > 0 and k not in extra and row[k + 1] < t:
                # the common case: the repeat goes on (trn[k] is just k + 1, and it is close)
                cand = k + 1
                length = lrs[im1] + 1
            else:
                pi = im1
                cand = -1
                while k > 0:
                    d = row[k + 1]
                    if d < t:
                        best, cand = d, k + 1
                    else:
                        best = t
                    more = extra.get(k)
                    if more is not None:
                        for s in more:
                            d = row[s]
                            if d < best:
                                best, cand = d, s
                        if cand >= 0:
                            break
                        more.append(i)
                    elif cand >= 0:
                        break
                    else:
                        extra[k] = [i]
                    pi = k
                    k = sfx[k]
                if cand < 0:
                    if k == 0 and col_d[lane] < t:
                        cand = col_s[lane]
                    else:
                        sym[i] = nsym[0]
                        nsym[0] += 1
                        new_lanes.append(lane)
                        continue
                s1 = sfx[pi]
                p2 = cand - 1
                if p2 == s1:
                    length = lrs[pi] + 1
                else:
                    while sfx[p2] != s1 and p2 != 0:
                        p2 = sfx[p2]
                    a, b = lrs[pi], lrs[p2]
                    length = (a if a < b else b) + 1
            sym[i] = sym[cand]
            # find_better: the first state linking to cand with the same repeat length whose
            # context goes one symbol further (states are filed by (link, lrs) when final)
            same = rsfx.get(cand * s_len + length)
            if same is not None:
                before = sym[i - length]
                for j in same:
                    if sym[j - length] == before:
                        length += 1
                        cand = j
                        break
            key = cand * s_len + length
            same = rsfx.get(key)
            if same is None:
                rsfx[key] = [i]
            else:
                same.append(i)
            sfx[i] = cand
            lrs[i] = length
        if new_lanes and i < n:
            new = np.asarray(new_lanes)
            later = table[i - 1, i:n]  # states i + 1 .. n
            cur = near_d[new, i + 1 : n + 1]
            closer = later < cur
            near_d[new, i + 1 : n + 1] = np.minimum(cur, later)
            cur_s = near_s[new, i + 1 : n + 1]
            cur_s[closer] = i
            near_s[new, i + 1 : n + 1] = cur_s
    return np.array([lane[3] for lane in lanes], dtype=np.int64)
