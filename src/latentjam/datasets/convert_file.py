"""One MIDI file -> windows or a skip reason; runs in the dataset builder's worker processes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentjam.convert import DrumGrid, MelodyOneHot, PianoRollBars
from latentjam.convert.drums import MAPPINGS
from latentjam.convert.melody import HIGH_PITCH, LOW_PITCH
from latentjam.errors import InvalidMidiError, LatentjamError

Converter = DrumGrid | MelodyOneHot | PianoRollBars
KINDS = ("drums", "melody", "pianoroll")
MAX_BEATS = 20_000.0  # ~3 hours at 120 qpm: longer "pieces" are corrupt timing, not music

# Skip categories, in the order the summary prints them.
REASONS = (
    "empty",
    "not MIDI",
    "too large",
    "truncated",
    "corrupt",
    "absurd tempo",
    "too long",
    "no notes",
    "no drum notes",
    "no pitched notes",
    "no complete window",
    "duplicate",
    "internal error",
)


@dataclass(frozen=True)
class FileResult:
    """What became of one file: its windows (n, T, D) float32, or a skip category and message."""

    windows: np.ndarray | None
    reason: str = ""
    message: str = ""
    md5: str = ""  # of the file's bytes, for converted files (duplicates are skipped)


def make_converter(
    kind: str,
    *,
    bars: int | None = None,
    mapping: str = "gm",
    hop_bars: int = 1,
    metre: str = "quarters",
    low: int = 21,
    high: int = 108,
) -> Converter:
    """The converter a dataset of `kind` uses (`bars` defaults to 2, or 1 for pianoroll)."""
    if kind == "drums":
        return DrumGrid(bars=bars or 2, mapping=mapping, hop_bars=hop_bars, metre=metre)
    if kind == "melody":
        return MelodyOneHot(bars=bars or 2, hop_bars=hop_bars, metre=metre)
    if kind == "pianoroll":
        if bars not in (None, 1):
            raise LatentjamError("pianoroll windows are one bar each: leave --bars out or use 1")
        return PianoRollBars(low=low, high=high, metre=metre)
    raise LatentjamError(f"unknown dataset kind {kind!r}; choose one of {', '.join(KINDS)}")


def classify(message: str) -> str:
    """Skip category of an `InvalidMidiError` message."""
    text = message.lower()
    if "empty file" in text:
        return "empty"
    if "not a standard midi" in text:
        return "not MIDI"
    if "too large" in text:
        return "too large"
    if "absurd tempo" in text:
        return "absurd tempo"
    if "eof" in text or "chunk length" in text or "unexpected end" in text:
        return "truncated"
    return "corrupt"


def convert_file(path: str, converter: Converter) -> FileResult:
    """Read and convert one file; never raises (every problem becomes a skip reason)."""
    from latentjam.midi import read_midi

    try:
        sequence = read_midi(path)
    except InvalidMidiError as exc:
        message = str(exc).split(": ", 1)[-1]
        return FileResult(None, classify(message), message)
    except Exception as exc:  # a builder must survive any file
        return FileResult(None, "internal error", f"reading: {type(exc).__name__}: {exc}")
    try:
        result = _windows(sequence, converter)
    except Exception as exc:
        return FileResult(None, "internal error", f"converting: {type(exc).__name__}: {exc}")
    if result.windows is None:
        return result
    try:
        digest = hashlib.md5(Path(path).read_bytes(), usedforsecurity=False).hexdigest()
    except OSError as exc:
        return FileResult(None, "internal error", f"reading: {type(exc).__name__}: {exc}")
    return FileResult(result.windows, md5=digest)


def _windows(sequence, converter: Converter) -> FileResult:
    drums = isinstance(converter, DrumGrid)
    if not any(len(t) for t in sequence.tracks):
        return FileResult(None, "no notes", "a valid MIDI file without any notes")
    notes = sequence.merged(drums=drums)
    if len(notes) == 0:
        if drums:
            return FileResult(None, "no drum notes", "no notes on MIDI channel 10")
        return FileResult(None, "no pitched notes", "only drum notes (channel 10)")
    if drums:
        mapped = MAPPINGS[converter.mapping][np.clip(notes.pitch, 0, 127)] >= 0
        if not mapped.any():
            return FileResult(
                None,
                "no drum notes",
                f"{len(notes)} notes on channel 10, none of "
                f"them a pitch of the {converter.mapping} drum map",
            )
    else:
        low, high = (
            (converter.low, converter.high)
            if isinstance(converter, PianoRollBars)
            else (LOW_PITCH, HIGH_PITCH)
        )
        if not ((notes.pitch >= low) & (notes.pitch <= high)).any():
            return FileResult(None, "no pitched notes", f"no notes in pitch range {low}..{high}")
    if sequence.end > MAX_BEATS:
        return FileResult(None, "too long", f"notes run to beat {sequence.end:.0f}")
    x = converter.windows(sequence)
    if len(x) == 0:
        span = f"{converter.steps // 16} bar(s) of 4 quarter notes"
        policy = " in 4/4" if converter.metre == "four-four" else ""
        return FileResult(
            None,
            "no complete window",
            f"no complete non-empty window of {span}{policy} ({_describe(sequence, converter)})",
        )
    return FileResult(x)


def _describe(sequence, converter: Converter) -> str:
    """A short account of why a piece gives no window: its length, metre and usable notes."""
    sig = sequence.time_signatures[0]
    notes = sequence.merged(drums=isinstance(converter, DrumGrid))
    return f"{sequence.end:.1f} beats, {sig.numerator}/{sig.denominator}, {len(notes)} notes"
