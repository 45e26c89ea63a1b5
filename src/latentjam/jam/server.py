"""One asyncio jam server: clients, auth, rate limits, and a batching model worker thread.

Transports (websocket.py, osc.py, tcp.py, midiports.py) deal with their own framing, connection
limits and authentication handshakes (the page's HTTP, TCP's hello, OSC's datagrams, MIDI clock)
and hand each message to `JamServer.handle`, sending back the event it returns. The event loop
gathers each bar's calls and hands them to one model worker thread as one batch (one batched
forward pass), so the event loop never blocks and many clients share each pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import ipaddress
import json
import logging
import queue
import re
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from latentjam.errors import LatentjamError
from latentjam.jam.protocol import (
    ATTRIBUTE_RANGE,
    KNOB_RANGES,
    MAX_BARS,
    MAX_MESSAGE_BYTES,
    ProtocolError,
    error_event,
    parse_message,
)
from latentjam.jam.session import JamModel, Session, encode_calls, respond_batch, safe_stem

log = logging.getLogger("latentjam.jam")  # the `jam` command shows it on stdout

MAX_BATCH = 64  # calls per forward pass
MAX_SESSIONS = 4096  # all clients together; the least recently used is dropped
MAX_SESSIONS_PER_CLIENT = 16
SESSION_IDLE_S = 600.0  # a session unused this long is dropped (recorded first)
MAX_IN_FLIGHT = 4  # calls per client waiting for the model
MAX_LINGER_S = 0.030  # longest wait for the rest of a bar's calls before a pass starts
GAP_S = 0.008  # ... and stop waiting when no call came for this long
ENCODE_AHEAD = 16  # while a bar's calls arrive, the model thread encodes each 16
RECENT_S = 2.0  # clients that called this recently are expected in the next bar ...
PERIOD_SLACK = 1.25  # ... or within 1.25 x their own call's length at its tempo, if longer
GIL_SWITCH_S = 0.0005  # the event loop gets the GIL back this often while the model runs
GC_YOUNG = 7000  # allocations between young-generation collections (Python: 700)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost"."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class RateLimit:
    """A token bucket: `rate` messages per second on average, bursts up to `burst`."""

    rate: float = 50.0
    burst: float = 100.0
    tokens: float = -1.0
    stamp: float = 0.0

    def allow(self, now: float | None = None) -> bool:
        """Refill the bucket up to `now` (default: monotonic now), take a token; False if none."""
        now = time.monotonic() if now is None else now
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


FLOOD_QUIET_S = 1.0  # seconds without a refusal before a client's flood counter restarts
_ID = re.compile(rb'"id"\s*:\s*("(?:[^"\\]|\\.){0,64}"|-?\d{1,18})')


def _quick_id(raw) -> str | int | None:
    """The message's "id" without parsing the whole message (for refusals under a flood)."""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    if not isinstance(data, bytes | bytearray):
        return None
    found = _ID.search(bytes(data[:4096]))
    if not found:
        return None
    try:
        value = json.loads(found.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str | int) else None


@dataclass
class Client:
    """One connected peer (a WebSocket, a TCP connection, an OSC address, the MIDI ports)."""

    key: str
    transport: str
    authed: bool = False
    limit: RateLimit = field(default_factory=RateLimit)
    in_flight: int = 0
    limited: int = 0  # messages refused by the rate limit since the flood began
    last_refused: float = 0.0  # monotonic time of the last refusal


