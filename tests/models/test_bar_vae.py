"""The dense piano-roll bar VAE: contract, shapes, learning on real bars, save/load."""

import pytest

torch = pytest.importorskip("torch")

from latentjam.convert import PianoRollBars  # noqa: E402
from latentjam.midi import read_midi  # noqa: E402
from latentjam.models import build_model  # noqa: E402
from latentjam.models.bar_vae import BarVAEConfig, PianoRollBarVAE  # noqa: E402
from latentjam.pretrained import load_model, save_model  # noqa: E402

SMALL = BarVAEConfig(low=48, high=71, latent_dim=4, hidden=32)


def real_bars(midi_dir, config=SMALL):
    conv = PianoRollBars(low=config.low, high=config.high)
    return torch.from_numpy(conv.windows(read_midi(midi_dir / "simutrans_flyingaway.mid")))


def test_contract_shapes(midi_dir):
    model = PianoRollBarVAE(SMALL)
    x = real_bars(midi_dir)[:5]
    assert x.shape == (5, 16, 48)
    mu, sigma = model.encode(x)
    assert mu.shape == sigma.shape == (5, 4) and (sigma > 0).all()
    out = model.decode(mu)
    assert out.shape == x.shape and ((out >= 0) & (out <= 1)).all()
    terms = model.losses(x)
    assert terms["recon"].ndim == 0 and terms["kl"].ndim == 0 and terms["z"].shape == (5, 4)
    with pytest.raises(ValueError, match="expected piano-roll bars"):
        model.encode(torch.zeros(2, 16, 47))


def test_default_is_the_papers_network():
    model = PianoRollBarVAE()
    assert model.encoder[0].in_features == 16 * 2 * 78
    assert model.encoder[0].out_features == 500
    assert isinstance(build_model(BarVAEConfig().to_dict()), PianoRollBarVAE)


@pytest.mark.slow
def test_learns_real_bars(midi_dir):
    torch.manual_seed(0)
    model = PianoRollBarVAE(SMALL)
    x = real_bars(midi_dir)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        terms = model.losses(x)
        loss = terms["recon"] + terms["kl"]
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.7 * first


def test_save_load_round_trip(tmp_path):
    model = PianoRollBarVAE(SMALL)
    path = save_model(tmp_path / "bar.pt", model, metadata={"note": "test"}, half=False)
    loaded = load_model(path)
    z = torch.randn(3, 4)
    torch.testing.assert_close(loaded.decode(z), model.decode(z))
    assert loaded.metadata["note"] == "test"
    assert loaded.config == SMALL
