"""`latentjam train` and `latentjam evaluate`: fit a preset on a dataset or corpus, measure it."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from latentjam.atomic import atomic_write_json
from latentjam.errors import LatentjamError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `train` and `evaluate` sub-commands."""
    p = subparsers.add_parser("train", help="train a VAE preset (CPU, GPU, multi-GPU/multi-node)")
    p.add_argument("--preset", default="drums", help="preset name (see --list-presets)")
    p.add_argument("--list-presets", action="store_true", help="print the presets and exit")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--data", help="built dataset directory (latentjam data build) or .npy/.npz")
    src.add_argument("--corpus", help="bundled corpus name (default: the preset's corpus)")
    p.add_argument("--out", help="run directory (checkpoints, logs, model.pt)")
    p.add_argument("--max-steps", type=int, help="override the preset's number of steps")
    p.add_argument("--batch-size", type=int, help="override the preset's batch size")
    p.add_argument("--seed", type=int, help="override the preset's seed")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument(
        "--max-minutes",
        type=float,
        help="also stop after this much wall time (resume later with a larger budget)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PART.FIELD=VALUE",
        help="change one preset field, e.g. model.input_dropout=0.3, objective.beta=0.2, "
        "train.lr=0.001 (repeatable)",
    )
    p.add_argument(
        "--init-from", metavar="MODEL", help="start from this model file's weights (same shape)"
    )
    p.add_argument(
        "--augment",
        choices=("none", "transpose", "variation", "mix", "remix"),
        help="training-batch augmentation (default: the preset's): transpose (melodies), "
        "variation (drums: hi-hats swapped between grooves, hits dropped, loudness), mix "
        "(drums: variation with kick, snare, hi-hats and toms swapped on their own and second "
        "bars from other grooves), remix (drums: mix with single beats of each part from "
        "other grooves)",
    )
    p.add_argument("--devices", default="1", help="devices per node (int or 'auto')")
    p.add_argument("--num-nodes", type=int, default=1)
    p.add_argument("--strategy", default="auto", help="Lightning strategy, e.g. ddp")
    p.add_argument("--accelerator", default="cpu", help="cpu, gpu or auto")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)

    e = subparsers.add_parser("evaluate", help="reconstruction, smoothness, attributes, flatness")
    e.add_argument("--model", required=True, help="shipped model name or a .pt / .ckpt file")
    e.add_argument("--data", help="dataset directory or .npy/.npz (default: the model's corpus)")
    e.add_argument(
        "--corpus", help="bundled corpus name (default: the one the model was trained on)"
    )
    e.add_argument("--json", required=True, help="write the figures here")
    e.add_argument("--plots", help="directory for PNG plots (default: next to --json)")
    e.add_argument("--quick", action="store_true", help="fewer samples (for a fast look)")
    e.add_argument(
        "--split",
        default="test",
        choices=("train", "valid", "test", "all"),
        help="which split of --data / --corpus to measure on (default: test)",
    )
    e.add_argument("--seed", type=int, default=0)
    e.set_defaults(func=run_evaluate)


def apply_settings(model_cfg: Any, obj_cfg: Any, train_cfg: Any, settings: list[str]):
    """`--set part.field=value` changes -> new (model, objective, train) configs."""
    import dataclasses

    parts = {"model": model_cfg, "objective": obj_cfg, "train": train_cfg}
    for item in settings:
        key, sep, text = item.partition("=")
        part, _, name = key.partition(".")
        if not sep or part not in parts:
            raise LatentjamError(f"--set {item!r}: expected model.F=V, objective.F=V or train.F=V")
        fields = {f.name: f for f in dataclasses.fields(parts[part])}
        if name not in fields:
            raise LatentjamError(
                f"--set {item!r}: {part} has no field {name!r} (fields: {', '.join(fields)})"
            )
        current = getattr(parts[part], name)
        try:
            if isinstance(current, bool):
                value: Any = text.lower() in ("1", "true", "yes")
            elif isinstance(current, tuple):
                value = tuple(int(v) for v in text.split(",") if v)
            elif current is None:
                value = text
            else:
                value = type(current)(text)
        except ValueError:
            raise LatentjamError(f"--set {item!r}: {text!r} is not a valid {name}") from None
        parts[part] = dataclasses.replace(parts[part], **{name: value})
    return parts["model"], parts["objective"], parts["train"]


def make_augmentation(name: str) -> Any:
    """The training-batch transform called `name`: "" for none, "transpose" for melodies,
    "variation" for drum grids (hi-hats swapped between grooves, hits dropped, loudness), "mix"
    (the same with kick, snare, hi-hats and toms swapped on their own, and second bars),
    "remix" (mix with single beats of each part spliced in from other grooves)."""
    if not name:
        return None
    if name == "transpose":
        from latentjam.convert.melody import random_transpose

        return random_transpose
    if name == "variation":
        from latentjam.convert.drums import random_drum_variation

        return random_drum_variation
    if name == "mix":
        from latentjam.convert.drums import random_drum_mix

        return random_drum_mix
    if name == "remix":
        from latentjam.convert.drums import random_drum_remix

        return random_drum_remix
    raise LatentjamError(
        f"unknown augmentation {name!r} (expected 'transpose', 'variation', 'mix' or 'remix')"
    )