class ModelWorker:
    """Batches calls on the event loop and answers each batch in one pass on a model thread.

    The event loop gathers a bar's calls (`submit`) and hands the whole batch to the thread in
    one queue put; the thread answers it and resolves every future in one callback. So a bar
    crosses between the threads about once each way: each crossing can wait for the other
    thread to release the GIL, which per call added up to most of a 32-client bar's latency.
    While the rest of a bar is still arriving, every ENCODE_AHEAD calls go to the thread early
    to be encoded (the encoder runs in torch, outside the GIL, beside the event loop), so only
    the last few are encoded once the bar is complete.
    """

    def __init__(self, on_done=None):
        self._queue: queue.Queue = queue.Queue()
        self._on_done = on_done
        self._thread = threading.Thread(target=self._run, name="latentjam-model", daemon=True)
        self.batches = 0
        self.calls = 0
        self.encoded_ahead = 0  # calls encoded while their bar was still arriving
        # client key -> (when it last sent a call, how long it stays expected)
        self._recent: dict[str, tuple[float, float]] = {}
        self._pending: list = []  # (session, call, future, loop) not yet answered
        self._ahead = 0  # how many of them went ahead to be encoded
        self._encoded: dict[int, object] = {}  # (model thread) id(future) -> call latents
        self._first = 0.0  # when the first pending call came
        self._expected = 1  # calls the pending batch waits for
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start the model thread."""
        self._thread.start()

    def submit(self, session: Session, call, client_key: str = "") -> asyncio.Future:
        """Queue one call (on the event loop); the returned future resolves to its reply event.

        Calls of one bar arrive together: while they keep coming (gaps < GAP_S, at most
        MAX_LINGER_S after the first), the batch waits until every client that played within
        its own call's length (at the call's tempo, at least RECENT_S) has its call in; a lone
        player never waits.
        """
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        # a player calling every N bars at its tempo is expected again one call-length later
        period = call.bars * 4 * 60.0 / max(float(call.qpm), 1.0)  # seconds (4-beat bars)
        self._recent[client_key] = (now, max(RECENT_S, PERIOD_SLACK * period))
        fut = loop.create_future()
        if not self._pending:
            self._first = now
            for key, (seen, horizon) in list(self._recent.items()):
                if seen < now - horizon:
                    del self._recent[key]
            self._expected = len(self._recent)
        self._pending.append((session, call, fut, loop))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if len(self._pending) >= min(self._expected, MAX_BATCH):
            self._flush()
        else:
            if len(self._pending) - self._ahead >= ENCODE_AHEAD:
                self._queue.put(("encode", self._pending[self._ahead :]))
                self._ahead = len(self._pending)
            wait = min(GAP_S, self._first + MAX_LINGER_S - now)
            self._timer = loop.call_later(max(wait, 0.0), self._flush)
        return fut

    def _flush(self) -> None:
        """Hand the pending calls to the model thread as one batch."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            batch, self._pending, self._ahead = self._pending, [], 0
            self._queue.put(("answer", batch))

    def forget(self, client_key: str) -> None:
        """A client left: stop expecting its calls."""
        if self._recent.pop(client_key, None) is not None and self._pending:
            self._expected -= 1
            if len(self._pending) >= self._expected:
                self._flush()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the model thread after the work queued so far, waiting up to `timeout` s."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        import torch

        # torch's intra-op thread count is process-wide: one thread while the jam runs (many
        # small passes; more threads only add hand-off latency), the caller's count after
        previous_threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self._serve()
        finally:
            torch.set_num_threads(previous_threads)

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            kind, batch = item
            if kind == "encode":
                if self._queue.empty():  # the bar is still arriving: encode these now
                    self._encode_ahead(batch)
                    continue
                # (the bar is complete, or the thread is behind: encode it all in one pass)
                item = self._queue.get()
                if item is None:
                    return
                kind, more = item
                if kind == "encode":  # (the bar is not complete yet: these two now)
                    self._encode_ahead(batch + more)
                    continue
                batch = more  # (a bar's "answer" holds its calls sent ahead too)
            stop = False
            while len(batch) < MAX_BATCH:  # batches that queued up while the last pass ran
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                if more[0] == "encode":
                    self._encode_ahead(more[1])
                else:
                    batch = batch + more[1]
            by_model: dict[int, list] = {}
            for entry in batch:
                by_model.setdefault(id(entry[0].jam_model), []).append(entry)
            for group in by_model.values():
                self._answer(group)
            if stop:
                return

    def _encode_ahead(self, entries: list) -> None:
        """Encode calls of a bar still arriving; `_answer` picks the latents up."""
        by_model: dict[int, list] = {}
        for entry in entries:
            by_model.setdefault(id(entry[0].jam_model), []).append(entry)
        for group in by_model.values():
            try:
                mus = encode_calls(group[0][0].jam_model, [call for _, call, _, _ in group])
            except Exception:  # (encoded again, and any error reported, with the batch)
                continue
            for entry, mu in zip(group, mus, strict=True):
                self._encoded[id(entry[2])] = mu
            self.encoded_ahead += len(group)

    def _answer(self, group: list) -> None:
        encoded = [self._encoded.pop(id(fut), None) for _, _, fut, _ in group]
        try:
            events = respond_batch([(s, c) for s, c, _, _ in group], encoded=encoded)
        except Exception as exc:  # a bug must not kill the worker: every caller gets an error
            events = []
            for _, call, _, _ in group:
                err = error_event(LatentjamError(f"the model failed: {exc}"), call.id)
                err["code"] = "internal"
                events.append(err)
        else:
            self.batches += 1
            self.calls += len(group)
        if self._on_done is not None and events and events[0].get("type") == "reply":
            self._on_done([s for s, _, _, _ in group])  # journaled before anyone hears it
        by_loop: dict[int, tuple] = {}
        for (_, _, fut, loop), event in zip(group, events, strict=True):
            by_loop.setdefault(id(loop), (loop, []))[1].append((fut, event))
        for loop, pairs in by_loop.values():  # one wake-up of each event loop per batch
            loop.call_soon_threadsafe(_resolve_all, pairs)


