"""Audio VAEs: real-time factor on one core, and reconstruction quality on held-out audio.

Speed (one torch thread): seconds of audio produced per CPU second ("x real time") for
  - the mel VAE path: decode z -> [0, 1] mel -> NNLS to linear magnitude -> Griffin-Lim (16 it.),
  - the waveform VAE decoder (latent -> samples), and both encoders;
plus, side by side (alternating, repeated, median), a plain scipy Griffin-Lim reference
(scipy.signal.stft/istft, same settings, 32 iterations) against this package's torch one.
Quality on the test split of the bundled rendered corpus (Bach chorales on GM piano, pieces
never seen in training): multi-resolution spectral convergence (FFT 2048..128), log-spectral
distance (dB, floor -80 dB), mel distance (dB), and whether the notes survive: chroma
correlation and onset F1 (spectral-flux onsets, 50 ms tolerance; `latentjam.audio.metrics`),
for each shipped model, for the mel
spectrogram inverted directly (the ceiling of any mel-domain model), for an unrelated
held-out clip (what "no resemblance" scores), and for noise with the clip's own long-term
average spectrum (right timbre and level, no notes).

Speed is measured in process CPU time (time.process_time) with torch and BLAS on one thread:
the 2 cores of the machine are shared, and CPU time is what "one core" can do regardless of how
many other processes compete for it. Wall-clock factors are recorded alongside.

    python benchmarks/audio.py            # ~1 minute
    python benchmarks/audio.py --quick    # < 1 minute
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from latentjam.audio import checkpoints, ops, presets
from latentjam.audio.datasets import bundled_audio_dir, load_segments
from latentjam.audio.griffin_lim import griffin_lim
from latentjam.audio.mel import mel_spec_of
from latentjam.audio.metrics import (
    chroma_correlation,
    log_spectral_distance,
    mel_distance,
    multi_resolution_sc,
    onset_f1,
)
from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "audio.json"
RTF_TARGET = 20.0


CLOCK = time.process_time  # CPU seconds of this (single-threaded) process; see module doc
WALL: dict[str, float] = {}  # wall-clock medians, recorded alongside


def timed(fn, repeats: int, name: str = "") -> float:
    """Median CPU time of fn() over `repeats` runs after one warm-up (wall time kept in WALL)."""
    fn()
    cpu, wall = [], []
    for _ in range(repeats):
        t, w = CLOCK(), time.perf_counter()
        fn()
        cpu.append(CLOCK() - t)
        wall.append(time.perf_counter() - w)
    if name:
        WALL[name] = statistics.median(wall)
    return statistics.median(cpu)


def scipy_griffin_lim(mag: np.ndarray, n_fft: int, hop: int, n_iter: int, length: int):
    """Reference: fast Griffin-Lim (momentum 0.99) written with scipy.signal.stft/istft."""
    from scipy.signal import istft, stft

    rng = np.random.default_rng(0)
    angles = np.exp(2j * np.pi * rng.random(mag.shape))
    prev = np.zeros_like(angles)
    kw = {
        "fs": 1.0,
        "window": "hann",
        "nperseg": n_fft,
        "noverlap": n_fft - hop,
        "boundary": "zeros",
    }
    for _ in range(n_iter):
        _, x = istft(mag * angles, input_onesided=True, **kw)
        _, _, rebuilt = stft(x[:length], padded=True, **kw)
        rebuilt = rebuilt[:, : mag.shape[1]]
        if rebuilt.shape[1] < mag.shape[1]:
            rebuilt = np.pad(rebuilt, ((0, 0), (0, mag.shape[1] - rebuilt.shape[1])))
        update = rebuilt - (0.99 / 1.99) * prev
        prev = rebuilt
        angles = update / (np.abs(update) + 1e-8)
    _, x = istft(mag * angles, input_onesided=True, **kw)
    return x[:length]


def speed(mel_model, wave_model, repeats: int) -> dict:
    """Real-time factors (x real time) of every path, one thread."""
    out = {}
    spec = mel_spec_of(mel_model)
    seg_seconds = spec.samples(mel_model.config.frames) / spec.sample_rate
    z = torch.randn(1, mel_model.config.latent_dim)
    with torch.no_grad():
        t = timed(
            lambda: ops.decode_mels(mel_model, mel_model.decode(z)),
            repeats,
            "mel_vae_decode_griffin_lim",
        )
        out["mel_vae_decode_griffin_lim"] = seg_seconds / t
        WALL["mel_vae_decode_griffin_lim"] = seg_seconds / WALL["mel_vae_decode_griffin_lim"]
        mel = mel_model.decode(z)
        x = torch.from_numpy(ops.decode_mels(mel_model, mel))
        t = timed(lambda: mel_model.encode(spec(x)), repeats)
        out["mel_vae_encode"] = seg_seconds / t
        seconds = 4.0
        n = int(seconds * wave_model.config.sample_rate)
        audio = torch.randn(1, n) * 0.1
        zw, _ = wave_model.encode(audio)
        out["wave_vae_decode"] = seconds / timed(
            lambda: wave_model.decode(zw), repeats, "wave_vae_decode"
        )
        WALL["wave_vae_decode"] = seconds / WALL["wave_vae_decode"]
        out["wave_vae_encode"] = seconds / timed(lambda: wave_model.encode(audio), repeats)
    # Griffin-Lim: torch (ours) vs scipy reference, alternating, same magnitude and settings.
    mag = spec.magnitude(x[0]) * torch.hann_window(spec.n_fft).sum()  # (F, T)
    length = x.shape[-1]
    ours_t, ref_t = [], []
    for _ in range(repeats):
        t = CLOCK()
        griffin_lim(mag, n_fft=spec.n_fft, hop_length=spec.hop_length, n_iter=32, length=length)
        ours_t.append(CLOCK() - t)
        t = CLOCK()
        scipy_griffin_lim(mag.numpy(), spec.n_fft, spec.hop_length, 32, length)
        ref_t.append(CLOCK() - t)
    out["griffin_lim_torch_vs_scipy_speedup"] = statistics.median(ref_t) / statistics.median(ours_t)
    out["griffin_lim_torch_x_real_time"] = seg_seconds / statistics.median(ours_t)
    return out


def shaped_noise(clip: np.ndarray, seed: int) -> np.ndarray:
    """Noise with the clip's long-term average spectrum (knows the timbre, not the notes)."""
    n_fft, hop = 1024, 256
    window = torch.hann_window(n_fft)
    spec = torch.stft(torch.from_numpy(clip), n_fft, hop, window=window, return_complex=True)
    mag = spec.abs().mean(dim=1, keepdim=True).expand_as(spec)  # (F, T), same every frame
    gen = torch.Generator().manual_seed(seed)
    phase = torch.rand(mag.shape, generator=gen) * 2 * torch.pi
    noise = torch.istft(
        torch.polar(mag.contiguous(), phase), n_fft, hop, window=window, length=clip.size
    )
    return noise.numpy()


