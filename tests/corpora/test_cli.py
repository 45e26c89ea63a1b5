"""`latentjam corpus list|build|info` through the command's own argument parser."""

from __future__ import annotations

import argparse
import json

import pytest

from latentjam.commands import corpus as corpus_command


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="latentjam")
    corpus_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_info_json_counts_windows_per_source_and_style(capsys):
    assert run(["corpus", "info", "drums", "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    sources = {"mma", "hydrogen", "tk707", "simutrans", "openmsx", "freedoom"}
    assert set(report["windows_per_source"]) == sources
    assert report["shape"] == [report["windows"], 32, 27]
    assert sum(report["windows_per_split"].values()) == report["windows"]
    assert sum(report["windows_per_style"]["mma"].values()) == report["windows_per_source"]["mma"]
    assert report["skipped"] > 0 and report["skipped_reasons"]


def test_info_text_build_and_list(capsys):
    assert run(["corpus", "info", "drums", "--bars", "4", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "drums-v1-bars4" in text and "per style" in text and "mma:" in text
    assert run(["corpus", "build", "drums", "--quiet"]) == 0
    assert "windows (32, 27)" in capsys.readouterr().out
    assert run(["corpus", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ryans-mammoth" in listing and "essen" in listing
    assert any(line.startswith("drums") and "cached" in line for line in listing.splitlines())


def test_unknown_corpus_is_a_clear_error():
    from latentjam.errors import LatentjamError

    with pytest.raises(LatentjamError, match="unknown corpus 'lakh'"):
        run(["corpus", "info", "lakh"])


def test_a_first_parse_is_announced(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LATENTJAM_CACHE", str(tmp_path))
    from latentjam.cli import main

    assert main(["corpus", "info", "oneills1850", "--limit", "2", "--quiet", "--workers", "0"]) == 0
    assert "for the first time" in capsys.readouterr().err
    assert main(["corpus", "info", "oneills1850", "--limit", "2", "--quiet", "--workers", "0"]) == 0
    assert "for the first time" not in capsys.readouterr().err
