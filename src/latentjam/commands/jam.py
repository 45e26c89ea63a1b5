"""`latentjam jam`: play with a model live from a browser, Max/MSP, Pure Data or a DAW."""

from __future__ import annotations

import argparse
from urllib.parse import quote


def register(subparsers) -> None:
    """Add the `jam` sub-command."""
    p = subparsers.add_parser(
        "jam",
        help="start the live jam server (browser page, WebSocket, OSC, TCP, MIDI ports)",
        description="Start one jam server: the browser page and WebSocket on --port, OSC/UDP on "
        "--osc-port, newline-delimited JSON over TCP on --tcp-port, and with --midi virtual MIDI "
        "ports. Binds 127.0.0.1; any other address needs --token. Stop with Ctrl-C.",
    )
    p.add_argument(
        "action",
        nargs="?",
        choices=("replay",),
        help="replay PATH: re-run a recorded session (.json or .jsonl journal, or a recording "
        "folder) with its seeds and say whether the replies come out the same",
    )
    p.add_argument("path", nargs="?", help="what `replay` reads")
    p.add_argument("--out", metavar="DIR", help="replay: write the replayed sessions here")
    p.add_argument(
        "--model",
        default="drums",
        help="shipped model name(s) or checkpoint path(s), comma-separated (default: drums)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP + WebSocket port (default: 8765)")
    p.add_argument("--osc-port", type=int, default=9000, help="OSC/UDP port (default: 9000)")
    p.add_argument(
        "--tcp-port", type=int, default=8766, help="newline-delimited JSON/TCP port (default: 8766)"
    )
    p.add_argument("--no-osc", action="store_true", help="do not listen for OSC")
    p.add_argument("--no-tcp", action="store_true", help="do not listen for TCP")
    p.add_argument(
        "--midi",
        action="store_true",
        help="open virtual MIDI ports 'latentjam in/out' with MIDI clock",
    )
    p.add_argument(
        "--midi-api",
        choices=("alsa", "jack", "coremidi"),
        default=None,
        help="the MIDI system for --midi (default: rtmidi's own choice, ALSA on Linux)",
    )
    p.add_argument(
        "--tempo",
        type=float,
        default=120.0,
        help="MIDI-port tempo when no external clock arrives (default: 120 qpm)",
    )
    p.add_argument("--record", metavar="DIR", help="write every session as MIDI + JSON here")
    p.add_argument("--token", help="shared secret clients must send (required off loopback)")
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="a web page origin (scheme://host:port) besides the jam's own page that "
        "may open the WebSocket (repeatable)",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=50.0,
        help="messages per second allowed per client (default: 50)",
    )
    p.set_defaults(func=run)


