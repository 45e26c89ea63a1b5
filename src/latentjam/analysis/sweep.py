"""Threshold sweep for the oracle: one shared distance table, thresholds grouped while they agree.

The reference implementation rebuilds the oracle from scratch for each threshold, computing
distances as it goes (a scipy call per suffix-chain step). Here the (N, N) distance table is
computed once (vectorised, in the same summation order as scipy's cdist) and the oracles are
grown by `_grow`, which differs from a one-threshold build in three ways that do not change
the result:

- a *class* of consecutive thresholds is grown as one oracle for as long as every comparison
  "distance < threshold" comes out the same for all of them; the first comparison that does
  not splits the class in two (the state is copied) and both halves go on from that frame;
- inside a repeat (a frame matched the state after the previous one's suffix link, and the
  next does too), the repeat is extended over many frames at once: the frames it pairs lie on
  a diagonal of the table, compared (a few in Python, then numpy) up to the first pair that
  is too far apart, a state with extra forward links, or a link that find_better might move;
- the search among the first states of every symbol (the root's links) looks at each frame's
  nearest earlier frame (precomputed for all thresholds) and, when that one did not start a
  symbol, at the frames that did, with one numpy lookup.

`_grow` is one long loop on purpose: a Python call costs about a tenth of a step. Equal
thresholds run once, and thresholds at or below the smallest distance give the trivial oracle
(every frame a new symbol) without running. The result is exactly what `vmo.build_oracle`
builds one threshold at a time (tests compare suffix links, repeated-suffix lengths and
information rates, also against the `vmo` package).
"""

from __future__ import annotations

import bisect
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
    table = np.ascontiguousarray(table, dtype=np.float64)
    nearest = _nearest_earlier(table)
    live = np.flatnonzero(thr > min(nearest[0][2:]))
    # equal thresholds build equal oracles: run each distinct one once (sorted, for the classes)
    uniq, back = np.unique(thr[live], return_inverse=True)
    if len(uniq):
        out[live] = _sweep_classes(table, nearest, uniq.tolist())[back]
    return out


def _nearest_earlier(table: np.ndarray, block: int = 256) -> tuple[list[float], list[int]]:
    """Per state i (frame i - 1), the distance to its nearest earlier state and that state
    (the first one on ties): two lists of length N + 1 (states 0 and 1 have none: inf).
    Built by row blocks, so it needs no second N x N array."""
    n = len(table)
    near_d = np.full(n, np.inf)
    near_f = np.zeros(n, dtype=np.intp)
    for a in range(1, n, block):  # frame 0 has no earlier frame
        b = min(a + block, n)
        sub = table[a:b, :b].copy()  # frames a..b-1 against frames 0..b-1
        sub[np.arange(a, b)[:, None] <= np.arange(b)[None, :]] = np.inf  # not earlier
        f = sub.argmin(axis=1)
        near_d[a:b] = sub[np.arange(b - a), f]
        near_f[a:b] = f
    return [np.inf, *near_d.tolist()], [0, *(near_f + 1).tolist()]


