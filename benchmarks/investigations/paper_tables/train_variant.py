"""Train a variant of a preset with objective and model changes (the investigation's retrains).

    STEPS=8000 python train_variant.py drums /tmp/fm8k '{}'
    python train_variant.py drums /tmp/fzcond '{}' '{"metric_output": "conductor"}'
    python train_variant.py drums /tmp/fdest '{"flat_estimator": "finite_difference"}'

Arguments: preset, output directory, JSON objective changes, optional JSON model changes;
STEPS overrides the preset's number of steps. Writes <out>/model.pt (fp32) for
`benchmarks/paper_tables.py --models drums=<out>/model.pt --out DIR`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

import torch

from latentjam.corpora import load_corpus
from latentjam.datasets import make_converter
from latentjam.models import RecurrentVAE, RecurrentVAEConfig
from latentjam.presets import get_preset
from latentjam.pretrained import save_model
from latentjam.regularizers import Objective, ObjectiveConfig
from latentjam.training.data import ArrayDataModule
from latentjam.training.fit import fit


def main() -> None:
    torch.set_num_threads(1)
    preset, out, changes = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    model_changes = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    p = get_preset(preset)
    obj = ObjectiveConfig.from_dict({**p.objective.to_dict(), **changes})
    conv = make_converter(p.model.data, bars=p.model.bars)
    x = load_corpus(p.corpus, conv, "train", progress=False)
    v = load_corpus(p.corpus, conv, "valid", progress=False)
    torch.manual_seed(p.train.seed)
    model = RecurrentVAE(RecurrentVAEConfig.from_dict({**p.model.to_dict(), **model_changes}))
    train = dataclasses.replace(p.train, max_steps=int(os.environ.get("STEPS", p.train.max_steps)))
    desc = {
        "source": f"corpus:{p.corpus}",
        "converter": conv.cache_key(),
        "n_train": len(x),
        "n_valid": len(v),
        "preset": preset,
        "objective_changes": changes,
        "model_changes": model_changes,
    }
    data = ArrayDataModule(x, v, batch_size=train.batch_size, seed=train.seed)
    fit(model, Objective(obj), data, train, out, description=desc, progress=False)
    meta = {
        "data": desc,
        "preset": preset,
        "steps": train.max_steps,
        "objective_config": obj.to_dict(),
        "train_config": train.to_dict(),
    }
    save_model(f"{out}/model.pt", model, metadata=meta, half=False)


if __name__ == "__main__":
    main()
