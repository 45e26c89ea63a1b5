"""`latentjam models|sample|reconstruct|interpolate|attribute|map|humanize` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from latentjam.cli import main  # noqa: E402
from latentjam.midi import read_midi  # noqa: E402


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A tiny recurrent drum VAE saved as a model file (real architecture, seeded weights)."""
    from latentjam.models import RecurrentVAEConfig, build_model
    from latentjam.pretrained import save_model

    torch.manual_seed(0)
    config = RecurrentVAEConfig(
        data="drums",
        feature_dim=27,
        latent_dim=4,
        encoder_hidden=(16,),
        conductor_hidden=16,
        decoder_hidden=(16,),
        prior="vhp",
        prior_hidden=(16,),
    )
    vector = np.linspace(-1, 1, 4).tolist()
    meta = {
        "data": {"source": "corpus:drums"},
        "attributes": {"density": {"vector": vector}, "velocity": {"vector": vector}},
    }
    return save_model(
        tmp_path_factory.mktemp("model") / "tiny.pt",
        build_model(config.to_dict()),
        metadata=meta,
        half=False,
    )


def _notes(path):
    return [n for t in read_midi(path).tracks for n in t.notes]


def test_models_lists_shipped_models_and_prints_a_card(capsys):
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert "pianoroll" in listing
    assert main(["models", "pianoroll"]) == 0
    assert capsys.readouterr().out.startswith("# pianoroll")
    assert main(["models", "nope"]) == 2
    assert "no shipped model 'nope'" in capsys.readouterr().err


