"""Fetch onnxruntime-web from npm (pinned version) and copy the three files the static jam
site needs into src/latentjam/jam/static/vendor/onnxruntime-web/.

    python scripts/vendor_onnxruntime_web.py [--version 1.22.0]

Needs `npm` (Debian's npm package) and the npm registry.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
VENDOR = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "latentjam"
    / "jam"
    / "static"
    / "vendor"
    / "onnxruntime-web"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="1.22.0")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"onnxruntime-web@{args.version}"], cwd=tmp, check=True, timeout=600
        )
        (tgz,) = Path(tmp).glob("onnxruntime-web-*.tgz")
        with tarfile.open(tgz) as tar:
            tar.extractall(tmp, filter="data")
        VENDOR.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(Path(tmp) / "package" / "dist" / name, VENDOR / name)
    print(f"copied {', '.join(FILES)} into {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
