"""The notebook API: `m = latentjam.load("drums")`, then encode, decode, sample, interpolate, ...

Every method takes music (a MIDI path, a `latentjam.music.Sequence`) or data tensors, and
returns music (`Sequence`, or a list of them) unless its name says otherwise; latents are numpy
float32 arrays of shape (Nz,) or (n, Nz). `m.module` is the torch model and `m.converter` the
representation, for those who want tensors. Long pieces are cut into consecutive windows of the
model's length (2 bars of 4 quarter notes for the drum and melody models, 1 bar for the
piano-roll model) from beat 0, and processed in batches of windows; pieces the model cannot read
raise `LatentjamError` saying why.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from latentjam import latent as lat
from latentjam.atomic import atomic_write_json
from latentjam.errors import LatentjamError
from latentjam.music import Sequence, Tempo, TimeSignature, Track

BATCH = 256  # windows per forward pass
MAX_WINDOWS = 5000  # a longer "piece" (about 5.5 hours at 120 qpm) is refused
STEPS_PER_BEAT = 4
CORPUS_SAMPLES = 5000  # encoded windows behind a computed attribute vector (the paper's 5000)
DEFAULT_CORPUS = {"drums": "drums", "melody": "ryans-mammoth", "pianoroll": "bach-chorales"}
MusicLike = str | os.PathLike | Sequence | np.ndarray


def load(name_or_path: str | os.PathLike = "drums") -> Model:
    """A shipped model by name ("drums", "melody", ...) or a model/checkpoint file, to play."""
    from latentjam.pretrained import load_model, model_path

    path = model_path(name_or_path)
    module = load_model(path)
    return Model(module, name=path.stem, path=path)


def _torch():
    try:
        import torch
    except ImportError:
        from latentjam.errors import missing_extra

        raise missing_extra("torch", "torch") from None
    return torch


def converter_for(module: Any, metadata: dict | None = None):
    """The converter whose tensors `module` (a model, or its config) reads and writes, from
    its config and metadata: the one place that knows which music a model plays."""
    from latentjam import convert

    config = getattr(module, "config", module)
    if getattr(config, "kind", None) == "bar_vae":
        return convert.PianoRollBars(low=config.low, high=config.high)
    kind = getattr(config, "data", None)
    bars = int(getattr(config, "bars", 2))
    data = (metadata or {}).get("data")
    key = str(data.get("converter", "")) if isinstance(data, dict) else ""
    if kind == "drums":
        return convert.DrumGrid(bars=bars, mapping="roland" if "-roland-" in key else "gm")
    if kind == "melody":
        return convert.MelodyOneHot(bars=bars)
    raise LatentjamError(
        f"a {getattr(config, 'kind', '?')} model does not read MIDI "
        "(the audio models are played with `latentjam audio ...`)"
    )


class Model:
    """A trained VAE with its converter: music in, music out.

    Attributes: `name`, `module` (the nn.Module, eval mode, one forward per batch of windows),
    `converter`, `kind` ("drums", "melody" or "pianoroll"), `latent_dim` (Nz), `steps` (T),
    `window_beats` (quarter notes per window), `metadata` (from the model file).
    """

    def __init__(
        self,
        module: Any,
        *,
        name: str = "model",
        path: str | os.PathLike | None = None,
        converter: Any = None,
    ) -> None:
        self.module = module.eval()
        self.name = name
        self.path = Path(path) if path else None
        self.metadata: dict = dict(getattr(module, "metadata", None) or {})
        self.converter = (
            converter if converter is not None else converter_for(module, self.metadata)
        )
        self.kind: str = getattr(module.config, "data", "pianoroll")
        self.steps = int(self.converter.steps)
        self.feature_dim = int(self.converter.feature_dim)
        self.window_beats = self.steps / STEPS_PER_BEAT
        self.latent_dim = int(module.config.latent_dim)
        self._vectors: dict[str, np.ndarray] | None = None

    def __repr__(self) -> str:
        return (
            f"<latentjam.Model {self.name!r}: {self.kind}, {self.latent_dim}-D latent, "
            f"{self.window_beats:g}-beat windows>"
        )

    @property
    def card(self) -> str:
        """The model card (markdown) shipped next to the model file, or an empty string."""
        if self.path is None:
            return ""
        card = self.path.with_suffix(".md")
        return card.read_text(encoding="utf-8") if card.is_file() else ""

    # ---------------------------------------------------------------------- music <-> tensors

    def read(self, x: MusicLike) -> Sequence:
        """A MIDI path or `Sequence` as a `Sequence`."""
        return read_music(x)

    def windows(self, x: MusicLike) -> np.ndarray:
        """Consecutive windows covering the piece from beat 0: (n, T, D) float32.

        Silent windows inside the piece are kept, so window k starts at beat k * window_beats.
        A tensor (T, D) or (n, T, D) is checked and passed through.
        """
        if isinstance(x, np.ndarray) or lat._is_torch(x):
            return check_tensor(x, self.converter, self.name)
        return piece_windows(read_music(x), self.converter, self.kind, self.name)

    def to_music(self, x, *, qpm: float = 120.0) -> Sequence | list[Sequence]:
        """Data tensors back to music: (T, D) -> Sequence, (n, T, D) -> list of Sequences."""
        a = lat._as_numpy(x).astype(np.float32)
        if a.ndim == 2:
            return self.converter.from_tensor(a, qpm=qpm)
        return [self.converter.from_tensor(w, qpm=qpm) for w in a]

    def join(self, pieces: list[Sequence], *, gap_beats: float = 0.0) -> Sequence:
        """Window-length pieces one after another (piece k at k * (window_beats + gap_beats))."""
        return concatenate(pieces, self.window_beats + gap_beats)

    # ------------------------------------------------------------------------ latent <-> data

    def encode(self, x: MusicLike, *, with_sigma: bool = False):
        """Posterior means, (n_windows, Nz) float32; with_sigma=True returns (mu, sigma).

        `x`: MIDI path, Sequence, or data tensor (T, D) / (n, T, D).
        """
        _torch()
        from latentjam.models.batched import posterior

        mu, sigma = posterior(self.module, self.windows(x), batch=BATCH)
        return (mu, sigma) if with_sigma else mu

    def _latents(self, z) -> np.ndarray:
        a = lat._as_numpy(z).astype(np.float32)
        if a.ndim == 1:
            a = a[None]
        if a.ndim != 2 or a.shape[1] != self.latent_dim:
            raise LatentjamError(
                f"the {self.name!r} model has {self.latent_dim}-D latents; "
                f"got shape {tuple(np.shape(z))}"
            )
        if not np.all(np.isfinite(a)):
            raise LatentjamError("latents hold NaN or infinite values")
        return a

    def decode_tensor(self, z, *, temperature: float = 0.0, seed: int | None = None) -> np.ndarray:
        """Latents (Nz,) or (n, Nz) -> data windows (n, T, D) float32.

        temperature 0 is the greedy decode (most likely hits / notes); > 0 samples the decoder's
        outputs at that temperature (same seed, same result).
        """
        torch = _torch()
        if temperature < 0 or not np.isfinite(temperature):
            raise LatentjamError(f"temperature must be >= 0 (got {temperature})")
        zz = self._latents(z)
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        out = []
        with torch.inference_mode():
            for i in range(0, len(zz), BATCH):
                out.append(
                    self._decode_batch(torch.from_numpy(zz[i : i + BATCH]), temperature, gen)
                )
        return np.concatenate(out).astype(np.float32)

    def _decode_batch(self, z, temperature: float, gen) -> np.ndarray:
        torch = _torch()
        if self.kind in ("drums", "melody"):  # the recurrent VAE chooses its own outputs
            from latentjam.models.batched import decode_windows

            y = decode_windows(self.module, z, temperature=temperature, generator=gen)
            return y.float().numpy()
        p = self.module.decode(z).float()  # piano roll probabilities (B, 16, 2P)
        if temperature > 0:
            logits = torch.logit(p.clamp(1e-6, 1 - 1e-6)) / temperature
            p = torch.bernoulli(torch.sigmoid(logits), generator=gen)
        roll = (p > 0.5).float()
        half = roll.shape[-1] // 2
        roll[..., :half] = torch.maximum(roll[..., :half], roll[..., half:])  # struck => sounding
        return roll.numpy()

    def decode(self, z, *, temperature: float = 0.0, seed: int | None = None, qpm: float = 120.0):
        """Latents to music: (Nz,) -> Sequence; (n, Nz) -> list of n Sequences."""
        y = self.decode_tensor(z, temperature=temperature, seed=seed)
        seqs = [self.converter.from_tensor(w, qpm=qpm) for w in y]
        return seqs[0] if lat._as_numpy(z).ndim == 1 else seqs

    def reconstruct(self, x: MusicLike) -> Sequence:
        """The whole piece through the model, window by window (tempo of the input kept)."""
        qpm = self._qpm(x)
        return self.join(self.decode(self.encode(x).reshape(-1, self.latent_dim), qpm=qpm))

    def _qpm(self, x) -> float:
        if isinstance(x, Sequence | str | os.PathLike):
            return float(read_music(x).qpm_at(0.0))
        return 120.0

    def default_window(self, x: MusicLike | np.ndarray) -> int:
        """The window a piece is represented by when none is named: the one with the most note
        onsets of the model's kind (drum hits / melody note-ons / struck piano-roll cells), the
        earliest of equals. A count-in or an intro rarely wins over the groove or the tune."""
        w = x if isinstance(x, np.ndarray) and x.ndim == 3 else self.windows(x)  # (n, T, D)
        if self.kind == "drums":
            onsets = w[..., : w.shape[-1] // 3] > 0.5  # hit flags
        elif self.kind == "melody":
            onsets = w[..., 2:] > 0.5  # note-on events
        else:
            onsets = w[..., w.shape[-1] // 2 :] > 0.5  # struck flags of the piano roll
        counts = onsets.reshape(len(w), -1).sum(axis=1)  # (n,)
        return int(np.argmax(counts)) if len(counts) else 0

    def _one(self, x, window: int | None) -> np.ndarray:
        """One latent (Nz,): a latent passes through; music gives the posterior mean of window
        `window`, by default (None) the window with the most onsets (`default_window`)."""
        if isinstance(x, np.ndarray | list | tuple) or lat._is_torch(x):
            a = lat._as_numpy(x)
            if a.ndim == 1:
                return self._latents(a)[0]
        w = self.windows(x)  # (n, T, D)
        if window is None:
            window = self.default_window(w)
        if not -len(w) <= window < len(w):
            raise LatentjamError(
                f"window {window} does not exist: the piece has {len(w)} "
                f"window(s) of {self.window_beats:g} beats"
            )
        return self.encode(w[window])[0]

    # -------------------------------------------------------------------------- explorations

    def sample_latents(self, n: int = 1, *, seed: int | None = None) -> np.ndarray:
        """`n` latents drawn from the model's prior (the learned prior for FM models): (n, Nz)."""
        torch = _torch()
        lat._check_count(n)
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        with torch.inference_mode():
            if hasattr(self.module, "sample_latent"):
                z = self.module.sample_latent(int(n), generator=gen)
            else:
                z = torch.randn(int(n), self.latent_dim, generator=gen)
        return z.float().numpy()

    def sample(
        self, n: int = 1, *, temperature: float = 0.5, seed: int | None = None, qpm: float = 120.0
    ) -> list[Sequence]:
        """`n` new pieces: latents from the prior, outputs sampled at `temperature` (0 = greedy).

        As in MusicVAE, temperature sets how adventurous the decoder's choices are.
        """
        z = self.sample_latents(n, seed=seed)
        return self.decode(z, temperature=temperature, seed=seed, qpm=qpm)

    def interpolate(
        self,
        a,
        b,
        steps: int = 7,
        *,
        method: str = "lerp",
        window: int | None = None,
        qpm: float = 120.0,
    ) -> list[Sequence]:
        """`steps` pieces from `a` to `b` (ends included) along a lerp or slerp latent path.

        a, b: music or latents (Nz,). For music, window `window` of the piece is used (by
        default the one with the most onsets, see `default_window`). The first and last steps
        are the model's reconstructions of those windows.
        """
        path = lat.interpolate(self._one(a, window), self._one(b, window), steps, method)
        return self.decode(path, qpm=qpm)

    def similar(
        self,
        x,
        radius: float = 1.0,
        n: int = 4,
        *,
        seed: int | None = None,
        window: int | None = None,
        qpm: float = 120.0,
    ) -> list[Sequence]:
        """`n` variations: latents at distance `radius` around `x`'s latent, decoded greedily."""
        return self.decode(lat.similar(self._one(x, window), radius, n, seed=seed), qpm=qpm)

    def attribute_names(self) -> tuple[str, ...]:
        """Attributes this model has vectors for (density, velocity, offset / density, pitch)."""
        return lat.attribute_names(self.feature_dim)

    def attribute_vector(self, name: str) -> np.ndarray:
        """The attribute vector (Nz,): stored with the model, else computed from its corpus once
        (table 2 protocol over up to 5000 encoded training windows) and cached on disk."""
        names = self.attribute_names()
        if not names:
            raise LatentjamError(
                f"the {self.name!r} model ({self.kind}) has no attribute "
                "vectors: they exist for the drum and melody models"
            )
        if name not in names:
            raise LatentjamError(
                f"the {self.name!r} model has no attribute {name!r} (choose {', '.join(names)})"
            )
        if self._vectors is None:
            self._vectors = self._stored_vectors() or self._corpus_vectors()
        if name not in self._vectors:
            raise LatentjamError(f"no {name!r} vector could be computed for {self.name!r}")
        return self._vectors[name]

    def _stored_vectors(self) -> dict[str, np.ndarray]:
        out = {}
        for attr, value in dict(self.metadata.get("attributes") or {}).items():
            vec = value.get("vector") if isinstance(value, dict) else value
            vec = np.asarray(vec, dtype=np.float32).reshape(-1) if vec is not None else None
            if vec is not None and vec.shape == (self.latent_dim,) and np.isfinite(vec).all():
                out[str(attr)] = vec
        return out

    def corpus_name(self) -> str:
        """The bundled corpus the model was trained on (from its metadata, else the default)."""
        data = self.metadata.get("data")
        source = str(data.get("source", "")) if isinstance(data, dict) else ""
        if source.startswith("corpus:"):
            return source.split(":", 1)[1]
        return DEFAULT_CORPUS.get(self.kind, "drums")

    def corpus_windows(
        self, limit: int = CORPUS_SAMPLES, *, split: str = "train", seed: int = 0
    ) -> np.ndarray:
        """Up to `limit` windows (n, T, D) of the model's corpus, a seeded random choice."""
        from latentjam.corpora import load_corpus

        # a first use parses the corpus (minutes for a music21 corpus): show the progress bar
        x = load_corpus(self.corpus_name(), self.converter, split=split, progress=True)
        if len(x) == 0:
            raise LatentjamError(f"the corpus {self.corpus_name()!r} has no {split} windows")
        idx = np.random.default_rng(seed).permutation(len(x))[:limit]
        return x[np.sort(idx)]

    def _cache_file(self) -> Path:
        from latentjam.corpora.store import ENV_CACHE

        base = os.environ.get(ENV_CACHE) or os.path.join(
            os.path.expanduser("~"), ".cache", "latentjam"
        )
        digest = hashlib.sha256()
        if self.path is not None and self.path.is_file():
            digest.update(self.path.read_bytes())
        else:  # an in-memory model: key on its weights
            for k, v in self.module.state_dict().items():
                digest.update(k.encode())
                digest.update(v.detach().cpu().float().numpy().tobytes())
        return Path(base) / "attributes" / f"{self.name}-{digest.hexdigest()[:16]}.json"

    def _corpus_vectors(self) -> dict[str, np.ndarray]:
        cache = self._cache_file()
        if cache.is_file():
            try:
                data = json.loads(cache.read_text())
                return {k: np.asarray(v, dtype=np.float32) for k, v in data.items()}
            except (ValueError, OSError):
                pass  # a damaged cache is rebuilt
        x = self.corpus_windows()
        z = self.encode(x)
        vectors = {}
        for name in self.attribute_names():
            vectors[name] = np.asarray(
                lat.attribute_vector(z, lat.measure(x, name)), dtype=np.float32
            )
        atomic_write_json(cache, {k: v.tolist() for k, v in vectors.items()}, indent=None)
        return vectors

    def attribute_latents(
        self, x, name: str, scales=(-1.0, -0.5, 0.0, 0.5, 1.0), *, window: int | None = None
    ) -> np.ndarray:
        """x's latent moved along attribute `name` by each scale: (S, Nz)."""
        return np.asarray(
            lat.along(self._one(x, window), self.attribute_vector(name), scales), dtype=np.float32
        )

    def attribute(
        self,
        x,
        name: str,
        scales=(-1.0, -0.5, 0.0, 0.5, 1.0),
        *,
        window: int | None = None,
        qpm: float = 120.0,
    ) -> list[Sequence]:
        """x moved along an attribute vector (the paper's fig. 3), one piece per scale.

        Positive scales add more of the attribute (denser, louder, later, higher).
        """
        return self.decode(self.attribute_latents(x, name, scales, window=window), qpm=qpm)

    def humanize(
        self,
        x: MusicLike,
        *,
        temperature: float = 0.0,
        seed: int | None = None,
        model: str | os.PathLike = "humanize",
    ) -> Sequence:
        """A drum pattern with learned velocities and micro-timing (`latentjam.api.humanize`)."""
        return humanize(x, temperature=temperature, seed=seed, model=model)

    def project(self, z, *, dims: int = 3) -> np.ndarray:
        """Latents (n, Nz) on the model's fixed PCA map (from its metadata): (n, dims)."""
        proj = self.metadata.get("projection") or {}
        if "mean" not in proj or "components" not in proj:
            raise LatentjamError(f"the {self.name!r} model has no stored projection")
        mean = np.asarray(proj["mean"], dtype=np.float64)
        comps = np.asarray(proj["components"], dtype=np.float64)[:dims]
        return (self._latents(z).astype(np.float64) - mean) @ comps.T