def _resolve_all(pairs: list) -> None:
    for fut, value in pairs:
        if not fut.done():
            fut.set_result(value)


class JamServer:
    """The shared state behind every transport: models, sessions, auth, limits, recording."""

    def __init__(
        self,
        models: dict[str, JamModel],
        *,
        host: str = "127.0.0.1",
        token: str | None = None,
        record_dir: str | Path | None = None,
        rate: float = 50.0,
        burst: float = 100.0,
        allowed_origins: tuple[str, ...] = (),
    ):
        if not models:
            raise LatentjamError("the jam needs at least one model")
        if not is_loopback(host) and not token:
            raise LatentjamError(
                f"binding to {host} exposes the jam beyond this machine: "
                "pass --token SECRET (clients then send it)"
            )
        self.models = models
        self.default_model = next(iter(models))
        self.host = host
        self.token = token
        # web pages (besides this server's own) that may open the WebSocket: "scheme://host:port"
        self.allowed_origins = tuple(o.rstrip("/") for o in allowed_origins)
        self.record_dir = Path(record_dir) if record_dir else None
        self.rate, self.burst = rate, burst
        self.sessions: OrderedDict[tuple, Session] = OrderedDict()
        self._last_used: dict[tuple, float] = {}
        self._session_keys: dict[str, set] = {}
        self.worker = ModelWorker(on_done=self._journal if self.record_dir else None)
        self.recorder = Recorder(self.record_dir) if self.record_dir else None
        self.started = time.time()
        self.counts = {"calls": 0, "replies": 0, "errors": 0}
        self.urls: dict[str, str] = {}
        self._model_info = {
            name: {"kind": m.kind, "attributes": sorted(m.attributes)} for name, m in models.items()
        }

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Start the model worker thread."""
        self.worker.start()

    def warm_up(self) -> None:
        """Answer silent calls off the record (alone, and a full bar of 32 clients at once) for
        every model, so the first real calls do not pay for lazy imports and allocations."""
        from latentjam.jam.protocol import Call, Params

        for model in self.models.values():
            for n, temperature in ((1, 0.0), (1, 0.5), (32, 0.5)):
                call = Call(model.name, 2, 2, (), Params(temperature=temperature, seed=0))
                respond_batch([(Session(model, "warm-up"), call)] * n)

    def close(self) -> None:
        """Stop the model worker; when recording, record every session and stop the recorder."""
        self.worker.close()
        if self.recorder:
            self._record(list(self.sessions.values()))
            self.recorder.close()

    # -- clients ------------------------------------------------------------------------------

    def client(self, key: str, transport: str, *, authed: bool = False) -> Client:
        """A new client record; loopback-only servers without a token need no auth."""
        return Client(
            key, transport, authed=authed or not self.token, limit=RateLimit(self.rate, self.burst)
        )

    def check_token(self, token: str | None) -> bool:
        """True if the server has a token and `token` is it (compared in constant time)."""
        return (
            bool(self.token)
            and isinstance(token, str)
            and hmac.compare_digest(token.encode(), self.token.encode())
        )

    def forget(self, client: Client) -> None:
        """Drop a disconnected client's sessions (recorded first when recording)."""
        self.worker.forget(client.key)
        keys = self._session_keys.pop(client.key, set())
        gone = [self.sessions.pop(k) for k in keys if k in self.sessions]
        for k in keys:
            self._last_used.pop(k, None)
        if self.record_dir and gone:
            self._record(gone)

    def session_for(self, client: Client, name: str, model: str) -> Session:
        """The client's session `name` on `model`, made on first use; drops idle sessions.

        A client may hold MAX_SESSIONS_PER_CLIENT (ProtocolError "too_many_sessions" beyond);
        past MAX_SESSIONS in all, the least recently used session is dropped unrecorded.
        """
        key = (client.key, name, model)
        session = self.sessions.get(key)
        if session is None:
            owned = self._session_keys.setdefault(client.key, set())
            if len(owned) >= MAX_SESSIONS_PER_CLIENT:
                raise ProtocolError(
                    "too_many_sessions", f"at most {MAX_SESSIONS_PER_CLIENT} sessions per client"
                )
            if len(self.sessions) >= MAX_SESSIONS:
                old_key, _ = self.sessions.popitem(last=False)
                self._last_used.pop(old_key, None)
                self._session_keys.get(old_key[0], set()).discard(old_key)
            session = Session(self.models[model], name=f"{client.key}/{name}")
            self.sessions[key] = session
            owned.add(key)
        self.sessions.move_to_end(key)
        now = time.monotonic()
        self._last_used[key] = now
        self._expire_idle(now)
        return session

    def _expire_idle(self, now: float) -> None:
        """Drop sessions idle for SESSION_IDLE_S (the least recently used come first)."""
        gone = []
        while self.sessions:
            key = next(iter(self.sessions))
            if now - self._last_used.get(key, now) <= SESSION_IDLE_S:
                break
            gone.append(self.sessions.pop(key))
            self._last_used.pop(key, None)
            self._session_keys.get(key[0], set()).discard(key)
        if gone and self.record_dir:
            self._record(gone)

    def hello(self) -> dict:
        """The "hello" event: protocol version, models, knob ranges and message limits."""
        return {
            "type": "hello",
            "server": "latentjam",
            "protocol": 1,
            "models": {n: m.info() for n, m in self.models.items()},
            "default_model": self.default_model,
            "knobs": {
                k: {"min": lo, "max": hi, "default": d} for k, (lo, hi, d) in KNOB_RANGES.items()
            },
            "attribute_range": ATTRIBUTE_RANGE,
            "max_bars": MAX_BARS,
            "max_message_bytes": MAX_MESSAGE_BYTES,
        }

    def health(self) -> dict:
        """Status for a health check: uptime, models, sessions, batches, counts, endpoints."""
        return {
            "status": "ok",
            "uptime_s": round(time.time() - self.started, 1),
            "models": sorted(self.models),
            "sessions": len(self.sessions),
            "batches": self.worker.batches,
            **self.counts,
            "endpoints": self.urls,
        }

    # -- messages -------------------------------------------------------------------------

    async def handle(self, client: Client, raw) -> dict | None:
        """One raw message from `client` -> the event to send back (an error event on failure)."""
        t0 = time.perf_counter()
        now = time.monotonic()
        if not client.limit.allow():
            client.limited += 1
            client.last_refused = now
            self.counts["errors"] += 1
            # reply to the first refusals, then stay silent until the flood stops
            if client.limited <= 10 or client.limited % 100 == 0:
                event = {
                    "type": "error",
                    "code": "rate_limited",
                    "message": f"more than {self.rate:g} messages/s: slow down",
                }
                msg_id = _quick_id(raw)
                return event if msg_id is None else {**event, "id": msg_id}
            return None
        if now - client.last_refused > FLOOD_QUIET_S:  # a flood ends after a quiet second
            client.limited = 0
        try:
            msg = parse_message(raw, models=self._model_info, default_model=self.default_model)
            if not client.authed:
                if not self.check_token(msg.token):
                    raise ProtocolError(
                        "unauthorized", "this server needs the right 'token'", msg.id
                    )
                if client.transport != "osc":  # a connection stays authenticated
                    client.authed = True
            if msg.type == "hello":
                return {**self.hello(), **({"id": msg.id} if msg.id is not None else {})}
            if msg.type == "ping":
                return {
                    "type": "pong",
                    "time": time.time(),
                    **({"id": msg.id} if msg.id is not None else {}),
                }
            if msg.type == "reset":
                for (ckey, name, _), s in self.sessions.items():
                    if ckey == client.key and name == msg.session:
                        s.reset()
                return {
                    "type": "reset",
                    "session": msg.session,
                    **({"id": msg.id} if msg.id is not None else {}),
                }
            call = msg.call
            model = call.model or self.default_model
            if client.in_flight >= MAX_IN_FLIGHT:
                raise ProtocolError(
                    "busy", f"at most {MAX_IN_FLIGHT} calls in flight per client", call.id
                )
            session = self.session_for(client, msg.session, model)
            self.counts["calls"] += 1
            client.in_flight += 1
            try:
                event = await self.worker.submit(session, call, client.key)
            finally:
                client.in_flight -= 1
        except ProtocolError as exc:
            self.counts["errors"] += 1
            return error_event(exc)
        except Exception as exc:  # a bug must cost one error reply, not the connection
            self.counts["errors"] += 1
            log.exception("internal error on %s: %r", client.key, exc)
            return {"type": "error", "code": "internal", "message": "internal error"}
        if event.get("type") == "reply":
            self.counts["replies"] += 1
            event["latency_ms"] = round((time.perf_counter() - t0) * 1000.0, 3)
        else:
            self.counts["errors"] += 1
        return event

    # -- recording ------------------------------------------------------------------------

    def _record(self, sessions: list[Session]) -> None:
        """Queue sessions for the recorder thread (files are written off the model thread)."""
        self.recorder.submit(sessions)

    def _journal(self, sessions: list[Session]) -> None:
        """Append each session's newest exchange to its journal (model thread, before the
        replies are released): after a kill -9 every answered exchange is on disk."""
        self.recorder.journal(sessions)