def load_arrays(
    *,
    data: str | None,
    corpus: str | None,
    converter: Any,
    splits: tuple[str, ...],
    stream: str | None = None,
) -> tuple[list[Any], dict[str, Any]]:
    """Windows (N, T, D) for each split plus a description of where they came from.

    Dense float32 arrays by default. With `stream=KIND` ("drums", "melody", ...) the training
    path: a dataset directory is memory-mapped from its compact stream cache, a .npy file is
    memory-mapped as it is, and a bundled corpus is held compactly; each split is then read
    one batch at a time (`latentjam.datasets.stream`).
    """
    import numpy as np

    if data:
        path = Path(data)
        if path.is_dir():
            from latentjam.datasets import load_dataset

            if stream:
                from latentjam.datasets.stream import stream_split

                arrays = [stream_split(path, split) for split in splits]
            else:
                arrays = [
                    np.asarray(load_dataset(path, split), dtype=np.float32) for split in splits
                ]
            return arrays, {"source": f"dataset:{path.resolve()}", "splits": list(splits)}
        if path.suffix in (".npy", ".npz") and path.is_file():
            if stream and path.suffix == ".npy":
                from latentjam.datasets.stream import ArrayWindows

                x = ArrayWindows(np.load(path, mmap_mode="r"))
            else:
                raw = np.load(path)
                x = raw["x"] if path.suffix == ".npz" else raw
                x = np.asarray(x, dtype=np.float32)
            # plain arrays: the first split gets everything, the others nothing
            arrays = [
                x if i == 0 else np.zeros((0, *x.shape[1:]), np.float32) for i in range(len(splits))
            ]
            return arrays, {"source": f"array:{path.resolve()}", "splits": [splits[0]]}
        raise LatentjamError(f"--data {data}: not a dataset directory or a .npy/.npz file")
    from latentjam.corpora import load_corpus

    arrays = [
        np.asarray(load_corpus(corpus, converter, split), dtype=np.float32) for split in splits
    ]
    if stream:
        from latentjam.datasets.stream import CompactWindows

        arrays = [CompactWindows.from_dense(stream, x) for x in arrays]
    return arrays, {
        "source": f"corpus:{corpus}",
        "converter": converter.cache_key(),
        "splits": list(splits),
    }


def _check_shape(x: Any, config: Any, what: str) -> None:
    want = (config.steps, config.feature_dim)
    if x.ndim != 3 or tuple(x.shape[1:]) != want:
        raise LatentjamError(
            f"{what} has shape {tuple(x.shape)}, the model needs (N, {want[0]}, {want[1]})"
        )


