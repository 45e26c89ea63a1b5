"""Session logic without sockets: calls -> replies, positions, knobs, history, replay."""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentjam.jam.protocol import parse_message
from latentjam.jam.session import (
    Session,
    notes_to_sequence,
    replay,
    respond_batch,
    sequence_to_notes,
)
from latentjam.midi import read_midi

BEAT = [
    {"pitch": 36, "velocity": 110, "step": 0},
    {"pitch": 42, "velocity": 70, "step": 2},
    {"pitch": 38, "velocity": 100, "step": 4, "offset": 0.25},
    {"pitch": 36, "velocity": 90, "step": 8},
    {"pitch": 38, "velocity": 100, "step": 12},
    {"pitch": 42, "velocity": 60, "step": 20, "offset": -0.5},
]


def make_call(jam_model, **fields):
    msg = {"type": "call", "notes": BEAT, "params": {"seed": 5, "temperature": 0}}
    msg.update(fields)
    models = {jam_model.name: {"kind": jam_model.kind, "attributes": sorted(jam_model.attributes)}}
    return parse_message(msg, models=models, default_model=jam_model.name).call


def test_reply_is_valid_notes_with_positions(tiny_drums):
    session = Session(tiny_drums, "t")
    reply = session.respond(make_call(tiny_drums))
    assert reply["type"] == "reply" and reply["bars"] == 2
    for n in reply["notes"]:
        assert n["pitch"] in (36, 38, 42, 46, 43, 47, 50, 49, 51)
        assert 1 <= n["velocity"] <= 127 and 0 <= n["step"] < 32 and -1 <= n["offset"] < 1
    assert len(reply["position"]["call"]) == 3 and len(reply["position"]["reply"]) == 3
    assert len(session.history) == 1 and reply["exchange"] == 1
    json.dumps(reply, allow_nan=False)


def test_call_is_encoded_through_the_converter_exactly(tiny_drums):
    call = make_call(tiny_drums)
    windows = tiny_drums.notes_to_windows(call.notes, call.bars, call.qpm)
    assert windows.shape == (1, 32, 27)
    grid = windows[0]
    assert grid[0, 0] == 1 and grid[4, 1] == 1 and grid[20, 2] == 1  # kick, snare, hat
    assert grid[4, 18 + 1] == pytest.approx(0.25, abs=1 / 60)  # late snare
    assert grid[20, 18 + 2] == pytest.approx(-0.5, abs=1 / 60)  # early hat
    back = tiny_drums.windows_to_notes(windows, 2, 120.0)
    assert sorted((n.pitch, n.step) for n in back) == sorted((n.pitch, n.step) for n in call.notes)


def test_same_seed_same_reply_and_radius_zero_is_the_decoded_call(tiny_drums):
    a = Session(tiny_drums).respond(make_call(tiny_drums))
    b = Session(tiny_drums).respond(make_call(tiny_drums))
    assert a["notes"] == b["notes"] and a["position"] == b["position"]
    c = Session(tiny_drums).respond(make_call(tiny_drums, params={"seed": 6, "radius": 1.0}))
    assert c["position"]["reply"] != a["position"]["reply"]
    z = Session(tiny_drums).respond(make_call(tiny_drums, params={"radius": 0, "seed": 1}))
    assert z["position"]["reply"] == pytest.approx(z["position"]["call"], abs=1e-4)


def test_radius_sets_the_distance_from_the_call(tiny_drums):
    def distance(radius):
        s = Session(tiny_drums, seed=0)
        for seed in range(8):
            s.respond(make_call(tiny_drums, params={"radius": radius, "seed": seed}))
        return np.mean([np.linalg.norm(e.reply_latent - e.call_latent) for e in s.history])

    near, far = distance(0.1), distance(1.0)
    assert far > 5 * near > 0


def test_attribute_nudge_moves_the_reply_along_its_vector(tiny_drums):
    rng = np.random.default_rng(0)
    tiny_drums.attributes["density"] = rng.standard_normal(tiny_drums.latent_dim)
    try:
        s = Session(tiny_drums)
        s.respond(make_call(tiny_drums, params={"radius": 0, "seed": 1}))
        s.respond(
            make_call(tiny_drums, params={"radius": 0, "seed": 1, "nudges": {"density": 2.0}})
        )
        moved = s.history[1].reply_latent - s.history[0].reply_latent
        np.testing.assert_allclose(moved, 2.0 * tiny_drums.attributes["density"], atol=1e-9)
    finally:
        del tiny_drums.attributes["density"]