def _sweep_classes(table: np.ndarray, nearest, thr: list[float]) -> np.ndarray:
    """lrs (T, N + 1) for sorted distinct thresholds `thr`, growing classes of thresholds that
    agree as one oracle and splitting a class where a comparison tells its thresholds apart."""
    n = len(table)
    out = np.zeros((len(thr), n + 1), dtype=np.int64)
    rows = [memoryview(r) for r in table]  # rows[f][g]: Python float, no conversion of the table
    frames = (table, list(table), rows, nearest)
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

    `extra[k]`: the forward links of state k besides k + 1, as frames (trn[k] is k + 1, then
    the states extra[k] + 1 in order), with `extra_keys` the sorted states that have some (plus
    a sentinel N + 1). `links[c * S + l]` (S = N + 2): the state, or the list of states in
    increasing order, with suffix link c and repeated-suffix length l (what find_better
    searches). `founders[:n_founders]`: the frames (state - 1) that started a new symbol.
    """

    sfx: list
    lrs: list
    sym: list
    extra: dict
    extra_keys: list
    links: dict
    founders: np.ndarray
    n_founders: int
    is_founder: bytearray
    n_symbols: int

    @classmethod
    def empty(cls, n: int) -> _State:
        """The oracle with only the empty state 0, room for n frames."""
        return cls([-1] + [0] * n, [0] * (n + 1), [-1] + [0] * n, {}, [n + 1], {},
                   np.empty(n, dtype=np.intp), 0, bytearray(n + 1), 0)

    def copy(self) -> _State:
        """An independent copy (for the half of a split class)."""
        return _State(self.sfx[:], self.lrs[:], self.sym[:],
                      {k: v[:] for k, v in self.extra.items()}, self.extra_keys[:],
                      {key: v if v.__class__ is int else v[:] for key, v in self.links.items()},
                      self.founders.copy(), self.n_founders, bytearray(self.is_founder),
                      self.n_symbols)


def _grow(st: _State, frames, thr, lo: int, hi: int, i: int):
    """Add states i..N to `st` for the thresholds thr[lo:hi] (sorted).

    `frames` = (table (N, N), its rows as arrays, its rows as memoryviews, `_nearest_earlier`).

    Returns (N + 1, None) when done, or (i, d) when the comparison of distance d at state i
    tells the class apart (thr[lo] <= d < thr[hi - 1]); state i is then not added yet and the
    oracle is as it was before it. The steps are those of `Oracle._add_state`.
    """
    table, table_rows, rows, (nn_d, nn_s) = frames
    n = len(rows)
    tlo, thi = thr[lo], thr[hi - 1]
    sfx, lrs, sym, is_founder = st.sfx, st.lrs, st.sym, st.is_founder
    extra, extra_keys, links = st.extra, st.extra_keys, st.links
    flat = table.ravel()
    stride = n + 2  # links key: link * stride + length
    streak = False  # the previous state continued a repeat
    while i <= n:
        row = rows[i - 1]  # row[s - 1]: distance from frame i - 1 to state s
        k = sfx[i - 1]
        cand = -1
        if k > 0 and k not in extra:
            d = row[k]
            if d < tlo:  # the repeat goes on (trn[k] is just k + 1 and it is close)
                if streak:  # inside a repeat: extend it as far as it surely goes
                    r = _run_length(st, rows, flat, i, k, lrs[i - 1] + 1, tlo)
                    if r > 0:
                        _apply_run(st, i, k + 1, lrs[i - 1] + 1, r)
                        i += r
                        continue
                cand, length = k + 1, lrs[i - 1] + 1
            elif d < thi:
                return i, d
        streak = cand >= 0
        if cand < 0:  # the general step: walk the suffix chain, then the root
            pi = i - 1  # k is still sfx[i - 1]
            while k > 0:
                # the closest of trn[k] (the first on ties), then one comparison with the
                # threshold: the same choice as comparing each with the best so far
                best, near = row[k], k  # as frames (state - 1): k, then extra[k]
                more = extra.get(k)
                if more is not None:
                    for f in more:
                        d = row[f]
                        if d < best:
                            best, near = d, f
                if best < tlo:
                    cand = near + 1
                    break
                if best < thi:
                    _unlink(st, i, k)
                    return i, best
                # no match in trn[k]: state i becomes one of its forward links
                if more is None:
                    extra[k] = [i - 1]
                    bisect.insort(extra_keys, k)
                else:
                    more.append(i - 1)
                pi, k = k, sfx[k]
            if cand < 0 and k == 0 and nn_d[i] < thi:
                s, d = nn_s[i], nn_d[i]
                if not is_founder[s]:  # the nearest founder is further away: look it up
                    dist_f = table_rows[i - 1].take(st.founders[: st.n_founders])
                    a = dist_f.argmin()
                    s, d = st.founders.item(a) + 1, dist_f.item(a)
                if d < tlo:
                    cand = s
                elif d < thi:
                    _unlink(st, i, 0)
                    return i, d
            if cand < 0:  # a new symbol
                sym[i] = st.n_symbols
                st.n_symbols += 1
                st.founders[st.n_founders] = i - 1
                st.n_founders += 1
                is_founder[i] = 1
                i += 1
                continue
            # repeated-suffix length: common suffix of pi and cand - 1, plus one
            s1, p2 = sfx[pi], cand - 1
            if p2 == s1:
                length = lrs[pi] + 1
            else:
                while sfx[p2] != s1 and p2 != 0:
                    p2 = sfx[p2]
                a, b = lrs[pi], lrs[p2]
                length = (a if a < b else b) + 1
        sym[i] = sym[cand]
        # find_better: the first state with the same link and length whose context goes
        # one symbol further
        key = cand * stride + length
        same = links.get(key)
        if same is not None:
            before = sym[i - length]
            for j in (same,) if same.__class__ is int else same:
                if sym[j - length] == before:
                    length, cand = length + 1, j
                    key = cand * stride + length
                    same = links.get(key)
                    break
        if same is None:
            links[key] = i
        elif same.__class__ is int:
            links[key] = [same, i]
        else:
            same.append(i)
        sfx[i], lrs[i] = cand, length
        i += 1
    return n + 1, None


def _unlink(st: _State, i: int, stop: int) -> None:
    """Undo the forward links to state i added on the suffix chain from sfx[i - 1] down to
    (not including) state `stop`, before `_grow` leaves state i to a split class."""
    k = st.sfx[i - 1]
    while k > stop:
        more = st.extra[k]
        more.pop()
        if not more:
            del st.extra[k]
            st.extra_keys.remove(k)
        k = st.sfx[k]


def _run_length(st: _State, rows, flat: np.ndarray, i: int, k: int, length: int, t: float):
    """How many states from i on surely continue the repeat of state k + 1 (which matches
    state i) for every threshold >= t: states i + j matching k + 1 + j, stopping before a state
    k + j with extra forward links and before a link (k + 1 + j, length + j) already filed
    (find_better might move it). 0 when state i itself has such a link.

    The first few frames are compared in Python, the rest of the diagonal with numpy."""
    n, stride = len(rows), len(rows) + 2
    key = (k + 1) * stride + length  # the link of state i; + (stride + 1) per later state
    if key in st.links:
        return 0
    m = n - i + 1
    e = st.extra_keys[bisect.bisect_right(st.extra_keys, k)] - k
    if e < m:
        m = e
    # frames i - 1 + j and k + j, j = 1..m-1, lie on one diagonal of the table
    j = 1
    while j < m and j < 4:
        if rows[i - 1 + j][k + j] >= t:
            m = j
            break
        j += 1
    # the rest in growing chunks (a strided read of the whole diagonal costs more than most
    # repeats)
    start, step, chunk = (i - 1) * n + k, n + 1, 8
    while j < m:
        stop = min(j + chunk, m)
        far = flat[start + j * step : start + stop * step : step] >= t
        r = int(far.argmax())
        if far[r]:
            m = j + r
            break
        j, chunk = stop, chunk * 4
    filed = st.links.keys() & range(key, key + m * (stride + 1), stride + 1)
    return (min(filed) - key) // (stride + 1) if filed else m


def _apply_run(st: _State, i: int, c: int, length: int, r: int) -> None:
    """States i..i+r-1 link to c..c+r-1 with lengths length..length+r-1 (none of these links
    is filed yet: see `_run_length`)."""
    st.sfx[i : i + r] = range(c, c + r)
    st.lrs[i : i + r] = range(length, length + r)
    sym, p = st.sym, i - c
    if p >= r:
        sym[i : i + r] = sym[c : c + r]
    else:  # the repeat overlaps itself: the symbols repeat with period p
        sym[i : i + r] = (sym[c:i] * (r // p + 1))[:r]
    stride = len(st.sfx) + 1
    key = c * stride + length
    st.links.update(zip(range(key, key + r * (stride + 1), stride + 1), range(i, i + r),
                        strict=True))
