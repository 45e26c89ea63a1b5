"""The Variable Markov Oracle (Wang & Dubnov 2015): incremental build, information rate, motifs.

An oracle over frames x_1..x_N with a distance threshold: state i holds x_i; forward links
`trn`, suffix links `sfx`, reverse suffix links `rsfx`, repeated-suffix lengths `lrs` and a
symbol per state. Two frames closer than the threshold count as "the same symbol".

Conventions (shared with the `vmo` 0.30.5 package, whose information-rate values this module
reproduces exactly): state 0 is the empty prefix, `sfx[0] = -1` (no link), `lrs[0] = 0`,
`symbols[0] = -1`; a frame "matches" when its distance is strictly below the threshold.
Numpy only: importable without torch. The threshold sweep lives in `latentjam.analysis.sweep`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latentjam.analysis import distances as dist


@dataclass
class Oracle:
    """A Variable Markov Oracle built frame by frame with `add` (states 0..n).

    `features` are the prepared frames (see `distances.prepare`); `trn[k]` and `rsfx[k]` are
    lists of states in increasing order; `trn[0]` lists the states that started a new symbol.
    `exact_order=False` (Euclidean only) measures each new frame with one vectorised norm over
    a growing frame table instead of the reference's feature-by-feature sums (~7x faster per
    frame on 300 32-D frames); the same oracle except where a distance lies within rounding
    of the threshold. The live jam uses it.
    """

    threshold: float
    distance: str = "euclidean"
    exact_order: bool = True
    dim: int = 0
    sfx: list[int] = field(default_factory=lambda: [-1])
    lrs: list[int] = field(default_factory=lambda: [0])
    trn: list[list[int]] = field(default_factory=lambda: [[]])
    rsfx: list[list[int]] = field(default_factory=lambda: [[]])
    symbols: list[int] = field(default_factory=lambda: [-1])
    n_symbols: int = 0
    _frames: list[np.ndarray] = field(default_factory=list, repr=False)
    _table: np.ndarray | None = field(default=None, repr=False)  # (capacity, dim), fast path

    @property
    def n_states(self) -> int:
        """Number of states including the empty state 0 (frames + 1)."""
        return len(self.sfx)

    @property
    def features(self) -> np.ndarray:
        """The prepared frames, shape (n_states - 1, dim)."""
        if not self._frames:
            return np.zeros((0, self.dim))
        return np.stack(self._frames)

    def add(self, frame) -> int:
        """Append one raw frame (D,) (chroma (12,) for "tonnetz"); returns its state index."""
        x = dist.prepare(np.asarray(frame, dtype=np.float64)[None, :], self.distance)[0]
        if self._frames and x.shape != self._frames[0].shape:
            raise ValueError(f"frame has {x.shape[0]} dims, the oracle holds {self.dim}")
        self.dim = len(x)
        self._frames.append(x)
        frames = self._frames
        if not self.exact_order and self.distance == "euclidean":
            table = self._grow_table(x)

            def distances(states: list[int]) -> np.ndarray:
                diff = table[np.asarray(states) - 1] - x  # (len(states), dim); state s: frame s-1
                return np.sqrt(np.einsum("ij,ij->i", diff, diff))

            return self._add_state(distances)

        def distances(states: list[int]) -> np.ndarray:
            # state s holds frame s - 1
            others = np.stack([frames[s - 1] for s in states])  # (len(states), dim)
            return dist.cross(x[None, :], others, self.distance)[0]

        return self._add_state(distances)

    def _grow_table(self, x: np.ndarray) -> np.ndarray:
        """The frames so far as one (capacity, dim) array, `x` written at row n - 1 (the
        capacity doubles when full), so a distance step gathers rows instead of stacking."""
        n = len(self._frames)
        if self._table is None or len(self._table) < n:
            table = np.empty((max(64, 2 * n), len(x)))
            if n > 1:
                table[: n - 1] = np.stack(self._frames[:-1])
            self._table = table
        self._table[n - 1] = x
        return self._table

    def _add_state(self, distances) -> int:
        """The incremental step; `distances(states)` gives the new frame's distance to each."""
        sfx, lrs, trn, rsfx, symbols = self.sfx, self.lrs, self.trn, self.rsfx, self.symbols
        i = len(sfx)
        sfx.append(0)
        lrs.append(0)
        trn.append([])
        rsfx.append([])
        trn[i - 1].append(i)
        k, pi, cand = sfx[i - 1], i - 1, -1
        while k != -1:
            targets = trn[k]
            d = distances(targets)
            within = np.flatnonzero(d < self.threshold)
            if len(within) == 0:
                trn[k].append(i)
                pi, k = k, sfx[k]
            else:
                cand = targets[within[np.argmin(d[within])]]
                break
        if cand == -1:  # nothing within the threshold on the whole suffix chain: a new symbol
            symbols.append(self.n_symbols)
            self.n_symbols += 1
        else:
            sfx[i] = cand
            lrs[i] = self._common_suffix(pi, cand - 1) + 1
            symbols.append(symbols[cand])
            self._find_better(i)
        rsfx[sfx[i]].append(i)
        return i

    def _common_suffix(self, p1: int, p2: int) -> int:
        """Length of the suffix shared by states p1 and p2 (via their suffix links)."""
        sfx = self.sfx
        if p2 == sfx[p1]:
            return self.lrs[p1]
        while sfx[p2] != sfx[p1] and p2 != 0:
            p2 = sfx[p2]
        return min(self.lrs[p1], self.lrs[p2])

    def _find_better(self, i: int) -> None:
        """Move sfx[i] to a sibling whose context extends one symbol further, if there is one."""
        length = self.lrs[i]
        before = self.symbols[i - length]
        for j in self.rsfx[self.sfx[i]]:
            if self.lrs[j] == length and self.symbols[j - length] == before:
                self.lrs[i] += 1
                self.sfx[i] = j
                return

    def information_rate(self) -> np.ndarray:
        """Information rate of each frame, shape (n_states - 1,); see `information_rate`."""
        return information_rate(self.lrs)

    def code(self) -> list[tuple[int, int]]:
        """Compror code words (length, position): length 0 codes one new frame at `position`
        (1-based state), length L > 0 copies L frames starting at state `position`."""
        out = []
        for start, length in compror_blocks(self.lrs):
            if length == 0:
                out.append((0, start + 1))
            else:
                end = start + length
                out.append((length, self.sfx[end] - length + 1))
        return out