def test_nudges_span_the_corpus_extent_along_the_vector(tiny_drums):
    rng = np.random.default_rng(1)
    vec = rng.standard_normal(tiny_drums.latent_dim)
    centre = rng.standard_normal(tiny_drums.latent_dim)
    t0 = centre @ vec / (vec @ vec)
    tiny_drums.attributes["density"] = vec
    tiny_drums.attribute_extents["density"] = (t0 - 1.0, t0 + 0.5)
    try:
        along = lambda z: (z - centre) @ vec / (vec @ vec)  # noqa: E731
        assert along(tiny_drums.nudge(centre, {"density": -3.0})) == pytest.approx(-1.0)
        assert along(tiny_drums.nudge(centre, {"density": 3.0})) == pytest.approx(0.5)
        assert along(tiny_drums.nudge(centre, {"density": 1.5})) == pytest.approx(0.25)
        assert along(tiny_drums.nudge(centre, {"density": -1.5})) == pytest.approx(-0.5)
        moved = tiny_drums.nudge(centre, {"density": -3.0}) - centre
        np.testing.assert_allclose(moved, -1.0 * vec, atol=1e-9)  # only along the vector
        np.testing.assert_array_equal(tiny_drums.nudge(centre, {"density": 0.0}), centre)
        knob = [along(tiny_drums.nudge(centre, {"density": a})) for a in np.linspace(-3, 3, 13)]
        assert np.all(np.diff(knob) > 0)  # the whole knob range moves the point
    finally:
        del tiny_drums.attributes["density"], tiny_drums.attribute_extents["density"]


def test_longer_calls_and_replies(tiny_drums):
    notes = [*BEAT, {"pitch": 49, "velocity": 120, "step": 48}]
    reply = Session(tiny_drums).respond(make_call(tiny_drums, bars=4, reply_bars=3, notes=notes))
    assert reply["bars"] == 3 and all(n["step"] < 48 for n in reply["notes"])
    windows = tiny_drums.notes_to_windows(
        make_call(tiny_drums, bars=4, notes=notes).notes, 4, 120.0
    )
    assert windows.shape == (2, 32, 27) and windows[1, 16, 7] == 1


def test_batch_equals_one_by_one_at_temperature_zero(tiny_drums):
    calls = [make_call(tiny_drums, params={"seed": s, "temperature": 0}) for s in range(5)]
    single = [Session(tiny_drums).respond(c) for c in calls]
    batched = respond_batch([(Session(tiny_drums), c) for c in calls])
    for a, b in zip(single, batched, strict=True):
        assert a["notes"] == b["notes"]
        for who in ("call", "reply"):
            assert a["position"][who] == pytest.approx(b["position"][who], abs=1e-4)


def test_continuous_mode_walks_from_the_last_reply(tiny_drums):
    s = Session(tiny_drums)
    s.respond(make_call(tiny_drums, params={"seed": 1, "radius": 1.0}))
    s.respond(make_call(tiny_drums, params={"seed": 2, "radius": 0, "mode": "continuous"}))
    first, second = s.history
    expected = first.reply_latent + 0.5 * (second.call_latent - first.reply_latent)
    np.testing.assert_allclose(second.reply_latent, expected, atol=1e-9)


def test_melody_model(tiny_melody):
    notes = [
        {"pitch": 60, "velocity": 90, "step": 0, "duration": 4},
        {"pitch": 64, "velocity": 90, "step": 4},
        {"pitch": 67, "velocity": 90, "step": 8},
    ]
    reply = Session(tiny_melody).respond(make_call(tiny_melody, notes=notes))
    assert all(21 <= n["pitch"] <= 108 and n["duration"] > 0 for n in reply["notes"])
    seq = notes_to_sequence(make_call(tiny_melody, notes=notes).notes, drums=False, bars=2)
    assert seq.tracks[0].duration.tolist() == [1.0, 1.0, 6.0]


