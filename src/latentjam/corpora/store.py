"""The corpus cache on disk: its folder, and packing sequences and tensors into .npz files."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_path
from latentjam.music import Sequence, Tempo, TimeSignature, Track

ENV_CACHE = "LATENTJAM_CACHE"


def cache_dir() -> Path:
    """The corpus cache folder: $LATENTJAM_CACHE/corpora, default ~/.cache/latentjam/corpora."""
    base = os.environ.get(ENV_CACHE) or os.path.join(os.path.expanduser("~"), ".cache", "latentjam")
    return Path(base) / "corpora"


def cache_path(*parts: str) -> Path:
    """A readable, filesystem-safe cache file name made of `parts` (long parts are hashed)."""
    safe = []
    for part in parts:
        clean = re.sub(r"[^A-Za-z0-9._-]+", "_", part)
        if len(clean) > 60:
            clean = clean[:40] + "-" + hashlib.sha1(part.encode()).hexdigest()[:12]
        safe.append(clean)
    return cache_dir() / ("--".join(safe) + ".npz")


def save_npz(path: Path, meta: dict, **arrays: np.ndarray) -> None:
    """Write arrays plus a JSON `meta` dict to `path` atomically (tmp file + os.replace)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **arrays)


def load_npz(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(meta, arrays) from a file written by `save_npz`."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    return meta, arrays


# ------------------------------------------------------------------------- tensors


def encode_windows(x: np.ndarray) -> tuple[str, dict[str, np.ndarray]]:
    """Compact storage for windows (n, T, D): one-hot codes, packed bits, or float32 as is."""
    x = np.asarray(x, dtype=np.float32)
    binary = x.size > 0 and bool(np.all((x == 0) | (x == 1)))
    if binary and bool(np.all(x.sum(axis=-1) == 1)) and x.shape[-1] < 2**15:
        return "onehot", {"codes": x.argmax(axis=-1).astype(np.int16)}  # (n, T)
    if binary:
        return "bits", {"bits": np.packbits(x.astype(bool), axis=-1)}  # (n, T, ceil(D/8))
    return "float32", {"x": x}


def concat_encoded(chunks: list[tuple[str, dict]], step_dim: tuple[int, int]):
    """Join encoded chunks of windows into one encoding (the most compact all of them allow)."""
    t, d = step_dim
    kinds = {kind for kind, _ in chunks}

    def decoded(kind: str, a: dict) -> np.ndarray:
        return decode_windows(kind, a, (len(next(iter(a.values()))), t, d))

    if not chunks:
        return "float32", {"x": np.zeros((0, t, d), dtype=np.float32)}
    if kinds == {"onehot"}:
        return "onehot", {"codes": np.concatenate([a["codes"] for _, a in chunks])}
    if kinds <= {"onehot", "bits"}:
        bits = [
            a["bits"] if kind == "bits" else np.packbits(decoded(kind, a).astype(bool), axis=-1)
            for kind, a in chunks
        ]
        return "bits", {"bits": np.concatenate(bits)}
    return "float32", {"x": np.concatenate([decoded(kind, a) for kind, a in chunks])}


def decode_windows(encoding: str, arrays: dict[str, np.ndarray], shape: tuple) -> np.ndarray:
    """Inverse of `encode_windows`: float32 windows of `shape` (n, T, D)."""
    n, t, d = shape
    if n == 0:
        return np.zeros((0, t, d), dtype=np.float32)
    if encoding == "onehot":
        return np.eye(d, dtype=np.float32)[arrays["codes"]]
    if encoding == "bits":
        return np.unpackbits(arrays["bits"], axis=-1, count=d).astype(np.float32)
    return arrays["x"].astype(np.float32, copy=False)


# ----------------------------------------------------------------------- sequences


def pack_sequences(sequences: list[Sequence]) -> dict[str, np.ndarray]:
    """Many sequences as flat arrays (notes, tracks, tempos, signatures with owner indices)."""
    notes, tracks, tempos, sigs = [], [], [], []
    names = []
    for i, seq in enumerate(sequences):
        for track in seq.tracks:
            tid = len(tracks)
            tracks.append((i, int(track.is_drum), int(track.program)))
            names.append(track.name)
            notes.append(
                np.stack(
                    [
                        np.full(len(track), tid, dtype=np.float64),
                        track.pitch,
                        track.velocity,
                        track.start,
                        track.duration,
                    ],
                    axis=1,
                )
            )
        tempos += [(i, t.beat, t.qpm) for t in seq.tempos]
        sigs += [(i, s.beat, s.numerator, s.denominator) for s in seq.time_signatures]
    return {
        "notes": np.concatenate(notes) if notes else np.zeros((0, 5)),  # (n, 5): track, p, v, s, d
        "tracks": np.asarray(tracks, dtype=np.int64).reshape(-1, 3),  # piece, is_drum, program
        "track_names": np.asarray(names, dtype=str),
        "tempos": np.asarray(tempos, dtype=np.float64).reshape(-1, 3),  # piece, beat, qpm
        "signatures": np.asarray(sigs, dtype=np.float64).reshape(-1, 4),  # piece, beat, n, d
    }


def unpack_sequences(arrays: dict[str, np.ndarray], sources: list[str]) -> list[Sequence]:
    """Inverse of `pack_sequences`; `sources` names each piece (its length is the piece count)."""
    n = len(sources)
    notes, tracks = arrays["notes"], arrays["tracks"]
    by_track = np.split(notes, np.searchsorted(notes[:, 0], np.arange(1, len(tracks))))
    out_tracks: list[list[Track]] = [[] for _ in range(n)]
    for tid, (piece, is_drum, program) in enumerate(tracks):
        cols = by_track[tid]
        out_tracks[piece].append(
            Track(
                cols[:, 1],
                cols[:, 2],
                cols[:, 3],
                cols[:, 4],
                is_drum=bool(is_drum),
                program=int(program),
                name=str(arrays["track_names"][tid]),
            )
        )
    tempos: list[list[Tempo]] = [[] for _ in range(n)]
    for piece, beat, qpm in arrays["tempos"]:
        tempos[int(piece)].append(Tempo(float(beat), float(qpm)))
    sigs: list[list[TimeSignature]] = [[] for _ in range(n)]
    for piece, beat, num, den in arrays["signatures"]:
        sigs[int(piece)].append(TimeSignature(float(beat), int(num), int(den)))
    return [
        Sequence(out_tracks[i], tempos[i], sigs[i], ppq=480, source=sources[i]) for i in range(n)
    ]
