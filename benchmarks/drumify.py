"""Tap to groove: the shipped drumify model on the drum corpus's test split against a table.

Every test window's hits collapsed to one tapped voice are the input; the full 9-class grid is
the answer. Onset recall (the groove keeps the tapped steps; target >= 0.9), class accuracy at
the tapped steps, the exact class set there, hit F1 over all cells, against the most frequent
class set per 16th position of the training split. The same figures as the model's card.

    python benchmarks/drumify.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from results_file import write_results
from train_drumify import figures, table_baseline

RESULTS = Path(__file__).parent / "results" / "drumify.json"


def main() -> int:
    import torch

    from latentjam.api import load_drumify
    from latentjam.convert import DrumGrid
    from latentjam.corpora import load_corpus
    from latentjam.models.drumify import taps_of

    torch.set_num_threads(1)
    train = load_corpus("drums", DrumGrid(), "train", progress=False)
    test = load_corpus("drums", DrumGrid(), "test", progress=False)
    model = load_drumify()
    taps = taps_of(test)
    rows = {
        "drumify, raw (no help)": figures(model.drumify(taps, keep_taps=False), test),
        "drumify, taps kept (shipped behaviour)": figures(model.drumify(taps), test),
        "most frequent class set per position": figures(table_baseline(train, test), test),
    }
    result = {
        "command": "python benchmarks/drumify.py",
        "test_windows": len(test),
        "rows": rows,
        "onset_recall_target": 0.9,
        "met": rows["drumify, taps kept (shipped behaviour)"]["onset_recall"] >= 0.9,
    }
    write_results(RESULTS, result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