def test_sequence_notes_round_trip():
    from latentjam.jam.protocol import Note

    notes = (Note(36, 100, 0, 0.0), Note(38, 80, 5, 0.5), Note(42, 60, 31, -0.25))
    back = sequence_to_notes(notes_to_sequence(notes, drums=True), drums=True)
    assert [(n.pitch, n.velocity, n.step, n.offset) for n in back] == [
        (36, 100, 0, 0.0),
        (38, 80, 5, 0.5),
        (42, 60, 31, -0.25),
    ]


def test_history_saves_as_midi_and_json_and_replays(tiny_drums, tmp_path):
    s = Session(tiny_drums, "player one")
    for seed in range(3):
        s.respond(make_call(tiny_drums, params={"seed": seed, "temperature": 0, "radius": 0.5}))
    midi_path, json_path = s.save(tmp_path)
    assert midi_path.name.startswith("player_one-") and midi_path.suffix == ".mid"
    assert not list(tmp_path.glob(".*tmp"))
    seq = read_midi(midi_path)
    human = next(t for t in seq.tracks if t.name == "human")
    assert len(human) == 3 * len(BEAT) and human.start.max() < 3 * 16  # 3 calls + 3 replies
    history = json.loads(json_path.read_text())
    assert len(history["exchanges"]) == 3 and len(history["exchanges"][0]["latent"]["call"]) == 8
    again = replay(history, tiny_drums)
    assert [r["notes"] for r in again] == [e["reply"]["notes"] for e in history["exchanges"]]


def test_bit_budget_channel(tiny_drums):
    pytest.importorskip("latentjam.channel")

    def spread(bits):
        s = Session(tiny_drums)
        for seed in range(6):
            s.respond(make_call(tiny_drums, params={"seed": seed, "radius": 0, "bits": bits}))
        return np.mean([np.linalg.norm(e.reply_latent - e.call_latent) for e in s.history])

    faithful, free = spread(200.0), spread(0.0)
    assert faithful < 1e-3 < free


def test_greedy_reply_is_the_modules_own_greedy_decode(tiny_drums):
    import torch

    z = np.random.default_rng(3).standard_normal((6, tiny_drums.latent_dim)) * 2
    with torch.inference_mode():
        ref = tiny_drums.model.decode(torch.as_tensor(z, dtype=torch.float32)).numpy()
    fast = tiny_drums.decode(z, temperature=0.0)
    np.testing.assert_array_equal(fast[..., :9], ref[..., :9])
    np.testing.assert_allclose(fast, ref, atol=1e-5)


def test_shipped_drums_model_answers_and_steers(drums_model):
    """The model `latentjam jam` plays by default: fitted projection, attribute vectors, and a
    density nudge that makes the answers denser."""
    info = drums_model.info()
    assert info["projection"] == "checkpoint" and info["kind"] == "drums"
    assert "density" in info["attributes"]
    rock = make_call(drums_model, params={"seed": 0, "temperature": 0, "radius": 0})
    reply = Session(drums_model).respond(rock)
    assert len(reply["notes"]) > 0
    assert all(abs(v) < 50 for v in reply["position"]["call"] + reply["position"]["reply"])

    def mean_notes(amount):
        s = Session(drums_model)
        counts = []
        for seed in range(8):
            r = s.respond(
                make_call(
                    drums_model,
                    params={
                        "seed": seed,
                        "temperature": 0,
                        "radius": 0.5,
                        "nudges": {"density": amount},
                    },
                )
            )
            counts.append(len(r["notes"]))
        return np.mean(counts)

    assert mean_notes(1.5) > mean_notes(0.0) > mean_notes(-1.5)


def test_history_holds_nothing_the_garbage_collector_tracks(tiny_drums):
    """An exchange refers to no tracked container (one small object per exchange for the
    collector: a long jam's history must not make full collections, and the bars they pause,
    longer), and still gives the call and reply notes back."""
    import gc

    s = Session(tiny_drums)
    for seed in range(3):
        s.respond(make_call(tiny_drums, params={"seed": seed}))
    gc.collect()
    for e in s.history:
        assert not any(gc.is_tracked(x) for x in gc.get_referents(e) if not isinstance(x, type))
    assert s.history[0].call["notes"] and isinstance(s.history[0].reply_notes, list)


