"""Build a sharded dataset from folder trees of MIDI files, in parallel worker processes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_path, atomic_write_json
from latentjam.datasets.compact import encode
from latentjam.datasets.convert_file import (
    REASONS,
    Converter,
    FileResult,
    convert_file,
)
from latentjam.errors import LatentjamError
from latentjam.splits import SPLITS, split_of

MIDI_SUFFIXES = (".mid", ".midi", ".smf", ".kar")
log = logging.getLogger(__name__)

FORMAT = "latentjam-dataset"
SHARD_BYTES = 32 * 1024 * 1024  # uncompressed size of one shard's x
PART_FILES = 1024  # files per resumable part of a build
STAGING = ".build"  # a build in progress: plan, finished parts' shards and records


@dataclass(frozen=True)
class SourceFile:
    """A MIDI file found under a source: `key` (path relative to its source root, '/'-separated)
    decides the split; `root` is the index of the source it came from."""

    path: str
    key: str
    root: int


class FileList(Sequence):
    """The files of a build, compact: one folder string per source and one key string per file
    (about 100 bytes a file, against about 600 for a list of SourceFile objects built from Path
    objects); items are made on access. Slices are FileLists."""

    def __init__(self, bases: list[str], keys: list[str], roots: array) -> None:
        self.bases, self.keys, self.roots = bases, keys, roots

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i):
        """One SourceFile, or a FileList for a slice."""
        if isinstance(i, slice):
            return FileList(self.bases, self.keys[i], self.roots[i])
        key, root = self.keys[i], self.roots[i]
        return SourceFile(os.path.join(self.bases[root], key), key, root)


class DigestIndex:
    """md5 hex digest -> index of the first file with those bytes, in sorted numpy arrays
    (24 bytes a file instead of about 150 in a dict); `update` merges a part's digests."""

    def __init__(self) -> None:
        self.hi = np.zeros(0, np.uint64)  # first and last 8 bytes of each digest, sorted by hi
        self.lo = np.zeros(0, np.uint64)
        self.index = np.zeros(0, np.int64)

    @staticmethod
    def _split(md5: str) -> tuple[int, int]:
        return int(md5[:16], 16), int(md5[16:32], 16)

    def get(self, md5: str, default: int | None = None) -> int | None:
        """The index stored for `md5`, else `default`."""
        hi, lo = self._split(md5)
        at = int(np.searchsorted(self.hi, np.uint64(hi)))
        while at < len(self.hi) and int(self.hi[at]) == hi:
            if int(self.lo[at]) == lo:
                return int(self.index[at])
            at += 1
        return default

    def update(self, digests: dict[str, int]) -> None:
        """Add md5 -> index pairs (a part's record)."""
        if not digests:
            return
        pairs = [self._split(m) for m in digests]
        hi = np.concatenate([self.hi, np.array([p[0] for p in pairs], np.uint64)])
        lo = np.concatenate([self.lo, np.array([p[1] for p in pairs], np.uint64)])
        index = np.concatenate([self.index, np.fromiter(digests.values(), np.int64)])
        order = np.argsort(hi, kind="stable")
        self.hi, self.lo, self.index = hi[order], lo[order], index[order]


@dataclass
class BuildReport:
    """Outcome of a build: counts per split, and every skipped file with its reason."""

    out: str
    files: int = 0
    used: int = 0
    windows: dict[str, int] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    ignored: int = 0  # files in the folders not named like MIDI files

    def summary(self) -> str:
        """A few human-readable lines: what was built, and why files were skipped."""
        lines = [
            f"{self.used} of {self.files} files converted in {self.seconds:.1f} s -> {self.out}",
            "windows: " + ", ".join(f"{s} {self.windows.get(s, 0)}" for s in SPLITS),
        ]
        if self.ignored:
            names = ", ".join(MIDI_SUFFIXES)
            lines.append(f"ignored {self.ignored} other files (not named {names})")
        if self.skipped:
            counts = Counter(s["reason"] for s in self.skipped)
            lines.append(
                f"skipped {len(self.skipped)} files (each listed with its reason in "
                f"{Path(self.out) / 'skipped.json'}): "
                + ", ".join(f"{r} {counts[r]}" for r in REASONS if counts[r])
            )
            for s in self.skipped[:5]:
                lines.append(f"  {s['path']}: {s['reason']}: {s['message']}")
            if len(self.skipped) > 5:
                lines.append(f"  ... and {len(self.skipped) - 5} more")
        return "\n".join(lines)


