"""Ship a waveform VAE run as `wave-tiny`: fp16 weights and a card with the held-out figures.

    python scripts/package_wave_model.py runs/wave-cont/model.pt --history "..."

The figures are those of `benchmarks/audio.py` (same clips: 24 test-split clips of 2 s): the
spectral distances beside shaped noise, and whether the notes survive (chroma correlation,
onset F1), plus sampling around the clips.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from audio import around_and_between, quality
from latentjam.audio import checkpoints
from latentjam.audio.datasets import bundled_audio_dir, load_segments

CARD = """# wave-tiny: InstructME-style convolutional waveform VAE (tiny preset)

Waveform VAE in the style of InstructME: 4 down blocks (strides 2, 4, 4, 8; channels 8 -> 128;
dilated residual units), a latent of 8 channels at 62.5 frames/s, mirrored decoder;
multi-resolution STFT loss, KL weight 1e-4, STFT discriminator (hinge + feature matching).
What it is for: `latentjam audio reconstruct`, `audio interpolate`, and `audio sample --around
CLIP --radius R` (variations of a clip). Sampling from the prior is not its use (InstructME
generates with latent diffusion on top): prior samples are noise-like textures.

- config: `{config}`; {params} parameters; file: fp16 state dict ({size_kb} kB)
- data: the bundled rendered corpus (the first 60 Bach chorales of music21's corpus on the
  General MIDI piano of TimGM6mb.sf2, rendered by midirenderer, 16 kHz mono), train split
  ({segments} segments of 8192 samples); split by piece.
- training: {history}. One CPU thread (`latentjam audio train --preset wave-tiny --bundled
  --init-from wave-tiny --max-minutes 55`, resumable with `--resume`); {date}, torch {torch}.

## Held-out pieces (test split, {clips} clips of 2 s; `python benchmarks/audio.py`)

| | MR spectral convergence | log-spectral distance (dB) | mel distance (dB) | chroma r | onset F1 |
| --- | --- | --- | --- | --- | --- |
{rows}

Targets: below shaped noise on every spectral metric, chroma correlation >= 0.8, onset F1 >= 0.8.

Sampling around a held-out clip (chroma r / onset F1 against it): {around}.
Interpolating between two clips, chroma r to the first end at t = 0, 0.25, 0.5, 0.75, 1:
{curve}.

Limits: one instrument (a GM piano soundfont) in the chorales' register; other timbres and
registers come back as piano-like textures. Onsets are kept within 50 ms, but the waveform is
not the original's (phase, noise floor).
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="model.pt or lightning/checkpoints/last.ckpt of a wave-tiny run")
    ap.add_argument("--history", required=True, help="how the weights were trained (card text)")
    ap.add_argument("--dest", default=str(checkpoints.pretrained_dir() / "wave-tiny.pt"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = checkpoints.load_audio_model(args.model)
    clips = load_segments(
        bundled_audio_dir(16000),
        sample_rate=16000,
        length=32000,
        split="test",
        hop=48000,
        max_segments=24,
    )
    q = quality(model, clips, False)
    var = around_and_between(model, clips)
    meta = dict(getattr(model, "metadata", {}) or {})
    meta.update({"held_out": q, "variations": var, "history": args.history})
    dest = Path(args.dest)
    checkpoints.save_model(model, dest, meta)
    rows = "\n".join(
        f"| {name.replace('_', ' ')} | {r['mr_sc']:.3f} | {r['lsd_db']:.2f} | {r['mel_db']:.2f} | "
        f"{r['chroma_r']:.3f} | {r['onset_f1']:.3f} |"
        for name, r in q.items()
    )
    around = "; ".join(
        f"{k}: {v['chroma_r']:.2f} / {v['onset_f1']:.2f}" for k, v in var["around"].items()
    )
    curve = ", ".join(f"{v:.2f}" for v in var["interpolation"]["chroma_r_to_a"])
    card = CARD.format(
        config=json.dumps(model.config.to_dict()),
        params=sum(p.numel() for p in model.parameters()),
        size_kb=os.path.getsize(dest) // 1024,
        segments=meta.get("train_segments", "?"),
        history=args.history,
        date=datetime.now(timezone.utc).date().isoformat(),
        torch=torch.__version__,
        clips=len(clips),
        rows=rows,
        around=around,
        curve=curve,
    )
    tmp = dest.with_suffix(".md.tmp")
    tmp.write_text(card)
    os.replace(tmp, dest.with_suffix(".md"))
    print(json.dumps({"held_out": q["model"], "shaped_noise": q["shaped_noise"]}, indent=1))
    print(f"wrote {dest} and its card")
    return 0


if __name__ == "__main__":
    sys.exit(main())
