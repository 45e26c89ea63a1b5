"""Render the bundled real-audio corpus: music21's Bach chorales on GM piano, cached as FLAC.

    python scripts/render_audio_corpus.py [--pieces 60] [--sample-rate 16000] [--out DIR]

Without --out the corpus goes to $LATENTJAM_CACHE/audio/ (default ~/.cache/latentjam), where
`latentjam audio train --bundled` finds it. Rendering is deterministic (same music21 corpus,
soundfont and midirenderer version -> the same samples); the manifest records what was used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from latentjam.audio.datasets import bundled_audio_dir, render_bundled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=60, help="number of chorales")
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--out", type=Path, default=None, help="folder (default: the cache)")
    args = parser.parse_args()
    if args.out is None:
        out = bundled_audio_dir(args.sample_rate, args.pieces, progress=True)
    else:
        out = render_bundled(
            args.out, sample_rate=args.sample_rate, pieces=args.pieces, progress=True
        )
    manifest = json.loads((out / "manifest.json").read_text())
    seconds = sum(f["seconds"] for f in manifest["files"])
    files = manifest["files"]
    counts = {s: sum(f["split"] == s for f in files) for s in ("train", "valid", "test")}
    print(f"{out}: {len(manifest['files'])} pieces, {seconds / 60:.1f} min, splits {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
