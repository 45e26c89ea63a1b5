"""OSC over UDP for Max/MSP and Pure Data: /latentjam/call with the JSON as one string argument.

Replies go to the sender's host, on the port the client names ("reply_port" in the JSON, or a
second integer argument), else back to the sending port: /latentjam/reply, /latentjam/hello,
/latentjam/pong, /latentjam/reset or /latentjam/error, each with the event's JSON as one string.

Patches that would rather not build JSON send /latentjam/notes with plain integers: triples
pitch velocity step (a 2-bar call with default knobs), optionally preceded by the reply port
(3k + 1 integers); the reply comes back as /latentjam/notes with triples too.
"""

from __future__ import annotations

import asyncio
import time

from latentjam.errors import missing_extra
from latentjam.jam.protocol import (
    MAX_MESSAGE_BYTES,
    ProtocolError,
    decode_json,
    encode_event,
    error_event,
)

PREFIX = "/latentjam/"
MAX_DATAGRAM = 60_000  # stay under UDP's 65,507-byte payload limit
ADDRESSES = ("call", "hello", "ping", "reset", "notes")


def _osc_string(value: bytes) -> bytes:
    """An OSC-string: the bytes, a NUL, and NULs up to a multiple of 4 bytes (1-4 in all)."""
    return value + b"\0" * (4 - len(value) % 4)


def build_osc(address: str, text: str) -> bytes:
    """One OSC message with a single string argument (the bytes python-osc's builder makes)."""
    return b"".join(
        (_osc_string(address.encode("utf-8")), b",s\0\0", _osc_string(text.encode("utf-8")))
    )


def _fast_read(dgram: bytes) -> tuple[str, list] | None:
    """Address and arguments of a message whose arguments are only strings and int32s (what
    python-osc reads from it); None for anything else, which python-osc then reads."""

    def string(at: int) -> tuple[str, int]:
        end = dgram.index(b"\0", at)  # (ValueError when unterminated)
        nxt = at + (end - at + 4) // 4 * 4
        if nxt > len(dgram):
            raise ValueError("datagram is too short")
        return dgram[at:end].decode("utf-8"), nxt

    try:
        address, at = string(0)
        if at == len(dgram):
            return address, []
        tags, at = string(at)
        if not tags.startswith(",") or tags.strip(",si") or "," in tags[1:]:
            return None
        args: list = []
        for tag in tags[1:]:
            if tag == "s":
                value, at = string(at)
            else:
                if at + 4 > len(dgram):
                    return None
                value, at = int.from_bytes(dgram[at : at + 4], "big", signed=True), at + 4
            args.append(value)
        return address, args
    except ValueError:  # (UnicodeDecodeError is one)
        return None


# OSC 1.0 type tags and the common extensions python-osc reads; anything else is refused
KNOWN_TAGS = frozenset("ifsbhtdcrmTFNI[]")


def _type_tags(dgram: bytes) -> str:
    """The type-tag string of a message ("" when it has none)."""
    end = dgram.find(b"\0")
    at = (end + 4) // 4 * 4 if end >= 0 else len(dgram)
    if at >= len(dgram) or dgram[at : at + 1] != b",":
        return ""
    stop = dgram.find(b"\0", at)
    return dgram[at + 1 : stop if stop >= 0 else len(dgram)].decode("ascii", "replace")


def read_osc(dgram: bytes) -> tuple[str, list]:
    """A datagram -> (address, arguments); raises (python-osc's errors) when malformed."""
    fast = _fast_read(dgram)
    if fast is not None:
        return fast
    unknown = set(_type_tags(dgram)) - KNOWN_TAGS
    if unknown:
        raise ValueError(f"unknown OSC type tag(s) {''.join(sorted(unknown))!r}")
    from pythonosc.osc_message import OscMessage

    msg = OscMessage(dgram)
    return msg.address, list(msg.params)


def parse_osc(dgram: bytes) -> tuple[str, str, int | None]:
    """A datagram -> (message type, JSON text, reply port or None); ProtocolError when malformed."""
    from pythonosc.osc_bundle import OscBundle

    if len(dgram) > MAX_MESSAGE_BYTES + 1024:
        raise ProtocolError("too_large", f"datagram of {len(dgram)} bytes is too large")
    if OscBundle.dgram_is_bundle(dgram):
        raise ProtocolError("bad_osc", "OSC bundles are not accepted: send single messages")
    try:
        address, args = read_osc(dgram)
    except Exception as exc:  # python-osc raises ParseError and assorted decoding errors
        raise ProtocolError("bad_osc", f"not an OSC message: {exc}") from None
    if not address.startswith(PREFIX) or address[len(PREFIX) :] not in ADDRESSES:
        raise ProtocolError(
            "bad_address",
            f"unknown OSC address {address!r}; use " + ", ".join(PREFIX + a for a in ADDRESSES),
        )
    kind = address[len(PREFIX) :]
    if kind == "notes":
        return ("notes", *_numbers_call(args))
    port = None
    if len(args) >= 2 and isinstance(args[1], int) and not isinstance(args[1], bool):
        port = args[1]
        if not 1 <= port <= 65535:
            raise ProtocolError("out_of_range", "the reply port must be in 1..65535")
    if not args:
        text = f'{{"type": "{kind}"}}'
    elif isinstance(args[0], str | bytes):
        text = args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace")
    else:
        raise ProtocolError("bad_osc", "the first OSC argument must be the JSON string")
    return kind, text, port


