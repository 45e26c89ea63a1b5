"""Jam latency: call -> reply round trips of 2-bar drum calls over the real WebSocket and OSC.

The server is the real `latentjam jam` command in its own process (so clients and server do
not share an interpreter); clients run here on asyncio. The calls are bar-locked, as in a jam:
all clients send on the same "downbeat" (the worst case: every call of the bar arrives at once),
each waits for its reply, checks it, records the round trip, and waits PACE seconds after its
reply before the next downbeat (20 calls/s per client; a real player sends one every 2-4 s).
A call's JSON is built before its downbeat (a player's client has the bar ready when it ends)
and a reply is timed when it arrives, before the client parses it: the clients share this
process, so their own JSON work would otherwise land in the later clients' round trips.
Lost = no reply within TIMEOUT s; bad = a reply that is not a valid "reply" event for this call
(wrong id, notes out of range, no positions). Each connection's first exchange is not timed
(fresh connections; a jam keeps its connection for the whole session), but it must not be lost.

The floor is the model's forward time alone (encode + decode of one 2-bar window; and of 32
windows in one batch, what 32 simultaneous calls cost), measured in this process, alternating
with the transport rounds; the table gives each p50 as a multiple of that floor.

    python benchmarks/jam_latency.py            # full run (~3 minutes)
    python benchmarks/jam_latency.py --quick    # < 1 minute
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "jam_latency.json"
PACE = 0.05  # seconds between one client's calls (20 calls/s, under the 50/s limit)
TIMEOUT = 2.0  # a reply later than this counts as lost
TARGETS = {1: 15.0, 32: 60.0}  # p99 ms
GROOVE = (
    [(36, s, 110) for s in (0, 6, 8, 16, 22, 24)]
    + [(38, s, 100) for s in (4, 12, 20, 28)]
    + [(42, s, 60 + 20 * (s % 4 == 0)) for s in range(0, 32, 2)]
)


try:  # the clients' own JSON work is not the server's latency: keep it small
    import orjson

    def dumps(obj) -> str:
        return orjson.dumps(obj).decode()

    loads = orjson.loads
except ImportError:
    dumps, loads = json.dumps, json.loads


def make_call(client: int, i: int) -> dict:
    notes = [
        {"pitch": p, "velocity": v, "step": s, "offset": round(0.05 * ((s * 7 + i) % 5 - 2), 2)}
        for p, s, v in GROOVE
    ]
    return {
        "type": "call",
        "id": f"{client}-{i}",
        "session": f"bench{client}",
        "bars": 2,
        "notes": notes,
        "params": {"temperature": 0.5, "radius": 0.3, "seed": i + 1},
    }


def valid(event, call_id: str) -> bool:
    try:
        return (
            event["type"] == "reply"
            and event["id"] == call_id
            and event["bars"] == 2
            and all(0 <= n["step"] < 32 and 1 <= n["velocity"] <= 127 for n in event["notes"])
            and len(event["position"]["call"]) == 3
            and len(event["position"]["reply"]) == 3
        )
    except (KeyError, TypeError):
        return False


# ----------------------------------------------------------------------------------- clients


def record(out: dict, event: dict, call_id: str, dt: float) -> None:
    """Add one timed reply to a client's tallies (round trip, server and model time) or count
    it as bad."""
    if valid(event, call_id):
        out["rtt"].append(dt)
        out["server"].append(event["latency_ms"])
        out["model"].append(event["model_ms"])
    else:
        out["bad"] += 1


async def ws_client(url: str, client: int, n: int, out: dict, barrier) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, max_size=2**20, compression=None) as ws:
        loads(await ws.recv())  # hello
        for i in range(-1, n):  # call -1: the connection's first exchange, not timed
            call = make_call(client, i)
            text = dumps(call)  # the player's call is ready when the downbeat comes
            await barrier.wait()
            t0 = time.perf_counter()
            await ws.send(text)
            try:
                raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
            except asyncio.TimeoutError:
                out["lost"] += 1  # (the untimed first call counts too: nothing may be lost)
                continue
            dt = (time.perf_counter() - t0) * 1000.0
            if i < 0:
                continue
            try:
                event = loads(raw)
            except ValueError:
                event = None
            record(out, event, call["id"], dt)
            await asyncio.sleep(max(0.0, PACE - dt / 1000.0))


class _OscReceiver(asyncio.DatagramProtocol):
    def __init__(self):
        self.waiting: dict[str, asyncio.Future] = {}

    def datagram_received(self, data, addr):
        from latentjam.jam.osc import read_osc

        arrived = time.perf_counter()  # (the clients' parsing is not the server's latency)
        try:
            event = loads(read_osc(data)[1][0])
        except Exception:  # a malformed reply resolves nothing and is counted as lost/bad
            return
        fut = self.waiting.pop(str(event.get("id")), None)
        if fut is not None and not fut.done():
            fut.set_result((event, arrived))


async def osc_client(port: int, client: int, n: int, out: dict, barrier) -> None:
    from latentjam.jam.osc import build_osc

    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        _OscReceiver, local_addr=("127.0.0.1", 0), remote_addr=("127.0.0.1", port)
    )
    try:
        for i in range(-1, n):  # call -1: the connection's first exchange, not timed
            call = make_call(client, i)
            dgram = build_osc("/latentjam/call", dumps(call))  # ready before the downbeat
            await barrier.wait()
            fut = loop.create_future()
            proto.waiting[call["id"]] = fut
            t0 = time.perf_counter()
            transport.sendto(dgram)
            try:
                event, arrived = await asyncio.wait_for(fut, TIMEOUT)
            except asyncio.TimeoutError:
                out["lost"] += 1  # (the untimed first call counts too: nothing may be lost)
                proto.waiting.pop(call["id"], None)
                continue
            dt = (arrived - t0) * 1000.0
            if i < 0:
                continue
            record(out, event, call["id"], dt)
            await asyncio.sleep(max(0.0, PACE - dt / 1000.0))
    finally:
        transport.close()


def health(urls: dict) -> dict:
    import urllib.request

    url = urls["websocket"].replace("ws://", "http://").replace("/ws", "/health")
    return json.loads(urllib.request.urlopen(url, timeout=10).read())


async def run_clients(kind: str, urls: dict, clients: int, calls: int) -> dict:
    out = {"rtt": [], "server": [], "model": [], "lost": 0, "bad": 0}
    barrier = asyncio.Barrier(clients)  # bar-locked: every client calls on the same "downbeat"
    if kind == "websocket":
        jobs = [ws_client(urls["websocket"], c, calls, out, barrier) for c in range(clients)]
    else:
        port = int(urls["osc"].rsplit(":", 1)[1].split("/")[0])
        jobs = [osc_client(port, c, calls, out, barrier) for c in range(clients)]
    await asyncio.gather(*jobs)
    return out


# ------------------------------------------------------------------------------------ floor


def forward_floor(model_name: str, batch: int, reps: int) -> list[float]:
    """Milliseconds of encode + decode at temperature 0.5 (as the calls, so the fused sampled
    decode) for `batch` 2-bar windows, one per repetition."""
    import torch

    from latentjam.jam.session import load_jam_model

    torch.set_num_threads(1)
    jm = forward_floor.cache.get(model_name) or load_jam_model(model_name)
    forward_floor.cache[model_name] = jm
    call = make_call(0, 0)
    from latentjam.jam.protocol import parse_message

    notes = parse_message(call, models={}).call.notes
    x = np.repeat(jm.notes_to_windows(notes, 2, 120.0), batch, axis=0)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        mu, _ = jm.encode(x)
        jm.decode(mu, temperature=0.5, seed=1)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


forward_floor.cache = {}


# ------------------------------------------------------------------------------------ server


def start_server(model: str) -> tuple[subprocess.Popen, dict]:
    cmd = [
        sys.executable,
        "-m",
        "latentjam",
        "jam",
        "--model",
        model,
        "--port",
        "0",
        "--osc-port",
        "0",
        "--no-tcp",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    urls, lines = {}, []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if m := re.search(r"WebSocket:\s+(\S+)", line):
            urls["websocket"] = m.group(1)
        if m := re.search(r"OSC \(Max/Pd\):\s+(\S+)", line):
            urls["osc"] = m.group(1)
        if "stop with Ctrl-C" in line:
            return proc, urls
    raise SystemExit("the jam server did not start:\n" + "\n".join(lines))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer calls, one round (< 1 minute)")
    ap.add_argument("--model", default="drums", help="shipped model name or model file")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument(
        "--pace",
        type=float,
        default=None,
        help="seconds from one call of a client to its next (default 0.05; musical tempo: "
        "4.0 = a 2-bar call every 2 bars at 120 bpm, 2.0 = every bar)",
    )
    ap.add_argument("--calls", type=int, default=None, help="calls per client and phase")
    args = ap.parse_args(argv)
    global PACE
    if args.pace:
        PACE = args.pace
    rounds = args.rounds or (1 if args.quick else 3)
    calls = {1: 60 if args.quick else 200, 32: 12 if args.quick else 40}
    if args.calls:
        calls = {1: args.calls, 32: args.calls}

    forward_floor(args.model, 1, 1)  # load the model for the floor now, then keep the
    gc.collect()  # collector away from it: a full collection with torch
    gc.freeze()  # loaded takes ~90 ms and would land in the clients' timings
    gc.set_threshold(7000, *gc.get_threshold()[1:])  # (fewer client-side pauses, as the server)
    proc, urls = start_server(args.model)
    results = {
        (k, c): {"rtt": [], "server": [], "model": [], "lost": 0, "bad": 0}
        for k in ("websocket", "osc")
        for c in calls
    }
    floors = {1: [], 32: []}
    loads_seen = {key: [] for key in results}  # 1-minute load average before each phase
    load_start = os.getloadavg()
    try:
        # warm-up (first calls pay for lazy imports and allocator growth)
        asyncio.run(run_clients("websocket", urls, 2, 10))
        asyncio.run(run_clients("osc", urls, 2, 10))
        for _ in range(rounds):
            for b in floors:
                floors[b].extend(forward_floor(args.model, b, 30 if args.quick else 60))
            for kind in ("websocket", "osc"):
                for clients, n in calls.items():
                    time.sleep(2.5)  # the previous phase's players have left (see RECENT_S)
                    loads_seen[(kind, clients)].append(os.getloadavg()[0])
                    before = health(urls)
                    r = asyncio.run(run_clients(kind, urls, clients, n))
                    after = health(urls)
                    agg = results[(kind, clients)]
                    agg["batches"] = agg.get("batches", 0) + after["batches"] - before["batches"]
                    for key in ("rtt", "server", "model"):
                        agg[key].extend(r[key])
                    agg["lost"] += r["lost"]
                    agg["bad"] += r["bad"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()

    floor = {b: statistics.median(v) for b, v in floors.items()}
    rows, targets = [], []
    for (kind, clients), r in results.items():
        sent = rounds * clients * calls[clients]
        p50, p99 = pct(r["rtt"], 50), pct(r["rtt"], 99)
        rows.append(
            {
                "transport": kind,
                "clients": clients,
                "calls": sent,
                "replies": len(r["rtt"]),
                "lost": r["lost"],
                "bad": r["bad"],
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "max_ms": round(max(r["rtt"], default=float("nan")), 2),
                "server_p50_ms": round(pct(r["server"], 50), 2),
                "server_p99_ms": round(pct(r["server"], 99), 2),
                "batch_p50_ms": round(pct(r["model"], 50), 2),
                "mean_batch": round(len(r["rtt"]) / max(r.get("batches", 1), 1), 2),
                "floor_ms": round(floor[clients], 2),
                "load1": round(max(loads_seen[(kind, clients)], default=float("nan")), 2),
                "p50_over_floor": round(p50 / floor[clients], 2),
            }
        )
        targets.append(
            {
                "name": f"{kind}, {clients} client{'s' * (clients > 1)}: p99 round trip",
                "value": round(p99, 2),
                "target": TARGETS[clients],
                "unit": "ms (<=)",
                "met": bool(p99 <= TARGETS[clients]),
            }
        )
    lost_bad = sum(r["lost"] + r["bad"] for r in results.values())
    targets.append(
        {
            "name": "lost or bad replies, all runs",
            "value": lost_bad,
            "target": 0,
            "unit": "replies",
            "met": lost_bad == 0,
        }
    )

    load_end = os.getloadavg()
    print(
        f"\njam_latency: model {args.model!r}, {rounds} round(s), one call per client every "
        f"{PACE * 1000:.0f} ms; floor = encode + decode alone in this process; load average "
        f"{' '.join(f'{v:.2f}' for v in load_start)} at the start, "
        f"{' '.join(f'{v:.2f}' for v in load_end)} at the end; load = highest 1-min load "
        "seen before a phase"
    )
    print(
        f"{'transport':<10} {'clients':>7} {'calls':>6} {'lost':>5} {'bad':>4} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'srv p50':>7} {'srv p99':>7} {'batch':>6} {'calls/b':>7} "
        f"{'floor ms':>9} {'p50/floor':>9} {'load':>5}"
    )
    for r in rows:
        print(
            f"{r['transport']:<10} {r['clients']:>7} {r['calls']:>6} {r['lost']:>5} "
            f"{r['bad']:>4} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['max_ms']:>7.2f} "
            f"{r['server_p50_ms']:>7.2f} {r['server_p99_ms']:>7.2f} {r['batch_p50_ms']:>6.2f} "
            f"{r['mean_batch']:>7.2f} {r['floor_ms']:>9.2f} {r['p50_over_floor']:>9.2f} "
            f"{r['load1']:>5.2f}"
        )
    print()
    for t in targets:
        print(
            f"  {'MET ' if t['met'] else 'MISS'} {t['name']}: {t['value']} {t['unit']} "
            f"(target {t['target']})"
        )

    out = {
        "benchmark": "jam_latency",
        "quick": args.quick,
        "command": "python benchmarks/jam_latency.py"
        + (" --quick" if args.quick else "")
        + (f" --model {args.model}" if args.model != "drums" else "")
        + (f" --pace {args.pace:g}" if args.pace else "")
        + (f" --calls {args.calls}" if args.calls else "")
        + (f" --rounds {args.rounds}" if args.rounds else ""),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "processor": platform.processor(),
        },
        "model": args.model,
        "rounds": rounds,
        "pace_s": PACE,
        "timeout_s": TIMEOUT,
        "floor_ms": {str(b): round(v, 3) for b, v in floor.items()},
        "load_average": {
            "start": [round(v, 2) for v in load_start],
            "end": [round(v, 2) for v in load_end],
        },
        "rows": rows,
        "targets": targets,
    }
    path = RESULTS if PACE == 0.05 else RESULTS.with_name(f"jam_latency_pace{PACE:g}.json")
    written = write_results(path, out)
    print(f"\nwrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