def greedy_decode(module: Any, z):
    """Greedy decode of a hierarchical recurrent VAE with fused GRU cells, or None.

    The same computation as `module.decode(z)` (same weights, same feedback of the chosen
    step, each bar starting from the previous bar's last output), run by
    `latentjam.models.fast_inference.decode`: fused GRU steps, the bar embedding's share of the
    input product once per bar, the greedy choice inlined, which makes a single 2-bar reply
    several times faster on one CPU core. Outputs agree with `module.decode` up to float
    rounding (tests compare them). Returns None for any other kind of model.
    z (B, Nz) -> (B, T, D).
    """
    return _fused_decode(module, z, 0.0, None)


def sampled_decode(module: Any, z, temperature: float, generator=None):
    """Sampled decode at `temperature` (> 0) with fused GRU cells, or None (see `greedy_decode`).

    The same draws as `module.decode(z, sample=True, temperature=..., generator=...)`: drum hits
    are Bernoulli(sigmoid(logits / temperature)) by comparing one `torch.rand` (B, K) per step
    with the probabilities, melody events one `torch.multinomial` per step, consuming
    `generator` in the same order, so the same seed gives the same output (up to a float-rounding
    tie between a uniform draw and a probability). z (B, Nz) -> (B, T, D).
    """
    if not temperature > 0:
        raise ValueError(f"sampled_decode needs temperature > 0 (got {temperature})")
    return _fused_decode(module, z, float(temperature), generator)


