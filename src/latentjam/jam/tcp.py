"""Newline-delimited JSON over TCP (the paper's broker): one JSON event per line each way."""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from latentjam.jam.protocol import MAX_MESSAGE_BYTES, encode_event

_ids = itertools.count(1)
MAX_CONNECTIONS = 256  # open TCP connections in all
MAX_PER_ADDRESS = 32  # ... and from one address
AUTH_DEADLINE_S = 10.0  # a token server closes a connection not authenticated by then
_TOO_LONG = {
    "type": "error",
    "code": "too_large",
    "message": f"a line longer than {MAX_MESSAGE_BYTES} bytes (skipped)",
}


class TcpListener:
    """The listening socket plus its open connections, closed together by `aclose`."""

    def __init__(self):
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.per_address: dict[str, int] = {}

    async def aclose(self) -> None:
        """Stop listening, close every open connection and wait for the server to close."""
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        await self.server.wait_closed()


async def start_tcp(server, host: str, port: int) -> TcpListener:
    """Start the line-JSON listener for `server` (a JamServer)."""
    listener = TcpListener()

    async def send(writer: asyncio.StreamWriter, event: dict) -> None:
        writer.write((encode_event(event) + "\n").encode())
        await writer.drain()

    async def read(reader: asyncio.StreamReader, client) -> bytes:
        if client.authed:
            return await reader.read(65536)
        # a stranger on a token server: authenticate in time or be closed
        return await asyncio.wait_for(reader.read(65536), AUTH_DEADLINE_S)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if peer else "?"
        if (
            len(listener.writers) >= MAX_CONNECTIONS
            or listener.per_address.get(address, 0) >= MAX_PER_ADDRESS
        ):
            writer.close()  # over the caps: no reply, no traceback, no session
            return
        listener.per_address[address] = listener.per_address.get(address, 0) + 1
        client = server.client(f"tcp{next(_ids)}", "tcp")
        listener.writers.add(writer)
        buf = bytearray()
        skipping = False  # inside an over-long line: drop bytes up to its newline
        try:
            if client.authed:
                await send(writer, server.hello())
            else:  # nothing about the server before the token
                await send(writer, {"type": "hello", "token_required": True})
            while chunk := await read(reader, client):
                buf += chunk
                while True:
                    cut = buf.find(b"\n")
                    if cut < 0:
                        if len(buf) > MAX_MESSAGE_BYTES:
                            if not skipping:
                                await send(writer, _TOO_LONG)
                            skipping = True
                            buf.clear()
                        break
                    line = bytes(buf[:cut]).rstrip(b"\r")
                    del buf[: cut + 1]
                    if skipping:
                        skipping = False
                        continue
                    if not line.strip():
                        continue
                    event = await server.handle(client, line)
                    if event is not None:
                        await send(writer, event)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            listener.per_address[address] -= 1
            if not listener.per_address[address]:
                del listener.per_address[address]
            listener.writers.discard(writer)
            server.forget(client)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    listener.server = await asyncio.start_server(handle, host, port)
    bound = listener.server.sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    server.urls["tcp"] = f"tcp://{shown}:{bound}"
    return listener
