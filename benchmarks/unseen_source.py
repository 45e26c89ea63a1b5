"""Music from a source the model never saw: greedy reconstruction on the test split against
reconstruction on a whole held-out source.

- drums: a model trained on the bundled drum corpus without one source (default: openmsx, the
  Debian openmsx package's game-music drum tracks) is scored on the test split of the other
  sources and on every window of the held-out source;
- melody: a model trained on Ryan's Mammoth is scored on Ryan's test split and on every window
  of O'Neill's 1850 whose event codes do not occur anywhere in Ryan's (tunes in both
  collections are thereby left out).

    python benchmarks/unseen_source.py --drums runs/gpu/drums-s0-drums-without-openmsx/model.pt \\
        --melody melody --json benchmarks/results/unseen_source.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def score(model, x: np.ndarray) -> dict[str, float]:
    """Greedy reconstruction figures from the posterior means."""
    from latentjam.evaluation import reconstruction

    return reconstruction(model, np.asarray(x, np.float32), model.config.data)


def drums(model_file: str, source: str, limit: int, narrow: tuple[str, ...] = ()) -> dict:
    """Test split without `source` vs every window of `source`; each other source's test split
    on its own, and (with `narrow`) the test split without those sources as well."""
    from latentjam.corpora.load import load_corpus_by_source
    from latentjam.datasets import make_converter
    from latentjam.pretrained import load_model

    model = load_model(model_file)
    conv = make_converter("drums")
    seen = load_corpus_by_source("drums", conv, "test", exclude=source, progress=False)[:limit]
    unseen = load_corpus_by_source("drums", conv, "all", only=source, progress=False)[:limit]
    a, b = score(model, seen), score(model, unseen)
    per_source = {}
    for other in sorted(drums_index_sources()):
        if other != source:
            x = load_corpus_by_source("drums", conv, "test", only=other, progress=False)
            if len(x):  # a small source may have no piece in the test split
                per_source[other] = {"windows": len(x), "hit_f1": score(model, x)["hit_f1"]}
    if narrow:
        parts = [
            load_corpus_by_source("drums", conv, "test", only=other, progress=False)
            for other in sorted(drums_index_sources() - {source, *narrow})
        ]
        narrowed = score(model, np.concatenate(parts)[:limit])
        per_source["without " + " ".join(narrow)] = {
            "windows": min(limit, sum(len(x) for x in parts)),
            "hit_f1": narrowed["hit_f1"],
            "drop_hit_f1": narrowed["hit_f1"] - b["hit_f1"],
        }
    return {
        "model": model_file,
        "held_out_source": source,
        "test_split_windows": len(seen),
        "unseen_windows": len(unseen),
        "test_split": a,
        "test_split_per_source": per_source,
        "unseen": b,
        "drop_hit_f1": a["hit_f1"] - b["hit_f1"],
    }


def drums_index_sources() -> set[str]:
    """The sources of the bundled drum corpus (mma, hydrogen, ...), from its index."""
    from latentjam.corpora import drums_index

    return {entry["source"] for entry in drums_index()["files"].values()}


def melody(model_file: str, limit: int) -> dict:
    """Ryan's test split vs O'Neill's windows that do not occur in Ryan's."""
    from latentjam.corpora import load_corpus
    from latentjam.datasets import make_converter
    from latentjam.pretrained import load_model

    model = load_model(model_file)
    conv = make_converter("melody")
    ryans_all = load_corpus("ryans-mammoth", conv, "all", progress=False)
    known = {row.tobytes() for row in ryans_all.argmax(-1).astype(np.uint8)}
    oneills = load_corpus("oneills1850", conv, "all", progress=False)
    codes = oneills.argmax(-1).astype(np.uint8)
    new = np.array([row.tobytes() not in known for row in codes], dtype=bool)
    rng = np.random.default_rng(0)
    pick = rng.permutation(np.flatnonzero(new))[:limit]
    test = load_corpus("ryans-mammoth", conv, "test", progress=False)[:limit]
    a, b = score(model, test), score(model, oneills[np.sort(pick)])
    return {
        "model": model_file,
        "oneills_windows": len(oneills),
        "oneills_windows_not_in_ryans": int(new.sum()),
        "test_split_windows": len(test),
        "unseen_windows": len(pick),
        "test_split": a,
        "unseen": b,
        "drop_note_on_pitch_accuracy": a["note_on_pitch_accuracy"] - b["note_on_pitch_accuracy"],
        "drop_onset_f1": a["onset_f1"] - b["onset_f1"],
    }


def main(argv: list[str] | None = None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drums", help="drum model trained without --source")
    ap.add_argument("--source", default="openmsx")
    ap.add_argument(
        "--narrow",
        nargs="*",
        default=[],
        help="also report the drop from a test split without these sources (e.g. freedoom)",
    )
    ap.add_argument("--melody", help="melody model trained on Ryan's Mammoth")
    ap.add_argument("--limit", type=int, default=3000, help="windows per side at most")
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    out = {}
    if args.drums:
        out["drums"] = drums(args.drums, args.source, args.limit, tuple(args.narrow))
    if args.melody:
        out["melody"] = melody(args.melody, args.limit)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
