"""Threshold sweep for the oracle: one shared distance table, thresholds grouped while they agree.

The reference implementation rebuilds the oracle from scratch for each threshold, computing
distances as it goes (a scipy call per suffix-chain step). Here the (N, N) distance table is
computed once (vectorised, in the same summation order as scipy's cdist) and the oracles are
grown by `_grow`, which differs from a one-threshold build in four ways that do not change
the result:

- a *class* of consecutive thresholds is grown as one oracle for as long as every comparison
  "distance < threshold" comes out the same for all of them; the first comparison that does
  not splits the class in two (the state is copied) and both halves go on from that frame;
- inside a repeat (a frame matched the state after the previous one's suffix link, and the
  next does too), the repeat is extended over many frames at once: the frames it pairs lie on
  a diagonal of the table, compared (a few in Python, then numpy) up to the first pair that
  is too far apart, a state whose other forward links hold a closer frame, or a link that
  find_better would move; the links that find_better searches are kept as segments along
  those diagonals, so a repeat is filed in one step;
- the search among the first states of every symbol (the root's links) looks at each frame's
  nearest earlier frame (precomputed for all thresholds) and, when that one did not start a
  symbol, at the frames that did, with one numpy lookup;
- after a state linked to the root, the following frames with no earlier frame closer than
  the class's thresholds become new symbols in one step (their suffix chain is the root
  alone: each only joins the root's links).

`_grow` is one long loop on purpose: a Python call costs about a tenth of a step. Equal
thresholds run once, and thresholds at or below the smallest distance give the trivial oracle
(every frame a new symbol) without running. The result is exactly what `vmo.build_oracle`
builds one threshold at a time (tests compare suffix links, repeated-suffix lengths and
information rates, also against the `vmo` package).
"""

from __future__ import annotations

import bisect
import gc
from dataclasses import dataclass

import numpy as np

from latentjam.analysis import distances as dist
from latentjam.analysis.vmo import Oracle, build_oracle, information_rate_sums
from latentjam.errors import LatentjamError

PY_DIAGONAL = 48  # frames of a repeat compared in Python before numpy takes over
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


def sweep(features, thresholds=None, distance: str = "euclidean", count: int = 100) -> SweepResult:
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
    table = dist.earlier_distances(x, distance)
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
    """Repeated-suffix lengths for every threshold: table (N, N), thresholds (T,) -> (T, N + 1).

    Only the table's lower triangle (each frame against the earlier ones) is read: a
    `distances.earlier_distances` table is enough."""
    n = len(table)
    thr = np.asarray(thresholds, dtype=np.float64)
    out = np.zeros((len(thr), n + 1), dtype=np.int64)
    if n < 2:
        return out
    table = np.ascontiguousarray(table, dtype=np.float64)
    nearest = _nearest_earlier(table)
    live = np.flatnonzero(thr > min(nearest[0][2:]))
    # equal thresholds build equal oracles: run each distinct one once (sorted, for the classes)
    uniq, back = np.unique(thr[live], return_inverse=True)
    if len(uniq):
        # The classes make ~10^5 small lists and tuples, none of them garbage in a cycle, and
        # the collections they trigger traverse the caller's whole heap (a full one took 80 ms
        # in a process with torch loaded, more than the sweep): pause the collector meanwhile.
        paused = gc.isenabled()
        gc.disable()
        try:
            out[live] = _sweep_classes(table, nearest, uniq.tolist())[back]
        finally:
            if paused:
                gc.enable()
    return out


def _nearest_earlier(table: np.ndarray, block: int = 256) -> tuple[list[float], list[int]]:
    """Per state i (frame i - 1), the distance to its nearest earlier state and that state
    (the first one on ties): two lists of length N + 1 (states 0 and 1 have none: inf).
    Reads only the table's lower triangle, by row blocks: the columns before a block are all
    earlier frames (searched in place), and only the block's own triangle is copied."""
    n = len(table)
    near_d = np.full(n, np.inf)
    near_f = np.zeros(n, dtype=np.intp)
    for a in range(1, n, block):  # frame 0 has no earlier frame
        b = min(a + block, n)
        span = np.arange(b - a)
        left = table[a:b, :a]  # frames a..b-1 against frames 0..a-1
        f = left.argmin(axis=1)
        d = left[span, f]
        tri = table[a:b, a:b].copy()  # against frames a..b-1: only the earlier ones count
        tri[span[:, None] <= span[None, :]] = np.inf
        g = tri.argmin(axis=1)
        e = tri[span, g]
        inside = e < d  # on ties the frame before the block comes first
        near_d[a:b] = np.where(inside, e, d)
        near_f[a:b] = np.where(inside, g + a, f)
    return [np.inf, *near_d.tolist()], [0, *(near_f + 1).tolist()]


