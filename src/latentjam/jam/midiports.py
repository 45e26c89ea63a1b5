"""Virtual MIDI in/out ports with MIDI clock: a DAW or a hardware kit plays along, phrase by phrase.

Incoming notes are placed on the 16th-note grid of the current phrase (N bars, 4/4). The phrase
position follows incoming MIDI clock (24 per quarter note, start/stop/continue); without an
external clock the ports run their own clock at --tempo and send it out. A phrase closes a little
before its last downbeat (GUARD_BEATS; later notes count as early notes of the next phrase), is
sent as a call, and the reply is played on the output port during the next phrase.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from latentjam.jam.protocol import STEPS_PER_BAR

log = logging.getLogger("latentjam.jam")

CLOCKS_PER_BEAT = 24
GUARD_BEATS = 0.0625  # a quarter of a 16th: the call leaves this early
EXTERNAL_CLOCK_TIMEOUT = 0.5  # seconds without clock before the internal clock takes over
DRUM_CHANNEL = 9


@dataclass
class PhraseClock:
    """Beat position from MIDI clock messages or, when none arrive, from wall time at `qpm`."""

    qpm: float = 120.0
    ticks: int = 0
    running: bool = True
    last_clock: float = -1e9
    origin: float = field(default_factory=time.monotonic)
    _interval_sum: float = 0.0
    _intervals: int = 0

    @property
    def external(self) -> bool:
        """True while MIDI clock arrives (the last one less than EXTERNAL_CLOCK_TIMEOUT s ago)."""
        return time.monotonic() - self.last_clock < EXTERNAL_CLOCK_TIMEOUT

    def feed(self, kind: str, now: float, position: int | None = None) -> None:
        """Follow a realtime message: "clock", "start", "stop", "continue" or "songpos" (with
        `position` in 16ths). As the MIDI specification has it, the first clock after Start
        (or after a Song Position Pointer) marks that position itself, not one tick later."""
        if kind == "start":
            self.ticks, self.running = -1, True  # the next clock is tick 0: beat 0
        elif kind == "songpos" and position is not None:
            self.ticks = position * (CLOCKS_PER_BEAT // 4) - 1
        elif kind == "stop":
            self.running = False
        elif kind == "continue":
            self.running = True
        elif kind == "clock" and self.running:
            if now - self.last_clock < 1.0:
                self._interval_sum += now - self.last_clock
                self._intervals += 1
                if self._intervals >= CLOCKS_PER_BEAT:  # re-estimate the tempo every beat
                    self.qpm = 60.0 / (self._interval_sum / self._intervals * CLOCKS_PER_BEAT)
                    self._interval_sum, self._intervals = 0.0, 0
            self.ticks += 1
            self.last_clock = now

    def beat(self, now: float) -> float:
        """Beats since the start (quarter notes)."""
        if now - self.last_clock < EXTERNAL_CLOCK_TIMEOUT:
            return self.ticks / CLOCKS_PER_BEAT + (now - self.last_clock) * self.qpm / 60.0
        return (now - self.origin) * self.qpm / 60.0


@dataclass
class PhraseCollector:
    """Collects (beat, pitch, velocity) note-ons into calls of `bars` bars; pure, no ports."""

    bars: int = 2
    notes: list = field(default_factory=list)

    @property
    def phrase_beats(self) -> float:
        """Length of one phrase in beats (quarter notes): 4 per bar."""
        return self.bars * STEPS_PER_BAR / 4

    def phrase_of(self, beat: float) -> int:
        """Index of the phrase a note at `beat` belongs to (the guard counts as the next one)."""
        return int((beat + GUARD_BEATS) // self.phrase_beats)

    def add(self, beat: float, pitch: int, velocity: int) -> None:
        """Keep a note-on at `beat` (quarter notes since the start) until its phrase closes."""
        self.notes.append((beat, int(pitch), int(velocity)))

    def close(self, phrase: int) -> list[dict]:
        """Remove and return a phrase's notes as call notes {pitch, velocity, step, offset}."""
        start = phrase * self.phrase_beats
        steps = self.bars * STEPS_PER_BAR
        mine = [n for n in self.notes if self.phrase_of(n[0]) == phrase]
        self.notes = [n for n in self.notes if self.phrase_of(n[0]) > phrase]
        out = []
        for beat, pitch, velocity in mine:
            pos = (beat - start) * 4.0  # in 16th steps
            step = min(max(int(pos + 0.5), 0), steps - 1)
            offset = max(-1.0, min(0.999, 2.0 * (pos - step)))
            out.append(
                {
                    "pitch": pitch,
                    "velocity": max(1, min(127, velocity)),
                    "step": step,
                    "offset": round(offset, 4),
                }
            )
        return out


def reply_schedule(
    notes: list[dict], phrase_start_beat: float, *, drums: bool = True
) -> list[tuple[float, str, int, int]]:
    """Reply notes -> sorted (beat, "note_on"/"note_off", pitch, velocity) from a phrase start."""
    events = []
    for n in notes:
        on = phrase_start_beat + (n["step"] + n.get("offset", 0.0) / 2) / 4.0
        length = 0.125 if drums else max(n.get("duration", 1.0), 0.25) / 4.0
        events.append((max(on, phrase_start_beat), "note_on", n["pitch"], n["velocity"]))
        events.append((max(on, phrase_start_beat) + length, "note_off", n["pitch"], 0))
    return sorted(events, key=lambda e: (e[0], e[1] == "note_on"))


