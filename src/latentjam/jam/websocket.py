"""HTTP + WebSocket transport: serves the browser page, /health, and JSON events on /ws."""

from __future__ import annotations

import itertools
import json
from importlib import resources
from urllib.parse import parse_qs, quote, urlsplit

from latentjam.errors import missing_extra
from latentjam.jam.protocol import MAX_MESSAGE_BYTES, encode_event

STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "jam.js": "text/javascript; charset=utf-8",
    "jam.css": "text/css; charset=utf-8",
}
_ids = itertools.count(1)


PAGE_PATHS = ("/", "/index.html", "/jam.js", "/jam.css", "/static/jam.js", "/static/jam.css")


def static_file(name: str) -> bytes:
    """The bytes of one bundled page file."""
    return resources.files("latentjam.jam").joinpath("static", name).read_bytes()


def _response(connection, status: int, body: bytes, content_type: str):
    response = connection.respond(status, "")
    response.body = body
    del response.headers["Content-Length"]
    del response.headers["Content-Type"]
    response.headers["Content-Length"] = str(len(body))
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _origin_allowed(headers, allowed: tuple[str, ...]) -> bool:
    """A browser's WebSocket handshake names the page it comes from (Origin): accept the
    server's own page (the origin's host:port is the Host the request was sent to) and the
    listed origins; programs that send no Origin (Max, Pd, scripts) are not web pages."""
    origin = headers.get("Origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    host = headers.get("Host", "")
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host


async def start_websocket(server, host: str, port: int):
    """Start the HTTP/WebSocket listener for `server` (a JamServer); returns its Server."""
    try:
        from websockets.asyncio.server import serve
        from websockets.exceptions import ConnectionClosed
    except ImportError as exc:
        raise missing_extra("websockets", "jam") from exc

    def process_request(connection, request):
        url = urlsplit(request.path)
        path = url.path
        token = (parse_qs(url.query).get("token") or [None])[0]
        if path == "/health":
            full = not server.token or server.check_token(token)  # counts only with the token
            body = server.health() if full else {"status": "ok"}
            return _response(connection, 200, json.dumps(body).encode(), "application/json")
        name = path.rsplit("/", 1)[-1]
        page = path in PAGE_PATHS
        if page and server.token and not server.check_token(token):
            return _response(  # a token server shows nothing of itself without the token
                connection, 401, b"this jam needs ?token=...\n", "text/plain; charset=utf-8"
            )
        if path in ("/", "/index.html"):
            body = static_file("index.html")
            if server.token:  # the page's own files are fetched with the token too
                q = quote(token, safe="").encode()
                body = body.replace(b'href="jam.css"', b'href="jam.css?token=' + q + b'"')
                body = body.replace(b'src="jam.js"', b'src="jam.js?token=' + q + b'"')
            return _response(connection, 200, body, STATIC_TYPES["index.html"])
        if page:
            return _response(connection, 200, static_file(name), STATIC_TYPES[name])
        if path == "/ws":
            if not _origin_allowed(request.headers, server.allowed_origins):
                return _response(
                    connection,
                    403,
                    b"this page may not drive the jam\n",
                    "text/plain; charset=utf-8",
                )
            if server.token and not server.check_token(token):
                return _response(
                    connection, 401, b"this jam needs ?token=...\n", "text/plain; charset=utf-8"
                )
            connection.latentjam_authed = True
            return None  # go on with the WebSocket handshake
        return _response(connection, 404, b"not found\n", "text/plain; charset=utf-8")

    async def handler(connection):
        client = server.client(
            f"ws{next(_ids)}", "websocket", authed=getattr(connection, "latentjam_authed", False)
        )
        try:
            await connection.send(encode_event(server.hello()))
            async for raw in connection:
                event = await server.handle(client, raw)
                if event is not None:
                    await connection.send(encode_event(event))
        except ConnectionClosed:
            pass
        finally:
            server.forget(client)

    ws = await serve(
        handler,
        host,
        port,
        process_request=process_request,
        max_size=4 * MAX_MESSAGE_BYTES,
        max_queue=16,
        compression=None,
        ping_interval=20,
        ping_timeout=20,
        server_header="latentjam",
    )
    bound = ws.sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    server.urls["page"] = f"http://{shown}:{bound}/"  # /health shows these: never the token
    server.urls["websocket"] = f"ws://{shown}:{bound}/ws"
    server.urls["health"] = f"http://{shown}:{bound}/health"
    return ws