def find_midi_files(
    sources: Iterable[str | os.PathLike], ignored: list[str] | None = None
) -> FileList:
    """Every MIDI file (by suffix, any case) under the given folders, plus files named directly;
    sorted by (source, relative path). Other files found in the folders are appended to
    `ignored` when given. Raises `LatentjamError` for a path that does not exist."""
    bases: list[str] = []
    keys: list[str] = []
    roots = array("i")
    for root_index, src in enumerate(sources):
        root = Path(src)
        if root.is_file():
            bases.append(str(root.parent))
            keys.append(root.name)
            roots.append(root_index)
        elif root.is_dir():
            base = str(root)
            bases.append(base)
            found = []
            for folder, _dirs, names in os.walk(base):
                rel = os.path.relpath(folder, base)
                prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
                for name in names:
                    if os.path.splitext(name)[1].lower() in MIDI_SUFFIXES:
                        if os.path.isfile(os.path.join(folder, name)):
                            found.append(prefix + name)
                    elif ignored is not None and os.path.isfile(os.path.join(folder, name)):
                        ignored.append(os.path.join(folder, name))
            found.sort()
            keys.extend(found)
            roots.extend([root_index] * len(found))
        else:
            raise LatentjamError(f"{src}: no such file or folder")
    return FileList(bases, keys, roots)


def _fingerprint(files: FileList) -> str:
    """sha1 of the file list (source index and key of each file), computed as it goes."""
    digest = hashlib.sha1()
    for i, key in enumerate(files.keys):
        digest.update(f"{'' if i == 0 else chr(10)}{files.roots[i]}/{key}".encode())
    return digest.hexdigest()


