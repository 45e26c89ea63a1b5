"""MIDI-port logic without ports: clock following, phrase collection, reply scheduling."""

from __future__ import annotations

import asyncio

import pytest

from latentjam.jam.midiports import (
    CLOCKS_PER_BEAT,
    GUARD_BEATS,
    PhraseClock,
    PhraseCollector,
    reply_schedule,
    start_midi,
)


def test_clock_follows_midi_clock_and_its_tempo():
    clock = PhraseClock(qpm=120.0)
    clock.feed("start", 0.0)
    t = 100.0
    for _ in range(4 * CLOCKS_PER_BEAT):  # four beats of clock at 90 qpm
        clock.feed("clock", t)
        t += 60.0 / 90.0 / CLOCKS_PER_BEAT
    assert clock.qpm == pytest.approx(90.0, rel=1e-6)
    last = t - 60.0 / 90.0 / CLOCKS_PER_BEAT
    # the first clock was beat 0, so the last of 4 x 24 clocks is one tick before beat 4
    assert clock.beat(last) == pytest.approx(4.0 - 1 / CLOCKS_PER_BEAT)
    clock.feed("stop", t)
    clock.feed("clock", t)  # ignored while stopped
    assert clock.ticks == 4 * CLOCKS_PER_BEAT - 1
    clock.feed("start", t)
    clock.feed("clock", t + 1.0)
    assert clock.ticks == 0  # the first clock after Start is beat 0


def test_phrases_collect_notes_on_the_grid():
    c = PhraseCollector(bars=2)  # 8 beats per phrase
    c.add(0.0, 36, 100)
    c.add(1.0 + 0.02, 38, 90)  # a little late on step 4
    c.add(7.99 - GUARD_BEATS / 2, 36, 120)  # in the guard: early on the next downbeat
    c.add(9.0, 42, 64)
    assert c.phrase_of(7.99 - GUARD_BEATS / 2) == 1
    first = c.close(0)
    assert [(n["pitch"], n["step"]) for n in first] == [(36, 0), (38, 4)]
    assert first[1]["offset"] == pytest.approx(0.16, abs=1e-3)
    second = c.close(1)
    assert [(n["pitch"], n["step"]) for n in second] == [(36, 0), (42, 4)]
    assert second[0]["offset"] < 0 and c.notes == []


def test_reply_schedule_orders_note_offs_before_ons():
    notes = [
        {"pitch": 36, "velocity": 100, "step": 0, "offset": 0.0},
        {"pitch": 38, "velocity": 80, "step": 4, "offset": -0.5},
    ]
    events = reply_schedule(notes, 8.0)
    assert events[0] == (8.0, "note_on", 36, 100)
    on38 = next(e for e in events if e[1] == "note_on" and e[2] == 38)
    assert on38[0] == pytest.approx(8.0 + (4 - 0.25) / 4)
    assert [e[0] for e in events] == sorted(e[0] for e in events)


def test_without_a_midi_subsystem_the_jam_says_so(tiny_drums, caplog):
    from latentjam.jam.server import JamServer

    server = JamServer({"drums": tiny_drums})

    async def go():
        return await start_midi(server, "latentjam-test")

    ports = asyncio.run(go())
    if ports is None:  # e.g. a container without /dev/snd/seq
        assert "no MIDI subsystem" in caplog.text  # a warning of the "latentjam.jam" logger
        assert "midi" not in server.urls
    else:  # a machine with ALSA: the virtual ports opened
        assert "latentjam-test in" in server.urls["midi"]
        ports.close()


