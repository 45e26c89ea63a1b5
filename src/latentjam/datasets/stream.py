"""Training windows read as they are stored: compact arrays, memory-mapped, decoded per batch.

A built dataset's shards are compressed .npz files (`datasets.compact` encodings: drum
velocities and offsets as bytes, melodies as one event code per step, bit-packed piano rolls).
Training reads them through a *stream cache*: the split's compact arrays concatenated into
plain .npy files under `DATASET/stream/` (written once, atomically; the build holds the split's
compact arrays, never its dense windows), then
opened with `np.load(mmap_mode="r")`. `CompactWindows.take(indices)` decodes only the rows of
one batch, so a process holds a batch in float32, never the split: a 2-bar melody window costs
32 bytes of page cache instead of 11.5 KB of memory, and ranks of a distributed run share the
same pages.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_path, atomic_write_json
from latentjam.datasets.compact import decode, encode
from latentjam.datasets.store import read_manifest
from latentjam.errors import LatentjamError

STREAM_FORMAT = 1


class CompactWindows:
    """Windows (n, T, D) kept compact; `take` / indexing decode the rows asked for.

    `arrays` holds one encoding's arrays (see `datasets.compact`), each with n rows, in memory
    or memory-mapped; `feature_dim` is D.
    """

    ndim = 3

    def __init__(self, arrays: dict[str, np.ndarray], feature_dim: int, steps: int) -> None:
        self.encoding = str(arrays.get("encoding", "float32"))
        self.arrays = {k: v for k, v in arrays.items() if k != "encoding"}
        self.feature_dim, self.steps = int(feature_dim), int(steps)
        lengths = {len(v) for v in self.arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"compact arrays of different lengths: {sorted(lengths)}")
        self._n = lengths.pop()

    @classmethod
    def from_dense(cls, kind: str, x: np.ndarray) -> CompactWindows:
        """Encode dense windows (n, T, D) compactly (lossless; float32 when no encoding fits)."""
        x = np.asarray(x, dtype=np.float32)
        return cls(encode(kind, x), x.shape[2], x.shape[1])

    def __len__(self) -> int:
        return self._n

    @property
    def shape(self) -> tuple[int, int, int]:
        """(n, T, D) of the decoded windows."""
        return (self._n, self.steps, self.feature_dim)

    @property
    def nbytes(self) -> int:
        """Bytes of the compact arrays (what the page cache or memory holds)."""
        return int(sum(v.nbytes for v in self.arrays.values()))

    def take(self, indices) -> np.ndarray:
        """Decoded rows `indices` (a list or int array): float32 (len(indices), T, D)."""
        idx = np.asarray(indices, dtype=np.int64)
        rows = {k: np.asarray(v[idx]) for k, v in self.arrays.items()}
        rows["encoding"] = np.array(self.encoding)
        return decode(rows, self.feature_dim)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            return self.take(np.arange(self._n)[key])
        return self.take(key)

    def dense(self, batch: int = 65536) -> np.ndarray:
        """Every window decoded, (n, T, D) float32 (for small splits: evaluation, plots)."""
        parts = [self.take(np.arange(i, min(i + batch, self._n))) for i in range(0, self._n, batch)]
        if not parts:
            return np.zeros(self.shape, dtype=np.float32)
        return np.concatenate(parts)


class ArrayWindows:
    """A dense (n, T, D) array, e.g. memory-mapped from a .npy file, read one batch at a time."""

    ndim = 3

    def __init__(self, x: np.ndarray) -> None:
        if x.ndim != 3:
            raise ValueError(f"windows must be (N, T, D), got {x.shape}")
        self.x = x

    def __len__(self) -> int:
        return len(self.x)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(n, T, D)."""
        return tuple(self.x.shape)

    def take(self, indices) -> np.ndarray:
        """Rows `indices` as float32 (len(indices), T, D)."""
        return np.asarray(self.x[np.asarray(indices, dtype=np.int64)], dtype=np.float32)


