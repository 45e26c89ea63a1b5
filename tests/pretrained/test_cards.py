"""Model cards cannot drift: each shipped sequence model's card lists what `latentjam evaluate
--quick` gives on a bundled fixture of its test windows, and this test runs it again."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from latentjam.cli import main
from latentjam.pretrained import model_path

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("drums", "drums-baseline", "melody", "melody-baseline")
# Tolerances: the figures come from the same seeded protocol, so on another CPU only float
# rounding differs (a greedy decision may flip in a handful of windows).
TOLERANCE = {
    "recon_": 0.02,  # shares of steps / hits / windows
    "r_": 0.05,  # attribute correlations over 500 draws
    "smoothness_median": 1.0,  # Hamming distances (integers)
}
RELATIVE = 0.25  # condition number, eigenvalue spread, equidistance CV


def card_check(name: str) -> tuple[str, dict[str, float]]:
    """The quick-check command and figures of a model's card."""
    text = model_path(name).with_suffix(".md").read_text()
    head = re.search(r"## Quick check \(`latentjam evaluate (.*?)`\)", text)
    assert head, f"{name}.md has no quick-check section"
    section = text[head.end() :].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\w+) \| ([-+0-9.e]+|nan) \|$", section, flags=re.M)
    return head.group(1), {k: float(v) for k, v in rows}


def _close(key: str, want: float, got: float) -> bool:
    for prefix, tol in TOLERANCE.items():
        if key.startswith(prefix):
            return abs(want - got) <= tol
    return abs(want - got) <= RELATIVE * max(abs(want), 1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_card_figures_match_a_fresh_quick_evaluation(name, tmp_path, monkeypatch):
    command, figures = card_check(name)
    assert {"smoothness_median", "r_density"} <= set(figures)
    assert any(k.startswith("recon_") for k in figures)
    args = command.split()
    data = args[args.index("--data") + 1]
    out = tmp_path / "quick.json"
    monkeypatch.chdir(ROOT)
    assert main(["evaluate", "--model", name, "--data", data, "--quick", "--json", str(out)]) == 0
    got = json.loads(out.read_text())["summary"]
    drifted = {k: (v, got.get(k)) for k, v in figures.items() if not _close(k, v, got.get(k))}
    assert not drifted, f"{name}: card vs fresh evaluation {drifted}"


def test_card_parser_reads_the_quick_check_table(tmp_path, monkeypatch):
    card = tmp_path / "m.md"
    card.write_text(
        "# m\n\n## Quick check (`latentjam evaluate --model m --data d.npz --quick`)\n\n"
        "| metric | value |\n|---|---|\n| recon_hit_f1 | 0.91 |\n| r_density | 0.5 |\n\n"
        "## Stored metadata\n\n| recon_hit_f1 | 0.1 |\n"
    )
    import sys

    monkeypatch.setattr(sys.modules[__name__], "model_path", lambda name: tmp_path / "m.pt")
    command, figures = card_check("m")
    assert figures == {"recon_hit_f1": 0.91, "r_density": 0.5}
    assert "--data d.npz" in command
    assert not _close("recon_hit_f1", 0.91, 0.88) and _close("r_density", 0.5, 0.54)
