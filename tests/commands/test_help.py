"""Every sub-command's help shows its options' defaults; bad accelerators are one line."""

from __future__ import annotations

import pytest

from latentjam.cli import main


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["improvise", "--help"], "(default: 64)"),
        (["audio", "sample", "--help"], "(default: 0)"),
        (["sample", "--help"], "(default: 120.0)"),
    ],
)
def test_help_shows_defaults(argv, shown, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    text = capsys.readouterr().out
    assert shown in text.replace("\n", " ").replace("  ", " ") or shown in text
    assert "(default: None)" not in text


def test_gpu_on_a_machine_without_one_is_one_line(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code = main(
        ["train", "--preset", "tiny-drums", "--out", str(tmp_path / "r"), "--accelerator", "gpu"]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no CUDA GPU" in err


def test_audio_help_states_each_models_use_and_its_measured_limits(capsys):
    """The figures in `latentjam audio --help` are the recorded benchmark's (no drift)."""
    import json
    from pathlib import Path

    with pytest.raises(SystemExit):
        main(["audio", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    results = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "audio.json"
    quality = json.loads(results.read_text())["quality"]
    wave, mel = quality["wave-tiny"]["model"], quality["mel-vae"]["model"]
    assert "wave-tiny waveform VAE" in text and "mel-vae dense mel-spectrogram VAE" in text
    assert f"chroma correlation {wave['chroma_r']:.2f}, onset F1 {wave['onset_f1']:.2f}" in text
    assert f"spectral convergence {wave['mr_sc']:.2f}" in text
    assert f"onset F1 {mel['onset_f1']:.2f}" in text
    assert f"chroma correlation {mel['chroma_r']:.2f}" in text
    inversion = quality["mel-vae"]["mel_inversion_only"]["chroma_r"]
    assert f"true mel alone reaches {inversion:.2f}" in text
    assert "without --around gives noise-like textures" in text