def quality(model, clips: np.ndarray, direct_mel: bool) -> dict:
    """Mean MR-SC / LSD / mel distance of the model's reconstructions (and baselines)."""
    rows = {"model": [], "unrelated_clip": [], "shaped_noise": []}
    if direct_mel:
        rows["mel_inversion_only"] = []
    spec = mel_spec_of(model) if presets.is_mel(model) else None
    for i, clip in enumerate(clips):
        recon, _ = ops.reconstruct(model, clip)
        other = clips[(i + len(clips) // 2) % len(clips)]
        cands = {"model": recon, "unrelated_clip": other, "shaped_noise": shaped_noise(clip, i)}
        if direct_mel:
            cands["mel_inversion_only"] = spec.invert(spec(clip), length=clip.size)
        for k, est in cands.items():
            rows[k].append(
                (
                    multi_resolution_sc(clip, est),
                    log_spectral_distance(clip, est),
                    mel_distance(clip, est),
                    chroma_correlation(clip, est, 16000),
                    onset_f1(clip, est, 16000),
                )
            )
    names = ("mr_sc", "lsd_db", "mel_db", "chroma_r", "onset_f1")
    return {
        k: dict(zip(names, np.mean(v, axis=0).round(4).tolist(), strict=True))
        for k, v in rows.items()
    }


def around_and_between(model, clips: np.ndarray, n_clips: int = 6) -> dict:
    """Sampling around held-out clips (chroma r, onset F1 against the clip, per radius; prior
    samples beside them) and interpolating between two clips (chroma r against each end at
    every step), means over `n_clips` clips / pairs."""
    sr = 16000
    out: dict = {"around": {}, "interpolation": {}}
    chosen = clips[:n_clips]
    for radius in (0.0, 0.3, 1.0, 3.0):
        rows = []
        for i, clip in enumerate(chosen):
            for est in ops.sample_around(model, clip, 2, radius=radius, seed=i):
                rows.append((chroma_correlation(clip, est, sr), onset_f1(clip, est, sr)))
        out["around"][f"radius {radius:g}"] = dict(
            zip(("chroma_r", "onset_f1"), np.mean(rows, axis=0).round(3).tolist(), strict=True)
        )
    prior = ops.sample(model, len(chosen), seconds=chosen.shape[1] / sr, seed=0)
    rows = [
        (chroma_correlation(c, p, sr), onset_f1(c, p, sr))
        for c, p in zip(chosen, prior, strict=True)
    ]
    out["around"]["prior samples"] = dict(
        zip(("chroma_r", "onset_f1"), np.mean(rows, axis=0).round(3).tolist(), strict=True)
    )
    steps = 5
    curve = np.zeros((steps, 2))
    for i, a in enumerate(chosen):
        b = chosen[(i + len(chosen) // 2) % len(chosen)]
        for k, est in enumerate(ops.interpolate(model, a, b, steps)):
            curve[k] += (chroma_correlation(a, est, sr), chroma_correlation(b, est, sr))
    curve /= len(chosen)
    out["interpolation"] = {
        "t": np.linspace(0, 1, steps).round(2).tolist(),
        "chroma_r_to_a": curve[:, 0].round(3).tolist(),
        "chroma_r_to_b": curve[:, 1].round(3).tolist(),
    }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--mel-model", default="mel-vae")
    parser.add_argument("--wave-model", default="wave-tiny")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    repeats, n_clips = (5, 6) if args.quick else (15, 24)
    mel_model = checkpoints.load_audio_model(args.mel_model)
    wave_model = checkpoints.load_audio_model(args.wave_model)
    t0 = time.perf_counter()
    rtf = speed(mel_model, wave_model, repeats)
    data = bundled_audio_dir(16000)
    clips = load_segments(
        data, sample_rate=16000, length=32000, split="test", hop=48000, max_segments=n_clips
    )
    q = {"mel-vae": quality(mel_model, clips, True), "wave-tiny": quality(wave_model, clips, False)}
    variations = around_and_between(wave_model, clips)
    elapsed = time.perf_counter() - t0

    targets = [
        {
            "name": "mel VAE decode + Griffin-Lim, one core",
            "unit": "x real time",
            "value": round(rtf["mel_vae_decode_griffin_lim"], 1),
            "target": RTF_TARGET,
        },
        {
            "name": "waveform VAE (tiny) decoder, one core",
            "unit": "x real time",
            "value": round(rtf["wave_vae_decode"], 1),
            "target": RTF_TARGET,
        },
    ]
    for name in ("mel-vae", "wave-tiny"):
        rows = q[name]
        targets += [
            {
                "name": f"{name} held-out multi-resolution spectral convergence below shaped "
                "noise's",
                "unit": "",
                "value": rows["model"]["mr_sc"],
                "target": rows["shaped_noise"]["mr_sc"],
            },
            {
                "name": f"{name} held-out mel distance below shaped noise's",
                "unit": "dB",
                "value": rows["model"]["mel_db"],
                "target": rows["shaped_noise"]["mel_db"],
            },
            {
                "name": f"{name} held-out log-spectral distance below an unrelated clip's",
                "unit": "dB",
                "value": rows["model"]["lsd_db"],
                "target": rows["unrelated_clip"]["lsd_db"],
            },
        ]
    targets.append(  # the waveform VAE's goal: below shaped noise on every spectral metric
        {
            "name": "wave-tiny held-out log-spectral distance below shaped noise's",
            "unit": "dB",
            "value": q["wave-tiny"]["model"]["lsd_db"],
            "target": q["wave-tiny"]["shaped_noise"]["lsd_db"],
        }
    )
    for name in ("mel-vae", "wave-tiny"):  # do the notes survive? (issue targets: 0.8 each)
        targets += [
            {
                "name": f"{name} held-out chroma correlation with the input",
                "unit": "r",
                "value": q[name]["model"]["chroma_r"],
                "target": 0.8,
            },
            {
                "name": f"{name} held-out onset F1 against the input's onsets (50 ms)",
                "unit": "F1",
                "value": q[name]["model"]["onset_f1"],
                "target": 0.8,
            },
        ]
    for t in targets:
        t["met"] = (
            bool(t["value"] >= t["target"])
            if t["unit"] in ("x real time", "r", "F1")
            else bool(t["value"] < t["target"])
        )
    result = {
        "benchmark": "audio",
        "quick": args.quick,
        "command": "python benchmarks/audio.py" + (" --quick" if args.quick else ""),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "threads": 1,
        },
        "repeats": repeats,
        "held_out_clips": len(clips),
        "clip_seconds": 2.0,
        "seconds": round(elapsed, 1),
        "clock": "process CPU time (torch and BLAS on 1 thread)",
        "real_time_factors": {k: round(v, 2) for k, v in rtf.items()},
        "real_time_factors_wall_clock": {k: round(v, 2) for k, v in WALL.items()},
        "load_average": os.getloadavg()[0],
        "quality": q,
        "wave_variations": variations,
        "targets": targets,
    }
    write_results(args.out, result)

    print(f"## audio ({result['command']}, {result['date']}, 1 thread)\n")
    print(
        f"| speed (load average {os.getloadavg()[0]:.1f}) | x real time, CPU time | "
        "x real time, wall clock |\n| --- | --- | --- |"
    )
    for k, v in rtf.items():
        wall = f"{WALL[k]:.1f}" if k in WALL else ""
        print(f"| {k} | {v:.1f} | {wall} |")
    print(
        "\n| held-out quality (test split, "
        f"{len(clips)} x 2 s) | MR spectral conv. | LSD (dB) | mel dist. (dB) | chroma r | "
        "onset F1 |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rows in q.items():
        for k, r in rows.items():
            print(
                f"| {name}: {k} | {r['mr_sc']:.3f} | {r['lsd_db']:.2f} | {r['mel_db']:.2f} | "
                f"{r['chroma_r']:.3f} | {r['onset_f1']:.3f} |"
            )
    print("\n| wave-tiny: sampling around a held-out clip | chroma r | onset F1 |")
    print("| --- | --- | --- |")
    for k, r in variations["around"].items():
        print(f"| {k} | {r['chroma_r']:.3f} | {r['onset_f1']:.3f} |")
    inter = variations["interpolation"]
    print("\n| wave-tiny: interpolation a -> b, t | " + " | ".join(map(str, inter["t"])) + " |")
    print("| --- |" + " --- |" * len(inter["t"]))
    for key in ("chroma_r_to_a", "chroma_r_to_b"):
        print(f"| {key} | " + " | ".join(f"{v:.3f}" for v in inter[key]) + " |")
    print("\n| target | value | target | met |\n| --- | --- | --- | --- |")
    for t in targets:
        op = ">=" if t["unit"] in ("x real time", "r", "F1") else "<"
        print(f"| {t['name']} | {t['value']} {t['unit']} | {op} {t['target']} | {t['met']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
