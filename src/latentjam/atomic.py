"""Atomic file writes: a temporary file in the same folder, then os.replace, with normal modes."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temporary_beside(path: str | os.PathLike, *, suffix: str = ".tmp") -> Path:
    """A new, empty temporary file next to `path` with the mode a plain `open` would give
    (mkstemp's own files are 0600, which would make the result private to its owner); its name
    is unique, so concurrent writers of one path never share it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return Path(tmp)


@contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file next to `path` (parents created) for a writer that wants a path: when
    the block ends normally it replaces `path`, when it raises it is removed. `suffix` is for
    writers that choose a format by the file's extension (matplotlib, soundfile)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(path, suffix=suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` so that a reader sees the old file or the whole new one."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(
    path: str | os.PathLike, data: Any, *, indent: int | None = 1, allow_nan: bool = True
) -> Path:
    """Write `data` as JSON with a final newline, atomically (`allow_nan=False`: strict JSON,
    NaN and infinity raise ValueError before anything is written)."""
    text = json.dumps(data, indent=indent, allow_nan=allow_nan) + "\n"
    return atomic_write_text(path, text)
