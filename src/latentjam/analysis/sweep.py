"""Threshold sweep for the oracle: every threshold built at once, lane by lane in lockstep.

The reference implementation rebuilds the oracle from scratch for each threshold, computing
distances as it goes. Here the (N, N) distance table is computed once (vectorised, in the same
summation order as scipy's cdist), and the oracles for all thresholds ("lanes") are grown
together, one state at a time: every step of the incremental algorithm is a handful of numpy
operations over all lanes, so the Python cost is paid per state instead of per state and
threshold. The result is exactly what `vmo.build_oracle` builds one threshold at a time (tests
compare suffix links, repeated-suffix lengths and information rates).

Lane arrays are flat, indexed `lane * S + state` with S = N + 2; state N + 1 is a sentinel
(distance +inf, lrs -1) used to pad the per-state lists of forward and reverse suffix links.
Thresholds at or below the smallest distance give the trivial oracle (every frame a new symbol)
without running.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentjam.analysis import distances as dist
from latentjam.analysis.vmo import Oracle, build_oracle, information_rate


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
    table = dist.self_distances(x, distance)
    thr = default_thresholds(table, count) if thresholds is None else np.asarray(thresholds, float)
    if thr.ndim != 1 or len(thr) == 0:
        raise ValueError("thresholds must be a non-empty 1-D array")
    lrs = sweep_lrs(table, thr)
    sums = np.array([information_rate(row).sum() for row in lrs])
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


LEVELS = 4  # suffix-chain levels examined in one vectorised step before falling back to a loop


def _lanes(table: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """The lockstep build: returns lrs (T, N + 1) for the thresholds thr (T,)."""
    n = len(table)
    n_lanes = len(thr)
    s_len = n + 2
    sentinel = n + 1
    ext = np.full((s_len, s_len), np.inf)
    ext[1 : n + 1, 1 : n + 1] = table
    base = np.arange(n_lanes, dtype=np.int64) * s_len
    lanes = np.arange(n_lanes)
    size = n_lanes * s_len
    # sfx of state 0 and of the sentinel is -1; base + (-1) lands on the previous lane's
    # sentinel (or the last one), so following a link from "no state" stays at -1.
    sfx = np.zeros(size, dtype=np.int64)
    sfx[base] = -1
    sfx[base + sentinel] = -1
    lrs = np.zeros(size, dtype=np.int64)
    lrs[base + sentinel] = -1
    sym = np.zeros(size, dtype=np.int64)
    sym[base] = -1
    n_sym = np.zeros(n_lanes, dtype=np.int64)
    cap = [4, 4]  # slots per state in trn and rsfx (grown when full)
    # link tables are slot-major, (C, size): reductions over slots run over the leading axis
    trn = np.full((cap[0], size), sentinel, dtype=np.int64)
    states = np.tile(np.arange(s_len, dtype=np.int64), n_lanes)
    trn[0] = np.where(states < n, states + 1, sentinel)  # trn[k] starts with k + 1
    trn[0, base] = sentinel  # the root's links are the founders, kept in near_d / near_s
    deg = np.ones(size, dtype=np.int64)
    rs = np.full((cap[1], size), sentinel, dtype=np.int64)
    rcnt = np.zeros(size, dtype=np.int64)
    # nearest founder (first state of a symbol) to every later state, per lane
    near_d = np.full((n_lanes, s_len), np.inf)
    near_s = np.zeros((n_lanes, s_len), dtype=np.int64)
    near_d_flat, near_s_flat = near_d.reshape(-1), near_s.reshape(-1)
    # chain[s] = (sfx[s], sfx[sfx[s]], ...) LEVELS deep, -1 past the root: one gather gives a
    # state's whole suffix chain, and it is set once when the state's link is final.
    chain = np.full((size, LEVELS), -1, dtype=np.int64)
    thr3 = thr[None, :, None]
    ar = np.arange(n_lanes)
    levels = np.arange(LEVELS)
    root_row = np.full((n_lanes, LEVELS), 0, dtype=np.int64)
    root_row[:, 1:] = -1

    for i in range(1, n + 1):
        row = ext[i]
        bi = base + i
        ch = chain[bi - 1]  # (T, M): suffix chain of state i - 1
        rows = base[:, None] + ch
        width = deg[rows].max()
        tg = trn[:width, rows]  # (width, T, M) forward links of every chain state
        dv = row[tg]
        dv[dv >= thr3] = np.inf
        hit = dv.min(axis=0) < np.inf
        at_root = ch == 0
        fd = near_d_flat[bi]
        hit[at_root] = np.broadcast_to((fd < thr)[:, None], at_root.shape)[at_root]
        level = hit.argmax(axis=1)
        found = hit[ar, level]
        cand = tg[dv[:, ar, level].argmin(axis=0), ar, level]
        root_found = found & at_root[ar, level]
        cand[root_found] = near_s_flat[bi[root_found]]
        cand[~found] = -1
        # chain states before the hit (all of them when nothing was found) get a link to i
        app = (levels[None, :] < np.where(found, level, LEVELS)[:, None]) & (ch > 0)
        r = rows[app]
        if r.size:
            d_r = deg[r]
            if d_r.max() + 1 >= cap[0]:
                trn = _grow(trn, cap, 0, sentinel)
            trn[d_r, r] = i
            deg[r] = d_r + 1
        pi = ch[ar, level - 1]
        pi[level == 0] = i - 1
        # lanes whose chain goes deeper than LEVELS without a hit: continue one level at a time
        deep = np.flatnonzero(~found & (ch[:, -1] > 0))
        if deep.size:
            trn = _deep_search(
                i, deep, ch, cand, pi, thr, row, base, sfx, trn, deg, cap, sentinel,
                near_d_flat, near_s_flat, s_len,
            )

        new = np.flatnonzero(cand < 0)
        if new.size:
            sym[bi[new]] = n_sym[new]
            n_sym[new] += 1
            chain[bi[new]] = root_row[: new.size]
            if i < n:
                later = row[i + 1 : n + 1]
                cur = near_d[new, i + 1 : n + 1]
                closer = later < cur
                near_d[new, i + 1 : n + 1] = np.minimum(cur, later)
                cur_s = near_s[new, i + 1 : n + 1]
                cur_s[closer] = i
                near_s[new, i + 1 : n + 1] = cur_s
            if new.size == n_lanes:
                continue
            ml = np.flatnonzero(cand >= 0)
        else:
            ml = lanes
        bm = base[ml]
        c = cand[ml]
        p1 = pi[ml]
        lcs = lrs[bm + p1]
        # common suffix of p1 and c - 1: walk c - 1's suffix chain to where p1 links
        s1 = sfx[bm + p1]
        walk = np.flatnonzero(c - 1 != s1)
        if walk.size:
            bw, cw, sw = bm[walk], c[walk] - 1, s1[walk]
            up = chain[bw + cw]  # (w, M): up[:, m] is the link of the m-th ancestor
            anc = np.empty_like(up)
            anc[:, 0] = cw
            anc[:, 1:] = up[:, :-1]
            done = (up == sw[:, None]) | (anc == 0)
            lv = done.argmax(axis=1)
            aw = np.arange(len(walk))
            q2 = anc[aw, lv]
            far = np.flatnonzero(~done[aw, lv])
            if far.size:  # deeper than LEVELS: keep walking
                bq, qs, qf = bw[far], sw[far], anc[far, -1]
                sp = sfx[bq + qf]
                go = (sp != qs) & (qf != 0)
                while go.any():
                    qf = np.where(go, sp, qf)
                    sp = sfx[bq + qf]
                    go = (sp != qs) & (qf != 0)
                q2[far] = qf
            lcs[walk] = np.minimum(lcs[walk], lrs[bw + q2])
        length = lcs + 1
        sym[bm + i] = sym[bm + c]
        # find_better: a sibling under the same suffix whose context goes one symbol further
        width = rcnt[bm + c].max()
        if width:
            sibs = rs[:width, bm + c]  # (width, m)
            same_len = lrs[bm + sibs] == length
            if same_len.any():
                before = sym[bm + i - length]
                back = np.maximum(sibs - length, 0)
                ok = same_len & (sym[bm + back] == before)
                better = ok.any(axis=0)
                if better.any():
                    first = ok.argmax(axis=0)
                    c = np.where(better, sibs[first, np.arange(len(ml))], c)
                    length = length + better
        sfx[bm + i] = c
        lrs[bm + i] = length
        r = bm + c
        chain[bm + i, 0] = c
        chain[bm + i, 1:] = chain[r, :-1]
        cnt = rcnt[r]
        if cnt.max() + 1 >= cap[1]:
            rs = _grow(rs, cap, 1, sentinel)
        rs[cnt, r] = i
        rcnt[r] = cnt + 1
    return lrs.reshape(n_lanes, s_len)[:, : n + 1]


def _deep_search(
    i, deep, ch, cand, pi, thr, row, base, sfx, trn, deg, cap, sentinel, near_d, near_s, s_len
):
    """Continue the suffix-chain search past LEVELS for lanes `deep`, one level per pass.

    Updates cand, pi, trn and deg in place (trn may be reallocated: the new one is returned).
    """
    pi[deep] = ch[deep, -1]
    ka = sfx[base[deep] + ch[deep, -1]]
    keep = ka >= 0
    act, ka = deep[keep], ka[keep]
    while act.size:
        ta = thr[act]
        tg = trn[:, base[act] + ka]  # (C, a)
        dv = row[tg]
        dv[dv >= ta] = np.inf
        slot = dv.argmin(axis=0)
        a1 = np.arange(len(act))
        ok = dv[slot, a1] < np.inf
        c1 = tg[slot, a1]
        root_hit = (ka == 0) & (near_d[act * s_len + i] < ta)
        ok |= root_hit
        c1 = np.where(root_hit, near_s[act * s_len + i], c1)
        cand[act[ok]] = c1[ok]
        miss = np.flatnonzero(~ok)
        if not miss.size:
            break
        act, ka = act[miss], ka[miss]
        grow = ka > 0
        r1 = base[act[grow]] + ka[grow]
        if r1.size:
            d_r = deg[r1]
            if d_r.max() + 1 >= cap[0]:
                trn = _grow(trn, cap, 0, sentinel)
            trn[d_r, r1] = i
            deg[r1] = d_r + 1
        pi[act] = ka
        ka = sfx[base[act] + ka]
        keep = ka >= 0
        act, ka = act[keep], ka[keep]
    return trn


def _grow(arr: np.ndarray, cap: list[int], which: int, sentinel: int) -> np.ndarray:
    """Double the slot capacity of a padded (C, size) link table."""
    cap[which] *= 2
    out = np.full((cap[which], arr.shape[1]), sentinel, dtype=arr.dtype)
    out[: arr.shape[0]] = arr
    return out
