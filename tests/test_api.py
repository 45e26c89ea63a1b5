"""The notebook API on real models: windowing, interpolation ends, seeds, attributes, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import latentjam  # noqa: E402
from latentjam import api  # noqa: E402
from latentjam.errors import LatentjamError  # noqa: E402
from latentjam.midi import read_midi  # noqa: E402
from latentjam.music import Sequence, Track  # noqa: E402


def _tiny(kind: str = "drums") -> api.Model:
    """A tiny untrained recurrent VAE (real architecture, seeded weights)."""
    from latentjam.models import RecurrentVAEConfig, build_model

    torch.manual_seed(0)
    config = RecurrentVAEConfig(
        data=kind,
        feature_dim=27 if kind == "drums" else 90,
        latent_dim=4,
        encoder_hidden=(16,),
        conductor_hidden=16,
        decoder_hidden=(16,),
        prior="vhp",
        prior_hidden=(16,),
    )
    return api.Model(build_model(config.to_dict()), name=f"tiny-{kind}")


@pytest.fixture
def tiny() -> api.Model:
    return _tiny()


@pytest.fixture
def drums_file(midi_dir):
    return midi_dir / "mma_pflib_8beat1.mid"  # 144 beats of drums (+ pitched parts)


@pytest.fixture
def other_drums(midi_dir):
    return midi_dir / "openmsx_5432gone.mid"


def _notes(seq: Sequence) -> list:
    return [n for t in seq.tracks for n in t.notes]


def test_load_is_lazy_and_named():
    import subprocess
    import sys

    code = "import sys, latentjam; latentjam.load; print('torch' in sys.modules)"
    lazy = subprocess.run(
        [sys.executable, "-c", "import sys, latentjam; print('torch' in sys.modules)"],
        capture_output=True,
        text=True,
    )
    assert lazy.stdout.strip() == "False"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
        == "False"
    )  # the function itself is light
    with pytest.raises(LatentjamError, match="unknown model"):
        latentjam.load("no-such-model")


def test_long_piece_is_cut_into_consecutive_windows(tiny, drums_file):
    seq = read_midi(drums_file)
    w = tiny.windows(seq)
    last = seq.merged(drums=True).start.max()
    assert len(w) == int(np.ceil(last / 8.0))  # 2-bar windows of 8 beats cover every drum note
    for k in (0, 5, len(w) - 1):
        np.testing.assert_array_equal(w[k], tiny.converter.to_tensor(seq, 8.0 * k))
    z = tiny.encode(drums_file)
    assert z.shape == (len(w), tiny.latent_dim)
    one_by_one = np.concatenate([tiny.encode(w[k]) for k in range(len(w))])
    np.testing.assert_allclose(z, one_by_one, rtol=1e-5, atol=1e-6)
    out = tiny.reconstruct(drums_file)
    assert out.end <= 8.0 * len(w) + 1e-9
    assert out.end > 8.0 * (len(w) - 1)  # the last window is there too


def test_interpolation_endpoints_reproduce_reconstructions(tiny, drums_file, other_drums):
    steps = tiny.interpolate(drums_file, other_drums, 5, method="slerp")
    assert len(steps) == 5
    rec_a = tiny.decode(tiny.encode(drums_file)[tiny.default_window(drums_file)])
    rec_b = tiny.decode(tiny.encode(other_drums)[tiny.default_window(other_drums)])
    assert _notes(steps[0]) == _notes(rec_a)
    assert _notes(steps[-1]) == _notes(rec_b)
    assert _notes(steps[0]) != _notes(steps[-1])


def test_same_seed_same_samples(tiny):
    a = tiny.sample(4, temperature=0.7, seed=3)
    b = tiny.sample(4, temperature=0.7, seed=3)
    c = tiny.sample(4, temperature=0.7, seed=4)
    assert [_notes(s) for s in a] == [_notes(s) for s in b]
    assert [_notes(s) for s in a] != [_notes(s) for s in c]
    z = tiny.sample_latents(4, seed=3)
    np.testing.assert_array_equal(z, tiny.sample_latents(4, seed=3))


def test_similar_and_decode_shapes(tiny, drums_file):
    near = tiny.similar(drums_file, radius=0.0, n=2, seed=1)
    fullest = tiny.encode(drums_file)[tiny.default_window(drums_file)]
    assert _notes(near[0]) == _notes(tiny.decode(fullest))
    z = tiny.encode(drums_file)
    assert isinstance(tiny.decode(z[0]), Sequence)
    assert len(tiny.decode(z[:3])) == 3
    x = tiny.decode_tensor(z[:3])
    assert x.shape == (3, 32, 27)
    assert set(np.unique(x[..., :9])) <= {0.0, 1.0}


def test_pieces_that_do_not_fit_get_clear_errors(tiny, midi_dir):
    with pytest.raises(LatentjamError, match=r"no drum notes .* pitched notes: try a melody"):
        tiny.encode(midi_dir.parent / "convert" / "m21_ryans_arkansastraveller.mid")
    with pytest.raises(LatentjamError, match="no notes at all"):
        tiny.encode(midi_dir / "mma_gypsyjazz.mid")  # an MMA library file without notes
    with pytest.raises(LatentjamError, match="reads windows of shape"):
        tiny.encode(np.zeros((16, 27), np.float32))
    with pytest.raises(LatentjamError, match="4-D latents"):
        tiny.decode(np.zeros(5))
    odd = Sequence([Track([20, 90], [100, 100], [0.0, 1.0], [0.1, 0.1], is_drum=True)])
    with pytest.raises(LatentjamError, match="General MIDI drum map"):
        tiny.encode(odd)
    melody = _tiny("melody")
    with pytest.raises(LatentjamError, match=r"no pitched notes .* drum notes"):
        melody.encode(Sequence([Track([36], [100], [0.0], [0.1], is_drum=True)]))
    with pytest.raises(LatentjamError, match="window 99 does not exist"):
        tiny.interpolate(
            midi_dir / "mma_pflib_8beat1.mid", midi_dir / "openmsx_5432gone.mid", 3, window=99
        )


def test_attribute_vector_from_corpus_is_cached(tiny, tmp_path, monkeypatch):
    from latentjam.corpora.store import cache_dir

    corpora = cache_dir()  # reuse the built corpus windows; write attribute caches to tmp_path
    corpora.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("LATENTJAM_CACHE", str(tmp_path))
    (tmp_path / "corpora").symlink_to(corpora)
    v = tiny.attribute_vector("density")
    assert v.shape == (4,)
    cached = list((tmp_path / "attributes").glob("tiny-drums-*.json"))
    assert len(cached) == 1
    again = api.Model(tiny.module, name="tiny-drums")
    np.testing.assert_array_equal(again.attribute_vector("density"), v)
    with pytest.raises(LatentjamError, match="no attribute 'pitch'"):
        tiny.attribute_vector("pitch")


def test_stored_attribute_vector_moves_latent(tiny, drums_file):
    vec = np.arange(4, dtype=np.float32)
    tiny.metadata["attributes"] = {"density": {"vector": vec.tolist(), "r": 0.5}}
    z = tiny.attribute_latents(drums_file, "density", [-1, 0, 2])
    z0 = tiny.encode(drums_file)[tiny.default_window(drums_file)]
    np.testing.assert_allclose(z, [z0 - vec, z0, z0 + 2 * vec], rtol=1e-6, atol=1e-6)


def _shipped(*names: str) -> list[str]:
    from latentjam.pretrained import list_models

    have = {m["name"] for m in list_models()}
    return [n for n in names if n in have]


@pytest.mark.slow
@pytest.mark.parametrize("name", _shipped("drums", "drums-baseline"))
def test_positive_density_scale_gives_denser_patterns(name):
    model = latentjam.load(name)
    x = model.corpus_windows(64, split="test", seed=1)  # held-out corpus windows
    z = model.encode(x)
    vec = model.attribute_vector("density")
    d_less, d_base, d_more = (
        model_density(model.decode_tensor(z + s * vec)) for s in (-1.0, 0.0, 1.0)
    )
    assert d_more.mean() > d_base.mean() > d_less.mean()
    assert (d_more > d_less).mean() > 0.7


@pytest.mark.slow
@pytest.mark.parametrize("name", _shipped("melody", "melody-baseline"))
def test_positive_pitch_scale_gives_higher_melodies(name):
    from latentjam import latent as lat

    model = latentjam.load(name)
    # Real tunes written by music21 (the melody corpus itself takes minutes to parse on a fresh
    # machine); every 2-bar window of them.
    tunes = sorted((Path(__file__).parent / "fixtures" / "convert").glob("m21_ryans_*.mid"))
    z = np.concatenate([model.encode(t) for t in tunes])
    vec = model.attribute_vector("pitch")
    low, high = (
        np.nanmean(lat.measure(model.decode_tensor(z + s * vec), "pitch")) for s in (-1.0, 1.0)
    )
    assert high > low + 2.0  # semitones


def model_density(x: np.ndarray) -> np.ndarray:
    return (x[..., :9] > 0.5).sum(axis=(1, 2))


@pytest.mark.parametrize("kind", ["drums", "melody"])
@pytest.mark.parametrize("batch", [1, 16])  # one sequence takes its own path
def test_fused_greedy_decode_matches_the_module(kind, batch):
    model = _tiny(kind)
    z = torch.randn(batch, 4, generator=torch.Generator().manual_seed(2)) * 2
    with torch.inference_mode():
        ref = model.module.decode(z)
        fast = api.greedy_decode(model.module, z)
    width = 9 if kind == "drums" else 90
    np.testing.assert_array_equal(fast[..., :width].numpy(), ref[..., :width].numpy())
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-5)
    np.testing.assert_array_equal(model.decode_tensor(z), fast.numpy())


def test_the_default_window_is_the_one_with_the_most_hits(tiny, drums_file):
    seq = read_midi(drums_file)
    late = Sequence(
        [
            Track(t.pitch, t.velocity, t.start + 16.0, t.duration, is_drum=True)
            for t in seq.drum_tracks
        ]
    )  # two silent windows first
    # a count-in: four woodblock-like clicks alone in the first window
    click = Track([76] * 4, [90] * 4, [0.0, 1.0, 2.0, 3.0], [0.1] * 4, is_drum=True)
    late.tracks.append(click)
    w = tiny.windows(late)
    hits = (w[..., :9] > 0.5).sum(axis=(1, 2))
    best = int(np.argmax(hits))
    assert hits[0] > 0 and best >= 2  # the count-in window has notes but fewer than the groove
    assert tiny.default_window(late) == best
    z = tiny.encode(late)  # a batch of all windows: float32 sums may differ in the last bits
    np.testing.assert_allclose(tiny._one(late, None), z[best], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tiny._one(late, 0), z[0], rtol=1e-6, atol=1e-6)
    assert not tiny.windows(late)[1].any()


@pytest.mark.parametrize("kind", ["drums", "melody"])
@pytest.mark.parametrize("batch", [1, 16])  # one sequence takes its own path
@pytest.mark.parametrize("temperature", [0.5, 1.0])
def test_fused_sampled_decode_draws_what_the_module_draws(kind, batch, temperature):
    model = _tiny(kind)
    z = torch.randn(batch, 4, generator=torch.Generator().manual_seed(3)) * 2
    width = 9 if kind == "drums" else 90
    for seed in range(5):
        with torch.inference_mode():
            ref = model.module.decode(
                z,
                sample=True,
                temperature=temperature,
                generator=torch.Generator().manual_seed(seed),
            )
            fast = api.sampled_decode(
                model.module, z, temperature, torch.Generator().manual_seed(seed)
            )
        np.testing.assert_array_equal(fast[..., :width].numpy(), ref[..., :width].numpy())
        np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-5)


def test_fused_sampled_decode_draws_from_its_generator():
    model = _tiny("drums")
    z = torch.randn(8, 4, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        a, b, c = (
            api.sampled_decode(model.module, z, 1.0, torch.Generator().manual_seed(s))
            for s in (0, 0, 1)
        )
    assert torch.equal(a, b)  # same seed, same pattern
    assert not torch.equal(a[..., :9], c[..., :9])  # another seed, other hits
    with pytest.raises(ValueError, match="temperature > 0"):
        api.sampled_decode(model.module, z, 0.0)
