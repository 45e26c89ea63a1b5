"""The model worker: a bar's calls batched on the event loop, early ones encoded ahead."""

from __future__ import annotations

import asyncio
import time

import pytest

from latentjam.jam.protocol import parse_message
from latentjam.jam.server import ENCODE_AHEAD, ModelWorker
from latentjam.jam.session import Session


def _call(c: int):
    notes = [
        {"pitch": 36, "velocity": 100, "step": 0},
        {"pitch": 38, "velocity": 70 + c, "step": (5 * c) % 32, "offset": 0.1},
    ]
    return parse_message(
        {"type": "call", "id": c, "notes": notes, "params": {"seed": c, "temperature": 0.0}}
    ).call


def test_calls_encoded_ahead_are_answered_as_if_alone(tiny_drums, monkeypatch):
    from latentjam.jam import server

    monkeypatch.setattr(server, "GAP_S", 5.0)  # (a slow machine must not end the bar early)
    monkeypatch.setattr(server, "MAX_LINGER_S", 5.0)
    n = ENCODE_AHEAD + 3
    worker = ModelWorker()
    worker.start()

    async def bar():
        for c in range(n):  # n players called in the last seconds: the bar waits for n calls
            worker._recent[f"p{c}"] = (time.monotonic(), server.RECENT_S)
        sessions = [Session(tiny_drums, f"s{c}") for c in range(n)]
        futures = [worker.submit(sessions[c], _call(c), f"p{c}") for c in range(ENCODE_AHEAD)]
        for _ in range(200):  # the first ENCODE_AHEAD went ahead and get encoded meanwhile
            if worker.encoded_ahead == ENCODE_AHEAD:
                break
            await asyncio.sleep(0.01)
        assert worker.encoded_ahead == ENCODE_AHEAD and worker.batches == 0
        futures += [worker.submit(sessions[c], _call(c), f"p{c}") for c in range(ENCODE_AHEAD, n)]
        return await asyncio.wait_for(asyncio.gather(*futures), 30)

    try:
        events = asyncio.run(bar())
    finally:
        worker.close()
    assert worker.batches == 1 and worker.calls == n and not worker._encoded
    for c, event in enumerate(events):
        lone = Session(tiny_drums).respond(_call(c))
        assert event["id"] == c and event["type"] == "reply"
        assert event["notes"] == lone["notes"]  # (latents equal up to float rounding)
        for k in ("call", "reply"):
            assert event["position"][k] == pytest.approx(lone["position"][k], abs=1e-4)


def test_a_lone_player_does_not_wait(tiny_drums):
    worker = ModelWorker()
    worker.start()

    async def one():
        t0 = time.perf_counter()
        event = await worker.submit(Session(tiny_drums), _call(1), "solo")
        return event, time.perf_counter() - t0

    try:
        asyncio.run(one())  # (warm)
        event, seconds = asyncio.run(one())
    finally:
        worker.close()
    assert event["type"] == "reply"
    assert worker.encoded_ahead == 0
    assert seconds < 0.5


def test_players_calling_every_two_bars_at_120_bpm_are_one_batch(tiny_drums, monkeypatch):
    """A 2-bar call at 120 bpm comes every 4 s: the next bar still waits for every player."""
    from latentjam.jam import server

    monkeypatch.setattr(server, "GAP_S", 5.0)
    monkeypatch.setattr(server, "MAX_LINGER_S", 5.0)
    clock = [500.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    worker = ModelWorker()
    n = 6
    sessions = [Session(tiny_drums, f"s{c}") for c in range(n)]

    async def bars():
        for c in range(n):  # the first bar: nobody is known yet, the batches are cut short
            worker.submit(sessions[c], _call(c), f"p{c}")
        worker._flush()  # (the gap timer ends the first bar)
        worker._queue.queue.clear()
        clock[0] += 4.0  # every player's next 2-bar call, 4 s later
        for c in range(n):
            worker.submit(sessions[c], _call(c), f"p{c}")
        return [len(item[1]) for item in list(worker._queue.queue)]

    try:
        sizes = asyncio.run(bars())
    finally:
        monkeypatch.undo()
    assert sizes == [n]  # one pass for the whole bar (was several: RECENT_S is 2 s)


def test_a_jam_leaves_the_process_as_it_found_it(tiny_drums, jam_factory):
    """Thread count, GC generations and switch interval are restored after the server stops."""
    import gc
    import sys

    import torch

    before = (torch.get_num_threads(), gc.get_threshold(), sys.getswitchinterval())
    torch.set_num_threads(2)
    try:
        with jam_factory({"drums": tiny_drums}):
            pass
        assert torch.get_num_threads() == 2
        assert gc.get_threshold() == before[1] and sys.getswitchinterval() == before[2]
        assert gc.get_freeze_count() == 0
    finally:
        torch.set_num_threads(before[0])


def test_an_internal_error_costs_one_reply_and_is_logged_with_its_traceback(tiny_drums, caplog):
    import json

    from latentjam.jam.server import JamServer

    server = JamServer({"drums": tiny_drums})

    async def broken(*args, **kwargs):
        raise RuntimeError("a bug in the model thread")

    server.worker.submit = broken
    client = server.client("t1", "tcp")
    call = {"type": "call", "id": 7, "notes": [{"pitch": 36, "step": 0}]}
    event = asyncio.run(server.handle(client, json.dumps(call)))
    assert event["type"] == "error" and event["code"] == "internal"
    (record,) = [r for r in caplog.records if r.name == "latentjam.jam"]
    assert record.exc_info and "a bug in the model thread" in caplog.text
    assert "Traceback" in caplog.text
