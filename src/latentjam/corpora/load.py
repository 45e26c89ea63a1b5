"""Load a named corpus as tensors for a converter, building and caching it on first use.

The first load of a music21 corpus parses every piece in worker processes (with a progress
bar) and caches the converted sequences; each converter's windows are cached beside them under
a key made of the corpus name, the corpus version and `converter.cache_key()`. Later loads are
one `np.load`. Pieces are split into train/valid/test by a hash of their name (MMA grooves by
their style file), so no piece is in two splits and the split never changes between builds.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from latentjam.corpora import music21_source, store
from latentjam.corpora.registry import CORPORA, CorpusSpec
from latentjam.errors import InvalidMidiError, LatentjamError
from latentjam.music import Sequence
from latentjam.splits import (
    SPLITS,
    split_of,
)

DRUMS_DIR = Path(__file__).parent / "drums"


def get_spec(name: str) -> CorpusSpec:
    """The corpus called `name`, or a clear error listing the known ones."""
    try:
        return CORPORA[name]
    except KeyError:
        raise LatentjamError(
            f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}"
        ) from None


def _workers(workers: int | None) -> int:
    return min(2, os.cpu_count() or 1) if workers is None else max(0, int(workers))


def _progress(iterable, *, total: int, desc: str, enabled: bool):
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="piece", dynamic_ncols=True)


# ------------------------------------------------------------------- the drum corpus


def drums_index() -> dict:
    """The bundled drum corpus's index.json (files -> source, style, group, bars; skipped)."""
    path = DRUMS_DIR / "index.json"
    if not path.is_file():
        raise LatentjamError(
            f"the bundled drum corpus is missing ({path}); build it with "
            "scripts/build_drum_corpus.py"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def corpus_version(name: str, limit: int | None = None) -> str:
    """Version string of a corpus's content (part of every cache key)."""
    spec = get_spec(name)
    if spec.bundled:
        digest = hashlib.sha1((DRUMS_DIR / "index.json").read_bytes()).hexdigest()[:12]
        version = f"bundled-{digest}"
    else:
        m21 = music21_source.music21_version() or "none"
        version = f"music21-{m21}-c{music21_source.CONVERSION_VERSION}"
    return version if limit is None else f"{version}-first{int(limit)}"


def _drum_pieces(limit: int | None) -> tuple[list[Sequence], list[dict], list[dict]]:
    index = drums_index()
    pieces, sequences, skipped = [], [], []
    for key, entry in list(index["files"].items())[:limit]:
        try:
            sequences.append(_read_bundled(key))
        except InvalidMidiError as exc:
            skipped.append({"piece": key, "reason": str(exc)})
            continue
        pieces.append(
            {
                "key": key,
                "group": entry.get("group", key),
                "source": entry["source"],
                "style": entry["style"],
            }
        )
    skipped += [
        {"piece": f"{s['source']}:{s['item']}", "reason": s["reason"], "build": True}
        for s in index.get("skipped", [])
    ]
    return sequences, pieces, skipped


def _read_bundled(key: str) -> Sequence:
    from latentjam.midi import read_midi

    seq = read_midi(DRUMS_DIR / key)
    seq.source = f"drums:{key}"
    return seq


# ------------------------------------------------------------------ music21 corpora


def _parse_task(args: tuple[music21_source.PieceRef, bool]) -> tuple[str, Sequence | None, str]:
    ref, expand = args
    try:
        seq = music21_source.parse_piece(ref, expand_repeats=expand)
    except LatentjamError:
        raise
    except Exception as exc:  # music21 raises many types; each failure is one skipped piece
        first_line = (str(exc).splitlines() or [""])[0]
        return ref.key, None, f"{type(exc).__name__}: {first_line[:120]}"
    if not any(len(t) for t in seq.tracks):
        return ref.key, None, "no notes"
    return ref.key, seq, ""


def _indexed_parse_task(item):
    index, task = item
    return index, _parse_task(task)


def _music21_pieces(
    spec: CorpusSpec, *, limit: int | None, workers: int | None, progress: bool
) -> tuple[list[Sequence], list[dict], list[dict]]:
    """Parsed sequences of a music21 corpus, from the sequence cache or parsed now."""
    path = store.cache_path(spec.name, corpus_version(spec.name, limit), "sequences")
    if path.is_file():
        meta, arrays = store.load_npz(path)
        seqs = store.unpack_sequences(arrays, [f"music21:{p['key']}" for p in meta["pieces"]])
        return seqs, meta["pieces"], meta["skipped"]
    refs = music21_source.list_pieces(spec.music21_dir, spec.patterns, limit)
    tasks = [(ref, spec.expand_repeats) for ref in refs]
    n_workers = _workers(workers)
    desc = f"parsing {spec.name}"
    if n_workers <= 1:
        results = list(
            _progress(map(_parse_task, tasks), total=len(tasks), desc=desc, enabled=progress)
        )
    else:  # unordered, so the progress bar moves as pieces finish; then back in order
        results = [None] * len(tasks)
        with multiprocessing.Pool(n_workers) as pool:
            done = pool.imap_unordered(_indexed_parse_task, enumerate(tasks), chunksize=4)
            for i, result in _progress(done, total=len(tasks), desc=desc, enabled=progress):
                results[i] = result
    sequences, pieces, skipped = [], [], []
    for key, seq, reason in results:
        if seq is None:
            skipped.append({"piece": key, "reason": reason})
            continue
        ts = seq.time_signatures[0] if seq.time_signatures else None
        sequences.append(seq)
        pieces.append(
            {
                "key": key,
                "group": key,
                "source": spec.name,
                "style": f"{ts.numerator}/{ts.denominator}" if ts else "?",
            }
        )
    store.save_npz(path, {"pieces": pieces, "skipped": skipped}, **store.pack_sequences(sequences))
    return sequences, pieces, skipped


def _pieces(name: str, *, limit=None, workers=None, progress=True):
    spec = get_spec(name)
    if spec.bundled:
        return _drum_pieces(limit)
    return _music21_pieces(spec, limit=limit, workers=workers, progress=progress)


def corpus_sequences(
    name: str, *, limit: int | None = None, progress: bool = True, workers: int | None = None
) -> Iterator[Sequence]:
    """Every piece of corpus `name` as a `Sequence` (parsed once, then read from the cache)."""
    sequences, _, _ = _pieces(name, limit=limit, workers=workers, progress=progress)
    yield from sequences


# --------------------------------------------------------------------- the tensors


def _windows_cache(name: str, converter, limit: int | None) -> Path:
    return store.cache_path(name, corpus_version(name, limit), converter.cache_key())


def build_windows(
    name: str,
    converter,
    *,
    limit: int | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, stored arrays) of a corpus's windows for `converter`, built and cached if needed.

    The arrays hold the windows in their compact stored form (see `store.encode_windows`;
    `windows_of` decodes them to float32 (n, T, D)) and "piece", the piece index per window.
    """
    path = _windows_cache(name, converter, limit)
    if path.is_file():
        return store.load_npz(path)
    sequences, pieces, skipped = _pieces(name, limit=limit, workers=workers, progress=progress)
    chunks, owner = [], []
    steps, dim = converter.steps, converter.feature_dim
    for i, seq in enumerate(
        _progress(sequences, total=len(sequences), desc=f"windows of {name}", enabled=progress)
    ):
        w = converter.windows(seq)  # (n_i, T, D)
        pieces[i] = dict(pieces[i], windows=len(w), split=split_of(pieces[i]["group"]))
        chunks.append(store.encode_windows(w) if len(w) else None)
        owner.append(np.full(len(w), i, dtype=np.int32))
    encoding, arrays = store.concat_encoded([c for c in chunks if c is not None], (steps, dim))
    piece = np.concatenate(owner) if owner else np.zeros(0, dtype=np.int32)
    meta = {
        "corpus": name,
        "version": corpus_version(name, limit),
        "converter": converter.cache_key(),
        "shape": [len(piece), steps, dim],
        "encoding": encoding,
        "pieces": pieces,
        "skipped": skipped,
    }
    store.save_npz(path, meta, piece=piece, **arrays)
    return meta, dict(arrays, piece=piece)


def windows_of(meta: dict, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """The float32 windows (n, T, D) of a `build_windows` result."""
    return store.decode_windows(meta["encoding"], arrays, tuple(meta["shape"]))


def load_corpus(
    name: str,
    converter,
    split: str = "train",
    progress: bool = True,
    *,
    limit: int | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Windows of corpus `name` for `converter` in one split: float32 (n, T, D).

    `split` is "train", "valid", "test" or "all". `limit` takes only the first pieces (for
    quick checks; cached separately). The first call builds and caches; later calls load.
    """
    if split not in (*SPLITS, "all"):
        raise LatentjamError(f"unknown split {split!r}; choose train, valid, test or all")
    meta, arrays = build_windows(name, converter, limit=limit, progress=progress, workers=workers)
    x = windows_of(meta, arrays)
    if split == "all":
        return x
    in_split = np.array([p["split"] == split for p in meta["pieces"]], dtype=bool)
    if len(in_split) == 0:
        return x[:0]
    return x[in_split[arrays["piece"]]]


def load_corpus_by_source(
    name: str,
    converter,
    split: str = "train",
    *,
    exclude: str = "",
    only: str = "",
    progress: bool = True,
) -> np.ndarray:
    """Like `load_corpus`, keeping only the windows of pieces from one source (`only`) or
    dropping one source (`exclude`); sources as in `corpus info` (e.g. "simutrans")."""
    meta, arrays = build_windows(name, converter, progress=progress)
    x = windows_of(meta, arrays)
    keep = np.array(
        [
            (split == "all" or p["split"] == split)
            and (not exclude or p["source"] != exclude)
            and (not only or p["source"] == only)
            for p in meta["pieces"]
        ],
        dtype=bool,
    )
    if len(keep) == 0:
        return x[:0]
    return x[keep[arrays["piece"]]]


def corpus_report(
    name: str,
    converter,
    *,
    limit: int | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> dict:
    """What a corpus holds for `converter`: pieces, skipped (with reasons), windows per split,
    per source and per style (and per source and split)."""
    meta, arrays = build_windows(name, converter, limit=limit, progress=progress, workers=workers)
    piece = arrays["piece"]
    pieces = meta["pieces"]
    by_split, by_source, by_style = Counter(), Counter(), defaultdict(Counter)
    by_source_split = defaultdict(Counter)
    for p in pieces:
        by_split[p["split"]] += p["windows"]
        by_source[p["source"]] += p["windows"]
        by_style[p["source"]][p["style"]] += p["windows"]
        by_source_split[p["source"]][p["split"]] += p["windows"]
    reasons = Counter(s["reason"] for s in meta["skipped"])
    return {
        "corpus": name,
        "description": get_spec(name).description,
        "version": meta["version"],
        "converter": meta["converter"],
        "shape": meta["shape"],
        "pieces": len(pieces),
        "pieces_per_split": dict(Counter(p["split"] for p in pieces)),
        "pieces_without_windows": sum(p["windows"] == 0 for p in pieces),
        "skipped": len(meta["skipped"]),
        "skipped_reasons": dict(reasons.most_common()),
        "windows": len(piece),
        "windows_per_split": {s: by_split.get(s, 0) for s in SPLITS},
        "windows_per_source": dict(by_source),
        "windows_per_source_split": {
            k: {s: v.get(s, 0) for s in SPLITS} for k, v in by_source_split.items()
        },
        "windows_per_style": {k: dict(sorted(v.items())) for k, v in by_style.items()},
        "cache": str(_windows_cache(name, converter, limit)),
        "window_pieces": len(np.unique(piece)),
    }
