"""The real transports over loopback: WebSocket, HTTP, TCP line-JSON and OSC/UDP; fuzz; auth."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import time
import urllib.error
import urllib.request

import pytest

from latentjam.errors import LatentjamError

pytest.importorskip("websockets")
pytest.importorskip("pythonosc")

CALL = {
    "type": "call",
    "notes": [
        {"pitch": 36, "velocity": 100, "step": 0},
        {"pitch": 38, "velocity": 90, "step": 8, "offset": 0.1},
    ],
    "params": {"seed": 1, "temperature": 0.5},
}


def valid_reply(event: dict) -> None:
    assert event["type"] == "reply", event
    assert event["bars"] == 2 and isinstance(event["notes"], list)
    for n in event["notes"]:
        assert 0 <= n["pitch"] <= 127 and 1 <= n["velocity"] <= 127 and 0 <= n["step"] < 32
    assert all(len(event["position"][k]) == 3 for k in ("call", "reply"))
    assert event["latency_ms"] > 0


# ------------------------------------------------------------------------------ clients


class TcpClient:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.hello = self.recv()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, obj) -> None:
        self.send_raw(json.dumps(obj).encode() + b"\n")

    def recv(self) -> dict:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        self.sock.close()


class OscClient:
    def __init__(self, port: int):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", self.port))

    def send(self, obj, address: str = "/latentjam/call") -> None:
        from latentjam.jam.osc import build_osc

        self.send_raw(build_osc(address, json.dumps(obj)))

    def recv(self) -> tuple[str, dict]:
        from pythonosc.osc_message import OscMessage

        msg = OscMessage(self.sock.recv(65536))
        return msg.address, json.loads(msg.params[0])


@contextlib.contextmanager
def ws_connect(jam, query: str = ""):
    from websockets.sync.client import connect

    with connect(jam.server.urls["websocket"] + query, open_timeout=10, close_timeout=2) as ws:
        hello = json.loads(ws.recv(timeout=10))
        assert hello["type"] == "hello"
        yield ws


# ------------------------------------------------------------------------------- tests


def test_websocket_call_and_reply(running_jam):
    with ws_connect(running_jam) as ws:
        ws.send(json.dumps({**CALL, "id": "a1"}))
        event = json.loads(ws.recv(timeout=10))
        valid_reply(event)
        assert event["id"] == "a1"
        ws.send(json.dumps({"type": "ping", "id": 2}))
        assert json.loads(ws.recv(timeout=10))["type"] == "pong"


def fetch(url: str) -> tuple[bytes, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), dict(response.headers)


def test_http_page_and_health(running_jam):
    base = running_jam.server.urls["page"]
    page, _ = fetch(base)
    assert b"<canvas" in page and b"jam.js" in page
    _, headers = fetch(base + "jam.js")
    assert headers["Content-Type"].startswith("text/javascript")
    health = json.loads(fetch(running_jam.server.urls["health"])[0])
    assert health["status"] == "ok" and health["models"] == ["drums"]
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(base + "../../etc/passwd")
    assert info.value.code == 404
    info.value.close()


def test_tcp_call_and_reply(running_jam):
    c = TcpClient(running_jam.port("tcp"))
    assert c.hello["type"] == "hello" and "drums" in c.hello["models"]
    c.send(CALL)
    valid_reply(c.recv())
    c.close()


def test_osc_call_and_reply_to_the_named_port(running_jam):
    c = OscClient(running_jam.port("osc"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    c.send({**CALL, "reply_port": listener.getsockname()[1]})
    from pythonosc.osc_message import OscMessage

    msg = OscMessage(listener.recv(65536))
    assert msg.address == "/latentjam/reply"
    valid_reply(json.loads(msg.params[0]))
    # without a named port the reply goes back to the sending port
    c.send({k: v for k, v in CALL.items() if k != "type"})
    address, event = c.recv()
    assert address == "/latentjam/reply"
    valid_reply(event)
    listener.close()


def test_osc_numbers_only_call_for_patches(running_jam):
    from pythonosc.osc_message import OscMessage
    from pythonosc.osc_message_builder import OscMessageBuilder

    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    builder = OscMessageBuilder(address="/latentjam/notes")
    for value in (listener.getsockname()[1], 36, 100, 0, 38, 90, 4, 42, 70, 8):
        builder.add_arg(value, "i")
    c = OscClient(running_jam.port("osc"))
    c.send_raw(builder.build().dgram)
    msg = OscMessage(listener.recv(65536))
    assert msg.address == "/latentjam/notes"
    values = list(msg.params)
    assert len(values) % 3 == 0 and all(isinstance(v, int) for v in values)
    assert all(0 <= values[i + 2] < 32 for i in range(0, len(values), 3))
    builder = OscMessageBuilder(address="/latentjam/notes")
    for value in (36, 100):  # not a whole triple
        builder.add_arg(value, "i")
    c.send_raw(builder.build().dgram)
    address, event = c.recv()
    assert address == "/latentjam/error" and event["code"] == "bad_osc"
    listener.close()


def _fuzz_cases() -> list[tuple[str, bytes]]:
    """(kind, raw JSON-level payload) pairs sent over every transport."""
    good = json.dumps(CALL)
    cases = {
        "not json": b"{not json",
        "invalid utf-8": b"\xff\xfe\xfd",
        "empty object": b"{}",
        "json array": b"[1, 2, 3]",
        "json string": b'"call"',
        "json number": b"42",
        "json null": b"null",
        "NaN constant": good.replace('"seed": 1', '"seed": NaN').encode(),
        "deep nesting": b"[" * 30_000 + b"]" * 30_000,
        "huge payload": b'{"type": "call", "notes": ['
        + b'{"pitch": 36, "step": 0},' * 4000
        + b"{}]}",
        "unknown type": b'{"type": "dance"}',
        "unknown field": json.dumps({**CALL, "volume": 11}).encode(),
        "unknown model": json.dumps({**CALL, "model": "cello"}).encode(),
        "missing notes": b'{"type": "call"}',
        "notes not a list": json.dumps({**CALL, "notes": "kick"}).encode(),
        "note not an object": json.dumps({**CALL, "notes": [36]}).encode(),
        "pitch too high": json.dumps({**CALL, "notes": [{"pitch": 300, "step": 0}]}).encode(),
        "negative pitch": json.dumps({**CALL, "notes": [{"pitch": -1, "step": 0}]}).encode(),
        "velocity 0": json.dumps(
            {**CALL, "notes": [{"pitch": 36, "velocity": 0, "step": 0}]}
        ).encode(),
        "velocity 200": json.dumps(
            {**CALL, "notes": [{"pitch": 36, "velocity": 200, "step": 0}]}
        ).encode(),
        "step past the end": json.dumps({**CALL, "notes": [{"pitch": 36, "step": 99}]}).encode(),
        "fractional step": json.dumps({**CALL, "notes": [{"pitch": 36, "step": 1.5}]}).encode(),
        "offset out of range": json.dumps(
            {**CALL, "notes": [{"pitch": 36, "step": 0, "offset": 3}]}
        ).encode(),
        "string pitch": json.dumps({**CALL, "notes": [{"pitch": "C", "step": 0}]}).encode(),
        "boolean velocity": json.dumps(
            {**CALL, "notes": [{"pitch": 36, "velocity": True, "step": 0}]}
        ).encode(),
        "too many notes": json.dumps({**CALL, "notes": [{"pitch": 36, "step": 0}] * 1000}).encode(),
        "zero bars": json.dumps({**CALL, "bars": 0}).encode(),
        "100 bars": json.dumps({**CALL, "bars": 100}).encode(),
        "wrong steps per bar": json.dumps({**CALL, "steps_per_bar": 12}).encode(),
        "params not an object": json.dumps({**CALL, "params": [1]}).encode(),
        "temperature too hot": json.dumps({**CALL, "params": {"temperature": 1e9}}).encode(),
        "negative radius": json.dumps({**CALL, "params": {"radius": -2}}).encode(),
        "bits as text": json.dumps({**CALL, "params": {"bits": "lots"}}).encode(),
        "unknown nudge": json.dumps({**CALL, "params": {"nudges": {"swing": 1}}}).encode(),
        "seed negative": json.dumps({**CALL, "params": {"seed": -5}}).encode(),
        "bad mode": json.dumps({**CALL, "params": {"mode": "solo"}}).encode(),
        "session too long": json.dumps({**CALL, "session": "s" * 500}).encode(),
        "id is a list": json.dumps({**CALL, "id": [1, 2]}).encode(),
        "qpm zero": json.dumps({**CALL, "qpm": 0}).encode(),
        "reply_port out of range": json.dumps({**CALL, "reply_port": 70000}).encode(),
    }
    rng = random.Random(0)
    for i in range(10):
        cases[f"random bytes {i}"] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    for i in range(10):  # a valid call with one character flipped
        raw = bytearray(good.encode())
        raw[rng.randrange(len(raw))] = rng.choice(b'{}[]",:0x ')
        cases[f"mutated call {i}"] = bytes(raw)
    return [(k, v.replace(b"\n", b" ")) for k, v in cases.items()]


def test_fuzz_every_transport_survives(running_jam):
    cases = _fuzz_cases()
    kinds = {k.rsplit(" ", 1)[0] if k[-1].isdigit() else k for k, _ in cases}
    assert len(kinds) >= 40
    # TCP: one line each, plus an over-long line and blank lines
    tcp = TcpClient(running_jam.port("tcp"))
    answered = 0
    for _, raw in cases:
        tcp.send_raw(raw + b"\n")
        event = tcp.recv()
        answered += 1
        assert event["type"] in ("error", "reply")
        time.sleep(0.01)  # stay under the rate limit: this is fuzzing, not flooding
    tcp.send_raw(b"x" * 200_000 + b"\n\n\n")
    assert tcp.recv()["code"] == "too_large"
    tcp.send(CALL)
    valid_reply(tcp.recv())
    # WebSocket: text and binary frames, and one beyond the frame limit (closes that socket only)
    with ws_connect(running_jam) as ws:
        for _, raw in cases:
            ws.send(raw)
            assert json.loads(ws.recv(timeout=10))["type"] in ("error", "reply")
            time.sleep(0.01)
            try:
                ws.send(raw.decode("utf-8"))
            except UnicodeDecodeError:
                continue
            assert json.loads(ws.recv(timeout=10))["type"] in ("error", "reply")
            time.sleep(0.01)
    with ws_connect(running_jam) as ws:
        ws.send(b"x" * 2_000_000)
        from websockets.exceptions import ConnectionClosed

        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    # OSC: the JSON cases as the string argument, plus malformed datagrams
    osc = OscClient(running_jam.port("osc"))
    for _, raw in cases:
        if len(raw) < 60_000:
            osc.send(raw.decode("utf-8", "replace"))
            assert osc.recv()[0] in ("/latentjam/error", "/latentjam/reply")
            time.sleep(0.01)
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    def message(address, *args):
        b = OscMessageBuilder(address=address)
        for a in args:
            b.add_arg(a)
        return b.build()

    bundle = OscBundleBuilder(IMMEDIATELY)
    bundle.add_content(message("/latentjam/call", json.dumps(CALL)))
    osc_cases = {
        "not OSC": b"hello there",
        "truncated OSC": message("/latentjam/call", json.dumps(CALL)).dgram[:30],
        "wrong address": message("/other/call", json.dumps(CALL)).dgram,
        "integer argument": message("/latentjam/call", 5).dgram,
        "OSC bundle": bundle.build().dgram,
        "type/address mismatch": message("/latentjam/ping", json.dumps(CALL)).dgram,
        "empty datagram": b"",
    }
    for raw in osc_cases.values():
        osc.send_raw(raw)
        assert osc.recv()[0] == "/latentjam/error"
        time.sleep(0.01)
    osc.send(CALL)
    assert osc.recv()[0] == "/latentjam/reply"
    total = len(kinds) + 2 + len(osc_cases)  # + over-long TCP line, over-size WS frame
    print(f"fuzz: {total} kinds of malformed input, {answered} TCP messages, all answered")
    health = json.loads(
        urllib.request.urlopen(running_jam.server.urls["health"], timeout=10).read()
    )
    assert health["status"] == "ok" and health["errors"] >= len(cases)


def test_flood_is_rate_limited_and_others_still_play(running_jam):
    flood = TcpClient(running_jam.port("tcp"))
    flood.send_raw(b'{"type": "ping"}\n' * 400)
    other = TcpClient(running_jam.port("tcp"))
    other.send(CALL)
    valid_reply(other.recv())
    codes = []
    flood.sock.settimeout(2)
    try:
        while True:
            codes.append(flood.recv().get("code"))
    except TimeoutError:
        pass
    flood.sock.settimeout(10)
    assert "rate_limited" in codes and len(codes) < 400  # refused, and not all answered
    time.sleep(1.0)
    flood.send(CALL)
    valid_reply(flood.recv())


def test_token_required_off_loopback(tiny_drums, jam_factory):
    RunningJam = jam_factory
    with pytest.raises(LatentjamError, match="token"):
        RunningJam({"drums": tiny_drums}, host="0.0.0.0").__enter__()
    from websockets.exceptions import InvalidStatus

    with RunningJam({"drums": tiny_drums}, host="0.0.0.0", token="s3cret") as jam:
        ws_port = jam.port("websocket")
        from websockets.sync.client import connect

        with pytest.raises(InvalidStatus) as info:
            connect(f"ws://127.0.0.1:{ws_port}/ws", open_timeout=10)
        assert info.value.response.status_code == 401
        with pytest.raises(InvalidStatus):
            connect(f"ws://127.0.0.1:{ws_port}/ws?token=wrong", open_timeout=10)
        with connect(f"ws://127.0.0.1:{ws_port}/ws?token=s3cret", open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            ws.send(json.dumps(CALL))
            valid_reply(json.loads(ws.recv(timeout=10)))
        tcp = TcpClient(jam.port("tcp"))
        tcp.send(CALL)
        assert tcp.recv()["code"] == "unauthorized"
        tcp.send({**CALL, "token": "s3cret"})
        valid_reply(tcp.recv())
        tcp.send(CALL)  # the connection stays authenticated
        valid_reply(tcp.recv())
        osc = OscClient(jam.port("osc"))
        osc.send(CALL)
        assert osc.recv()[1]["code"] == "unauthorized"
        osc.send({**CALL, "token": "s3cret"})
        assert osc.recv()[0] == "/latentjam/reply"
        health = urllib.request.urlopen(f"http://127.0.0.1:{ws_port}/health", timeout=10).read()
        assert b"s3cret" not in health
        # the page and its files need the token too; the page fetches them with it
        base = f"http://127.0.0.1:{ws_port}"
        for path in ("/", "/index.html", "/jam.js", "/jam.css", "/jam.js?token=wrong"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)
            assert refused.value.code == 401
        page = urllib.request.urlopen(base + "/?token=s3cret", timeout=10).read()
        assert b'src="jam.js?token=s3cret"' in page and b'href="jam.css?token=s3cret"' in page
        script = urllib.request.urlopen(base + "/jam.js?token=s3cret", timeout=10).read()
        assert b"latentjam jam page" in script


def test_record_writes_every_exchange(tiny_drums, tmp_path, jam_factory):
    RunningJam = jam_factory
    with RunningJam({"drums": tiny_drums}, record_dir=tmp_path) as jam:
        c = TcpClient(jam.port("tcp"))
        for seed in range(3):
            c.send({**CALL, "session": "rec", "params": {"seed": seed}})
            valid_reply(c.recv())
        (run,) = list(tmp_path.iterdir())  # one folder per server run
        (journal,) = list(run.glob("*.jsonl"))  # written before each reply went out
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        assert [line["exchange"] for line in lines] == [1, 2, 3]
        assert all(line["session"].endswith("rec") and line["reply"]["notes"] for line in lines)
        c.close()
        time.sleep(0.5)  # the client left: its full MIDI + JSON are written
        history = json.loads(next(run.glob("*.json")).read_text())
        assert len(history["exchanges"]) == 3 and list(run.glob("*.mid"))
    with RunningJam({"drums": tiny_drums}, record_dir=tmp_path) as jam:  # a restart
        c = TcpClient(jam.port("tcp"))
        c.send({**CALL, "session": "rec"})
        valid_reply(c.recv())
        time.sleep(0.3)
        c.close()
    runs = sorted(tmp_path.iterdir())
    assert len(runs) == 2  # the first jam is still there
    assert all(len(list(r.glob("*.json"))) == 1 for r in runs)


def test_a_client_that_never_reads_does_not_stall_the_others(running_jam):
    stuck = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(("127.0.0.1", running_jam.port("tcp")))
    big = {**CALL, "bars": 8, "reply_bars": 8, "params": {"temperature": 2.0, "seed": 3}}
    stuck.sendall((json.dumps(big) + "\n").encode() * 90)  # replies pile up unread
    time.sleep(0.5)
    other = TcpClient(running_jam.port("tcp"))
    t0 = time.perf_counter()
    other.send(CALL)
    valid_reply(other.recv())
    assert time.perf_counter() - t0 < 2.0
    with ws_connect(running_jam) as ws:
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "pong"
    stuck.close()
    other.close()


def test_a_bar_of_simultaneous_calls_shares_passes_and_matches_lone_answers(
    running_jam, tiny_drums
):
    """24 players calling at once (after one bar that tells the server who plays): far fewer
    forward passes than calls (calls batched; the first ones encoded while the rest arrive),
    and every reply equals the reply to that call answered alone (temperature 0)."""
    from latentjam.jam.protocol import parse_message
    from latentjam.jam.session import Session

    clients = [TcpClient(running_jam.port("tcp")) for _ in range(24)]
    try:

        def call(c: int, bar: int) -> dict:
            notes = [
                {"pitch": 36, "velocity": 100, "step": 0},
                {"pitch": 42, "velocity": 60, "step": (3 * c + bar) % 32, "offset": 0.05 * (c % 5)},
            ]
            return {
                "type": "call",
                "id": f"{c}-{bar}",
                "notes": notes,
                "params": {"seed": c, "temperature": 0.0, "radius": 0.5},
            }

        for bar in range(2):
            before = running_jam.server.worker.batches
            for c, client in enumerate(clients):
                client.send(call(c, bar))
            replies = [client.recv() for client in clients]
            passes = running_jam.server.worker.batches - before
            for c, event in enumerate(replies):
                valid_reply(event)
                assert event["id"] == f"{c}-{bar}"
        assert passes <= 4, passes
        assert not running_jam.server.worker._encoded  # every call encoded ahead was answered
        for c, event in enumerate(replies):
            lone = Session(tiny_drums).respond(parse_message(call(c, 1)).call)
            assert event["notes"] == lone["notes"]  # (latents equal up to float rounding)
            for k in ("call", "reply"):
                assert event["position"][k] == pytest.approx(lone["position"][k], abs=1e-4)
    finally:
        for client in clients:
            client.close()


def test_websocket_accepts_only_its_own_page_and_listed_origins(tiny_drums, jam_factory):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    RunningJam = jam_factory
    with RunningJam({"drums": tiny_drums}, allowed_origins=("https://studio.example",)) as jam:
        url = jam.server.urls["websocket"]
        own = jam.server.urls["page"].rstrip("/")
        for origin in (own, "https://studio.example", None):  # None: a program, not a page
            with connect(url, origin=origin, open_timeout=10) as ws:
                assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        for origin in ("https://evil.example", "http://127.0.0.1:1", "null"):
            with pytest.raises(InvalidStatus) as info:
                connect(url, origin=origin, open_timeout=10)
            assert info.value.response.status_code == 403


def test_health_shows_counts_only_with_the_token(tiny_drums, jam_factory):
    RunningJam = jam_factory
    with RunningJam({"drums": tiny_drums}, token="s3cret") as jam:
        base = jam.server.urls["health"]
        assert json.loads(fetch(base)[0]) == {"status": "ok"}
        full = json.loads(fetch(base + "?token=s3cret")[0])
        assert "sessions" in full and full["status"] == "ok"


def test_every_interface_prints_reachable_addresses():
    from latentjam.commands.jam import _machine_addresses

    addresses = _machine_addresses()
    assert addresses[-1] == "127.0.0.1" and "0.0.0.0" not in addresses


def _replies(client, wait: float = 1.0) -> list[bytes]:
    client.sock.settimeout(wait)
    got = []
    try:
        while True:
            got.append(client.sock.recv(65536))
    except TimeoutError:
        return got


def test_osc_unknown_type_tag_is_bad_osc(running_jam):
    c = OscClient(running_jam.port("osc"))
    c.send_raw(b"/latentjam/call\0" + b",X\0\0")
    address, event = c.recv()
    assert address == "/latentjam/error" and event["code"] == "bad_osc"


def test_malformed_osc_floods_are_rate_limited(tiny_drums, jam_factory):
    RunningJam = jam_factory
    with RunningJam({"drums": tiny_drums}, rate=5.0, burst=5.0) as jam:
        c = OscClient(jam.port("osc"))
        for _ in range(200):
            c.send_raw(b"/latentjam/call\0,X\0\0")
        assert len(_replies(c)) < 40  # was one error reply per datagram (200 of 200)


def test_unauthenticated_osc_errors_are_never_larger_than_the_request(tiny_drums, jam_factory):
    RunningJam = jam_factory
    with RunningJam({"drums": tiny_drums}, token="s3cret") as jam:
        c = OscClient(jam.port("osc"))
        small = b"/latentjam/ping\0"  # 16 bytes, no token
        c.send_raw(small)
        for reply in _replies(c):
            assert len(reply) <= len(small)
        from latentjam.jam.osc import build_osc

        request = build_osc("/latentjam/call", json.dumps(CALL))  # a real call, no token
        c.send_raw(request)
        replies = _replies(c)
        assert replies and all(len(r) <= len(request) for r in replies)


def test_tcp_strangers_get_a_deadline_and_connections_are_capped(
    tiny_drums, jam_factory, monkeypatch
):
    import latentjam.jam.tcp as tcp

    monkeypatch.setattr(tcp, "AUTH_DEADLINE_S", 2.0)
    monkeypatch.setattr(tcp, "MAX_PER_ADDRESS", 3)
    RunningJam = jam_factory
    with RunningJam({"drums": tiny_drums}, token="s3cret") as jam:
        port = jam.port("tcp")
        idle = socket.create_connection(("127.0.0.1", port), timeout=5)
        hello = json.loads(idle.makefile().readline())
        assert hello == {"type": "hello", "token_required": True}  # nothing about the server
        idle.settimeout(10)
        t0 = time.monotonic()
        assert idle.recv(100) == b""  # closed: no token within the deadline
        assert 1.5 < time.monotonic() - t0 < 8
        idle.close()
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
        for s in held:
            s.makefile().readline()
        extra = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert extra.recv(100) == b""  # over the per-address cap
        extra.close()
        player = held[0]
        stream = player.makefile("rw")
        stream.write(json.dumps({**CALL, "token": "s3cret"}) + "\n")
        stream.flush()
        valid_reply(json.loads(stream.readline()))
        for s in held:
            s.close()