def _fresh_run_folder(directory: Path) -> Path:
    """A new sub-folder of `directory` named by the start time (UTC), made exclusively."""
    import time as _time

    directory.mkdir(parents=True, exist_ok=True)
    stamp = _time.strftime("%Y%m%d-%H%M%S", _time.gmtime())
    for k in range(1000):
        folder = directory / (stamp if k == 0 else f"{stamp}-{k}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue
    raise OSError(f"cannot make a new recording folder in {directory}")


class Recorder:
    """Session recordings in a folder of their own per server run.

    Every exchange is appended at once to `<stem>.jsonl` (one JSON line per exchange, flushed
    to the operating system before the reply is sent). The full MIDI + JSON of a session are
    written by a thread when its client leaves and when the server stops, never per exchange.
    """

    def __init__(self, directory: Path):
        self.directory = _fresh_run_folder(directory)  # a restart never overwrites a jam
        self._pending: dict[int, Session] = {}
        self._lock = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="latentjam-record", daemon=True)
        self._thread.start()

    def journal(self, sessions: list[Session]) -> None:
        """Append the newest exchange of each session to its journal file (opened, written and
        closed per line: no handle stays open, and the line is with the OS when this returns)."""
        for s in sessions:
            if not s.history:
                continue
            path = self.directory / f"{safe_stem(f'{s.name}-{s.jam_model.name}')}.jsonl"
            line = {
                "session": s.name,
                "model": s.jam_model.name,
                "exchange": len(s.history),
                **s.history[-1].to_json(),
            }
            try:
                with path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line, allow_nan=False) + "\n")
            except (OSError, ValueError) as exc:  # a full disk must not stop the jam
                log.error("could not journal %s: %s", s.name, exc)

    def submit(self, sessions: list[Session]) -> None:
        """Queue sessions for the recorder thread to save (each once, however often queued)."""
        with self._lock:
            for s in sessions:
                self._pending[id(s)] = s
            self._lock.notify()

    def close(self, timeout: float = 10.0) -> None:
        """Let the recorder thread save what is queued and stop; wait up to `timeout` s for it."""
        with self._lock:
            self._closed = True
            self._lock.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                todo, self._pending = list(self._pending.values()), {}
                if not todo and self._closed:
                    return
            for s in todo:
                if not s.history:
                    continue
                try:
                    s.save(self.directory, stem=safe_stem(f"{s.name}-{s.jam_model.name}"))
                except (OSError, RuntimeError) as exc:  # a full disk must not stop the jam
                    log.error("could not record %s: %s", s.name, exc)