def _sweep_classes(table: np.ndarray, nearest, thr: list[float]) -> np.ndarray:
    """lrs (T, N + 1) for sorted distinct thresholds `thr`, growing classes of thresholds that
    agree as one oracle and splitting a class where a comparison tells its thresholds apart."""
    n = len(table)
    out = np.zeros((len(thr), n + 1), dtype=np.int64)
    rows = [memoryview(r) for r in table]  # rows[f][g]: Python float, no conversion of the table
    ints = list(range(n + 2))  # shared int objects for slices of sfx and lrs
    frames = (table, list(table), rows, nearest, ints)
    tasks = [(_State.empty(n), 0, len(thr), 1)]
    while tasks:
        state, lo, hi, i = tasks.pop()
        i, d = _grow(state, frames, thr, lo, hi, i)
        if d is None:
            out[lo:hi] = state.lrs
            continue
        split = bisect.bisect_right(thr, d, lo, hi)  # thresholds above d say "close"
        tasks.append((state.copy(), split, hi, i))
        tasks.append((state, lo, split, i))
    return out


@dataclass
class _State:
    """A growing oracle (states 0..i-1) shared by a class of thresholds.

    `fwd[k]` (None for states k with at most one forward link): the targets of trn[k]
    after the first (k + 1) as frames (state - 1) in increasing order, with `has_fwd[k]` 1
    for those states (and for the sentinel N + 1), so `has_fwd.find(1, a)` is the next one.
    `links[d * (N + 2) + b]`: the states j with sfx[j] - lrs[j] = d and sym[j - lrs[j]] = b
    (what find_better searches: the same link and length, and the symbol before the
    context), as segments (c, r, j) in increasing order of j, meaning states j..j+r-1 link
    to c..c+r-1 with lengths c - d..c - d + r - 1 (b is the same all along a segment).
    `founders[:n_founders]`: the frames (state - 1) that started a new symbol (symbol k is
    the one founders[k] started, so there are n_founders symbols).
    """

    sfx: list
    lrs: list
    sym: list
    fwd: list
    has_fwd: bytearray
    links: dict
    founders: np.ndarray
    n_founders: int
    is_founder: bytearray

    @classmethod
    def empty(cls, n: int) -> _State:
        """The oracle with only the empty state 0, room for n frames."""
        return cls(
            [-1] + [0] * n,
            [0] * (n + 1),
            [-1] + [0] * n,
            [None] * (n + 1),
            bytearray(n + 1) + b"\x01",
            {},
            np.empty(n, dtype=np.intp),
            0,
            bytearray(n + 1),
        )

    def copy(self) -> _State:
        """An independent copy (for the half of a split class)."""
        fwd = self.fwd[:]
        for k in np.flatnonzero(np.frombuffer(self.has_fwd, dtype=np.uint8)[:-1]).tolist():
            fwd[k] = fwd[k][:]
        return _State(
            self.sfx[:],
            self.lrs[:],
            self.sym[:],
            fwd,
            bytearray(self.has_fwd),
            {d: v[:] for d, v in self.links.items()},
            self.founders.copy(),
            self.n_founders,
            bytearray(self.is_founder),
        )