class MidiPorts:
    """The running bridge: virtual ports, the clock, one call per phrase, replies scheduled."""

    def __init__(self, server, inport, outport, *, tempo: float, bars: int = 2):
        self.server = server
        self.inport, self.outport = inport, outport
        self.clock = PhraseClock(qpm=tempo)
        self.collector = PhraseCollector(bars=bars)
        self.client = server.client("midi", "midi", authed=True)
        self.loop = asyncio.get_running_loop()
        self.tasks: list[asyncio.Task] = []
        self.drums = server.models[server.default_model].kind == "drums"

    def on_message(self, msg) -> None:  # called on rtmidi's thread
        """Hand an incoming MIDI message, stamped with the time now, to the event loop."""
        self.loop.call_soon_threadsafe(self._handle, msg, time.monotonic())

    def _handle(self, msg, now: float) -> None:
        if msg.type in ("clock", "start", "stop", "continue"):
            self.clock.feed(msg.type, now)
        elif msg.type == "songpos":
            self.clock.feed("songpos", now, position=msg.pos)
        elif msg.type == "note_on" and msg.velocity > 0:
            self.collector.add(self.clock.beat(now), msg.note, msg.velocity)

    async def run(self) -> None:
        """Until cancelled, every 2 ms: send our own clock while none arrives; send a finished
        phrase's notes (if any) as a call, its reply scheduled for the phrase that follows."""
        import mido

        phrase = self.collector.phrase_of(self.clock.beat(time.monotonic()))
        next_clock = 0
        started = False
        while True:
            now = time.monotonic()
            beat = self.clock.beat(now)
            if not self.clock.external:  # be the clock ourselves
                if not started:  # a DAW that follows us finds bar 1: position 0, then Start
                    self.outport.send(mido.Message("songpos", pos=0))
                    self.outport.send(mido.Message("start"))
                    started = True
                while next_clock <= beat * CLOCKS_PER_BEAT:
                    self.outport.send(mido.Message("clock"))
                    next_clock += 1
            current = self.collector.phrase_of(beat)
            if current < phrase:  # Start (or a jump back): the phrases count from here again
                self.collector.notes = []
                phrase = current
            if current > phrase:
                notes = self.collector.close(phrase)
                if notes:
                    call = {
                        "type": "call",
                        "session": "midi",
                        "bars": self.collector.bars,
                        "qpm": round(min(max(self.clock.qpm, 20.0), 400.0), 3),
                        "notes": notes,
                    }
                    start = current * self.collector.phrase_beats
                    self.tasks.append(asyncio.create_task(self._answer(call, start)))
                phrase = current
            await asyncio.sleep(0.002)

    async def _answer(self, call: dict, start_beat: float) -> None:
        import mido

        event = await self.server.handle(self.client, call)
        if not event or event.get("type") != "reply":
            return
        channel = DRUM_CHANNEL if self.drums else 0
        for beat, kind, pitch, velocity in reply_schedule(
            event["notes"], start_beat, drums=self.drums
        ):
            delay = (beat - self.clock.beat(time.monotonic())) * 60.0 / self.clock.qpm
            if delay > 0:
                await asyncio.sleep(delay)
            self.outport.send(mido.Message(kind, channel=channel, note=pitch, velocity=velocity))

    def close(self) -> None:
        """Cancel the clock and reply tasks and close both ports (ignoring errors on closing)."""
        for task in self.tasks:
            task.cancel()
        for port in (self.inport, self.outport):
            with contextlib.suppress(Exception):  # closing a dead port must not stop the shutdown
                port.close()


MIDI_APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE"}


async def start_midi(
    server, name: str = "latentjam", *, tempo: float = 120.0, api: str | None = None
):
    """Open virtual ports "<name> in" / "<name> out" through rtmidi's `api` ("alsa", "jack",
    "coremidi"; None: rtmidi's default); None (with a clear message) without that MIDI system."""
    try:
        import mido
    except ImportError:
        log.warning("--midi needs mido and python-rtmidi: pip install 'latentjam[jam]'")
        return None
    backend_name = "mido.backends.rtmidi" + (f"/{MIDI_APIS[api]}" if api else "")
    try:
        backend = mido.Backend(backend_name, load=True)
        outport = backend.open_output(f"{name} out", virtual=True, client_name=name)
        inport = backend.open_input(f"{name} in", virtual=True, client_name=name)
    except Exception as exc:  # rtmidi raises SystemError/RtMidiError without the MIDI system
        needs = {
            None: "ALSA's sequencer, /dev/snd/seq, is needed on Linux",
            "alsa": "ALSA's sequencer, /dev/snd/seq, is needed",
            "jack": "a running JACK server is needed, e.g. jackd -d dummy",
            "coremidi": "CoreMIDI exists on macOS only",
        }[api]
        log.warning(
            "no MIDI subsystem on this machine (%s: %s); running without MIDI ports (%s)",
            type(exc).__name__,
            str(exc).strip() or "cannot open virtual ports",
            needs,
        )
        return None
    ports = MidiPorts(server, inport, outport, tempo=tempo)
    inport.callback = ports.on_message
    ports.tasks.append(asyncio.create_task(ports.run()))
    server.urls["midi"] = f"in: '{name} in', out: '{name} out'" + (f" on {api}" if api else "")
    server.urls["midi"] += f" (clock at {tempo:g} qpm "
    server.urls["midi"] += "unless one arrives)"
    return ports