def run_train(args: argparse.Namespace) -> int:
    """Handler of `latentjam train`."""
    from latentjam.presets import PRESETS, get_preset

    if args.list_presets:
        for name, preset in PRESETS.items():
            print(f"{name:24s} {preset.description}")
        return 0
    if not args.out:
        raise LatentjamError("train needs --out RUN_DIR")
    import torch

    torch.set_num_threads(int(os.environ.get("LATENTJAM_THREADS", "1")))
    from latentjam.models import RecurrentVAE, RecurrentVAEConfig
    from latentjam.pretrained import save_model
    from latentjam.regularizers import Objective, ObjectiveConfig
    from latentjam.training import TrainConfig
    from latentjam.training.data import ArrayDataModule
    from latentjam.training.fit import checkpoint_path, fit

    preset = get_preset(args.preset)
    model_cfg, obj_cfg, train_cfg = preset.model, preset.objective, preset.train
    augment = preset.augment if args.augment is None else args.augment.replace("none", "")
    if args.resume:  # the run's own configs win over the preset
        ckpt = checkpoint_path(args.out)
        if not ckpt.exists():
            raise LatentjamError(f"nothing to resume: {ckpt} does not exist")
        saved = torch.load(ckpt, map_location="cpu", weights_only=True)["latentjam"]
        model_cfg = RecurrentVAEConfig.from_dict(saved["model_config"])
        obj_cfg = ObjectiveConfig.from_dict(saved["objective_config"])
        train_cfg = TrainConfig.from_dict(saved["train_config"])
        augment = saved.get("data", {}).get("augment", augment)
    changes = {
        k: v
        for k, v in (
            ("max_steps", args.max_steps),
            ("batch_size", args.batch_size),
            ("seed", args.seed),
        )
        if v is not None
    }
    if changes:
        train_cfg = TrainConfig.from_dict({**train_cfg.to_dict(), **changes})
    if args.set and not args.resume:
        model_cfg, obj_cfg, train_cfg = apply_settings(model_cfg, obj_cfg, train_cfg, args.set)
    _check_accelerator(args.accelerator)
    from latentjam.datasets import make_converter

    converter = make_converter(model_cfg.data, bars=model_cfg.bars)
    corpus = args.corpus or (None if args.data else preset.corpus)
    (train, valid), description = load_arrays(
        data=args.data,
        corpus=corpus,
        converter=converter,
        splits=("train", "valid"),
        stream=model_cfg.data,
    )
    _check_shape(train, model_cfg, "the training data")
    if len(train) == 0:
        raise LatentjamError("the training split is empty")
    description.update(
        preset=preset.name,
        n_train=len(train),
        n_valid=len(valid),
        data_kind=model_cfg.data,
        augment=augment,
    )
    torch.manual_seed(train_cfg.seed)
    model = RecurrentVAE(model_cfg)
    if args.init_from and not args.resume:
        from latentjam.pretrained import read_model_file

        state = read_model_file(args.init_from)["state_dict"]
        try:
            model.load_state_dict({k: v.float() for k, v in state.items()})
        except RuntimeError as exc:
            raise LatentjamError(
                f"--init-from {args.init_from}: weights do not fit the "
                f"preset's model ({str(exc).splitlines()[0]})"
            ) from None
        description["init_from"] = str(args.init_from)
    objective = Objective(obj_cfg)
    datamodule = ArrayDataModule(
        train,
        valid if len(valid) else None,
        batch_size=train_cfg.batch_size,
        seed=train_cfg.seed,
        transform=make_augmentation(augment),
    )
    devices: int | str = int(args.devices) if str(args.devices).isdigit() else args.devices
    ckpt = fit(
        model,
        objective,
        datamodule,
        train_cfg,
        args.out,
        resume=args.resume,
        description=description,
        devices=devices,
        num_nodes=args.num_nodes,
        strategy=args.strategy,
        accelerator=args.accelerator,
        progress=not args.no_progress,
        max_minutes=args.max_minutes,
    )
    if int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0:
        meta = {
            "data": description,
            "preset": preset.name,
            "settings": list(args.set),
            "model_config": model_cfg.to_dict(),
            "steps": _steps_done(ckpt, train_cfg.max_steps),
            "objective_config": obj_cfg.to_dict(),
            "train_config": train_cfg.to_dict(),
        }
        out = save_model(Path(args.out) / "model.pt", model, metadata=meta, half=False)
        print(f"checkpoint: {ckpt}\nmodel: {out}")
    return 0


def _check_accelerator(accelerator: str) -> None:
    """A GPU run asked for on a machine without one is a one-line error, not a traceback."""
    import torch

    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise LatentjamError(
            f"--accelerator {accelerator}: no CUDA GPU is visible to torch here "
            f"(torch {torch.__version__}); use --accelerator cpu"
        )
    if accelerator not in ("cpu", "gpu", "cuda", "auto", "mps"):
        raise LatentjamError(f"--accelerator {accelerator!r}: use cpu, gpu or auto")


def _steps_done(ckpt: Path, planned: int) -> int:
    """The optimiser steps the run's last checkpoint reached (a time limit can stop it early)."""
    import torch

    try:
        return int(torch.load(ckpt, map_location="cpu", weights_only=True)["global_step"])
    except (OSError, KeyError, RuntimeError):
        return planned


def run_evaluate(args: argparse.Namespace) -> int:
    """Handler of `latentjam evaluate`."""
    import numpy as np
    import torch

    torch.set_num_threads(int(os.environ.get("LATENTJAM_THREADS", "1")))
    from latentjam.api import converter_for
    from latentjam.evaluation import evaluate_model
    from latentjam.pretrained import load_model

    model = load_model(args.model)
    config = model.config
    converter = converter_for(model)
    corpus = args.corpus
    if not args.data and not corpus:
        source = str(model.metadata.get("data", {}).get("source", ""))
        if not source.startswith("corpus:"):
            raise LatentjamError("this model does not name its corpus: pass --data or --corpus")
        corpus = source.split(":", 1)[1]
    splits = ("train", "valid", "test") if args.split == "all" else (args.split,)
    arrays, description = load_arrays(
        data=args.data, corpus=corpus, converter=converter, splits=splits
    )
    test = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    if len(test) == 0:
        raise LatentjamError(f"the {args.split} split is empty (try --split all)")
    _check_shape(test, config, "the test data")
    json_path = Path(args.json)
    plots = Path(args.plots) if args.plots else json_path.parent / (json_path.stem + "_plots")
    report = evaluate_model(
        model, test, quick=args.quick, seed=args.seed, plot_dir=plots, name=Path(args.model).stem
    )
    report.pop("_raw", None)
    report["model"] = str(args.model)
    report["data"] = description
    atomic_write_json(json_path, _finite(report), indent=2, allow_nan=False)
    print(json.dumps(_finite(report.get("summary", {})), indent=2))
    print(f"wrote {json_path} and the plots in {plots}/")
    return 0


def _finite(obj: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null (bare NaN is not valid JSON)."""
    import math

    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
