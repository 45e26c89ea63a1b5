"""Session memory: an oracle over the jam's latent trajectory, and the recall knob."""

from __future__ import annotations

import numpy as np
import pytest

from latentjam.analysis.vmo import information_rate
from latentjam.jam import memory as memory_module
from latentjam.jam.memory import Proposal, SessionMemory
from latentjam.jam.protocol import parse_message
from latentjam.jam.session import Session

GROOVES = [  # three 2-bar calls: a rock beat, a half-time beat, a busy hi-hat line
    [{"pitch": 36, "step": s} for s in (0, 8, 16, 24)]
    + [{"pitch": 38, "step": s} for s in (4, 12, 20, 28)],
    [{"pitch": 36, "step": s} for s in (0, 16)] + [{"pitch": 38, "step": s} for s in (8, 24)],
    [{"pitch": 42, "step": s} for s in range(0, 32, 2)] + [{"pitch": 36, "step": 0}],
]


def call(jam_model, notes, **params):
    msg = {"type": "call", "notes": notes, "params": {"seed": 3, "temperature": 0, **params}}
    models = {jam_model.name: {"kind": jam_model.kind, "attributes": sorted(jam_model.attributes)}}
    return parse_message(msg, models=models, default_model=jam_model.name).call


def test_the_oracle_proposes_what_followed_the_last_time():
    memory = SessionMemory(threshold=0.5)
    a, b, c = np.zeros(4), np.ones(4), np.full(4, 3.0)
    for frame in (a, b, c, b):  # call a, reply b, call c, reply b
        memory.add(frame)
    assert memory.proposal(memory.add(a)) is not None  # a again: last time b followed
    got = memory.proposal(memory.add(a) - 1)
    assert (
        got is not None and np.allclose(got.latent, b) and (got.exchange, got.role) == (1, "reply")
    )
    for k in (2, 1, 0, 1, 2, 1, 3, 1):  # the form keeps coming back: information
        memory.add(np.full(4, float(k)))
    assert memory.information_rate() > 0
    memory.reset()
    assert memory.information_rate() == 0.0 and memory.proposal(memory.add(a)) is None


def test_recall_zero_gives_today_s_replies(tiny_drums):
    fresh, remembering = Session(tiny_drums, "a"), Session(tiny_drums, "b")
    for k in (0, 1, 0, 2, 0, 1):
        c = call(tiny_drums, GROOVES[k], radius=0.3)
        fresh.memory.reset()  # a session that never remembers anything
        a, b = fresh.respond(c), remembering.respond(c)
        assert a["notes"] == b["notes"] and a["position"] == b["position"]
        assert "recalled" not in b["memory"]


@pytest.mark.slow
def test_recall_brings_back_what_followed_a_returning_motif(drums_model):
    session = Session(drums_model, "r")
    replies = [session.respond(call(drums_model, GROOVES[k], radius=0.3)) for k in (0, 1, 2)]
    back = session.respond(call(drums_model, GROOVES[0], radius=0.0, recall=1.0))
    assert back["memory"]["recalled"]["exchange"] in (1, 2)
    earlier = replies[back["memory"]["recalled"]["exchange"] - 1]
    role = back["memory"]["recalled"]["role"]
    target = earlier["position"]["reply" if role == "reply" else "call"]
    assert np.allclose(back["position"]["reply"], target, atol=1e-3)  # radius 0: exactly there
    assert back["memory"]["information_rate"] > 0


@pytest.mark.parametrize(("recall", "low", "high"), [(0.5, 0.3, 0.7), (1.0, 1.0, 1.0)])
def test_recall_is_how_often_a_moment_comes_back(tiny_drums, recall, low, high):
    """With a proposal at every call, each reply is either today's reply or the earlier moment,
    in proportion `recall`, never a point part-way between them (which the oracle would see
    as a new symbol)."""
    session = Session(tiny_drums, "often")
    earlier = np.full(tiny_drums.latent_dim, 2.0)
    session.memory.proposal = lambda state: Proposal(earlier, 1, "reply")  # always one
    brought_back = 0
    for k in range(40):
        event = session.respond(call(tiny_drums, GROOVES[k % 3], radius=0.0, recall=recall, seed=k))
        entry = session.history[-1]
        if "recalled" in event["memory"]:
            brought_back += 1
            assert np.allclose(entry.reply_latent, earlier)  # radius 0: exactly there
        else:
            assert np.allclose(entry.reply_latent, entry.call_latent)  # today's reply
    assert low <= brought_back / 40 <= high


def test_information_rate_is_the_oracle_s_mean_across_a_restart(monkeypatch):
    monkeypatch.setattr(memory_module, "MAX_FRAMES", 16)
    memory = SessionMemory(threshold=0.5)
    motif = [np.full(4, float(k)) for k in (0, 3, 1, 3)]
    for i in range(40):  # restarts at 16 frames from the last 8
        memory.add(motif[i % 4] if i % 7 else np.full(4, 10.0 + i))
        want = np.mean(information_rate(memory.oracle.lrs)) if len(memory.frames) > 1 else 0.0
        assert memory.information_rate() == pytest.approx(want, abs=1e-12)
    assert memory.offset > 0 and len(memory.frames) <= 16
