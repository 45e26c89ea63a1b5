"""PNG plots: drum grids, piano rolls, latent maps, and the PCA projection they use."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.convert import DrumGrid
from latentjam.errors import LatentjamError
from latentjam.midi import read_midi
from latentjam.plots import plot_latent_map, plot_sequences, project


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_stacked_panels_grow_with_the_number_of_pieces(midi_dir, tmp_path):
    grid = DrumGrid()
    windows = grid.windows(read_midi(midi_dir / "mma_pflib_8beat1.mid"))
    pieces = [grid.from_tensor(w) for w in windows]
    one = _png_size(plot_sequences(pieces[:1], tmp_path / "one.png"))
    five = _png_size(plot_sequences(pieces[:5], tmp_path / "five.png", titles=list("abcde")))
    assert five[1] > 3 * one[1] and five[0] == one[0]
    roll = plot_sequences(
        [read_midi(midi_dir / "simutrans_flyingaway.mid")],
        tmp_path / "r.png",
        length=16,
        drums=False,
    )
    assert _png_size(roll)[0] > 0
    with pytest.raises(LatentjamError):
        plot_sequences([], tmp_path / "none.png")


def test_projection_reuses_its_basis_and_maps_draw(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200, 8)) * np.arange(1, 9)  # most variance on the last axes
    points, basis = project(z, 3)
    assert points.shape == (200, 3)
    assert np.abs(basis[1][0]).argmax() == 7  # first component: the widest axis
    again, _ = project(z[:10], 3, basis=basis)
    np.testing.assert_allclose(again, points[:10])
    values = z[:, 0].copy()
    values[:5] = np.nan
    for dims in (2, 3):
        p, _ = project(z, dims)
        path = plot_latent_map(
            p,
            tmp_path / f"map{dims}.png",
            values=values,
            label="x",
            highlight=p[:3],
            highlight_labels=["0", "1", "2"],
        )
        assert _png_size(path)[0] > 0
    with pytest.raises(LatentjamError):
        plot_latent_map(np.zeros((5, 4)), tmp_path / "bad.png")


def test_a_long_piece_is_drawn_as_a_readable_excerpt(tmp_path, monkeypatch):
    import latentjam.plots as plots
    from latentjam.music import Sequence, Track

    beats = np.arange(0, 400.0, 0.5)  # 100 bars of eighth-note hats
    seq = Sequence(
        [Track([42] * len(beats), [90] * len(beats), beats, [0.1] * len(beats), is_drum=True)]
    )
    seen = []
    real = plots._draw

    def spy(ax, sequence, **kw):
        seen.append((kw["title"], kw["length"]))
        return real(ax, sequence, **kw)

    monkeypatch.setattr(plots, "_draw", spy)
    path = plots.plot_sequences([seq], tmp_path / "long.png", titles=["played"])
    assert seen == [("played (first 16 of 100 bars)", 64.0)]
    assert path.stat().st_size > 5000
