"""music21's installed corpus -> `Sequence`: list the pieces, parse one, convert its stream."""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

from latentjam.errors import LatentjamError, missing_extra
from latentjam.music import DEFAULT_QPM, Sequence, Tempo, TimeSignature, Track

CONVERSION_VERSION = 1  # bump when stream_to_sequence changes what it produces
DEFAULT_VELOCITY = 90  # notated music has no velocities unless a dynamic sets one


@dataclass(frozen=True)
class PieceRef:
    """One piece: a file under music21/corpus and, for multi-tune ABC files, its X: number."""

    path: str  # relative to the music21 corpus folder, e.g. "ryansMammoth/AcaciaReel.abc"
    number: int | None = None

    @property
    def key(self) -> str:
        """Stable name of the piece (also what the train/valid/test split is decided on)."""
        return self.path if self.number is None else f"{self.path}#{self.number}"


def music21_version() -> str:
    """The installed music21's version, without importing it ("" if it is not installed)."""
    try:
        return importlib.metadata.version("music21")
    except importlib.metadata.PackageNotFoundError:
        return ""


def corpus_root() -> Path:
    """The folder holding music21's bundled corpus."""
    try:
        import music21
    except ImportError:
        raise missing_extra("music21", "corpora") from None
    return Path(music21.__file__).parent / "corpus"


def list_pieces(music21_dir: str, patterns: tuple[str, ...], limit: int | None = None):
    """Every piece of one corpus folder, sorted; ABC files with several tunes give one each."""
    folder = corpus_root() / music21_dir
    if not folder.is_dir():
        raise LatentjamError(f"music21's corpus has no folder {music21_dir!r} (at {folder})")
    files = sorted({p for pattern in patterns for p in folder.glob(pattern)})
    pieces: list[PieceRef] = []
    for path in files:
        rel = f"{music21_dir}/{path.name}"
        numbers = _abc_numbers(path) if path.suffix == ".abc" else []
        if len(numbers) > 1:
            pieces.extend(PieceRef(rel, n) for n in numbers)
        else:
            pieces.append(PieceRef(rel))
        if limit is not None and len(pieces) >= limit:
            return pieces[:limit]
    return pieces


def _abc_numbers(path: Path) -> list[int]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [int(m) for m in re.findall(r"^X:\s*(\d+)", text, flags=re.MULTILINE)]


def parse_piece(ref: PieceRef, *, expand_repeats: bool = True) -> Sequence:
    """Parse one piece with music21 and convert it; music21's own errors propagate."""
    try:
        from music21 import converter
    except ImportError:
        raise missing_extra("music21", "corpora") from None
    path = corpus_root() / ref.path
    kwargs = {"forceSource": True, "storePickle": False}
    if ref.number is not None:
        kwargs["number"] = ref.number
    score = converter.parse(str(path), **kwargs)
    if expand_repeats:
        score = score.expandRepeats()
    return stream_to_sequence(score, source=f"music21:{ref.key}")


def stream_to_sequence(score, source: str = "") -> Sequence:
    """A music21 Score (or Part) -> `Sequence`, one track per part, times in quarter notes.

    Tied notes are merged (stripTies); grace notes (no duration) are dropped; chords give one
    note per pitch. A pickup bar is kept where it is in the bar: the piece is shifted so that
    beat 0 is the downbeat of the (incomplete) first bar. Every later full bar lands on a
    downbeat of the returned time-signature map: a full bar that starts off the grid (after a
    bar of odd length) starts a new time-signature entry; short fragments (a pickup repeated
    after a repeat sign, the halves of a split bar) do not.
    Tempo marks become tempos (120 qpm when there are none); missing velocities are 90.
    """
    from music21 import tempo

    score = score.stripTies(inPlace=False)
    parts = list(score.parts) if hasattr(score, "parts") and len(score.parts) else [score]
    shift, signatures = _bar_grid(parts[0])
    tracks = []
    for part in parts:
        rows = []
        for el in part.flatten().notes:
            length = float(el.duration.quarterLength)
            if length <= 0:  # grace note
                continue
            start = float(el.offset) + shift
            velocity = el.volume.velocity if el.volume.velocity is not None else DEFAULT_VELOCITY
            for p in el.pitches:
                rows.append((int(p.midi), int(velocity), start, length))
        instrument = part.getInstrument(returnDefault=True)
        program = instrument.midiProgram if instrument.midiProgram is not None else 0
        name = part.partName or getattr(instrument, "instrumentName", "") or ""
        tracks.append(Track.from_notes(rows, program=int(program), name=str(name)))
    tempos = []
    for mark in score.flatten().getElementsByClass(tempo.MetronomeMark):
        qpm = mark.getQuarterBPM()
        if qpm:
            tempos.append(Tempo(float(mark.offset) + shift, float(qpm)))
    if not tempos or tempos[0].beat > 0:
        tempos.insert(0, Tempo(0.0, tempos[0].qpm if tempos else DEFAULT_QPM))
    tempos = list({t.beat: t for t in tempos}.values())  # last mark at a beat wins
    return Sequence(tracks, tempos, signatures, ppq=480, source=source)


def _bar_grid(part) -> tuple[float, list[TimeSignature]]:
    """(shift in beats, time signatures) putting every bar line of `part` on a downbeat."""
    from music21 import stream

    measures = list(part.getElementsByClass(stream.Measure))
    current = None
    for ts in part.flatten().getElementsByClass("TimeSignature"):
        current = ts
        break
    if not measures:
        if current is None:
            return 0.0, [TimeSignature(0.0, 4, 4)]
        return 0.0, [TimeSignature(0.0, int(current.numerator), int(current.denominator))]
    first = measures[0]
    bar = current.barDuration.quarterLength if current is not None else 4.0
    shift = float(first.paddingLeft or 0.0)
    if shift == 0.0 and 0 < first.duration.quarterLength < bar and len(measures) > 1:
        shift = float(bar - first.duration.quarterLength)
    signatures: list[TimeSignature] = []
    for i, m in enumerate(measures):
        if m.timeSignature is not None:
            current = m.timeSignature
        num, den = (int(current.numerator), int(current.denominator)) if current else (4, 4)
        start = 0.0 if i == 0 else float(m.offset) + shift
        if signatures:
            last = signatures[-1]
            steps = (start - last.beat) / last.bar_beats
            on_grid = abs(steps - round(steps)) < 1e-6
            # a short measure (pickup, half of a bar split by a repeat) is a fragment, not a bar
            full = m.duration.quarterLength >= num * 4.0 / den - 1e-6
            if (num, den) == (last.numerator, last.denominator) and (on_grid or not full):
                continue
        signatures.append(TimeSignature(start, num, den))
    return shift, signatures