def _fused_decode(module: Any, z, temperature: float, generator):
    """The fused free run behind `greedy_decode` (temperature 0) and `sampled_decode`."""
    from latentjam.models import fast_inference

    return fast_inference.decode(module, z, temperature=temperature, generator=generator)


def read_music(x: MusicLike) -> Sequence:
    """A MIDI path or `Sequence` as a `Sequence` (clear error for anything else)."""
    if isinstance(x, Sequence):
        return x
    if isinstance(x, str | os.PathLike):
        from latentjam.midi import read_midi

        return read_midi(x)
    raise LatentjamError(f"expected a MIDI path or a Sequence, got {type(x).__name__}")


def _notes(seq: Sequence, kind: str) -> Track:
    return seq.merged(drums=kind == "drums")


def _last_onset(seq: Sequence, kind: str) -> float:
    notes = _notes(seq, kind)
    return float(notes.start.max()) + 1e-6 if len(notes) else 0.0


def piece_windows(seq: Sequence, converter: Any, kind: str, name: str = "model") -> np.ndarray:
    """Consecutive windows of `converter` covering `seq` from beat 0: (n, T, D) float32.

    Window k starts at beat k * T / 4; silent windows inside the piece are kept; the last one is
    padded with silence. Raises `LatentjamError` saying why when the piece does not fit.
    """
    beats = converter.steps / STEPS_PER_BEAT
    check_fits(seq, converter, kind, name)
    n = max(int(np.ceil(_last_onset(seq, kind) / beats)), 1)
    return np.stack([converter.to_tensor(seq, k * beats) for k in range(n)]).astype(np.float32)


