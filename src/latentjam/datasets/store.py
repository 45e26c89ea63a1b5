"""Read a built dataset: its windows per split, and what it holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from latentjam.datasets.build import FORMAT, SPLITS
from latentjam.datasets.compact import decode
from latentjam.errors import LatentjamError


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest of the dataset in `folder`; a clear error when there is none."""
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise LatentjamError(f"{folder} is not a latentjam dataset (no manifest.json)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LatentjamError(f"{path}: unreadable manifest ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise LatentjamError(f"{path} is not a latentjam dataset manifest")
    return manifest


def load_dataset(folder: str | os.PathLike, split: str = "train", *, with_source: bool = False):
    """Windows of one split, (n, T, D) float32 (n may be 0).

    With `with_source=True` returns (x, source) where source (n,) int32 indexes
    `dataset_info(folder)["files"]`-style entries of the manifest's "files" list.
    """
    if split not in SPLITS:
        raise LatentjamError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    manifest = read_manifest(folder)
    xs, sources = [], []
    for shard in manifest["shards"]:
        if shard["split"] != split:
            continue
        path = Path(folder) / shard["file"]
        try:
            with np.load(path) as data:
                xs.append(decode(data, int(manifest["window_shape"][1])))
                sources.append(data["source"])
        except (OSError, ValueError, KeyError) as exc:
            raise LatentjamError(f"{path}: unreadable shard ({exc})") from None
    shape = tuple(manifest["window_shape"])
    x = np.concatenate(xs) if xs else np.zeros((0, *shape), dtype=np.float32)
    if with_source:
        src = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int32)
        return x, src
    return x


def dataset_info(folder: str | os.PathLike) -> dict:
    """What the dataset in `folder` holds: kind, converter settings, shape, counts per split,
    skips by reason, sources and build details (the manifest without its per-file list)."""
    manifest = read_manifest(folder)
    info = {k: v for k, v in manifest.items() if k != "files"}
    info["path"] = str(Path(folder))
    return info
