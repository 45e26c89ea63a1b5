"""MIDI reading and writing on real files, odd resolutions and broken input."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.errors import InvalidMidiError
from latentjam.midi import read_midi, to_midi_bytes, write_midi
from latentjam.music import Sequence, Tempo, TimeSignature, Track


def test_reads_real_files_with_drums_and_tempo(midi_dir):
    seq = read_midi(midi_dir / "openmsx_5432gone.mid")
    assert seq.ppq == 256
    assert len(seq.drum_tracks) == 1 and len(seq.drum_tracks[0]) == 336
    assert seq.time_signatures[0] == TimeSignature(0.0, 5, 4)
    assert all(t.qpm > 0 for t in seq.tempos)


@pytest.mark.parametrize("ppq", [192, 384, 480, 1000])
def test_write_read_round_trip_at_any_ppq(midi_dir, tmp_path, ppq):
    seq = read_midi(midi_dir / "mma_pflib_8beat1.mid")
    out = read_midi(write_midi(seq, tmp_path / "out.mid", ppq=ppq))
    assert out.ppq == ppq
    for a, b in zip(seq.tracks, out.tracks, strict=True):
        assert a.is_drum == b.is_drum and a.program == b.program
        np.testing.assert_array_equal(a.pitch, b.pitch)
        np.testing.assert_array_equal(a.velocity, b.velocity)
        np.testing.assert_allclose(a.start, b.start, atol=0.5 / ppq)


def test_tempo_change_and_metre_survive(tmp_path):
    seq = Sequence(
        [Track.from_notes([(60, 90, 0.0, 1.0), (62, 80, 4.5, 0.25)])],
        tempos=[Tempo(0.0, 90.0), Tempo(4.0, 140.0)],
        time_signatures=[TimeSignature(0.0, 3, 4), TimeSignature(3.0, 6, 8)],
    )
    out = read_midi(to_midi_bytes(seq))
    assert [round(t.qpm, 3) for t in out.tempos] == [90.0, 140.0]
    assert out.time_signatures == seq.time_signatures
    assert out.tracks[0].notes == seq.tracks[0].notes


def test_zero_length_and_overlapping_notes_are_kept(tmp_path):
    seq = Sequence([Track.from_notes([(60, 90, 0.0, 0.0), (60, 80, 0.0, 2.0), (64, 70, 1.0, 2.0)])])
    out = read_midi(to_midi_bytes(seq))
    assert len(out.tracks[0]) == 3


@pytest.mark.parametrize(
    ("payload", "reason"),
    [(b"", "empty"), (b"RIFF0000WAVEfmt ", "not a standard MIDI"), (None, "unreadable")],
)
def test_bad_files_raise_clear_errors(tmp_path, midi_dir, payload, reason):
    if payload is None:
        payload = (midi_dir / "mma_pflib_8beat1.mid").read_bytes()[:40]
    path = tmp_path / "bad.mid"
    path.write_bytes(payload)
    with pytest.raises(InvalidMidiError, match=reason):
        read_midi(path)


def test_absurd_tempo_is_rejected():
    seq = Sequence([Track.from_notes([(60, 90, 0.0, 1.0)])], tempos=[Tempo(0.0, 5000.0)])
    with pytest.raises(InvalidMidiError, match="absurd tempo"):
        read_midi(to_midi_bytes(seq))
    assert read_midi(to_midi_bytes(seq), check_tempo=False).tempos[0].qpm > 1000


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _smf(events: bytes, ppq: int = 96) -> bytes:
    track = events + b"\x00\xff\x2f\x00"
    header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01" + ppq.to_bytes(2, "big")
    return header + b"MTrk" + len(track).to_bytes(4, "big") + track


NOTE = b"\x00\x99\x24\x64\x30\x89\x24\x00"  # a kick on channel 10, one 8th long


def test_a_late_metre_change_does_not_stretch_earlier_segments():
    seq = Sequence(
        [Track([36], [100], [0.0], [0.5], is_drum=True)],
        [Tempo(0.0, 120.0)],
        [TimeSignature(0.0, 4, 4), TimeSignature(1e7, 3, 4)],
    )
    assert seq.downbeats(until=8.0).tolist() == [0.0, 4.0]


def test_absurd_metres_are_ignored(tmp_path):
    tiny_bar = b"\x00\xff\x58\x04\x01\x07\x18\x08"  # 1/128
    odd = b"\x00\xff\x58\x04\x03\x03\x18\x08"  # 3/8 (the denominator is a power of 2)
    path = tmp_path / "metre.mid"
    path.write_bytes(_smf(tiny_bar + NOTE))
    seq = read_midi(path)
    assert [(ts.numerator, ts.denominator) for ts in seq.time_signatures] == [(4, 4)]
    path.write_bytes(_smf(odd + NOTE))
    assert [(ts.numerator, ts.denominator) for ts in read_midi(path).time_signatures] == [(3, 8)]


def test_event_times_past_2_to_the_31_ticks_are_refused(tmp_path):
    far = b"".join(_vlq(0x0FFFFFFF) + b"\xff\x01\x01a" for _ in range(9))  # 9 x 2^28 ticks
    path = tmp_path / "far.mid"
    path.write_bytes(_smf(far + NOTE))
    with pytest.raises(InvalidMidiError, match="2\\^31"):
        read_midi(path)


def test_a_header_with_the_wrong_track_count_loses_no_notes(tmp_path):
    one = _smf(NOTE)
    chunk = one[14:]  # the MTrk chunk
    two_tracks = one[:10] + (1).to_bytes(2, "big") + one[12:] + chunk  # says 1, holds 2
    path = tmp_path / "count.mid"
    path.write_bytes(two_tracks)
    assert sum(len(t) for t in read_midi(path).tracks) == 2
    says_three = one[:10] + (3).to_bytes(2, "big") + one[12:]  # says 3, holds 1
    path.write_bytes(says_three)
    assert sum(len(t) for t in read_midi(path).tracks) == 1