def check_fits(seq: Sequence, converter: Any, kind: str, name: str = "model") -> None:
    """Raise a LatentjamError explaining why `seq` cannot be read by a `kind` model, if so."""
    what = seq.source or "the piece"
    notes = _notes(seq, kind)
    if len(notes) == 0:
        if not any(len(t) for t in seq.tracks):
            raise LatentjamError(f"{what} has no notes at all")
        other = seq.merged(drums=kind != "drums")
        if kind == "drums":
            found = f" (it has {len(other)} pitched notes: try a melody model)" if other else ""
            raise LatentjamError(
                f"{what} has no drum notes (MIDI channel 10) for the drum model {name!r}{found}"
            )
        found = f" (it has {len(other)} drum notes: try the drums model)" if other else ""
        raise LatentjamError(f"{what} has no pitched notes for the {kind} model {name!r}{found}")
    if kind == "drums":
        from latentjam.convert.drums import MAPPINGS

        table = MAPPINGS[getattr(converter, "mapping", "gm")]
        if not (table[np.clip(notes.pitch, 0, 127)] >= 0).any():
            raise LatentjamError(
                f"{what}: none of its {len(notes)} drum notes is a pitch of the "
                f"General MIDI drum map (35..87)"
            )
    else:
        low, high = getattr(converter, "low", 21), getattr(converter, "high", 108)
        if not ((notes.pitch >= low) & (notes.pitch <= high)).any():
            raise LatentjamError(f"{what}: no note within the model's pitch range {low}..{high}")
    beats = converter.steps / STEPS_PER_BEAT
    if _last_onset(seq, kind) / beats > MAX_WINDOWS:
        raise LatentjamError(
            f"{what} runs to beat {_last_onset(seq, kind):.0f}: more than "
            f"{MAX_WINDOWS} windows of {beats:g} beats"
        )


