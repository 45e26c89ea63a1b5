"""DrumifyVAE (tap -> groove): taps, loss, every tap kept, seeds, learning, the shipped model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from latentjam.convert import DrumGrid  # noqa: E402
from latentjam.midi import read_midi  # noqa: E402
from latentjam.models.drumify import DrumifyConfig, DrumifyVAE, _taps, taps_of  # noqa: E402


@pytest.fixture
def grids(midi_dir) -> np.ndarray:
    """Real 2-bar drum grids (n, 32, 27) from an MMA groove file."""
    return DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))


def test_taps_collapse_every_class_to_the_loudest_hit(grids):
    taps = taps_of(grids)
    assert taps.shape == (*grids.shape[:2], 3)
    hits = grids[..., :9] > 0.5
    np.testing.assert_array_equal(taps[..., 0] > 0.5, hits.any(-1))
    loudest = np.where(hits, grids[..., 9:18], 0).max(-1)
    np.testing.assert_allclose(taps[..., 1], loudest)
    np.testing.assert_allclose(_taps(torch.from_numpy(grids)).numpy(), taps)


def test_drumify_keeps_every_tap_and_is_seeded(grids):
    torch.manual_seed(0)
    model = DrumifyVAE(DrumifyConfig(hidden=8, latent_dim=2, layers=1))
    taps = taps_of(grids)
    out = model.drumify(taps, temperature=1.0, seed=3)
    assert out.shape == grids.shape
    tapped = taps[..., 0] > 0.5
    assert (out[..., :9].max(-1)[tapped] > 0.5).all()  # an untrained net still keeps the taps
    hits = out[..., :9] > 0.5
    assert np.all(out[..., 9:18][~hits] == 0) and np.all(out[..., 18:][~hits] == 0)
    np.testing.assert_array_equal(out, model.drumify(taps, temperature=1.0, seed=3))
    raw = model.drumify(taps, keep_taps=False)
    assert raw[..., :9].sum() <= model.drumify(taps)[..., :9].sum()


def test_training_learns_the_groove_from_the_taps(grids):
    torch.manual_seed(0)
    model = DrumifyVAE(DrumifyConfig(hidden=32, latent_dim=2, layers=1, style_dropout=1.0))
    x = torch.from_numpy(grids)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model.losses(x)["hit_bce"].item()
    for _ in range(150):
        loss = model.losses(x)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.losses(x)["hit_bce"].item() < 0.5 * first
    out = model.drumify(taps_of(grids))
    truth = grids[..., :9] > 0.5
    silent_guess = 1.0 - truth.mean()  # accuracy of "no hit anywhere" (about 0.90)
    assert ((out[..., :9] > 0.5) == truth).mean() > silent_guess + 0.025


@pytest.mark.slow
def test_the_shipped_model_beats_chance_on_a_real_groove(grids):
    from latentjam.api import load_drumify

    model = load_drumify()
    out = model.drumify(taps_of(grids))
    truth = grids[..., :9] > 0.5
    tapped = truth.any(-1)
    acc = ((out[..., :9] > 0.5) == truth)[tapped].mean()
    assert acc > 0.8
    assert (out[..., :9].max(-1)[tapped] > 0.5).all()