@pytest.mark.slow
def test_sample_is_seeded_and_writes_midi_png_wav(model_file, tmp_path):
    for run in ("a", "b"):
        assert (
            main(
                [
                    "sample",
                    "--model",
                    str(model_file),
                    "-n",
                    "3",
                    "--seed",
                    "4",
                    "--out",
                    str(tmp_path / run),
                ]
                + (["--audio"] if run == "a" else [])
            )
            == 0
        )
    a, b = tmp_path / "a", tmp_path / "b"
    assert sorted(p.name for p in a.iterdir()) == [
        "sample.png",
        "sample_1.mid",
        "sample_2.mid",
        "sample_3.mid",
        "sample_all.mid",
        "sample_all.wav",
    ]
    for name in ("sample_1.mid", "sample_3.mid", "sample_all.mid"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    whole = read_midi(a / "sample_all.mid")
    assert whole.end > 16.0  # three 8-beat pieces one after another
    import soundfile

    audio, rate = soundfile.read(a / "sample_all.wav")
    assert rate == 22050 and len(audio) > rate and np.abs(audio).max() > 0.01


def test_interpolate_ends_are_reconstructions(model_file, midi_dir, tmp_path):
    a, b = midi_dir / "mma_pflib_8beat1.mid", midi_dir / "openmsx_5432gone.mid"
    assert (
        main(
            [
                "interpolate",
                str(a),
                str(b),
                "--model",
                str(model_file),
                "--steps",
                "5",
                "--method",
                "slerp",
                "--out",
                str(tmp_path / "i"),
            ]
        )
        == 0
    )
    from latentjam.api import load

    model = load(model_file)
    steps = [tmp_path / "i" / f"step_{k}.mid" for k in range(1, 6)]
    assert all(p.is_file() for p in steps) and (tmp_path / "i" / "step.png").is_file()
    from latentjam.midi import write_midi

    wa, wb = model.default_window(a), model.default_window(b)  # the fullest windows
    write_midi(model.decode(model.encode(a)[wa]), tmp_path / "rec_a.mid")
    write_midi(model.decode(model.encode(b)[wb]), tmp_path / "rec_b.mid")
    assert _notes(steps[0]) == _notes(tmp_path / "rec_a.mid")
    assert _notes(steps[-1]) == _notes(tmp_path / "rec_b.mid")


def test_attribute_writes_one_piece_per_scale_and_the_measures(model_file, midi_dir, tmp_path):
    out = tmp_path / "attr"
    assert (
        main(
            [
                "attribute",
                str(midi_dir / "mma_pflib_8beat1.mid"),
                "--model",
                str(model_file),
                "--attribute",
                "velocity",
                "--scales",
                "-1,0,1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "velocity.json",
        "velocity.png",
        "velocity_+0.mid",
        "velocity_+1.mid",
        "velocity_-1.mid",
        "velocity_all.mid",
    ]
    summary = json.loads((out / "velocity.json").read_text())
    assert summary["scales"] == [-1.0, 0.0, 1.0] and len(summary["measured"]) == 3
    assert (
        main(
            [
                "attribute",
                str(midi_dir / "mma_pflib_8beat1.mid"),
                "--model",
                str(model_file),
                "--attribute",
                "pitch",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "attribute",
                str(midi_dir / "mma_pflib_8beat1.mid"),
                "--model",
                str(model_file),
                "--scales",
                "a,b",
                "--out",
                str(out),
            ]
        )
        == 2
    )


@pytest.mark.slow
def test_reconstruct_long_piece_and_refuse_unfit_ones(model_file, midi_dir, tmp_path, capsys):
    assert (
        main(
            [
                "reconstruct",
                str(midi_dir / "mma_pflib_8beat1.mid"),
                "--model",
                str(model_file),
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 0
    )
    assert "18 window(s) of 8 beats" in capsys.readouterr().out
    rec = read_midi(tmp_path / "r" / "reconstruction.mid")
    assert 136.0 < rec.end <= 144.0 and (tmp_path / "r" / "reconstruction.png").is_file()
    pitched = midi_dir.parent / "convert" / "m21_ryans_arkansastraveller.mid"
    assert (
        main(
            ["reconstruct", str(pitched), "--model", str(model_file), "--out", str(tmp_path / "x")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no drum notes" in err
    assert (
        main(
            [
                "reconstruct",
                str(tmp_path / "missing.mid"),
                "--model",
                str(model_file),
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )


def test_map_writes_a_png(model_file, midi_dir, tmp_path):
    out = tmp_path / "map.png"
    assert (
        main(
            [
                "map",
                "--model",
                str(model_file),
                "--out",
                str(out),
                "--limit",
                "60",
                "--dims",
                "3",
                "--highlight",
                str(midi_dir / "mma_pflib_8beat1.mid"),
            ]
        )
        == 0
    )
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_humanize_command(midi_dir, tmp_path):
    out = tmp_path / "played.mid"
    assert main(["humanize", str(midi_dir / "mma_pflib_8beat1.mid"), "--out", str(out)]) == 0
    assert out.is_file() and out.with_suffix(".png").is_file()
    assert read_midi(out).tracks[0].is_drum


def test_reconstruct_keeps_the_input_tempo(model_file, midi_dir, tmp_path):
    from latentjam.midi import read_midi

    piece = midi_dir.parent / "convert" / "game_simutrans_sundaydrivers_ppq96.mid"  # 80 qpm
    assert (
        main(["reconstruct", str(piece), "--model", str(model_file), "--out", str(tmp_path / "r")])
        == 0
    )
    out = read_midi(tmp_path / "r" / "reconstruction.mid")
    assert [round(t.qpm) for t in out.tempos][:1] == [80]


def test_a_missing_or_folder_input_is_named_before_the_model_loads(tmp_path, capsys):
    for bad in (tmp_path / "nope.mid", tmp_path):
        assert (
            main(["reconstruct", str(bad), "--model", "drums", "--out", str(tmp_path / "r")]) == 2
        )
        err = capsys.readouterr().err
        assert str(bad) in err and "Traceback" not in err
        assert ("a folder" in err) == bad.is_dir()


@pytest.mark.slow
def test_drumify_command_turns_a_melody_into_a_groove_that_keeps_its_rhythm(
    midi_dir, tmp_path, capsys
):
    tune = midi_dir.parent / "convert" / "m21_ryans_arkansastraveller.mid"  # a fiddle tune
    out = tmp_path / "grooved.mid"
    assert main(["drumify", str(tune), "--out", str(out)]) == 0
    assert "notes read as taps" in capsys.readouterr().out
    groove = read_midi(out)
    assert [t.is_drum for t in groove.tracks] == [True] and out.with_suffix(".png").is_file()
    melody = read_midi(tune)
    steps = {round(b * 4) for t in melody.tracks for b in t.start}  # 16th steps of the tune
    assert steps <= {round(b * 4) for b in groove.tracks[0].start}  # every one is a hit
    assert len(set(groove.tracks[0].pitch.tolist())) >= 2  # more than one instrument