def check_tensor(x, converter: Any, name: str = "model") -> np.ndarray:
    """Data windows (T, D) or (n, T, D) checked against `converter`'s shape: (n, T, D) float32."""
    a = lat._as_numpy(x).astype(np.float32)
    if a.ndim == 2:
        a = a[None]
    want = (int(converter.steps), int(converter.feature_dim))
    if a.ndim != 3 or a.shape[1:] != want:
        raise LatentjamError(
            f"the {name!r} model reads windows of shape {want} "
            f"(or (n, {want[0]}, {want[1]})); got {tuple(a.shape)}"
        )
    if not np.all(np.isfinite(a)):
        raise LatentjamError("the input tensor holds NaN or infinite values")
    return a


def concatenate(pieces: list[Sequence], spacing_beats: float) -> Sequence:
    """Pieces played back to back, piece k starting at k * spacing_beats: one Sequence.

    Tracks with the same (is_drum, program) are merged; tempo and metre of the first piece.
    """
    if not pieces:
        raise LatentjamError("nothing to join")
    groups: dict[tuple[bool, int], list[tuple[Track, float]]] = {}
    for k, seq in enumerate(pieces):
        for t in seq.tracks:
            groups.setdefault((t.is_drum, t.program), []).append((t, k * spacing_beats))
    tracks = []
    for (is_drum, program), parts in groups.items():
        first = parts[0][0]
        tracks.append(
            Track(
                np.concatenate([t.pitch for t, _ in parts]),
                np.concatenate([t.velocity for t, _ in parts]),
                np.concatenate([t.start + shift for t, shift in parts]),
                np.concatenate([t.duration for t, _ in parts]),
                is_drum=is_drum,
                program=program,
                name=first.name,
            )
        )
    head = pieces[0]
    return Sequence(
        tracks,
        list(head.tempos[:1]) or [Tempo(0.0, 120.0)],
        list(head.time_signatures[:1]) or [TimeSignature(0.0, 4, 4)],
        ppq=head.ppq,
    )