def test_bridge_turns_a_played_phrase_into_a_reply_on_the_output(tiny_drums):
    """The port bridge with mido's own port base classes standing in for the OS's virtual ports."""
    import time

    import mido
    from mido.ports import BaseInput, BaseOutput

    from latentjam.jam.midiports import MidiPorts
    from latentjam.jam.protocol import Note
    from latentjam.jam.server import JamServer

    class Capture(BaseOutput):
        def _open(self, **kwargs):
            self.sent = []

        def _send(self, msg):
            self.sent.append((time.monotonic(), msg))

    class Silent(BaseInput):
        def _receive(self, block=True):
            return None

    server = JamServer({"drums": tiny_drums})
    server.start()

    async def play():
        out = Capture()
        ports = MidiPorts(server, Silent(), out, tempo=480.0)  # one 2-bar phrase per second
        task = asyncio.create_task(ports.run())
        start = ports.clock.beat(time.monotonic())
        phrase_beats = ports.collector.phrase_beats
        first = (int(start // phrase_beats) + 1) * phrase_beats  # the next downbeat
        await asyncio.sleep((first - start + 0.05) * 60 / 480)
        for _ in range(4):
            ports.on_message(mido.Message("note_on", channel=9, note=36, velocity=100))
            await asyncio.sleep(4 * 60 / 480 / 4)  # one beat
        await asyncio.sleep(2 * phrase_beats * 60 / 480)  # the call, then the reply
        task.cancel()
        ports.close()
        return out.sent

    try:
        sent = asyncio.run(play())
    finally:
        server.close()
    kinds = [m.type for _, m in sent]
    assert kinds.count("clock") > 24 * 8  # our own clock went out
    notes = [m for _, m in sent if m.type == "note_on"]
    assert server.counts["replies"] == 1 and server.counts["calls"] == 1
    assert all(m.channel == 9 for m in notes)
    session = next(iter(server.sessions.values()))
    played = [Note(**n) for n in session.history[0].call["notes"]]
    # four kicks a beat apart (scheduling jitter may move one by a 16th)
    assert [n.pitch for n in played] == [36] * 4
    assert all(abs(n.step - 4 * i) <= 1 for i, n in enumerate(played))
    assert len(notes) == len(session.history[0].reply_notes)


def test_first_clock_after_start_is_beat_zero_and_song_position_moves_it():
    clock = PhraseClock(qpm=120.0)
    clock.feed("start", 10.0)
    clock.feed("clock", 10.0)
    assert clock.beat(10.0) == pytest.approx(0.0)  # was one tick (1/24 beat, ~21 ms) late
    clock.feed("stop", 11.0)
    clock.feed("songpos", 11.0, position=16)  # bar 2 (16 sixteenths)
    clock.feed("continue", 11.0)
    clock.feed("clock", 11.5)
    assert clock.beat(11.5) == pytest.approx(4.0)


def test_the_bridge_sends_position_and_start_and_restarts_phrases(tiny_drums):
    import time

    import mido
    from mido.ports import BaseInput, BaseOutput

    from latentjam.jam.midiports import MidiPorts
    from latentjam.jam.server import JamServer

    class Capture(BaseOutput):
        def _open(self, **kwargs):
            self.sent = []

        def _send(self, msg):
            self.sent.append(msg)

    class Silent(BaseInput):
        def _receive(self, block=True):
            return None

    server = JamServer({"drums": tiny_drums})
    server.start()

    async def play():
        out = Capture()
        ports = MidiPorts(server, Silent(), out, tempo=480.0)
        task = asyncio.create_task(ports.run())
        await asyncio.sleep(0.2)
        first = [m.type for m in out.sent[:2]]
        # a DAW takes over: clock far into the song, then Stop + Start
        t = time.monotonic()
        for k in range(24 * 40):  # 40 beats of external clock, delivered at once
            ports.clock.feed("clock", t + k * 1e-5)
        ports.clock.feed("stop", time.monotonic())
        ports.clock.feed("start", time.monotonic())
        for k in range(24 * 4):  # one bar of clock after Start at 480 qpm
            ports.clock.feed("clock", time.monotonic())
            if k == 30:
                ports.on_message(mido.Message("note_on", channel=9, note=36, velocity=100))
            await asyncio.sleep(60 / 480 / 24)
        for _ in range(24 * 8):
            ports.clock.feed("clock", time.monotonic())
            await asyncio.sleep(60 / 480 / 24)
        await asyncio.sleep(0.3)
        task.cancel()
        ports.close()
        return first

    try:
        first = asyncio.run(play())
    finally:
        server.close()
    assert first == ["songpos", "start"]
    assert server.counts["calls"] == 1  # answered right after the restart, not 40 beats later