def _results(
    files: Sequence[SourceFile], converter: Converter, pool: ProcessPoolExecutor | None
) -> Iterator[FileResult]:
    """Convert `files` in order, in `pool`'s worker processes (None: in this process)."""
    paths = [f.path for f in files]
    if pool is None or len(paths) <= 1:
        for p in paths:
            yield convert_file(p, converter)
        return
    done = 0
    workers = pool._max_workers
    chunk = max(1, min(16, len(paths) // (workers * 8)))
    try:
        for result in pool.map(convert_file, paths, [converter] * len(paths), chunksize=chunk):
            done += 1
            yield result
    except BrokenProcessPool:
        # a worker died (a parser crash, or killed): redo the rest one file per process, so the
        # file responsible is reported and every other file still converted
        for p in paths[done:]:
            yield _isolated(p, converter)


def _isolated(path: str, converter: Converter) -> FileResult:
    try:
        with ProcessPoolExecutor(1) as pool:
            return pool.submit(convert_file, path, converter).result()
    except BrokenProcessPool:
        return FileResult(None, "internal error", "the worker process died reading this file")


class _ShardWriter:
    """Collects windows per split and writes shards/<split>-NNNNN.npz of about SHARD_BYTES
    (as float32; stored losslessly as small integers, see `latentjam.datasets.compact`)."""

    def __init__(self, folder: Path, window_bytes: int, kind: str, prefix: str = ""):
        self.folder = folder
        self.kind = kind
        self.prefix = prefix
        self.limit = max(64, SHARD_BYTES // max(1, window_bytes))
        self.buffers: dict[str, list[tuple[np.ndarray, int]]] = {s: [] for s in SPLITS}
        self.sizes = dict.fromkeys(SPLITS, 0)
        self.shards: list[dict] = []

    def add(self, split: str, x: np.ndarray, source: int) -> None:
        self.buffers[split].append((x, source))
        self.sizes[split] += len(x)
        if self.sizes[split] >= self.limit:
            self.flush(split)

    def flush(self, split: str) -> None:
        if not self.buffers[split]:
            return
        x = np.concatenate([b[0] for b in self.buffers[split]]).astype(np.float32)
        source = np.concatenate(
            [np.full(len(b[0]), b[1], dtype=np.int32) for b in self.buffers[split]]
        )
        name = f"{self.prefix}{split}-{sum(s['split'] == split for s in self.shards):05d}.npz"
        arrays = encode(self.kind, x)
        with atomic_path(self.folder / name) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, source=source, **arrays)
        self.shards.append(
            {
                "file": f"shards/{name}",
                "split": split,
                "windows": len(x),
                "encoding": str(arrays["encoding"]),
            }
        )
        self.buffers[split], self.sizes[split] = [], 0


def build_dataset(
    sources: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    converter: Converter,
    *,
    kind: str,
    workers: int | None = None,
    valid: float = 0.1,
    test: float = 0.1,
    progress: bool = True,
) -> BuildReport:
    """Convert every MIDI file under `sources` into `out` (manifest.json, shards/, skipped.json).

    Files are split train/valid/test by a hash of their path relative to their source folder,
    so a piece never lands in two splits and rebuilding gives the same split; a source folder
    with the Groove MIDI Dataset's `info.csv` (columns midi_filename, split) uses its splits.
    A file whose bytes equal an earlier file's (Lakh holds many) is skipped as "duplicate".
    The files are converted in parts of `PART_FILES`; each finished part's shards and record
    are kept in `out/.build/`, so a build killed half-way and started again with the same
    arguments converts only the parts not yet done. The output is identical for any number of
    `workers` (default: all cores). Returns the `BuildReport`.
    """
    if not (valid >= 0 and test >= 0 and valid + test <= 1):
        raise LatentjamError("valid and test fractions must be >= 0 and sum to at most 1")
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LatentjamError(f"{out} exists and is not a folder")
    resumable = (out / STAGING / "plan.json").is_file()
    if (
        out.is_dir()
        and any(out.iterdir())
        and not (out / "manifest.json").is_file()
        and not resumable
    ):
        raise LatentjamError(f"{out} is a non-empty folder that is not a latentjam dataset")
    other: list[str] = []
    files = find_midi_files(sources, other)
    if not files:
        raise LatentjamError(
            "no MIDI files (" + ", ".join(MIDI_SUFFIXES) + ") under " + ", ".join(map(str, sources))
        )
    listed = listed_splits(sources)
    workers = max(1, int(workers or os.cpu_count() or 1))
    staging = out / STAGING
    plan = {
        "format": FORMAT,
        "kind": kind,
        "cache_key": converter.cache_key(),
        "sources": [str(Path(s).resolve()) for s in sources],
        "valid": valid,
        "test": test,
        "part_files": PART_FILES,
        "files": _fingerprint(files),
    }
    done = _resume(staging, plan)
    parts = [files[i : i + PART_FILES] for i in range(0, len(files), PART_FILES)]
    report = BuildReport(out=str(out), files=len(files), ignored=len(other))
    # memory per file stays small: the per-file records stay in the parts' files on disk and
    # the manifest's file list is streamed from them at the end
    used, per_split_files, windows = 0, Counter(), Counter()
    shards: list[dict] = []
    first_of = DigestIndex()  # md5 -> index (in `files`) of the first file with those bytes
    skipped_at_resume = sum(len(p) for k, p in enumerate(parts) if k in done)
    bar = _progress(len(files), progress, initial=skipped_at_resume)
    if skipped_at_resume and progress:
        log.info("resuming: %d of %d files were converted before", skipped_at_resume, len(files))
    pool = ProcessPoolExecutor(workers) if workers > 1 and len(files) > 1 else None
    try:
        for k, part in enumerate(parts):
            if k in done:
                record = _read_record(staging, k)
            else:
                record = _convert_part(
                    k,
                    part,
                    converter,
                    kind,
                    pool,
                    staging,
                    first_of,
                    used,
                    bar,
                    listed,
                    (valid, test),
                    lambda i: files[i].path,
                )
            used += len(record["entries"])
            for e in record["entries"]:
                per_split_files[e["split"]] += 1
                windows[e["split"]] += e["windows"]
            report.skipped.extend(record["skipped"])
            shards.extend(record["shards"])
            first_of.update(record["md5"])
            del record
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()

    report.used = used
    report.windows = {s: windows[s] for s in SPLITS}
    report.seconds = time.perf_counter() - started
    shutil.rmtree(out / "shards", ignore_errors=True)
    os.replace(staging / "shards", out / "shards")
    shutil.rmtree(out / "stream", ignore_errors=True)  # streamed copies of the old shards
    reasons = Counter(s["reason"] for s in report.skipped)
    manifest = {
        "format": FORMAT,
        "version": 1,
        "kind": kind,
        "converter": {"class": type(converter).__name__, "settings": asdict(converter)},
        "cache_key": converter.cache_key(),
        "window_shape": [converter.steps, converter.feature_dim],
        "dtype": "float32",
        "sources": [str(Path(s)) for s in sources],
        "split_rule": "sha1(path relative to its source folder): test < "
        f"{test}, valid < {test + valid}, else train"
        + ("; info.csv splits where a source lists them" if listed else ""),
        "split_fractions": {"train": 1 - valid - test, "valid": valid, "test": test},
        "counts": {
            "files_found": len(files),
            "other_files_ignored": len(other),
            "files_used": used,
            "files_skipped": len(report.skipped),
            "files_per_split": {s: per_split_files[s] for s in SPLITS},
            "windows_per_split": report.windows,
            "skipped_by_reason": {r: reasons[r] for r in REASONS if reasons[r]},
        },
        "shards": shards,
        "skipped_report": "skipped.json",
        "files": FILES_PLACEHOLDER,
        "build": {
            "workers": workers,
            "seconds": round(report.seconds, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    _write_json(out / "skipped.json", report.skipped)
    _write_manifest(out / "manifest.json", manifest, staging, len(parts))
    shutil.rmtree(staging, ignore_errors=True)
    return report


FILES_PLACEHOLDER = "@@files@@"


def _read_record(staging: Path, k: int) -> dict:
    return json.loads((staging / f"part-{k:05d}.json").read_text())


def _write_manifest(path: Path, manifest: dict, staging: Path, n_parts: int) -> None:
    """manifest.json with its "files" list streamed from the part records (one at a time)."""
    head, tail = json.dumps(manifest, indent=1).split(json.dumps(FILES_PLACEHOLDER))
    with atomic_path(path) as tmp, tmp.open("w") as fh:
        fh.write(head + "[")
        first = True
        for k in range(n_parts):
            for entry in _read_record(staging, k)["entries"]:
                fh.write(("" if first else ",") + "\n  " + json.dumps(entry))
                first = False
        fh.write("\n ]" + tail + "\n")


def _resume(staging: Path, plan: dict) -> set[int]:
    """The finished parts of an interrupted build with the same `plan` (their indices); any
    other staging folder is cleared and the plan written."""
    try:
        same = json.loads((staging / "plan.json").read_text()) == plan
    except (OSError, ValueError):
        same = False
    if not same:
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "shards").mkdir(parents=True)
        _write_json(staging / "plan.json", plan)
        return set()
    (staging / "shards").mkdir(exist_ok=True)
    done = set()
    for path in staging.glob("part-*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if all((staging / s["file"]).is_file() for s in record["shards"]):
            done.add(int(path.stem.split("-")[1]))
    return done


def _convert_part(
    k, part, converter, kind, pool, staging, first_of, first_entry, bar, listed, fractions, paths
) -> dict:
    """Convert one part of the file list; its shards and then its record go to `staging`.

    `first_of` maps an md5 to its index in the whole file list (part k starts at
    k * PART_FILES); `paths(index)` gives that file's path.
    """
    writer = _ShardWriter(
        staging / "shards", converter.steps * converter.feature_dim * 4, kind, prefix=f"p{k:05d}-"
    )
    record: dict = {"entries": [], "skipped": [], "md5": {}}
    for f, result in zip(part, _results(part, converter, pool), strict=True):
        bar.update(1)
        if result.windows is None:
            record["skipped"].append(
                {"path": f.path, "reason": result.reason, "message": result.message}
            )
            continue
        earlier = first_of.get(result.md5, record["md5"].get(result.md5))
        if earlier is not None:
            record["skipped"].append(
                {
                    "path": f.path,
                    "reason": "duplicate",
                    "message": f"same bytes as {paths(earlier)}",
                }
            )
            continue
        record["md5"][result.md5] = k * PART_FILES + len(record["entries"]) + len(record["skipped"])
        split = listed.get((f.root, f.key)) or split_of(f.key, *fractions)
        writer.add(split, result.windows, first_entry + len(record["entries"]))
        record["entries"].append(
            {"path": f.key, "root": f.root, "split": split, "windows": len(result.windows)}
        )
    for split in SPLITS:
        writer.flush(split)
    for shard in writer.shards:
        shard["file"] = f"shards/{Path(shard['file']).name}"
    record["shards"] = writer.shards
    _write_json(staging / f"part-{k:05d}.json", record)  # after its shards: the part is done
    return record


GMD_SPLITS = {"train": "train", "validation": "valid", "valid": "valid", "test": "test"}


def listed_splits(sources: Sequence[str | os.PathLike]) -> dict[tuple[int, str], str]:
    """{(source index, relative path): split} from an `info.csv` at a source folder's top with
    `midi_filename` and `split` columns (the Groove MIDI Dataset's layout)."""
    import csv

    out: dict[tuple[int, str], str] = {}
    for root, src in enumerate(sources):
        path = Path(src) / "info.csv"
        if not path.is_file():
            continue
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise LatentjamError(f"{path}: unreadable ({exc})") from None
        for row in rows:
            name, split = row.get("midi_filename"), GMD_SPLITS.get(str(row.get("split")).lower())
            if name and split:
                out[(root, Path(name).as_posix())] = split
    return out


def _write_json(path: Path, data) -> None:
    atomic_write_json(path, data)


def _progress(total: int, enabled: bool, initial: int = 0):
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        unit="file",
        desc="converting",
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
    )