# ------------------------------------------------------------------------------------ humanize

_LOADED: dict[tuple[str, str], Any] = {}


def _load_kind(name_or_path: str | os.PathLike, kind: str, task: str) -> Any:
    """A shipped or saved model of one `kind`, loaded once per process (eval mode)."""
    from latentjam.models.registry import build_model
    from latentjam.pretrained import model_path, read_model_file

    key = str(model_path(name_or_path))
    if (key, kind) not in _LOADED:
        data = read_model_file(key)
        config = dict(data["config"])
        if config.get("kind") != kind:
            raise LatentjamError(f"{key} is a {config.get('kind')!r} model, not a {task} model")
        model = build_model(config)
        model.load_state_dict({k: v.float() for k, v in data["state_dict"].items()})
        model.metadata = dict(data.get("metadata") or {})
        _LOADED[key, kind] = model.eval()
    return _LOADED[key, kind]


def load_groove(name_or_path: str | os.PathLike = "humanize"):
    """The humanize (groove) model, shipped name or file, loaded once per process (eval mode)."""
    return _load_kind(name_or_path, "groove_vae", "humanize")


def load_drumify(name_or_path: str | os.PathLike = "drumify"):
    """The drumify (tap -> groove) model, shipped name or file, loaded once per process."""
    return _load_kind(name_or_path, "drumify_vae", "drumify")


