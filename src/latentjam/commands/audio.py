"""`latentjam audio ...`: train, reconstruct, sample, interpolate and map the audio VAEs."""

from __future__ import annotations

import argparse
from pathlib import Path

from latentjam.commands.argtypes import non_negative_float
from latentjam.errors import LatentjamError

PRESETS = ("mel-vae", "mel-vae-2d", "wave-tiny", "wave-paper-like")
MODEL_HELP = "shipped model name (mel-vae, wave-tiny) or a model.pt / last.ckpt path"


AUDIO_MODELS = """\
The shipped audio models, what each is for and its measured limits (held-out rendered
chorales, benchmarks/README.md section audio):

  wave-tiny  waveform VAE (InstructME-style): reconstructs and varies clips. Held out:
             chroma correlation 0.96, onset F1 0.97, multi-resolution spectral convergence
             0.33 (shaped noise 0.80); decodes 85x real time on one core. Its prior is not
             for generation (InstructME puts latent diffusion on top): `audio sample`
             without --around gives noise-like textures (chroma 0.05); use --around FILE.
  mel-vae    dense mel-spectrogram VAE (the blog post's network) + Griffin-Lim: a teaching
             model. It keeps rhythm (onset F1 0.86) but not the notes (chroma correlation
             0.20; Griffin-Lim on the true mel alone reaches 0.69) and sounds phasey.
"""


def register(subparsers) -> None:
    """Add `audio` and its sub-commands."""
    audio = subparsers.add_parser(
        "audio",
        help="audio VAEs: mel-spectrogram and waveform",
        description=AUDIO_MODELS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = audio.add_subparsers(dest="audio_command", metavar="ACTION")
    audio.set_defaults(func=lambda args: audio.print_help() or 0)

    p = sub.add_parser("train", help="train an audio VAE preset on audio files")
    p.add_argument("--preset", choices=PRESETS, required=True)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, help="folder of WAV/FLAC/OGG files")
    src.add_argument(
        "--bundled",
        action="store_true",
        help="the bundled corpus: Bach chorales rendered on GM piano (cached)",
    )
    p.add_argument("--out", type=Path, required=True, help="run folder")
    p.add_argument("--max-steps", type=int, default=2000, help="optimiser steps")
    p.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget")
    p.add_argument("--batch-size", type=int, default=None, help="default: the preset's")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument(
        "--init-from",
        metavar="MODEL",
        help="start from this audio model's weights (a shipped name or a file; same preset)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last checkpoint (OUT/lightning/checkpoints)",
    )
    p.set_defaults(func=_train)

    p = sub.add_parser(
        "reconstruct",
        help="encode and decode an audio file",
        description="Encode an audio file window by window and decode it back "
        "(the model's measured limits are on its card: latentjam models NAME).",
    )
    p.add_argument("input", type=Path, help="WAV, FLAC or OGG file")
    p.add_argument("--model", default="mel-vae", help=MODEL_HELP)
    p.add_argument("--out", type=Path, required=True, help="output folder (audio + picture)")
    p.set_defaults(func=_reconstruct)

    p = sub.add_parser(
        "sample",
        help="variations of a clip (--around), or latents from the prior",
        description="With --around FILE: variations of that clip, drawn around its encoding "
        "(--radius: 0 = the clip itself, 1 = as far as the clip's own latents vary); this is "
        "how to get music out of the waveform VAE. Without it: latents drawn from the prior, "
        "which the waveform VAE is not meant for (InstructME generates with latent diffusion "
        "on top): expect noise-like textures from wave models.",
    )
    p.add_argument("--model", default="mel-vae", help=MODEL_HELP)
    p.add_argument("-n", type=int, default=4, help="how many samples")
    p.add_argument("--seconds", type=float, default=2.0, help="length (waveform models)")
    p.add_argument(
        "--temperature", type=non_negative_float, default=1.0, help="scale of the latent draws"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--around", type=Path, help="audio file to draw variations of")
    p.add_argument(
        "--radius",
        type=non_negative_float,
        default=0.3,
        help="with --around: how far from the clip, in units of its own latent spread",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=_sample)

    p = sub.add_parser("interpolate", help="walk the latent space between two audio files")
    p.add_argument("a", type=Path, help="first audio file")
    p.add_argument("b", type=Path, help="second audio file")
    p.add_argument("--model", default="mel-vae", help=MODEL_HELP)
    p.add_argument("--steps", type=int, default=5, help="points on the latent line, ends included")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=_interpolate)

    p = sub.add_parser("map", help="plot the 2-D latent map of a mel VAE (mel-vae-2d preset)")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", type=Path, help="folder of audio files")
    src.add_argument("--bundled", action="store_true", help="the bundled rendered chorales")
    p.add_argument(
        "--split", default="test", choices=("train", "valid", "test"), help="which split to draw"
    )
    p.add_argument("--max-points", type=int, default=500, help="windows drawn at most")
    p.add_argument("--out", type=Path, required=True, help="PNG file")
    p.set_defaults(func=_map)


def _setup():
    import torch

    torch.set_num_threads(1)


def _data_dir(args, sample_rate: int) -> Path:
    from latentjam.audio.datasets import bundled_audio_dir

    return bundled_audio_dir(sample_rate, progress=True) if args.bundled else args.data