async def serve(
    server: JamServer,
    *,
    port: int = 8765,
    osc_port: int | None = 9000,
    tcp_port: int | None = 8766,
    midi: bool = False,
    midi_name: str = "latentjam",
    midi_tempo: float = 120.0,
    midi_api: str | None = None,
    stop: asyncio.Event | None = None,
    on_ready=None,
) -> None:
    """Run every transport of `server` until `stop` is set (or SIGINT/SIGTERM), then close.

    A port of 0 picks a free one; None switches that transport off. `on_ready(server)` is
    called once everything listens (server.urls then holds every endpoint).
    """
    import signal

    from latentjam.jam.osc import start_osc
    from latentjam.jam.tcp import start_tcp
    from latentjam.jam.websocket import start_websocket

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    # the model thread runs Python between torch ops: hand the GIL to the event loop often,
    # so messages keep flowing (and calls keep batching) while a forward pass runs
    previous_switch = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_S)
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests) or not supported here
    await loop.run_in_executor(None, server.warm_up)
    # everything loaded so far (torch, the model, the converters) lives for the whole jam: move
    # it out of the garbage collector's sight, so a full collection cannot stall a bar
    gc.collect()
    gc.freeze()
    # a bar of 32 calls allocates thousands of short-lived objects: collect the young
    # generation every GC_YOUNG allocations instead of 700 (measured over 60 bars of 32 calls:
    # 4 young collections of <= 4 ms, against 124 young and 11 middle ones, 123 ms in all)
    previous_gc = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, *previous_gc[1:])
    server.start()
    closers = []
    try:
        ws = await start_websocket(server, server.host, port)
        closers.append(ws.close)
        closers.append(ws.wait_closed)
        if tcp_port is not None:
            tcp = await start_tcp(server, server.host, tcp_port)
            closers.append(tcp.aclose)
        if osc_port is not None:
            osc = await start_osc(server, server.host, osc_port)
            closers.append(osc.close)
        if midi:
            from latentjam.jam.midiports import start_midi

            ports = await start_midi(server, midi_name, tempo=midi_tempo, api=midi_api)
            if ports is not None:
                closers.append(ports.close)
        if on_ready is not None:
            on_ready(server)
        await stop.wait()
    finally:
        for close in closers:
            result = close()
            if asyncio.iscoroutine(result):
                with contextlib.suppress(asyncio.TimeoutError, OSError):
                    await asyncio.wait_for(result, 2.0)
        for sig in installed:
            loop.remove_signal_handler(sig)
        sys.setswitchinterval(previous_switch)
        gc.set_threshold(*previous_gc)
        gc.unfreeze()  # the process goes on (tests, an embedding program): collect as before
        await asyncio.sleep(0)
        await asyncio.get_running_loop().run_in_executor(None, server.close)
