"""Audio operations: reconstruct / interpolate consistency, sampling lengths."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.audio import checkpoints, ops
from latentjam.audio.io import read_audio
from latentjam.audio.mel import mel_spec_of
from latentjam.audio.metrics import spectral_convergence
from latentjam.errors import LatentjamError


@pytest.fixture
def clips(audio_clips):
    return [read_audio(p)[0] for p in audio_clips]


@pytest.mark.parametrize("name", ["mel-vae", "wave-tiny"])
def test_interpolation_ends_are_the_reconstructions(clips, name):
    model = checkpoints.load_audio_model(name)
    a, b = clips[0][:40000], clips[1]
    ends = ops.interpolate(model, a, b, steps=2)
    assert [e.size for e in ends] == [40000, 40000]
    rec_a, mel = ops.reconstruct(model, a)
    rec_b, _ = ops.reconstruct(model, b[:40000])
    np.testing.assert_allclose(ends[0], rec_a, atol=1e-3)
    np.testing.assert_allclose(ends[1], rec_b, atol=1e-3)
    assert spectral_convergence(rec_a, ends[1]) > 0.3
    assert mel.shape[0] == 64
    assert not np.allclose(ends[0], ends[1], atol=1e-3)


def test_reconstruction_resembles_its_input(clips):
    from latentjam.audio.metrics import multi_resolution_sc

    model = checkpoints.load_audio_model("wave-tiny")
    a, b = clips
    rec, _ = ops.reconstruct(model, a)
    # closer to its own input than to another piece
    assert multi_resolution_sc(a, rec) < multi_resolution_sc(b, rec)


def test_sample_lengths():
    wave = checkpoints.load_audio_model("wave-tiny")
    out = ops.sample(wave, 2, seconds=0.5, seed=1)
    assert [x.size for x in out] == [8000, 8000]
    mel = checkpoints.load_audio_model("mel-vae")
    out = ops.sample(mel, 1)
    assert out[0].size == mel_spec_of(mel).samples(64)
    with pytest.raises(LatentjamError):
        ops.sample(mel, 0)


@pytest.mark.parametrize("name", ["mel-vae", "wave-tiny"])
def test_sampling_around_a_clip_moves_away_from_it_with_the_radius(clips, name):
    from latentjam.audio.metrics import chroma_correlation

    model = checkpoints.load_audio_model(name)
    clip = clips[0][:32000]
    still = ops.sample_around(model, clip, 2, radius=0.0, seed=1)
    assert [s.size for s in still] == [clip.size, clip.size]
    np.testing.assert_allclose(still[0], still[1])  # radius 0: the clip's own decoding
    near, far = (
        np.mean(
            [
                chroma_correlation(still[0], s, 16000)
                for s in ops.sample_around(model, clip, 3, radius=r, seed=2)
            ]
        )
        for r in (0.3, 3.0)
    )
    assert near > far
    with pytest.raises(LatentjamError):
        ops.sample_around(model, clip, 1, radius=-1.0)
