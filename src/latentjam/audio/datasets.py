"""Audio datasets: segments from a folder of WAV/FLAC/OGG files, and the bundled rendered corpus.

The bundled corpus is real music: Bach chorales from music21's corpus, written to MIDI, played on
the General MIDI piano of TimGM6mb.sf2 by midirenderer, resampled, peak-normalised, and cached as
FLAC under $LATENTJAM_CACHE/audio/ (default ~/.cache/latentjam). Splits are by source piece.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from latentjam.atomic import atomic_write_json
from latentjam.audio.io import AUDIO_SUFFIXES, peak_normalize, read_audio, segment, write_audio
from latentjam.errors import LatentjamError, missing_extra
from latentjam.splits import split_of

log = logging.getLogger(__name__)

SPLITS = ("train", "valid", "test")
BUNDLED_VERSION = 1


def cache_root() -> Path:
    """$LATENTJAM_CACHE or ~/.cache/latentjam."""
    default = Path.home() / ".cache" / "latentjam"
    return Path(os.environ.get("LATENTJAM_CACHE", default)).expanduser()


def audio_files(folder: str | os.PathLike) -> list[Path]:
    """Every WAV/FLAC/OGG file under `folder` (recursive, sorted)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LatentjamError(f"no such audio folder: {folder}")
    found = (p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    return sorted(p for p in found if p.is_file())


def load_segments(
    folder: str | os.PathLike,
    *,
    sample_rate: int,
    length: int,
    split: str | None = "train",
    hop: int | None = None,
    min_rms: float = 1e-3,
    max_segments: int | None = None,
) -> np.ndarray:
    """Fixed-length mono segments of the folder's audio, shape (k, length) float32.

    `split` keeps files whose `split_of(relative path)` matches (None keeps all; a folder holding
    train/valid/test sub-folders is split by those names instead). Near-silent segments (RMS below
    `min_rms`) are dropped.
    """
    if split is not None and split not in SPLITS:
        raise LatentjamError(f"split must be one of {SPLITS} or None, got {split!r}")
    folder = Path(folder)
    files = audio_files(folder)
    if not files:
        raise LatentjamError(f"no WAV/FLAC/OGG files in {folder}")
    has_dirs = any((folder / s).is_dir() for s in SPLITS)
    chunks = []
    total = 0
    for path in files:
        rel = path.relative_to(folder).as_posix()
        if split is not None:
            part = rel.split("/")[0] if has_dirs else split_of(rel)
            if part != split:
                continue
        audio, _ = read_audio(path, sample_rate)
        segs = segment(audio, length, hop)
        if len(segs):
            segs = segs[np.sqrt((segs**2).mean(axis=1)) >= min_rms]
        chunks.append(segs)
        total += len(segs)
        if max_segments is not None and total >= max_segments:
            break
    if not chunks or total == 0:
        raise LatentjamError(f"no audio segments of {length} samples in {folder} (split={split})")
    out = np.concatenate(chunks)
    return out[:max_segments] if max_segments is not None else out


def bach_chorale_pieces(limit: int | None = None) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, make_midi_bytes) for music21's Bach chorales in corpus order."""
    try:
        from music21 import corpus
    except ImportError as exc:  # pragma: no cover
        raise missing_extra("music21", "corpora") from exc
    paths = [p for p in corpus.getComposer("bach") if str(p).endswith((".mxl", ".xml", ".krn"))]
    paths = sorted(paths, key=lambda p: Path(p).name)[:limit]

    def make(path):
        def midi_bytes() -> bytes:
            from music21 import converter
            from music21.midi import translate

            return translate.streamToMidiFile(converter.parse(path)).writestr()

        return midi_bytes

    for p in paths:
        yield Path(p).stem, make(p)


def render_bundled(
    out_dir: str | os.PathLike,
    *,
    sample_rate: int = 16000,
    pieces: int = 60,
    progress: bool = False,
) -> Path:
    """Render `pieces` Bach chorales on GM piano to out_dir/{train,valid,test}/*.flac + manifest."""
    from latentjam.audio.render import as_piano, find_soundfont, render_midi_bytes
    from latentjam.midi import read_midi, to_midi_bytes

    out_dir = Path(out_dir)
    sf2 = find_soundfont()
    entries = []
    for i, (name, make) in enumerate(bach_chorale_pieces(pieces)):
        try:
            seq = as_piano(read_midi(make()))
            audio = render_midi_bytes(to_midi_bytes(seq), sample_rate, sf2)
        except (LatentjamError, ValueError, OSError) as exc:
            log.warning("skip %s: %s", name, exc)
            continue
        audio = peak_normalize(audio)
        part = split_of(name)
        write_audio(out_dir / part / f"{name}.flac", audio, sample_rate)
        entries.append({"name": name, "split": part, "seconds": round(len(audio) / sample_rate, 2)})
        if progress:
            log.info("[%d/%d] %-5s %s %.1fs", i + 1, pieces, part, name, len(audio) / sample_rate)
    if not entries:
        raise LatentjamError("rendering produced no audio")
    manifest = {
        "version": BUNDLED_VERSION,
        "corpus": "music21 Bach chorales",
        "instrument": "GM piano",
        "soundfont": sf2.name,
        "sample_rate": sample_rate,
        "files": entries,
    }
    atomic_write_json(out_dir / "manifest.json", manifest)
    return out_dir


def bundled_audio_dir(
    sample_rate: int = 16000, pieces: int = 60, *, progress: bool = False
) -> Path:
    """The rendered bundled corpus folder in the cache, rendering it first if it is missing."""
    out = cache_root() / "audio" / f"bach-chorales-piano-{sample_rate}-{pieces}-v{BUNDLED_VERSION}"
    if not (out / "manifest.json").is_file():
        render_bundled(out, sample_rate=sample_rate, pieces=pieces, progress=progress)
    return out
