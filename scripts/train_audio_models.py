"""Reproduce the shipped audio models: src/latentjam/pretrained/{mel-vae,wave-tiny}.pt + .md cards.

Renders the bundled corpus (Bach chorales on GM piano) into the cache if needed, trains each
model on its train split on one CPU thread within a wall-clock budget, and writes fp16
checkpoints and model cards (with the measured held-out quality) into src/latentjam/pretrained/.

    nice -n 5 python scripts/train_audio_models.py [--only mel-vae] [--minutes 14]
    python scripts/train_audio_models.py --out /tmp/check --max-steps 3   # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import torch

from latentjam.audio import checkpoints, ops, presets, train
from latentjam.audio.datasets import bundled_audio_dir, load_segments
from latentjam.audio.metrics import log_spectral_distance, multi_resolution_sc
from latentjam.pretrained import save_model

PRETRAINED = checkpoints.pretrained_dir()

ENGINES = {
    "lightning": "shared Lightning training, `latentjam.training.fit`, beta-KL objective",
    "adversarial": "generator/discriminator training, `latentjam.training.adversarial` "
    "(Lightning, manual optimisation)",
}

PLANS = {
    # name: (preset, max_steps, warmup_steps)
    "mel-vae": ("mel-vae", 4000, 4000),
    "wave-tiny": ("wave-tiny", 1100, 700),
}

CARD = """# {name}

{summary}

- preset: `{preset}`; config: `{config}`
- parameters: {params}; file: fp16 state dict ({size_kb} kB)
- training data: the bundled rendered corpus, train split ({segments} segments): the first
  {pieces} Bach chorales of music21's corpus (in file-name order), converted to MIDI, every part
  on General MIDI program 0 (acoustic grand piano), rendered offline by `midirenderer` with
  TimGM6mb.sf2 (the soundfont shipped with pretty_midi; GPL-2, Tim Brechbill), mono, {sr} Hz,
  peak-normalised. Split by piece (hash of the file name): train/valid/test.
- training: {steps} steps on one CPU thread, {seconds} s, seed 0, with
  `scripts/train_audio_models.py`: {engine}.
- held-out quality (test split, {eval_clips} clips of {eval_seconds} s): multi-resolution spectral
  convergence {sc:.3f}, log-spectral distance {lsd:.2f} dB (lower is better for both).
- trained on {date} with torch {torch}.

Limitations: a small model trained for minutes on one instrument (a GM piano soundfont); it
reconstructs piano-like textures in the chorales' register and little else. {extra}
"""

SUMMARIES = {
    "mel-vae": (
        "Dense mel-spectrogram VAE (the blog post's network plus one hidden layer of "
        "256 units): 64 mel bands x 64 frames (~1 s at 16 kHz) -> 32-D latent; audio "
        "back through Griffin-Lim (16 iterations).",
        "Griffin-Lim phase is not the original phase: expect a phasey, smeared sound.",
    ),
    "wave-tiny": (
        "Waveform VAE in the style of InstructME, preset `tiny`: 4 down blocks "
        "(strides 2,4,4,8; channels 8->128; dilated residual units), latent 8 channels "
        "at 62.5 frames/s; multi-resolution STFT loss, KL weight 1e-4, STFT "
        "discriminator (hinge + feature matching) after a warm-up.",
        "Sampling from the prior gives noise-like textures: the KL weight is tiny, so "
        "the latent is not close to N(0, I); reconstruct and interpolate are its uses.",
    ),
}


def held_out_quality(model, data_dir, clips: int = 12):
    """Mean multi-resolution SC and LSD of reconstructions of test-split clips."""
    sr = presets.sample_rate_of(model)
    n = 2 * sr  # 2 s clips for every model
    audio = load_segments(data_dir, sample_rate=sr, length=n, split="test", max_segments=clips)
    scs, lsds = [], []
    for clip in audio:
        out, _ = ops.reconstruct(model, clip)
        scs.append(multi_resolution_sc(clip, out))
        lsds.append(log_spectral_distance(clip, out))
    return float(sum(scs) / len(scs)), float(sum(lsds) / len(lsds)), len(audio), n / sr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PLANS), action="append")
    parser.add_argument("--minutes", type=float, default=14.0, help="budget per model")
    parser.add_argument("--pieces", type=int, default=60)
    parser.add_argument(
        "--out",
        type=Path,
        default=PRETRAINED,
        help="folder for <name>.pt/.md (default: the shipped models' folder)",
    )
    parser.add_argument(
        "--max-steps", type=int, default=None, help="override the planned steps (smoke tests)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = bundled_audio_dir(16000, args.pieces, progress=True)
    for name in args.only or list(PLANS):
        preset, steps, warmup = PLANS[name]
        if args.max_steps is not None:
            steps, warmup = args.max_steps, min(warmup, args.max_steps)
        with tempfile.TemporaryDirectory() as tmp:
            path = train.train_preset(
                preset,
                data,
                tmp,
                max_steps=steps,
                warmup_steps=warmup,
                max_seconds=args.minutes * 60,
            )
            model = checkpoints.load_audio_model(path)
            sc, lsd, clips, secs = held_out_quality(model, data)
            meta = dict(model.metadata)
            meta.update({"held_out_mr_sc": sc, "held_out_lsd_db": lsd})
            dest = args.out / f"{name}.pt"
            save_model(dest, model, metadata=meta)
        summary, extra = SUMMARIES[name]
        final = meta.get("final", {})
        card = CARD.format(
            name=name,
            summary=summary,
            preset=preset,
            config=json.dumps(model.config.to_dict()),
            params=sum(p.numel() for p in model.parameters()),
            size_kb=os.path.getsize(dest) // 1024,
            segments=meta["train_segments"],
            pieces=args.pieces,
            sr=presets.sample_rate_of(model),
            steps=meta["steps"],
            seconds=final.get("seconds", "?"),
            engine=ENGINES[meta.get("engine", "adversarial")],
            eval_clips=clips,
            eval_seconds=round(secs, 2),
            sc=sc,
            lsd=lsd,
            date=datetime.now(timezone.utc).date().isoformat(),
            torch=torch.__version__,
            extra=extra,
        )
        tmp_card = dest.with_suffix(".md.tmp")
        tmp_card.write_text(card)
        os.replace(tmp_card, dest.with_suffix(".md"))
        print(
            f"{name}: wrote {dest} ({os.path.getsize(dest) // 1024} kB); "
            f"held-out MR-SC {sc:.3f}, LSD {lsd:.2f} dB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
