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