def test_shipped_drums_model_answers_sparse_calls_and_every_knob_moves(drums_model):
    rng = np.random.default_rng(7)
    s = Session(drums_model, seed=0)
    for i in range(24):  # calls of one to three hits, at the default knobs
        hits = [
            {
                "pitch": int(rng.choice([36, 38, 42])),
                "velocity": 100,
                "step": int(rng.integers(0, 32)),
            }
            for _ in range(1 + i % 3)
        ]
        reply = s.respond(make_call(drums_model, notes=hits, params={}))
        assert reply["notes"], f"silent reply to {hits}"
    rock = [{"pitch": 42, "velocity": 80, "step": k} for k in range(0, 32, 2)]
    rock += [
        {"pitch": 36 if k % 8 == 0 else 38, "velocity": 110, "step": k} for k in range(0, 32, 4)
    ]
    counts = []
    for amount in (-3.0, -1.5, 0.0, 1.5, 3.0):
        replies = [
            Session(drums_model).respond(
                make_call(
                    drums_model,
                    notes=rock,
                    params={
                        "seed": seed,
                        "temperature": 0,
                        "radius": 0.3,
                        "nudges": {"density": amount},
                    },
                )
            )
            for seed in range(6)
        ]
        counts.append(np.mean([len(r["notes"]) for r in replies]))
    assert counts[0] > 0 and np.all(np.diff(counts) > 0), counts


def test_a_pushed_first_downbeat_records_a_sane_midi_file(tiny_drums, tmp_path):
    s = Session(tiny_drums, "pushed")
    s.respond(
        make_call(tiny_drums, notes=[{"pitch": 36, "velocity": 100, "step": 0, "offset": -0.8}])
    )
    midi_path, _ = s.save(tmp_path)
    seq = read_midi(midi_path)
    assert 0 < seq.end < 20  # beats: two bars of call and two of reply, not hours
    human = next(t for t in seq.tracks if t.name == "human")
    assert human.start.min() >= 0.0


def test_distinct_session_names_never_share_a_file():
    from latentjam.jam.session import safe_stem

    names = ["a/b", "a_b", "a b", "x" * 70, "x" * 69 + "y", "default", ""]
    stems = [safe_stem(n) for n in names]
    assert len(set(stems)) == len(names)
    assert safe_stem("default") == "default" and all(len(s) <= 60 for s in stems)
    assert all(
        set(s) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        for s in stems
    )


def test_a_sustained_flood_goes_silent_and_refusals_echo_the_id(tiny_drums, monkeypatch):
    import asyncio
    import time

    from latentjam.jam.server import JamServer

    server = JamServer({"drums": tiny_drums}, rate=5.0, burst=2.0)
    try:
        client = server.client("t1", "tcp", authed=True)
        clock = [100.0]
        monkeypatch.setattr(time, "monotonic", lambda: clock[0])
        answers = []
        for i in range(400):  # 400 pings in 2 s: a refill lets one through now and then
            clock[0] += 0.005
            raw = json.dumps({"type": "ping", "id": f"m{i}"})
            answers.append(asyncio.run(server.handle(client, raw)))
    finally:
        monkeypatch.undo()
        server.close()
    refusals = [a for a in answers if a and a.get("code") == "rate_limited"]
    assert 10 <= len(refusals) <= 15  # the first ten, then silence (and every 100th)
    assert all(r["id"].startswith("m") for r in refusals)


def test_idle_sessions_and_osc_senders_are_dropped(tiny_drums, monkeypatch):
    import time

    import latentjam.jam.server as srv
    from latentjam.jam.osc import OSC_IDLE_S, _OscProtocol
    from latentjam.jam.server import JamServer

    server = JamServer({"drums": tiny_drums})
    try:
        clock = [1000.0]
        monkeypatch.setattr(time, "monotonic", lambda: clock[0])
        a = server.client("a", "tcp")
        server.session_for(a, "old", "drums")
        clock[0] += srv.SESSION_IDLE_S + 1
        b = server.client("b", "tcp")
        server.session_for(b, "new", "drums")
        assert [s.name for s in server.sessions.values()] == ["b/new"]
        osc = _OscProtocol(server)
        for port in range(20):
            key = f"osc:127.0.0.1:{port}"
            osc.clients[key] = server.client(key, "osc")
            server.session_for(osc.clients[key], "default", "drums")
            osc.seen[key] = clock[0]
        clock[0] += OSC_IDLE_S + 1
        osc._forget_idle(clock[0])
        assert not osc.clients and not osc.seen
        assert not any(k[0].startswith("osc:") for k in server.sessions)
    finally:
        monkeypatch.undo()
        server.close()


