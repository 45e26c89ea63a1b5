"""Writing a benchmark's figures to benchmarks/results/NAME.json, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_results(path: str | os.PathLike, result: dict) -> Path:
    """Write `result` as JSON to `path` (parents created) through a temporary file + os.replace,
    so an interrupted run never leaves a half-written results file. A `--quick` run
    (result["quick"] true) goes to NAME.quick.json (git-ignored) and never replaces the recorded
    full results."""
    path = Path(path)
    if result.get("quick"):
        path = path.with_name(path.stem + ".quick" + path.suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(result, indent=1, default=float) + "\n")
    os.replace(tmp, path)
    return path
