"""`latentjam audio ...` end to end with the shipped models and real rendered audio."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from latentjam.audio.io import read_audio
from latentjam.cli import main

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures" / "audio"
A = FIXTURES / "bach_bwv66.6_piano_16k.flac"
B = FIXTURES / "bach_bwv269_piano_16k.flac"


def check_wav(path, sr=16000, n=None):
    audio, rate = read_audio(path)
    assert rate == sr
    if n is not None:
        assert audio.size == n
    assert np.sqrt(np.mean(audio**2)) > 1e-3, f"{path} is silent"
    assert path.with_suffix(".png").stat().st_size > 1000
    return audio


@pytest.mark.parametrize("model", ["mel-vae", "wave-tiny"])
def test_reconstruct(tmp_path, model):
    assert main(["audio", "reconstruct", str(A), "--model", model, "--out", str(tmp_path)]) == 0
    check_wav(tmp_path / "bach_bwv66.6_piano_16k_recon.wav", n=64000)
    assert (tmp_path / "bach_bwv66.6_piano_16k_input.png").exists()


@pytest.mark.parametrize("model", ["mel-vae", "wave-tiny"])
def test_sample(tmp_path, model):
    assert (
        main(
            [
                "audio",
                "sample",
                "--model",
                model,
                "-n",
                "2",
                "--seconds",
                "1",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    clips = [check_wav(tmp_path / f"sample_{i:02d}.wav") for i in range(2)]
    assert not np.allclose(clips[0], clips[1])


def test_sample_around_a_clip(tmp_path):
    out = tmp_path / "var"
    cmd = ["audio", "sample", "--model", "wave-tiny", "--around", str(A)]
    assert main([*cmd, "-n", "2", "--radius", "0.3", "--out", str(out)]) == 0
    wavs = sorted(out.glob("sample_*.wav"))
    assert len(wavs) == 2
    for w in wavs:
        check_wav(w, n=read_audio(A)[0].size)


def test_interpolate(tmp_path):
    assert (
        main(
            [
                "audio",
                "interpolate",
                str(A),
                str(B),
                "--model",
                "mel-vae",
                "--steps",
                "3",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    clips = [check_wav(tmp_path / f"interp_{i:02d}.wav", n=64000) for i in range(3)]
    assert not np.allclose(clips[0], clips[2])


def test_interpolate_wave(tmp_path):
    assert (
        main(
            [
                "audio",
                "interpolate",
                str(A),
                str(B),
                "--model",
                "wave-tiny",
                "--steps",
                "2",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    check_wav(tmp_path / "interp_01.wav", n=64000)


def test_train_2d_preset_writes_model_and_latent_map(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for clip in (A, B):
        shutil.copy(clip, data / clip.name)
    out = tmp_path / "run"
    assert (
        main(
            [
                "audio",
                "train",
                "--preset",
                "mel-vae-2d",
                "--data",
                str(data),
                "--out",
                str(out),
                "--max-steps",
                "5",
                "--batch-size",
                "4",
            ]
        )
        == 0
    )
    assert (out / "model.pt").exists() and (out / "latent_map.png").stat().st_size > 1000
    assert (
        main(
            [
                "audio",
                "map",
                "--model",
                str(out / "model.pt"),
                "--data",
                str(data),
                "--split",
                "train",
                "--out",
                str(tmp_path / "map.png"),
            ]
        )
        == 0
    )
    assert (tmp_path / "map.png").stat().st_size > 1000
    assert (
        main(
            [
                "audio",
                "sample",
                "--model",
                str(out / "model.pt"),
                "-n",
                "1",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 0
    )
    read_audio(tmp_path / "s" / "sample_00.wav")


def test_bad_inputs_are_one_line_errors(tmp_path, capsys):
    assert main(["audio", "reconstruct", str(tmp_path / "nope.wav"), "--out", str(tmp_path)]) == 2
    assert main(["audio", "sample", "--model", "no-such-model", "--out", str(tmp_path)]) == 2
    bad = tmp_path / "bad.wav"
    bad.write_text("hello")
    assert main(["audio", "reconstruct", str(bad), "--out", str(tmp_path)]) == 2
    assert (
        main(
            [
                "audio",
                "map",
                "--model",
                "mel-vae",
                "--data",
                str(FIXTURES),
                "--out",
                str(tmp_path / "m.png"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("latentjam: error:") == 4


def test_train_on_a_single_file_outside_the_train_split(tmp_path):
    from latentjam.audio.datasets import split_of

    name = next(f"clip{i}.flac" for i in range(100) if split_of(f"clip{i}.flac") == "test")
    data = tmp_path / "one"
    data.mkdir()
    shutil.copy(A, data / name)
    out = tmp_path / "run"
    assert (
        main(
            [
                "audio",
                "train",
                "--preset",
                "mel-vae-2d",
                "--data",
                str(data),
                "--out",
                str(out),
                "--max-steps",
                "3",
                "--batch-size",
                "2",
            ]
        )
        == 0
    )
    assert (out / "model.pt").exists()


def test_waveform_training_joins_the_discriminator_and_resumes(tmp_path):
    import torch

    from latentjam.audio.checkpoints import load_audio_model

    data = tmp_path / "data"
    data.mkdir()
    for clip in (A, B):
        shutil.copy(clip, data / clip.name)
    out = tmp_path / "run"
    common = ["audio", "train", "--preset", "wave-tiny", "--data", str(data), "--out", str(out)]
    assert main([*common, "--max-steps", "3", "--batch-size", "2"]) == 0
    ckpt = out / "lightning" / "checkpoints" / "last.ckpt"
    first = torch.load(ckpt, weights_only=True)
    assert first["global_step"] == 3 and first["latentjam"]["adversarial"]  # warm-up: 1 step
    assert main([*common, "--max-steps", "5", "--batch-size", "2", "--resume"]) == 0
    saved = torch.load(ckpt, weights_only=True)
    assert saved["global_step"] == 5 and len(saved["optimizer_states"]) == 2
    assert any(k.startswith("discriminator.") for k in saved["state_dict"])
    assert load_audio_model(out / "model.pt").metadata["steps"] == 5
    assert load_audio_model(ckpt).config.kind == "wave_vae"  # a checkpoint plays too
