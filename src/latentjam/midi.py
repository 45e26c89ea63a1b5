"""Standard MIDI files <-> `Sequence`, through symusic's compiled parser and writer."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import symusic

from latentjam.atomic import atomic_write_bytes
from latentjam.errors import InvalidMidiError
from latentjam.music import DEFAULT_QPM, Sequence, Tempo, TimeSignature, Track

WRITE_PPQ = 480
MIN_QPM, MAX_QPM = 10.0, 1000.0  # outside this a file is treated as corrupt
MAX_FILE_BYTES = 64 * 1024 * 1024


def read_midi(source: str | os.PathLike | bytes, *, check_tempo: bool = True) -> Sequence:
    """Read a type 0 or type 1 MIDI file (path or bytes) into a `Sequence`.

    Raises `InvalidMidiError` with a one-line reason for anything that is not a usable MIDI file:
    empty, truncated, not MIDI, zero resolution, or a tempo outside 10..1000 qpm.
    """
    name = "<bytes>" if isinstance(source, bytes | bytearray) else str(source)
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        path = Path(source)
        if path.is_dir():
            raise InvalidMidiError(f"{name}: a folder, not a MIDI file")
        if not path.is_file():
            raise InvalidMidiError(f"{name}: no such file")
        size = path.stat().st_size
        if size == 0:
            raise InvalidMidiError(f"{name}: empty file")
        if size > MAX_FILE_BYTES:
            raise InvalidMidiError(f"{name}: {size} bytes is too large for a MIDI file")
        data = path.read_bytes()
    if len(data) < 14 or data[:4] != b"MThd":
        raise InvalidMidiError(f"{name}: not a standard MIDI file (no MThd header)")
    data = _with_true_track_count(data)
    try:
        score = symusic.Score.from_midi(data)
    except Exception as exc:  # symusic raises RuntimeError/ValueError with terse texts
        raise InvalidMidiError(f"{name}: unreadable MIDI ({exc})") from None
    return _from_score(score, name, check_tempo=check_tempo)


def _with_true_track_count(data: bytes) -> bytes:
    """The file with its header's track count set to the number of complete MTrk chunks.

    A header that declares more tracks than the file holds, or fewer, would make the parser
    stop early or drop the extra tracks' notes; walking the chunks fixes the count (unknown
    chunk types are skipped, as the standard says)."""
    header_len = int.from_bytes(data[4:8], "big")
    pos, tracks = 8 + header_len, 0
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos + 4 : pos + 8], "big")
        if data[pos : pos + 4] == b"MTrk":
            tracks += 1
        pos += 8 + length
    if header_len < 6 or tracks == int.from_bytes(data[10:12], "big") or tracks == 0:
        return data
    return data[:10] + min(tracks, 0xFFFF).to_bytes(2, "big") + data[12:]


def _from_score(score: symusic.Score, name: str, *, check_tempo: bool) -> Sequence:
    ppq = int(score.ticks_per_quarter)
    if ppq <= 0:
        raise InvalidMidiError(f"{name}: resolution of {ppq} ticks per quarter note")
    tempos = [Tempo(t.time / ppq, float(t.qpm)) for t in score.tempos]
    if check_tempo:
        for t in tempos:
            if not (MIN_QPM <= t.qpm <= MAX_QPM):
                raise InvalidMidiError(
                    f"{name}: absurd tempo {t.qpm:.6g} qpm at beat {t.beat:g} "
                    f"(accepted {MIN_QPM:g}..{MAX_QPM:g})"
                )
    if not tempos or tempos[0].beat > 0:
        tempos.insert(0, Tempo(0.0, tempos[0].qpm if tempos else DEFAULT_QPM))
    # a metre whose bar is shorter than an eighth note, or whose denominator is not a power of
    # two up to 32, is not music a bar grid can follow: such events are ignored
    signatures = [
        TimeSignature(ts.time / ppq, int(ts.numerator), int(ts.denominator))
        for ts in score.time_signatures
        if 0 < ts.numerator <= 64
        and ts.denominator in (1, 2, 4, 8, 16, 32)
        and 4 * ts.numerator / ts.denominator >= 0.5
        and ts.time >= 0
    ]
    if not signatures or signatures[0].beat > 0:
        signatures.insert(0, TimeSignature(0.0, 4, 4))
    tracks = []
    for st in score.tracks:
        cols = st.notes.numpy()
        if len(cols["time"]) and int(cols["time"].min()) < 0:
            raise InvalidMidiError(
                f"{name}: event times beyond 2^31 ticks (negative after "
                "wrapping): the file's delta times are corrupt"
            )
        tracks.append(
            Track(
                cols["pitch"],
                cols["velocity"],
                cols["time"] / ppq,
                np.maximum(cols["duration"], 0) / ppq,
                is_drum=bool(st.is_drum),
                program=int(st.program),
                name=str(st.name),
            )
        )
    return Sequence(tracks, _dedupe(tempos), _dedupe(signatures), ppq=ppq, source=name)


def _dedupe(events: list) -> list:
    """Keep the last event at each beat (files often repeat the tempo at time 0)."""
    out: dict[float, object] = {}
    for e in sorted(events, key=lambda e: e[0]):
        out[e[0]] = e
    return list(out.values())


def to_midi_bytes(sequence: Sequence, *, ppq: int = WRITE_PPQ) -> bytes:
    """Encode a `Sequence` as a type 1 standard MIDI file at `ppq` ticks per quarter note."""
    score = symusic.Score(ppq)
    for t in sequence.tempos or [Tempo(0.0, DEFAULT_QPM)]:
        score.tempos.append(symusic.Tempo(round(t.beat * ppq), float(t.qpm)))
    for ts in sequence.time_signatures:
        score.time_signatures.append(
            symusic.TimeSignature(round(ts.beat * ppq), ts.numerator, ts.denominator)
        )
    for track in sequence.tracks:
        out = symusic.Track(track.name, int(track.program), bool(track.is_drum))
        if len(track):
            # a note pushed ahead of beat 0 (a negative micro-timing offset on the first
            # downbeat) starts at 0: MIDI has no negative times, and a negative tick would
            # wrap to hours of silence
            begin = np.maximum(track.start, 0.0)
            starts = np.rint(begin * ppq).astype(np.int32)
            ends = np.rint((track.start + track.duration) * ppq).astype(np.int32)
            ends = np.maximum(ends, starts)
            out.notes.extend(
                symusic.Note.from_numpy(
                    starts,
                    np.maximum(ends - starts, 0).astype(np.int32),
                    np.clip(track.pitch, 0, 127).astype(np.int8),
                    np.clip(track.velocity, 1, 127).astype(np.int8),
                )
            )
        score.tracks.append(out)
    return bytes(score.dumps_midi())


def write_midi(sequence: Sequence, path: str | os.PathLike, *, ppq: int = WRITE_PPQ) -> Path:
    """Write `sequence` to `path` (parents created) and return the path."""
    return atomic_write_bytes(path, to_midi_bytes(sequence, ppq=ppq))
