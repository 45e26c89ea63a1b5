"""GrooveVAE (humanize): loss masks, hit-preserving output, seeds, learning, the shipped model."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from latentjam.convert import DrumGrid  # noqa: E402
from latentjam.midi import read_midi  # noqa: E402
from latentjam.models.groove import GrooveConfig, GrooveVAE  # noqa: E402


@pytest.fixture
def grids(midi_dir) -> np.ndarray:
    """Real 2-bar drum grids (n, 32, 27) from an MMA groove file."""
    return DrumGrid().windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))


def test_shapes_and_loss_only_sees_hits(grids):
    model = GrooveVAE(GrooveConfig(hidden=8, latent_dim=2)).eval()  # eval: no style dropout
    x = torch.from_numpy(grids[:4])
    mu, sigma = model.encode(x)
    assert mu.shape == sigma.shape == (4, 2) and bool((sigma > 0).all())
    vel, off = model.decode(x[..., :9], mu)
    assert vel.shape == off.shape == (4, 32, 9)
    torch.manual_seed(1)
    recon = model.losses(x)["recon"]
    torch.manual_seed(1)
    mu, sigma = model.encode(x)
    vel, off = model.decode(x[..., :9], mu + sigma * torch.randn_like(mu))
    hits = x[..., :9] > 0.5  # errors count at the hits only
    expected = ((vel - x[..., 9:18])[hits] ** 2).mean() + ((off - x[..., 18:])[hits] ** 2).mean()
    assert torch.isclose(recon, expected, rtol=1e-5)


def test_humanize_keeps_hits_and_is_seeded(grids):
    model = GrooveVAE(GrooveConfig(hidden=8, latent_dim=2))
    flat = grids.copy()
    flat[..., 9:18] = flat[..., :9] * 0.8  # one velocity for every hit
    flat[..., 18:] = 0.0  # quantised
    out = model.humanize_grids(flat)
    np.testing.assert_array_equal(out[..., :9], flat[..., :9])
    silent = out[..., :9] == 0
    assert not out[..., 9:18][silent].any() and not out[..., 18:][silent].any()
    assert np.all((out[..., 9:18] >= 0) & (out[..., 9:18] <= 1))
    assert np.all(np.abs(out[..., 18:]) <= 1)
    a = model.humanize_grids(flat, temperature=1.0, seed=5)
    np.testing.assert_array_equal(a, model.humanize_grids(flat, temperature=1.0, seed=5))
    assert not np.array_equal(a, model.humanize_grids(flat, temperature=1.0, seed=6))


def test_a_few_steps_on_real_grooves_reduce_the_error(grids):
    torch.manual_seed(0)
    model = GrooveVAE(GrooveConfig(hidden=16, latent_dim=2))
    x = torch.from_numpy(grids)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    with torch.no_grad():
        start = float(model.losses(x)["velocity_mse"])
    for _ in range(40):
        loss = model.losses(x)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        end = float(model.losses(x)["velocity_mse"])
    assert end < 0.5 * start


@pytest.mark.slow
def test_shipped_humanize_model_beats_a_flat_performance(midi_dir, tmp_path):
    from latentjam.api import humanize, load_groove
    from latentjam.corpora import load_corpus

    model = load_groove("humanize")
    test = load_corpus("drums", DrumGrid(), split="test", progress=False)
    hits = test[..., :9] > 0.5
    out = model.humanize_grids(test)
    model_err = ((out[..., 9:18] - test[..., 9:18]) ** 2)[hits].mean()
    flat_err = ((test[..., 9:18][hits].mean() - test[..., 9:18]) ** 2)[hits].mean()
    assert model_err < flat_err
    # a quantised, flat-velocity pattern: the hits stay, the velocities become accents
    grid = DrumGrid()
    flat = grid.windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))[:4]
    flat[..., 9:18] = flat[..., :9] * (100 / 127)
    flat[..., 18:] = 0.0
    path = tmp_path / "flat.mid"
    from latentjam.api import concatenate
    from latentjam.midi import write_midi

    write_midi(concatenate([grid.from_tensor(w) for w in flat], 8.0), path)
    played = humanize(path)
    after = DrumGrid(hop_bars=2).windows(played)  # back to the 4 windows written
    np.testing.assert_array_equal(after[..., :9], flat[..., :9])
    assert len({int(v) for v in played.tracks[0].velocity}) > 5
    assert np.abs(after[..., 18:]).max() > 0  # some micro-timing
