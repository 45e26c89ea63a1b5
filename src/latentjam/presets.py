"""Named presets, the one registry for every model (frozen dataclasses).

Sequence VAEs (`get_preset`): model + objective + optimisation + default data. GPU presets
follow the paper's appendix table 3; `drums`, `drums-baseline`, `melody` and `melody-baseline`
are the shipped models' recipe (hours on one core, minutes on a GPU); `*-quick` are the earlier
small presets (minutes on one core); `tiny-*` presets exist for tests.

Audio VAEs (`get_audio_preset`): the model configs of `latentjam audio train --preset NAME`
(the discriminator's settings are `latentjam.training.adversarial.AdversarialConfig`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from latentjam.errors import LatentjamError
from latentjam.models.mel_vae import MelVAEConfig
from latentjam.models.recurrent_vae import RecurrentVAEConfig
from latentjam.models.wave_vae import WaveVAEConfig
from latentjam.regularizers.objective import ObjectiveConfig
from latentjam.training.config import TrainConfig


@dataclass(frozen=True)
class Preset:
    """Everything `latentjam train --preset NAME` needs besides the data location."""

    name: str
    description: str
    model: RecurrentVAEConfig
    objective: ObjectiveConfig
    train: TrainConfig
    corpus: str  # bundled corpus used when neither --data nor --corpus is given
    converter: str  # "drums" (DrumGrid) or "melody" (MelodyOneHot)
    augment: str = ""  # training-batch augmentation: "" (none) or "transpose" (melodies)

    def replace(self, **changes: object) -> Preset:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _drum_model(**kw: object) -> RecurrentVAEConfig:
    return RecurrentVAEConfig(data="drums", feature_dim=27, **kw)


def _melody_model(**kw: object) -> RecurrentVAEConfig:
    return RecurrentVAEConfig(data="melody", feature_dim=90, **kw)


# MusicVAE's baseline KL handling: beta 0.2 with 48 free bits per sequence, expressed in the
# model's per-element units (nats / (T * D)).
def _baseline_objective(elements: int) -> ObjectiveConfig:
    return ObjectiveConfig(kl="beta", beta=0.2, free_bits=48 * 0.6931471805599453 / elements)


_CPU_TRAIN = TrainConfig(
    batch_size=64, lr=1e-3, lr_decay=0.9995, lr_min=1e-4, max_steps=2000, checkpoint_every=200
)
_GPU_TRAIN = TrainConfig(
    batch_size=256,
    lr=5e-4,
    lr_decay=0.99995,
    max_steps=100_000,
    checkpoint_every=2000,
    val_every=2000,
    log_every=50,
)

_CPU_NET = {
    "encoder_hidden": (128,),
    "conductor_hidden": 128,
    "decoder_hidden": (128,),
    "prior_hidden": (128, 128),
}
_FM_CPU = {
    "kl": "geco",
    "nu": 1.0,
    "ema": 0.99,
    "alpha0": 0.25,
    "flat_points": 16,
    "flat_every": 4,
    "flat_estimator": "stochastic",
    "flat_jvp": "central",
    "flat_normalize": True,
    "flat_start": 500,
    "lambda_max": 100.0,
}

PRESETS: dict[str, Preset] = {}


def _add(preset: Preset) -> None:
    PRESETS[preset.name] = preset


# ---- the shipped models' recipe ------------------------------------------------------------
# Measured (benchmarks/README.md, section recipe): what buys reconstruction per CPU-minute is a
# wider net (256 units), a KL budget big enough for ~23 pitches per 2-bar fiddle-tune window
# (256 free bits, beta 0.1; GECO kappa set to the reconstruction that a playable model needs),
# a learning rate of 2e-3 with a slow decay (the old 0.9995 per step stalled learning after
# ~3000 steps), a short warm-up, and random transposition of melodies. Sized so a CPU run stays
# within ~180 CPU-minutes; the shipped files were trained with the same presets on a GPU, cut
# by wall time (each card gives the steps reached).
_RECIPE_TRAIN = TrainConfig(
    batch_size=128,
    lr=2e-3,
    lr_decay=0.99985,
    lr_min=5e-5,
    warmup_steps=200,
    max_steps=20000,
    checkpoint_every=500,
    val_every=1000,
    log_every=50,
)
_RECIPE_NET = {
    "encoder_hidden": (256,),
    "conductor_hidden": 256,
    "decoder_hidden": (256,),
    "prior_hidden": (256, 256),
}
_MELODY_NET = {**_RECIPE_NET, "encoder_hidden": (512,)}
_FM_RECIPE = {
    **_FM_CPU,
    "lambda_max": 1000.0,
    "flat_start": 2000,
    "flat_c2_gradient": True,
}


def _recipe_baseline_objective(elements: int) -> ObjectiveConfig:
    return ObjectiveConfig(kl="beta", beta=0.1, free_bits=256 * 0.6931471805599453 / elements)


_add(
    Preset(
        name="drums",
        description="FM-Music-VAE, 2-bar drums, 32-D (VHP prior, GECO, flat regulariser)",
        model=_drum_model(latent_dim=32, prior="vhp", iw_samples=8, **_RECIPE_NET),
        objective=ObjectiveConfig(kappa=0.12, eta=0.2, **_FM_RECIPE),
        train=_RECIPE_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="drums-baseline",
        description="MusicVAE-style baseline, 2-bar drums, 32-D, same net and budget as drums",
        model=_drum_model(latent_dim=32, prior="normal", **_RECIPE_NET),
        objective=_recipe_baseline_objective(32 * 27),
        train=_RECIPE_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="melody",
        description="FM-Music-VAE, 2-bar melodies, 64-D (VHP prior, GECO, flat regulariser)",
        model=_melody_model(latent_dim=64, prior="vhp", iw_samples=8, **_MELODY_NET),
        objective=ObjectiveConfig(kappa=0.05, eta=1.0, **_FM_RECIPE),
        train=_RECIPE_TRAIN,
        corpus="ryans-mammoth",
        converter="melody",
        augment="transpose",
    )
)
_add(
    Preset(
        name="melody-baseline",
        description="MusicVAE-style baseline, 2-bar melodies, 64-D, same net and budget as melody",
        model=_melody_model(latent_dim=64, prior="normal", **_MELODY_NET),
        objective=_recipe_baseline_objective(32 * 90),
        train=_RECIPE_TRAIN,
        corpus="ryans-mammoth",
        converter="melody",
        augment="transpose",
    )
)

# ---- the earlier small presets (2000 steps, ~4 CPU-minutes each): quick tries ---------------
_add(
    Preset(
        name="drums-quick",
        description="drums at the earlier small size: 128 units, 2000 steps (~4 CPU-minutes)",
        model=_drum_model(latent_dim=32, prior="vhp", iw_samples=8, **_CPU_NET),
        objective=ObjectiveConfig(kappa=0.22, eta=0.2, **_FM_CPU),
        train=_CPU_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="drums-baseline-quick",
        description="drums-baseline at the earlier small size (same net and budget as drums-quick)",
        model=_drum_model(latent_dim=32, prior="normal", **_CPU_NET),
        objective=_baseline_objective(32 * 27),
        train=_CPU_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="melody-quick",
        description="melody at the earlier small size: 128 units, 2000 steps (~4 CPU-minutes)",
        model=_melody_model(latent_dim=64, prior="vhp", iw_samples=8, **_CPU_NET),
        objective=ObjectiveConfig(kappa=0.12, eta=1.0, **_FM_CPU),
        train=_CPU_TRAIN,
        corpus="ryans-mammoth",
        converter="melody",
    )
)
_add(
    Preset(
        name="melody-baseline-quick",
        description="melody-baseline at the earlier small size (net and budget of melody-quick)",
        model=_melody_model(latent_dim=64, prior="normal", **_CPU_NET),
        objective=_baseline_objective(32 * 90),
        train=_CPU_TRAIN,
        corpus="ryans-mammoth",
        converter="melody",
    )
)

# ---- tiny presets for tests ---------------------------------------------------------------
_TINY_NET = {
    "encoder_hidden": (16,),
    "conductor_hidden": 16,
    "decoder_hidden": (16,),
    "prior_hidden": (16,),
}
_TINY_TRAIN = TrainConfig(
    batch_size=8, max_steps=6, checkpoint_every=2, val_every=3, val_batches=1, log_every=1
)
_add(
    Preset(
        name="tiny-drums",
        description="a few-thousand-parameter FM drum model for tests",
        model=_drum_model(latent_dim=4, prior="vhp", iw_samples=2, **_TINY_NET),
        objective=ObjectiveConfig(kl="geco", kappa=0.2, eta=1.0, flat_points=4, flat_every=2),
        train=_TINY_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="tiny-drums-baseline",
        description="tiny baseline drum model for tests",
        model=_drum_model(latent_dim=4, prior="normal", **_TINY_NET),
        objective=_baseline_objective(32 * 27),
        train=_TINY_TRAIN,
        corpus="drums",
        converter="drums",
    )
)

# ---- the paper's sizes (appendix table 3), for GPUs ---------------------------------------
_PAPER_PRIOR = {"prior": "vhp", "prior_hidden": (256, 256), "iw_samples": 8}
_add(
    Preset(
        name="drums-paper",
        description="paper table 3, drums two bars: BiGRU 512,512, conductor 512, GRU 512,512",
        model=_drum_model(
            latent_dim=32,
            encoder_hidden=(512, 512),
            conductor_hidden=512,
            decoder_hidden=(512, 512),
            **_PAPER_PRIOR,
        ),
        objective=ObjectiveConfig(
            kl="geco", kappa=0.14, nu=1.0, eta=6000.0, flat_points=64, flat_start=2000
        ),
        train=_GPU_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="drums-baseline-paper",
        description="MusicVAE baseline at the paper's drum sizes",
        model=_drum_model(
            latent_dim=32,
            encoder_hidden=(512, 512),
            conductor_hidden=512,
            decoder_hidden=(512, 512),
        ),
        objective=_baseline_objective(32 * 27),
        train=_GPU_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="drums4-paper",
        description="paper table 3, drums four bars: BiGRU 1024,1024, K=16, kappa 0.15, eta 2500",
        model=_drum_model(
            latent_dim=32,
            bars=4,
            encoder_hidden=(1024, 1024),
            conductor_hidden=512,
            decoder_hidden=(512, 512),
            prior="vhp",
            prior_hidden=(256, 256),
            iw_samples=16,
        ),
        objective=ObjectiveConfig(
            kl="geco", kappa=0.15, nu=1.0, eta=2500.0, flat_points=64, flat_start=2000
        ),
        train=_GPU_TRAIN,
        corpus="drums",
        converter="drums",
    )
)
_add(
    Preset(
        name="melody-paper",
        description="paper table 3, piano: 64-D, BiGRU 1024,1024, conductor 512, GRU 512,512",
        model=_melody_model(
            latent_dim=64,
            encoder_hidden=(1024, 1024),
            conductor_hidden=512,
            decoder_hidden=(512, 512),
            **_PAPER_PRIOR,
        ),
        objective=ObjectiveConfig(
            kl="geco", kappa=0.03, nu=1.0, eta=2000.0, flat_points=64, flat_start=2000
        ),
        train=_GPU_TRAIN,
        corpus="ryans-mammoth",
        converter="melody",
    )
)
_add(
    Preset(
        name="melody-baseline-paper",
        description="MusicVAE baseline at the paper's piano sizes",
        model=_melody_model(
            latent_dim=64,
            encoder_hidden=(1024, 1024),
            conductor_hidden=512,
            decoder_hidden=(512, 512),
        ),
        objective=_baseline_objective(32 * 90),
        train=_GPU_TRAIN,
        corpus="ryans-mammoth",
        converter="melody",
    )
)


def get_preset(name: str) -> Preset:
    """The preset called `name` (LatentjamError listing the known ones otherwise)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise LatentjamError(
            f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}"
        ) from None


AUDIO_PRESETS: dict[str, MelVAEConfig | WaveVAEConfig] = {
    "mel-vae": MelVAEConfig(),
    # The blog's network (no hidden layer) with a 2-D latent, so the latent map can be drawn.
    "mel-vae-2d": MelVAEConfig(latent_dim=2, hidden=0),
    "wave-tiny": WaveVAEConfig(),
    "wave-paper-like": WaveVAEConfig(
        sample_rate=24000,
        strides=(2, 4, 5, 8),
        channels=(32, 64, 128, 256, 512),
        latent_channels=16,
    ),
}


def get_audio_preset(name: str) -> MelVAEConfig | WaveVAEConfig:
    """The audio model config called `name` (LatentjamError listing the known ones otherwise)."""
    try:
        return AUDIO_PRESETS[name]
    except KeyError:
        raise LatentjamError(
            f"unknown audio preset {name!r}; choose from {', '.join(AUDIO_PRESETS)}"
        ) from None
