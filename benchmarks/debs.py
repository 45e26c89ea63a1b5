"""Real MIDI written by other software, for the benchmarks: files of Debian packages, fetched once.

`apt-get download` + `dpkg -x` (no installation, no root needed for the unpacking) into
$LATENTJAM_DEBS or ~/.cache/latentjam/debs; `debian_share()` returns the unpacked usr/share.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

PACKAGES = ("mma", "simutrans-data", "openttd-openmsx")


def debian_share(packages: tuple[str, ...] = PACKAGES) -> Path:
    """usr/share of `packages` unpacked in the cache (downloaded on first use)."""
    root = Path(os.environ.get("LATENTJAM_DEBS") or Path.home() / ".cache" / "latentjam" / "debs")
    unpacked = root / "x"
    stamp = root / ("fetched-" + "+".join(sorted(packages)))
    if not stamp.exists():
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            subprocess.run(["apt-get", "download", *packages], cwd=tmp, check=True)
            for deb in sorted(Path(tmp).glob("*.deb")):
                subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
        stamp.touch()
    return unpacked / "usr" / "share"