def build_oracle(features, threshold: float, distance: str = "euclidean") -> Oracle:
    """Build an oracle over raw frames (N, D) (chroma (N, 12) for "tonnetz") at one threshold."""
    x = dist.prepare(features, distance)
    oracle = Oracle(threshold=float(threshold), distance=distance, dim=x.shape[1])
    if len(x) == 0:
        return oracle
    table = dist.self_distances(x, distance)
    for n in range(len(x)):
        row = table[n]
        oracle._frames.append(x[n])
        oracle._add_state(lambda states, row=row: row[np.asarray(states) - 1])
    return oracle


def compror_blocks(lrs) -> list[tuple[int, int]]:
    """Greedy compror parse of states 1..N into blocks (start, length).

    A block starting after state `start` extends over state p while lrs[p] >= p - start (the
    repeated suffix ending at p reaches back into the block). Length 0 means state start + 1
    could not be copied and is coded on its own.
    """
    lrs = [int(v) for v in lrs]
    n = len(lrs) - 1
    out = []
    j = 0
    while j < n:
        i = j
        while i < n and lrs[i + 1] >= i - j + 1:
            i += 1
        if i == j:
            out.append((j, 0))
            j += 1
        else:
            out.append((j, i - j))
            j = i
    return out


def information_rate(lrs, alpha: float = 1.0) -> np.ndarray:
    """Information rate per frame from the repeated-suffix lengths (N + 1,) -> (N,).

    Compror coding (the `vmo` package's "cum" estimate): with the frames parsed into blocks by
    `compror_blocks`, h0(i) = log2(#frames coded as new symbols so far) and
    h1(i) = log2(#code words so far) / length of the block holding frame i;
    IR(i) = max(0, alpha * h0(i) - h1(i)).
    """
    n = len(lrs) - 1
    cw0 = np.zeros(n)
    cw1 = np.zeros(n)
    bl = np.zeros(n)
    for start, length in compror_blocks(lrs):
        cw1[start] = 1
        if length == 0:
            cw0[start] = 1
            bl[start] = 1
        else:
            bl[start : start + length] = length
    with np.errstate(divide="ignore"):
        h0 = np.log2(np.cumsum(cw0))
        h1 = np.log2(np.cumsum(cw1)) / bl
    ir = alpha * h0 - h1
    ir[ir < 0] = 0
    return ir


