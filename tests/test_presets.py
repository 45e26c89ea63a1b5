"""Presets: the paper's table 3 sizes, equal FM/baseline networks, every preset builds."""

from __future__ import annotations

import pytest

from latentjam.errors import LatentjamError
from latentjam.models import RecurrentVAE
from latentjam.presets import PRESETS, get_preset
from latentjam.regularizers import Objective


def test_paper_sizes_follow_table_3():
    drums = get_preset("drums-paper")
    assert drums.model.latent_dim == 32 and drums.model.encoder_hidden == (512, 512)
    assert drums.model.conductor_hidden == 512 and drums.model.decoder_hidden == (512, 512)
    assert drums.model.prior_hidden == (256, 256) and drums.model.iw_samples == 8
    assert (drums.objective.kappa, drums.objective.eta) == (0.14, 6000.0)
    piano = get_preset("melody-paper")
    assert piano.model.latent_dim == 64 and piano.model.encoder_hidden == (1024, 1024)
    assert (piano.objective.kappa, piano.objective.eta) == (0.03, 2000.0)
    assert get_preset("drums4-paper").model.iw_samples == 16


@pytest.mark.parametrize("fm", ["drums", "melody", "drums-paper", "melody-paper"])
def test_fm_and_baseline_share_network_size_and_budget(fm):
    base = get_preset(
        fm.replace("-paper", "-baseline-paper") if "paper" in fm else f"{fm}-baseline"
    )
    a, b = get_preset(fm), base
    same = (
        "data",
        "feature_dim",
        "bars",
        "latent_dim",
        "encoder_hidden",
        "conductor_hidden",
        "decoder_hidden",
    )
    assert all(getattr(a.model, k) == getattr(b.model, k) for k in same)
    assert a.train == b.train
    assert (a.model.prior, b.model.prior) == ("vhp", "normal")
    assert (a.objective.kl, b.objective.kl) == ("geco", "beta") and b.objective.eta == 0


@pytest.mark.parametrize("name", [n for n in PRESETS if "paper" not in n])
def test_small_presets_build(name):
    preset = get_preset(name)
    model = RecurrentVAE(preset.model)
    Objective(preset.objective)
    assert model.config.feature_dim in (27, 90)


def test_unknown_preset():
    with pytest.raises(LatentjamError, match="known presets"):
        get_preset("nope")
