"""Add a training invocation's wall seconds to RUN/timing.json (summed over resumed runs).

python scripts/add_wall_time.py RUN SECONDS
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    run, seconds = Path(argv[0]), int(argv[1])
    path = run / "timing.json"
    timing = json.loads(path.read_text()) if path.exists() else {}
    timing["wall_seconds"] = timing.get("wall_seconds", 0) + seconds
    path.write_text(json.dumps(timing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