def test_recorded_midi_follows_tempo_changes(tiny_drums, tmp_path):
    s = Session(tiny_drums, "tempo")
    for qpm in (100, 100, 140):
        s.respond(make_call(tiny_drums, qpm=qpm, params={"seed": 1, "temperature": 0}))
    midi_path, _ = s.save(tmp_path)
    tempos = [(round(t.beat), round(t.qpm)) for t in read_midi(midi_path).tempos]
    assert tempos == [(0, 100), (32, 140)]  # two exchanges of 2 + 2 bars at 100, then 140


def test_the_jam_reads_a_model_with_the_public_api_s_converter(tiny_drums):
    """A drum model trained on Roland-mapped data (the Groove MIDI Dataset's kit) keeps its
    mapping in the jam, as in `latentjam.api`: pitch 45 is a mid tom there, a low tom in GM."""
    from latentjam.api import converter_for
    from latentjam.jam.session import jam_model_from

    metadata = {"data": {"converter": "drums-v1-bars2-roland-hop1-quarters"}}
    jam = jam_model_from(tiny_drums.model, name="gmd", metadata=metadata)
    api = converter_for(tiny_drums.model, metadata)
    assert jam.kind == "drums" and jam.converter.mapping == api.mapping == "roland"
    assert jam_model_from(tiny_drums.model, name="gm").converter.mapping == "gm"
    from latentjam.jam.protocol import Note

    x = jam.notes_to_windows((Note(45, 100, 0),), 2, 120.0)  # (1, 32, 27)
    assert x[0, 0, 5] == 1.0 and x[0, 0, 4] == 0.0  # mid_tom (5), not low_tom (4)


@pytest.mark.slow
def test_drumify_mode_answers_any_rhythm_with_a_groove_that_keeps_it(drums_model):
    """A melody played into a drum model's jam in mode "drumify" comes back as a full groove
    with a hit on every step the melody had a note; mixed with ordinary calls in one batch,
    each gets the reply it would get alone."""
    from latentjam.jam.session import respond_batch

    info = {"drums": {"kind": "drums", "attributes": list(drums_model.attributes)}}
    tune = [
        {"pitch": 60 + i % 12, "step": s, "velocity": 80} for i, s in enumerate(range(0, 32, 3))
    ]

    def call(notes, mode, seed):
        msg = {"type": "call", "notes": notes, "params": {"mode": mode, "seed": seed}}
        return parse_message(json.dumps(msg), models=info, default_model="drums").call

    taps = call(tune, "drumify", 4)
    alone = respond_batch([(Session(drums_model, "a"), taps)])[0]
    steps = {n["step"] for n in alone["notes"]}
    assert {n["step"] for n in tune} <= steps
    assert len({n["pitch"] for n in alone["notes"]}) > 1  # more than one instrument
    mixed = respond_batch(
        [
            (Session(drums_model, "b"), call([{"pitch": 36, "step": 0}], "call", 1)),
            (Session(drums_model, "c"), taps),
        ]
    )
    assert mixed[1]["notes"] == alone["notes"] and mixed[1]["position"] == alone["position"]
    assert (
        mixed[0]["notes"]
        == respond_batch(
            [(Session(drums_model, "d"), call([{"pitch": 36, "step": 0}], "call", 1))]
        )[0]["notes"]
    )
    melody_info = {"melody": {"kind": "melody", "attributes": []}}
    bad = {"type": "call", "notes": [], "params": {"mode": "drumify"}}
    with pytest.raises(Exception, match="drum model"):
        parse_message(json.dumps(bad), models=melody_info, default_model="melody")


@pytest.mark.parametrize("temperature", [0.0, 0.8])
def test_the_jam_decodes_what_the_api_decodes(drums_model, temperature):
    """One decode path: the jam's windows for a latent equal `latentjam.api`'s, sampled too."""
    from latentjam import api

    model = api.Model(drums_model.model, name="drums")
    z = np.random.default_rng(4).standard_normal((5, drums_model.latent_dim))
    jam = drums_model.decode(z, temperature=temperature, seed=11)
    ours = model.decode_tensor(z, temperature=temperature, seed=11)
    np.testing.assert_array_equal(jam, ours)
    assert jam[..., :9].sum() > 0  # hits were decoded, so the equality means something