def humanize(
    x: MusicLike,
    *,
    temperature: float = 0.0,
    seed: int | None = None,
    model: str | os.PathLike | Any = "humanize",
) -> Sequence:
    """Keep a drum pattern's hits, give them the velocities and micro-timing a groove model
    learned from played drums (GrooVAE's humanize task).

    x: MIDI path or Sequence with drum notes (quantised or not: only which 16th steps hold
    which of the 9 drum classes is read). temperature 0 gives the model's most typical
    groove; > 0 samples a groove style (seeded). Returns the drum part, tempo of the input.
    """
    from latentjam.convert import DrumGrid
    from latentjam.models.groove import GrooveVAE

    if temperature < 0 or not np.isfinite(temperature):
        raise LatentjamError(f"temperature must be >= 0 (got {temperature})")
    groove = load_groove(model) if not isinstance(model, GrooveVAE) else model
    grid = DrumGrid(bars=int(groove.config.bars))
    seq = read_music(x)
    w = piece_windows(seq, grid, "drums", "humanize")  # (n, T, 27)
    out = groove.humanize_grids(w, temperature=temperature, seed=seed)  # (n, T, 27)
    qpm = float(seq.qpm_at(0.0))
    return concatenate([grid.from_tensor(g, qpm=qpm) for g in out], grid.steps / STEPS_PER_BEAT)


def tapped(seq: Sequence) -> Sequence:
    """Every note of `seq` (drums and pitched) as one tapped voice: a drum track of kicks with
    the notes' starts and velocities, tempo and metre of `seq`."""
    notes = [t for t in seq.tracks if len(t)]
    if not notes:
        raise LatentjamError(f"{seq.source or 'the piece'} has no notes at all")
    track = Track(
        np.full(sum(len(t) for t in notes), 36, dtype=np.int64),
        np.concatenate([t.velocity for t in notes]),
        np.concatenate([t.start for t in notes]),
        np.concatenate([t.duration for t in notes]),
        is_drum=True,
        name="taps",
    )
    return Sequence(
        [track], list(seq.tempos), list(seq.time_signatures), ppq=seq.ppq, source=seq.source
    )


def drumify(
    x: MusicLike,
    *,
    temperature: float = 0.0,
    seed: int | None = None,
    model: str | os.PathLike | Any = "drumify",
) -> Sequence:
    """A full drum groove that keeps the rhythm of `x` (GrooVAE's tap-to-drums, Drumify).

    x: MIDI path or Sequence; all its notes (any channel, any pitch) are read as one tapped
    voice: their 16th steps, velocities and micro-timing. temperature 0 gives the model's most
    typical groove for the taps; > 0 samples a groove style (seeded). Every tap gets a hit.
    Returns the drum part at the tempo of the input.
    """
    from latentjam.convert import DrumGrid
    from latentjam.models.drumify import DrumifyVAE, taps_of

    if temperature < 0 or not np.isfinite(temperature):
        raise LatentjamError(f"temperature must be >= 0 (got {temperature})")
    net = load_drumify(model) if not isinstance(model, DrumifyVAE) else model
    grid = DrumGrid(bars=int(net.config.bars))
    seq = read_music(x)
    w = piece_windows(tapped(seq), grid, "drums", "drumify")  # (n, T, 27), all kicks
    out = net.drumify(taps_of(w), temperature=temperature, seed=seed)  # (n, T, 27)
    qpm = float(seq.qpm_at(0.0))
    return concatenate([grid.from_tensor(g, qpm=qpm) for g in out], grid.steps / STEPS_PER_BEAT)


def shipped_models() -> list[dict[str, Any]]:
    """The shipped models: name, path, card path and the card's title."""
    from latentjam.pretrained import list_models

    return list_models()


__all__ = [
    "Model",
    "check_tensor",
    "concatenate",
    "converter_for",
    "drumify",
    "humanize",
    "load",
    "piece_windows",
    "read_music",
    "shipped_models",
]