def _fingerprint(folder: Path, manifest: dict, split: str) -> list:
    """What the stream cache of `split` was made from (shard files, windows, sizes on disk)."""
    out = []
    for s in manifest["shards"]:
        if s["split"] == split:
            path = folder / s["file"]
            out.append([s["file"], s.get("windows"), path.stat().st_size if path.exists() else -1])
    return out


def _write_npy_atomic(path: Path, parts: list[np.ndarray]) -> None:
    """Concatenate `parts` along axis 0 into one .npy at `path`, written to a temporary file
    and renamed."""
    n = sum(len(p) for p in parts)
    with atomic_path(path) as tmp:  # a unique name per writer: DDP ranks may race here
        out = np.lib.format.open_memmap(
            tmp, mode="w+", dtype=parts[0].dtype, shape=(n, *parts[0].shape[1:])
        )
        at = 0
        for p in parts:
            out[at : at + len(p)] = p
            at += len(p)
        out.flush()
        del out


def stream_split(folder: str | os.PathLike, split: str) -> CompactWindows:
    """The windows of one split of the dataset in `folder`, memory-mapped from its stream cache
    (made on first use, remade when the shards change)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    n_steps, dim = (int(v) for v in manifest["window_shape"])
    cache = folder / "stream"
    meta_path = cache / f"{split}.json"
    want = {"format": STREAM_FORMAT, "shards": _fingerprint(folder, manifest, split)}
    meta = None
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = None
    if not meta or {k: meta.get(k) for k in want} != want:
        meta = _build_cache(folder, manifest, split, cache, want)
    if meta["n"] == 0:
        return CompactWindows({"x": np.zeros((0, n_steps, dim), np.float32)}, dim, n_steps)
    arrays = {
        name: np.load(cache / f"{split}.{name}.npy", mmap_mode="r") for name in meta["arrays"]
    }
    arrays["encoding"] = np.array(meta["encoding"])
    return CompactWindows(arrays, dim, n_steps)


def _build_cache(folder: Path, manifest: dict, split: str, cache: Path, want: dict) -> dict:
    """Write `split`'s compact arrays as one .npy each and its meta file (the meta last)."""
    parts: dict[str, list[np.ndarray]] = {}
    encodings = set()
    for shard in manifest["shards"]:
        if shard["split"] != split:
            continue
        path = folder / shard["file"]
        try:
            with np.load(path) as data:
                encodings.add(str(data["encoding"]) if "encoding" in data else "float32")
                for name in data.files:
                    if name not in ("encoding", "source"):
                        parts.setdefault(name, []).append(np.asarray(data[name]))
        except (OSError, ValueError, KeyError) as exc:
            raise LatentjamError(f"{path}: unreadable shard ({exc})") from None
    if len(encodings) > 1:  # mixed encodings (a float32 fallback shard): store them all dense
        return _dense_cache(folder, manifest, split, cache, want)
    cache.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, chunks in parts.items():
        _write_npy_atomic(cache / f"{split}.{name}.npy", chunks)
        n = sum(len(c) for c in chunks)
    meta = {**want, "encoding": encodings.pop() if encodings else "float32"}
    meta.update(arrays=sorted(parts), n=n)
    atomic_write_json(cache / f"{split}.json", meta, indent=None)
    return meta


def _dense_cache(folder: Path, manifest: dict, split: str, cache: Path, want: dict) -> dict:
    """Fallback of `_build_cache`: every shard decoded and stored as float32 `x`."""
    dim = int(manifest["window_shape"][1])
    chunks = []
    for shard in manifest["shards"]:
        if shard["split"] == split:
            with np.load(folder / shard["file"]) as data:
                chunks.append(decode(data, dim))
    cache.mkdir(parents=True, exist_ok=True)
    _write_npy_atomic(cache / f"{split}.x.npy", chunks)
    meta = {**want, "encoding": "float32", "arrays": ["x"], "n": sum(len(c) for c in chunks)}
    atomic_write_json(cache / f"{split}.json", meta, indent=None)
    return meta