def _spectrogram(model, audio, path, title):
    from latentjam.audio import presets
    from latentjam.audio.mel import MelSpec, mel_spec_of
    from latentjam.audio.plots import save_spectrogram

    spec = (
        mel_spec_of(model)
        if presets.is_mel(model)
        else MelSpec(sample_rate=presets.sample_rate_of(model))
    )
    save_spectrogram(
        spec(audio).numpy(),
        path,
        sample_rate=spec.sample_rate,
        hop_length=spec.hop_length,
        title=title,
    )


def _write(model, audio, out: Path, stem: str, title: str) -> None:
    from latentjam.audio import presets
    from latentjam.audio.io import write_audio

    write_audio(out / f"{stem}.wav", audio, presets.sample_rate_of(model))
    _spectrogram(model, audio, out / f"{stem}.png", title)
    print(out / f"{stem}.wav")


def _train(args) -> int:
    _setup()
    from latentjam.audio import checkpoints, presets, train

    if args.max_steps < 1:
        raise LatentjamError("--max-steps must be at least 1")
    config = presets.preset_config(args.preset)
    data = _data_dir(args, config.sample_rate)
    seconds = args.max_minutes * 60 if args.max_minutes else None
    path = train.train_preset(
        args.preset,
        data,
        args.out,
        max_steps=args.max_steps,
        max_seconds=seconds,
        batch_size=args.batch_size,
        seed=args.seed,
        resume=args.resume,
        init_from=args.init_from,
    )
    print(f"model: {path}")
    model = checkpoints.load_audio_model(path)
    if presets.is_mel(model) and model.config.latent_dim == 2:
        print(f"latent map: {_latent_map(model, data, None, 500, args.out / 'latent_map.png')}")
    return 0


def _reconstruct(args) -> int:
    _setup()
    from latentjam.audio import checkpoints, ops, presets
    from latentjam.audio.io import read_audio

    model = checkpoints.load_audio_model(args.model)
    audio, _ = read_audio(args.input, presets.sample_rate_of(model))
    out, _ = ops.reconstruct(model, audio)
    stem = args.input.stem
    _spectrogram(model, audio, args.out / f"{stem}_input.png", f"{stem} (input)")
    _write(model, out, args.out, f"{stem}_recon", f"{stem} reconstructed by {args.model}")
    return 0


def _sample(args) -> int:
    _setup()
    from latentjam.audio import checkpoints, ops, presets

    if args.n < 1 or args.n > 256:
        raise LatentjamError("-n must be between 1 and 256")
    model = checkpoints.load_audio_model(args.model)
    if args.around is not None:
        from latentjam.audio.io import read_audio

        source, _ = read_audio(args.around, sample_rate=presets.sample_rate_of(model))
        clips = ops.sample_around(model, source, args.n, radius=args.radius, seed=args.seed)
        what = f"around {args.around.name}, radius {args.radius:g}"
    else:
        clips = ops.sample(
            model, args.n, seconds=args.seconds, seed=args.seed, temperature=args.temperature
        )
        what = "from the prior"
    for i, clip in enumerate(clips):
        _write(model, clip, args.out, f"sample_{i:02d}", f"sample {i} {what} ({args.model})")
    return 0


def _interpolate(args) -> int:
    _setup()
    from latentjam.audio import checkpoints, ops, presets
    from latentjam.audio.io import read_audio

    if not 2 <= args.steps <= 64:
        raise LatentjamError("--steps must be between 2 and 64")
    model = checkpoints.load_audio_model(args.model)
    sr = presets.sample_rate_of(model)
    a, _ = read_audio(args.a, sr)
    b, _ = read_audio(args.b, sr)
    for i, clip in enumerate(ops.interpolate(model, a, b, args.steps)):
        _write(model, clip, args.out, f"interp_{i:02d}", f"step {i} of {args.steps - 1}")
    return 0


def _map(args) -> int:
    _setup()
    from latentjam.audio import checkpoints, presets

    model = checkpoints.load_audio_model(args.model)
    if not presets.is_mel(model) or model.config.latent_dim != 2:
        raise LatentjamError("the latent map needs a mel VAE with a 2-D latent (preset mel-vae-2d)")
    data = _data_dir(args, model.config.sample_rate)
    print(_latent_map(model, data, args.split, args.max_points, args.out))
    return 0


def _latent_map(model, data: Path, split, max_points: int, out: Path) -> Path:
    """Encode up to `max_points` segments of `data` and draw the blog's 2-D latent map."""
    from latentjam.audio import ops, presets
    from latentjam.audio.datasets import load_segments
    from latentjam.audio.plots import save_latent_map

    segs = load_segments(
        data,
        sample_rate=model.config.sample_rate,
        length=presets.segment_samples(model),
        split=split,
        max_segments=max_points,
    )
    mels = presets.mel_segments(model, segs)  # (k, n_mels, frames)
    mu, sigma = ops.latent_map(model, mels)  # (k, 2) each
    return save_latent_map(
        mu, sigma, out, values=mels.mean(axis=(1, 2)), value_name="mean scaled log-mel"
    )


__all__ = ["register"]