class RunningInformationRate:
    """`information_rate(lrs).sum()` kept up to date as states are appended, O(1) per state.

    A state's lrs never changes once added, so every compror block but the last is final: the
    parse continues from the open block, closed blocks add their frames' rates to a running
    sum, and the open block's frames (all with one rate) are added when asked.
    """

    def __init__(self) -> None:
        self.lrs = [0]  # state 0
        self.start = 0  # the open block starts after this state ...
        self.end = 0  # ... and covers the states start + 1 .. end so far
        self.new_frames = 0  # frames coded as new symbols in closed blocks (cw0)
        self.words = 0  # closed blocks (cw1)
        self.closed_sum = 0.0

    @property
    def frames(self) -> int:
        """Frames seen (states - 1)."""
        return len(self.lrs) - 1

    def append(self, lrs: int) -> None:
        """Add the next state's repeated-suffix length."""
        self.lrs.append(int(lrs))
        n = self.frames
        while True:
            i, j = self.end, self.start
            if i < n and self.lrs[i + 1] >= i - j + 1:
                self.end += 1  # the block reaches over the next state
                continue
            if i == n:
                return  # the block is still open (or, when i == j, every frame is coded)
            if i == j:  # state j + 1 is coded on its own
                self.new_frames += 1
                self.words += 1
                self.closed_sum += _rate(self.new_frames, self.words, 1)
                self.start = self.end = j + 1
            else:  # a block of i - j copied frames ends
                self.words += 1
                self.closed_sum += (i - j) * _rate(self.new_frames, self.words, i - j)
                self.start = i

    def total(self) -> float:
        """The sum of every frame's information rate so far."""
        length = self.end - self.start
        if length == 0:
            return self.closed_sum
        return self.closed_sum + length * _rate(self.new_frames, self.words + 1, length)


def _rate(new_frames: int, words: int, block_length: int) -> float:
    """One frame's information rate: max(0, log2(new frames) - log2(code words) / length)."""
    if new_frames == 0:
        return 0.0
    return max(0.0, float(np.log2(new_frames) - np.log2(words) / block_length))


def information_rate_sums(lrs_rows) -> np.ndarray:
    """`information_rate(row).sum()` for every row of lrs (T, N + 1) -> (T,), bit for bit.

    Equal rows are computed once; the compror parse of all distinct rows is vectorised except
    for a walk from block to block (see `_distinct_ir_sums`); the rate arithmetic runs once for
    all of them.
    """
    rows = np.asarray(lrs_rows, dtype=np.int64)
    if rows.ndim != 2:
        raise ValueError(f"lrs rows must be (rows, states), got shape {rows.shape}")
    if rows.shape[1] <= 1:
        return np.zeros(rows.shape[0])
    first: dict[bytes, int] = {}
    back = np.array([first.setdefault(row.tobytes(), len(first)) for row in rows])
    return _distinct_ir_sums(rows[_first_of_each(back)])[back]


def _first_of_each(labels: np.ndarray) -> np.ndarray:
    """Index of the first row carrying each label 0, 1, ... (labels numbered in order)."""
    _, first = np.unique(labels, return_index=True)
    return first


def _distinct_ir_sums(rows: np.ndarray) -> np.ndarray:
    """`information_rate_sums` without the sharing of equal rows, rows (T, N + 1) -> (T,).

    The compror block after state j runs over the states p with p - lrs[p] <= j, so it ends
    at the first state whose reach p - lrs[p] exceeds j: the first p where the running maximum
    of the reach does (the reach never exceeds p), found for every j at once by counting.
    Only the walk from block to block is a Python loop (one step per block).
    """
    n_rows, n = rows.shape[0], rows.shape[1] - 1
    reach = np.maximum.accumulate(np.arange(n + 1) - rows, axis=1)  # (T, N + 1), <= N
    # end[:, j]: the first state p with reach > j (N + 1: none), j = 0..N-1
    counts = np.bincount(
        (reach + np.arange(n_rows)[:, None] * (n + 1)).ravel(), minlength=n_rows * (n + 1)
    ).reshape(n_rows, n + 1)
    end = np.cumsum(counts, axis=1)[:, :n]
    cols = np.arange(n)
    size = end - 1 - cols  # block length from each j (0: frame j is coded on its own)
    after = np.maximum(size, 1) + cols  # where the next block starts
    starts = np.zeros((n_rows, n), dtype=bool)
    for r in range(n_rows):
        nxt = memoryview(after[r])
        j, seen = 0, []
        while j < n:
            seen.append(j)
            j = nxt[j]
        starts[r, seen] = True
    cw1 = starts.astype(np.float64)
    cw0 = (starts & (size == 0)).astype(np.float64)
    # each frame's block: the last start at or before it
    first = np.maximum.accumulate(np.where(starts, cols, 0), axis=1)
    bl = np.maximum(np.take_along_axis(size, first, axis=1), 1).astype(np.float64)
    with np.errstate(divide="ignore"):
        h0 = np.log2(np.cumsum(cw0, axis=1))
        h1 = np.log2(np.cumsum(cw1, axis=1)) / bl
    ir = h0 - h1
    ir[ir < 0] = 0
    return np.array([row.sum() for row in ir])