def run_replay(args: argparse.Namespace) -> int:
    """`latentjam jam replay PATH`: re-run recorded sessions with their seeds."""
    import json
    from pathlib import Path

    from latentjam.errors import LatentjamError
    from latentjam.jam.session import load_jam_model, read_recording, replay, safe_stem

    if not args.path:
        raise LatentjamError("jam replay needs a recording: a .json, a .jsonl or a folder")
    histories = read_recording(Path(args.path))
    models: dict = {}
    same = total = 0
    for history in histories:
        name = history.get("model") or args.model.split(",")[0]
        name = name.get("name", args.model) if isinstance(name, dict) else str(name)
        if name not in models:
            models[name] = load_jam_model(name)
        replies = replay(history, models[name])
        recorded = [e["reply"]["notes"] for e in history["exchanges"]]
        matches = sum(r["notes"] == n for r, n in zip(replies, recorded, strict=True))
        same, total = same + matches, total + len(recorded)
        print(
            f"{history.get('session', '?')}: {len(recorded)} exchanges, "
            f"{matches} replies identical to the recording"
        )
        if args.out:
            folder = Path(args.out)
            folder.mkdir(parents=True, exist_ok=True)
            stem = safe_stem(f"{history.get('session', 'replay')}-replay")
            text = json.dumps({"session": history.get("session"), "replies": replies}, indent=1)
            (folder / f"{stem}.json").write_text(text)
    print(f"{same} of {total} replies identical (temperature-0 calls replay exactly)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Load the model(s), start every transport, serve until Ctrl-C / SIGTERM."""
    if args.action == "replay":
        return run_replay(args)
    import asyncio

    from latentjam.errors import LatentjamError
    from latentjam.jam.server import JamServer, is_loopback, serve
    from latentjam.jam.session import load_jam_model

    if not is_loopback(args.host) and not args.token:
        raise LatentjamError(
            f"--host {args.host} makes the jam reachable from other machines: "
            "also pass --token SECRET"
        )
    for name in ("port", "osc_port", "tcp_port"):
        if not 0 <= getattr(args, name) <= 65535:
            raise LatentjamError(f"--{name.replace('_', '-')} must be in 0..65535")
    import logging
    import sys

    import torch

    jam_log = logging.getLogger("latentjam.jam")  # the server's warnings and errors, with
    if not jam_log.handlers:  # tracebacks, on stdout beside the addresses
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("latentjam jam: %(message)s"))
        jam_log.addHandler(handler)
        jam_log.setLevel(logging.INFO)
    torch.set_num_threads(1)
    models = {}
    for name in [m.strip() for m in args.model.split(",") if m.strip()]:
        jm = load_jam_model(name)
        models[jm.name] = jm
    server = JamServer(
        models,
        host=args.host,
        token=args.token,
        record_dir=args.record,
        rate=args.rate,
        allowed_origins=tuple(args.allow_origin),
    )

    def ready(srv: JamServer) -> None:
        page = srv.urls["page"] + (f"?token={quote(srv.token, safe='')}" if srv.token else "")
        if args.host in ("0.0.0.0", "::", ""):  # every interface: name the reachable addresses
            port = srv.urls["page"].rsplit(":", 1)[1]
            page = "  ".join(
                f"http://{a}:{port}" + (f"?token={quote(srv.token, safe='')}" if srv.token else "")
                for a in _machine_addresses()
            )
        names = ", ".join(f"{n} ({m.kind}, {m.latent_dim}-D)" for n, m in srv.models.items())
        print(f"latentjam jam: playing with {names}", flush=True)
        print(f"  open the page:  {page}", flush=True)
        print(
            f"  WebSocket:      {srv.urls['websocket']}   health: {srv.urls['health']}", flush=True
        )
        if "osc" in srv.urls:
            print(f"  OSC (Max/Pd):   {srv.urls['osc']}", flush=True)
        if "tcp" in srv.urls:
            print(f"  TCP line-JSON:  {srv.urls['tcp']}", flush=True)
        if "midi" in srv.urls:
            print(f"  MIDI ports:     {srv.urls['midi']}", flush=True)
        if srv.record_dir:
            print(f"  recording to:   {srv.recorder.directory}", flush=True)
        print("  stop with Ctrl-C", flush=True)

    try:
        asyncio.run(
            serve(
                server,
                port=args.port,
                osc_port=None if args.no_osc else args.osc_port,
                tcp_port=None if args.no_tcp else args.tcp_port,
                midi=args.midi,
                midi_tempo=args.tempo,
                midi_api=args.midi_api,
                on_ready=ready,
            )
        )
    except OSError as exc:
        raise LatentjamError(
            f"cannot listen: {exc} (is another jam running? try other ports)"
        ) from exc
    print("latentjam jam: stopped", flush=True)
    return 0


def _machine_addresses() -> list[str]:
    """This machine's IPv4 addresses that other machines can reach, loopback last."""
    import socket

    found: list[str] = []
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    try:  # the address of the default route, without sending anything
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    outside = sorted({a for a in found if not a.startswith("127.")})
    return [*outside, "127.0.0.1"]