def _grow(st: _State, frames, thr, lo: int, hi: int, i: int):
    """Add states i..N to `st` for the thresholds thr[lo:hi] (sorted).

    `frames` = (table (N, N), its rows as arrays, its rows as memoryviews, `_nearest_earlier`).

    Returns (N + 1, None) when done, or (i, d) when the comparison of distance d at state i
    tells the class apart (thr[lo] <= d < thr[hi - 1]); state i is then not added yet and the
    oracle is as it was before it. The steps are those of `Oracle._add_state`; in each forward
    link list the closest target is found first (the first on ties: the lists are in
    increasing order) and compared with the thresholds once, which chooses as the reference's
    "closest of those within the threshold" does.
    """
    table, table_rows, rows, (nn_d, nn_s), ints = frames
    n = len(rows)
    tlo, thi = thr[lo], thr[hi - 1]
    sfx, lrs, sym, is_founder = st.sfx, st.lrs, st.sym, st.is_founder
    fwd, has_fwd, links = st.fwd, st.has_fwd, st.links
    stride, step = n + 2, n + 1  # links' keys; the table's diagonal
    founders, nf = st.founders, st.n_founders  # nf: founders (and symbols) so far
    flat = table.ravel()
    flat_mv = memoryview(flat)
    streak = False  # the previous state continued a repeat
    while i <= n:
        h = i - 1  # the previous state (frame i - 1 is state i's)
        row = rows[h]  # row[s - 1]: distance from frame i - 1 to state s
        k = sfx[h]
        if k > 0:
            more = fwd[k]
            best = row[k]
            near = k
            if more is not None:
                for f in more:
                    d = row[f]
                    if d < best:
                        best = d
                        near = f
            if best < tlo:
                length = lrs[h] + 1
                if near == k:  # the repeat goes on (state i matches k + 1)
                    if streak and i < n and rows[i][k + 1] < tlo:  # and so may state i + 1
                        # extend it as far as it surely goes: r states from i on
                        c, r = k + 1, n - i + 1
                        # frames i - 1 + j and k + j, j = 1..r-1, lie on one diagonal of the
                        # table (j = 1 was compared just now): a few in Python, then numpy
                        start = h * n + k
                        top = PY_DIAGONAL if r > PY_DIAGONAL else r
                        j = 2
                        for v in flat_mv[start + 2 * step : start + top * step : step]:
                            if v >= tlo:
                                r = j
                                break
                            j += 1
                        chunk = 4 * PY_DIAGONAL
                        while j < r:
                            stop = j + chunk if j + chunk < r else r
                            far = flat[start + j * step : start + stop * step : step] >= tlo
                            a = int(far.argmax())
                            if far[a]:
                                r = j + a
                                break
                            j, chunk = stop, chunk * 4
                        # states k + j with more forward links: the diagonal one must be closest
                        x = has_fwd.find(1, c)
                        while x < k + r:
                            j = x - k
                            row_j = rows[h + j]
                            best_j = row_j[x]
                            for f in fwd[x]:
                                if row_j[f] < best_j:
                                    r = j
                                    break
                            if r == j:
                                break
                            x = has_fwd.find(1, x + 1)
                        # states filed with link c + j and length length + j (all on one
                        # diagonal, same symbol before): find_better would move state i + j
                        key = (c - length) * stride + sym[i - length]
                        segs = links.get(key)
                        if segs is not None:
                            for c0, r0, _ in segs:
                                if c0 < c + r and c0 + r0 > c:
                                    r = c0 - c if c0 > c else 0
                        if r > 0:
                            # states i..i+r-1 link to c..c+r-1 with lengths length..
                            e = i + r
                            sfx[i:e] = ints[c : c + r]
                            lrs[i:e] = ints[length : length + r]
                            if i - c >= r:
                                sym[i:e] = sym[c : c + r]
                            else:  # the repeat overlaps itself: period i - c
                                sym[i:e] = (sym[c:i] * (r // (i - c) + 1))[:r]
                            if segs is None:
                                links[key] = [(c, r, i)]
                            else:
                                c0, r0, j0 = segs[-1]
                                if c0 + r0 == c and j0 + r0 == i:  # continues the last one
                                    segs[-1] = (c0, r0 + r, j0)
                                else:
                                    segs.append((c, r, i))
                            i = e
                            continue
                    cand = k + 1
                    streak = True
                else:
                    cand = near + 1
                    streak = False
                    # common suffix of i - 1 and near (sfx[i - 1] is k != near)
                    p2 = near
                    while sfx[p2] != k and p2 != 0:
                        p2 = sfx[p2]
                    b = lrs[p2] + 1
                    if b < length:
                        length = b
            elif best < thi:
                st.n_founders = nf
                return i, best
            else:  # no match in trn[k]: walk on down the suffix chain
                streak = False
                cand = -1
                pi = h
                while True:
                    # state i becomes one of trn[k]'s forward links
                    if more is None:
                        fwd[k] = [h]
                        has_fwd[k] = 1
                    else:
                        more.append(h)
                    pi, k = k, sfx[k]
                    if k <= 0:
                        break
                    more = fwd[k]
                    best = row[k]
                    near = k
                    if more is not None:
                        for f in more:
                            d = row[f]
                            if d < best:
                                best = d
                                near = f
                    if best < tlo:
                        cand = near + 1
                        break
                    if best < thi:
                        _unlink(st, i, k)
                        st.n_founders = nf
                        return i, best
                if cand < 0:  # the root: the closest founder
                    if nn_d[i] < thi:
                        s, d = nn_s[i], nn_d[i]
                        if not is_founder[s]:  # the nearest founder is further away
                            dist_f = table_rows[h].take(founders[:nf])
                            a = dist_f.argmin()
                            s, d = founders.item(a) + 1, dist_f.item(a)
                        if d < tlo:
                            cand = s
                        elif d < thi:
                            _unlink(st, i, 0)
                            st.n_founders = nf
                            return i, d
                    if cand < 0:  # a new symbol
                        sym[i] = nf
                        founders[nf] = h
                        nf += 1
                        is_founder[i] = 1
                        i += 1
                        continue
                    # pi links to the root, so it started a symbol and lrs[pi] = 0: the
                    # common suffix of pi and cand - 1 is empty
                    length = 1
                else:  # repeated-suffix length: common suffix of pi and cand - 1, plus one
                    s1, p2 = sfx[pi], cand - 1
                    if p2 == s1:
                        length = lrs[pi] + 1
                    else:
                        while sfx[p2] != s1 and p2 != 0:
                            p2 = sfx[p2]
                        a, b = lrs[pi], lrs[p2]
                        length = (a if a < b else b) + 1
        else:  # state i - 1 linked to the root (or i = 1): only the founders to search
            streak = False
            if nn_d[i] >= thi:  # no earlier frame is close: new symbols up to the next that is
                e = i + 1
                while e <= n and nn_d[e] >= thi:
                    e += 1
                r = e - i
                sym[i:e] = ints[nf : nf + r]
                founders[nf : nf + r] = range(h, e - 1)
                is_founder[i:e] = b"\x01" * r
                nf += r
                i = e
                continue
            s, d = nn_s[i], nn_d[i]
            if not is_founder[s]:  # the nearest founder is further away: look it up
                dist_f = table_rows[h].take(founders[:nf])
                a = dist_f.argmin()
                s, d = founders.item(a) + 1, dist_f.item(a)
            if d < tlo:
                cand = s
            elif d < thi:
                st.n_founders = nf
                return i, d
            else:  # a new symbol
                sym[i] = nf
                founders[nf] = h
                nf += 1
                is_founder[i] = 1
                i += 1
                continue
            length = 1  # state i - 1 started a symbol (lrs 0): no common suffix with cand - 1
        sym[i] = sym[cand]
        # find_better: the first state j with the same link and length whose context goes one
        # symbol further (filed under the same symbol before it)
        key = (cand - length) * stride + sym[i - length]
        segs = links.get(key)
        if segs is not None:
            for c0, r0, j0 in segs:
                if c0 <= cand < c0 + r0:
                    cand += j0 - c0
                    length += 1
                    key = (cand - length) * stride + sym[i - length]
                    segs = links.get(key)
                    break
        # file state i under its link, length and symbol before
        if segs is None:
            links[key] = [(cand, 1, i)]
        else:
            c0, r0, j0 = segs[-1]
            if c0 + r0 == cand and j0 + r0 == i:  # it continues the last segment
                segs[-1] = (c0, r0 + 1, j0)
            else:
                segs.append((cand, 1, i))
        sfx[i], lrs[i] = cand, length
        i += 1
    st.n_founders = nf
    return n + 1, None


def _unlink(st: _State, i: int, stop: int) -> None:
    """Undo the forward links to state i added on the suffix chain from sfx[i - 1] down to
    (not including) state `stop`, before `_grow` leaves state i to a split class."""
    k = st.sfx[i - 1]
    while k > stop:
        more = st.fwd[k]
        more.pop()
        if not more:
            st.fwd[k] = None
            st.has_fwd[k] = 0
        k = st.sfx[k]