@dataclass(frozen=True)
class Motif:
    """A repeated pattern: `length` frames occurring at `starts` (0-based frame indices)."""

    length: int
    starts: tuple[int, ...]


def find_motifs(oracle: Oracle, min_length: int = 2, min_count: int = 2) -> list[Motif]:
    """Repeated patterns at the oracle's threshold, longest first.

    Walking back from the last state, states whose suffix links point into the same group of
    earlier occurrences are gathered into one pattern; its length is the shortest repeated
    suffix in the group (never longer than the gap between occurrences). Patterns of at least
    `min_length` frames with at least `min_count` non-overlapping occurrences are reported.
    """
    sfx, lrs, rsfx = oracle.sfx, oracle.lrs, oracle.rsfx
    groups: list[list] = []  # [end states, length]
    prev = -1
    for i in range(oracle.n_states - 1, 1, -1):
        s = sfx[i]
        if s <= 0 or lrs[i] < min_length:
            prev = -1
            continue
        joined = False
        for g in groups:
            ends, length = g
            if any(e - length < i < e for e in ends):
                continue  # i lies inside an occurrence already in this group
            if s in ends:
                ends.append(i)
                g[1] = min(length, lrs[i])
                joined = True
                break
        if not joined and prev - s != 1:  # not the continuation of the previous pattern
            ends = [*rsfx[i], i, s]
            length = min(lrs[e] for e in ends[:-1])
            length = min(length, i - s)
            if length >= min_length:
                groups.append([ends, length])
        prev = s
    motifs = []
    for ends, length in groups:
        starts = _non_overlapping(sorted({e - length for e in ends}), length)
        if len(starts) >= min_count:
            motifs.append(Motif(length=int(length), starts=tuple(starts)))
    motifs.sort(key=lambda m: (-m.length, -len(m.starts), m.starts))
    return motifs


def _non_overlapping(starts: list[int], length: int) -> list[int]:
    out: list[int] = []
    for s in starts:
        if not out or s >= out[-1] + length:
            out.append(s)
    return out


def generate(
    oracle: Oracle,
    length: int,
    *,
    p_continue: float = 0.7,
    min_context: int = 1,
    start: int = 1,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Walk the oracle to recombine the original: (length,) 0-based frame indices.

    At each step, with probability `p_continue` the walk follows the forward link to the next
    state; otherwise it jumps along a suffix or reverse suffix link to a state that shares at
    least `min_context` frames of context with the current one and continues from there (after
    the last state it restarts at state 1).
    """
    n = oracle.n_states - 1
    if n == 0 or length <= 0:
        return np.zeros(0, dtype=np.int64)
    if not 1 <= start <= n:
        raise ValueError(f"start must be a state in 1..{n}")
    rng = np.random.default_rng() if rng is None else rng
    sfx, lrs, rsfx = oracle.sfx, oracle.lrs, oracle.rsfx
    out = [start]
    k = start
    while len(out) < length:
        jumps = []
        if sfx[k] > 0 and lrs[k] >= min_context:
            jumps.append(sfx[k])
        jumps += [j for j in rsfx[k] if lrs[j] >= min_context]
        if sfx[k] > 0:
            jumps += [j for j in rsfx[sfx[k]] if j != k and min(lrs[j], lrs[k]) >= min_context]
        if jumps and rng.random() >= p_continue:
            k = int(jumps[rng.integers(len(jumps))])
        k = k + 1 if k < n else 1
        out.append(k)
    return np.asarray(out, dtype=np.int64) - 1
