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
import json

from latentjam.errors import missing_extra
from latentjam.jam.protocol import MAX_MESSAGE_BYTES, ProtocolError, encode_event, error_event

PREFIX = "/latentjam/"
MAX_DATAGRAM = 60_000  # stay under UDP's 65,507-byte payload limit
ADDRESSES = ("call", "hello", "ping", "reset", "notes")


def build_osc(address: str, text: str) -> bytes:
    """One OSC message with a single string argument."""
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder(address=address)
    builder.add_arg(text, "s")
    return builder.build().dgram


def parse_osc(dgram: bytes) -> tuple[str, str, int | None]:
    """A datagram -> (message type, JSON text, reply port or None); ProtocolError when malformed."""
    from pythonosc.osc_bundle import OscBundle
    from pythonosc.osc_message import OscMessage

    if len(dgram) > MAX_MESSAGE_BYTES + 1024:
        raise ProtocolError("too_large", f"datagram of {len(dgram)} bytes is too large")
    if OscBundle.dgram_is_bundle(dgram):
        raise ProtocolError("bad_osc", "OSC bundles are not accepted: send single messages")
    try:
        msg = OscMessage(dgram)
        address, args = msg.address, list(msg.params)
    except Exception as exc:  # python-osc raises ParseError and assorted decoding errors
        raise ProtocolError("bad_osc", f"not an OSC message: {exc}") from None
    if not address.startswith(PREFIX) or address[len(PREFIX):] not in ADDRESSES:
        raise ProtocolError("bad_address", f"unknown OSC address {address!r}; use "
                            + ", ".join(PREFIX + a for a in ADDRESSES))
    kind = address[len(PREFIX):]
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
        raise ProtocolError("bad_osc", "/latentjam/notes takes integers only: "
                            "[reply_port] pitch velocity step ...")
    port = None
    if len(args) % 3 == 1:
        port, args = args[0], args[1:]
        if not 1 <= port <= 65535:
            raise ProtocolError("out_of_range", "the reply port must be in 1..65535")
    elif len(args) % 3:
        raise ProtocolError("bad_osc", "/latentjam/notes needs pitch velocity step triples")
    notes = [{"pitch": args[i], "velocity": args[i + 1], "step": args[i + 2]}
             for i in range(0, len(args), 3)]
    return encode_event({"type": "call", "notes": notes}), port


def numbers_reply(event: dict) -> bytes:
    """A reply event as /latentjam/notes with integer triples pitch velocity step."""
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder(address=PREFIX + "notes")
    for n in event["notes"]:
        for value in (n["pitch"], n["velocity"], n["step"]):
            builder.add_arg(int(value), "i")
    return builder.build().dgram


class _OscProtocol(asyncio.DatagramProtocol):
    def __init__(self, server):
        self.server = server
        self.transport = None
        self.clients: dict = {}

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        asyncio.get_running_loop().create_task(self._answer(data, addr))

    async def _answer(self, data: bytes, addr) -> None:
        host, port = addr[0], addr[1]
        key = f"osc:{host}:{port}"
        client = self.clients.get(key)
        if client is None:
            if len(self.clients) > 4096:
                self.clients.clear()
            client = self.clients[key] = self.server.client(key, "osc")
        reply_port = port
        kind = None
        try:
            kind, text, named_port = parse_osc(data)
            reply_port = named_port or port
            try:
                obj = json.loads(text) if text.strip().startswith("{") else None
            except ValueError:
                obj = None
            if isinstance(obj, dict) and isinstance(obj.get("reply_port"), int):
                if 1 <= obj["reply_port"] <= 65535:
                    reply_port = obj["reply_port"]
            if kind != "notes" and isinstance(obj, dict) and obj.get("type", kind) != kind:
                raise ProtocolError("bad_type", f"the JSON type {obj.get('type')!r} does not "
                                    f"match the address {PREFIX}{kind}")
            if isinstance(obj, dict) and "type" not in obj:
                text = encode_event({"type": kind, **obj})
            event = await self.server.handle(client, text)
        except ProtocolError as exc:
            event = error_event(exc)
        if event is None or self.transport is None:
            return
        if kind == "notes" and event["type"] == "reply":
            out = numbers_reply(event)
        else:
            out = build_osc(PREFIX + event["type"], encode_event(event))
        if len(out) > MAX_DATAGRAM:
            out = build_osc(PREFIX + "error", encode_event({
                "type": "error", "code": "too_large", **({"id": event["id"]} if "id" in event
                                                         else {}),
                "message": f"the reply ({len(out)} bytes) does not fit in one UDP datagram: "
                           "ask for fewer reply_bars"}))
        self.transport.sendto(out, (host, reply_port))  # only ever back to the sender's host


async def start_osc(server, host: str, port: int):
    """Start the OSC/UDP listener for `server` (a JamServer); returns the datagram transport."""
    try:
        import pythonosc  # noqa: F401
    except ImportError as exc:
        raise missing_extra("python-osc", "jam") from exc
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _OscProtocol(server),
                                                       local_addr=(host, port))
    bound = transport.get_extra_info("sockname")[1]
    shown = f"[{host}]" if ":" in host else host
    server.urls["osc"] = f"osc.udp://{shown}:{bound}{PREFIX}call"
    return transport