def _numbers_call(args: list) -> tuple[str, int | None]:
    """/latentjam/notes integers -> (call JSON text, reply port or None)."""
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise ProtocolError(
            "bad_osc", "/latentjam/notes takes integers only: [reply_port] pitch velocity step ..."
        )
    port = None
    if len(args) % 3 == 1:
        port, args = args[0], args[1:]
        if not 1 <= port <= 65535:
            raise ProtocolError("out_of_range", "the reply port must be in 1..65535")
    elif len(args) % 3:
        raise ProtocolError("bad_osc", "/latentjam/notes needs pitch velocity step triples")
    notes = [
        {"pitch": args[i], "velocity": args[i + 1], "step": args[i + 2]}
        for i in range(0, len(args), 3)
    ]
    return encode_event({"type": "call", "notes": notes}), port


def numbers_reply(event: dict) -> bytes:
    """A reply event as /latentjam/notes with integer triples pitch velocity step."""
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder(address=PREFIX + "notes")
    for n in event["notes"]:
        for value in (n["pitch"], n["velocity"], n["step"]):
            builder.add_arg(int(value), "i")
    return builder.build().dgram


OSC_IDLE_S = 600.0  # an OSC sender silent this long is forgotten (its sessions recorded)


class _OscProtocol(asyncio.DatagramProtocol):
    def __init__(self, server):
        self.server = server
        self.transport = None
        self.clients: dict = {}
        self.seen: dict[str, float] = {}  # key -> last datagram (monotonic)
        self._swept = time.monotonic()

    def _forget_idle(self, now: float, keep: int | None = None) -> None:
        """Forget senders idle for OSC_IDLE_S (UDP has no "disconnect"); with `keep`, also the
        least recently heard beyond that many."""
        order = sorted(self.seen, key=self.seen.get)
        drop = [k for k in order if now - self.seen[k] > OSC_IDLE_S]
        if keep is not None and len(order) - len(drop) > keep:
            rest = [k for k in order if k not in set(drop)]
            drop += rest[: len(rest) - keep]
        for key in drop:
            self.seen.pop(key, None)
            client = self.clients.pop(key, None)
            if client is not None:
                self.server.forget(client)

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        asyncio.get_running_loop().create_task(self._answer(data, addr))

    async def _answer(self, data: bytes, addr) -> None:
        host, port = addr[0], addr[1]
        key = f"osc:{host}:{port}"
        client = self.clients.get(key)
        now = time.monotonic()
        if client is None:
            if len(self.clients) >= 4096:
                self._forget_idle(now, keep=2048)
            client = self.clients[key] = self.server.client(key, "osc")
        self.seen[key] = now
        if now - self._swept > 60.0:  # about once a minute
            self._swept = now
            self._forget_idle(now)
        reply_port = port
        kind = None
        try:
            kind, text, named_port = parse_osc(data)
            reply_port = named_port or port
            obj = None
            if text.lstrip().startswith("{"):  # decoded once, here (the server takes the dict)
                try:
                    obj = decode_json(text)
                except ProtocolError:
                    obj = None  # (the server parses the text again and answers the error)
            if not isinstance(obj, dict):
                obj = None
            port_asked = obj.get("reply_port") if obj is not None else None
            if type(port_asked) is int and 1 <= port_asked <= 65535:
                reply_port = port_asked
            if kind != "notes" and obj is not None and obj.get("type", kind) != kind:
                raise ProtocolError(
                    "bad_type",
                    f"the JSON type {obj.get('type')!r} does not match the address {PREFIX}{kind}",
                )
            if obj is not None and "type" not in obj:
                obj = {"type": kind, **obj}
            event = await self.server.handle(client, text if obj is None else obj)
        except ProtocolError as exc:
            # a malformed datagram is still a message: it spends the sender's rate allowance
            # (a flood of garbage goes silent like any other flood)
            if not client.limit.allow():
                return
            event = error_event(exc)
        if event is None or self.transport is None:
            return
        if kind == "notes" and event["type"] == "reply":
            out = numbers_reply(event)
        else:
            out = build_osc(PREFIX + event["type"], encode_event(event))
        if len(out) > MAX_DATAGRAM:
            out = build_osc(
                PREFIX + "error",
                encode_event(
                    {
                        "type": "error",
                        "code": "too_large",
                        **({"id": event["id"]} if "id" in event else {}),
                        "message": f"the reply ({len(out)} bytes) does not fit in one UDP "
                        "datagram: ask for fewer reply_bars",
                    }
                ),
            )
        if event["type"] == "error" and self.server.token and len(out) > len(data):
            # a server reachable from a network never answers a stranger with more bytes than
            # it sent (no UDP amplification): just the error code, or nothing
            out = build_osc(
                PREFIX + "error", encode_event({"type": "error", "code": event.get("code")})
            )
            if len(out) > len(data):
                return
        self.transport.sendto(out, (host, reply_port))  # only ever back to the sender's host


async def start_osc(server, host: str, port: int):
    """Start the OSC/UDP listener for `server` (a JamServer); returns the datagram transport."""
    try:
        import pythonosc  # noqa: F401
    except ImportError as exc:
        raise missing_extra("python-osc", "jam") from exc
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _OscProtocol(server), local_addr=(host, port)
    )
    bound = transport.get_extra_info("sockname")[1]
    shown = f"[{host}]" if ":" in host else host
    server.urls["osc"] = f"osc.udp://{shown}:{bound}{PREFIX}call"
    return transport
