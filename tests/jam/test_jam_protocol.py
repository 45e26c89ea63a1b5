"""Strict validation of jam messages: every malformed input becomes a ProtocolError with a code."""

from __future__ import annotations

import json

import pytest

from latentjam.jam.protocol import (
    MAX_MESSAGE_BYTES,
    ProtocolError,
    encode_event,
    error_event,
    parse_message,
)

MODELS = {
    "drums": {"kind": "drums", "attributes": ["density"]},
    "melody": {"kind": "melody", "attributes": []},
}


def call(**fields) -> dict:
    msg = {"type": "call", "notes": [{"pitch": 36, "velocity": 100, "step": 0}]}
    msg.update(fields)
    return msg


def parse(msg):
    raw = msg if isinstance(msg, str | bytes) else json.dumps(msg)
    return parse_message(raw, models=MODELS, default_model="drums")


def test_a_good_call_parses_with_defaults():
    msg = parse(
        call(
            notes=[{"pitch": 38, "velocity": 90, "step": 31, "offset": -0.5}],
            params={"temperature": 0, "seed": 7, "nudges": {"density": 1.5}},
        )
    )
    c = msg.call
    assert (c.model, c.bars, c.reply_bars, c.steps) == ("drums", 2, 2, 32)
    assert c.notes[0].step == 31 and c.notes[0].offset == -0.5
    assert c.params.temperature == 0 and c.params.seed == 7 and c.params.radius == 0.3
    assert c.params.nudges == {"density": 1.5} and c.params.bits is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        ('{"type": "call", "notes": [], "qpm": NaN}', "bad_json"),
        ("[" * 50_000 + "]" * 50_000, "too_large"),
        ("[" * 20_000 + "]" * 20_000, "bad_json"),
        ("[1, 2]", "bad_type"),
        ('{"type": "dance"}', "bad_type"),
        (json.dumps(call(extra=1)), "unknown_field"),
        (json.dumps(call(model="cello")), "unknown_model"),
        (json.dumps(call(bars=0)), "out_of_range"),
        (json.dumps(call(bars=9)), "out_of_range"),
        (json.dumps(call(bars=1.5)), "bad_type"),
        (json.dumps(call(steps_per_bar=12)), "out_of_range"),
        (json.dumps(call(notes={"pitch": 36})), "bad_type"),
        (json.dumps(call(notes=[{"pitch": 128, "step": 0}])), "out_of_range"),
        (json.dumps(call(notes=[{"pitch": 36, "velocity": 0, "step": 0}])), "out_of_range"),
        (json.dumps(call(notes=[{"pitch": 36, "step": 32}])), "out_of_range"),
        (json.dumps(call(notes=[{"pitch": 36, "step": 0, "offset": 1.0}])), "out_of_range"),
        (json.dumps(call(notes=[{"pitch": True, "step": 0}])), "bad_type"),
        (json.dumps(call(notes=[{"step": 0}])), "missing_field"),
        (json.dumps(call(notes=[{"pitch": 36, "step": 0}] * 600)), "too_many_notes"),
        (json.dumps(call(model="melody", notes=[{"pitch": 20, "step": 0}])), "out_of_range"),
        (json.dumps(call(params={"temprature": 1})), "unknown_field"),
        (json.dumps(call(params={"temperature": 5})), "out_of_range"),
        (json.dumps(call(params={"radius": -1})), "out_of_range"),
        (json.dumps(call(params={"bits": "many"})), "bad_type"),
        (json.dumps(call(params={"nudges": {"swing": 1}})), "unknown_attribute"),
        (json.dumps(call(params={"nudges": {"density": 9}})), "out_of_range"),
        (json.dumps(call(params={"mode": "solo"})), "out_of_range"),
        (json.dumps(call(session="")), "bad_session"),
        (json.dumps(call(id=[1])), "bad_type"),
        (json.dumps({"type": "call"}), "missing_field"),
        ("x" * (MAX_MESSAGE_BYTES + 1), "too_large"),
    ],
)
def test_malformed_messages_get_a_code(raw, code):
    with pytest.raises(ProtocolError) as info:
        parse(raw)
    assert info.value.code == code
    event = error_event(info.value)
    assert event["type"] == "error" and event["code"] == code
    json.loads(encode_event(event))


def test_error_keeps_the_callers_id():
    with pytest.raises(ProtocolError) as info:
        parse(call(id="abc", bars=99))
    assert error_event(info.value)["id"] == "abc"


def test_other_message_types():
    assert parse({"type": "ping", "id": 3}).id == 3
    assert parse({"type": "reset", "session": "s1"}).session == "s1"
    assert parse({"type": "hello", "token": "t"}).token == "t"


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps(call(id="x", notes=[{"pitch": 36, "step": 3, "offset": -0.25}])),
        json.dumps(call(id="x", notes=[{"pitch": 36, "step": 3}])).encode(),
        "{not json",
        b"\xff\xfe",
        '{"type": "call", "notes": [], "qpm": NaN}',
        "[" * 20_000 + "]" * 20_000,
        '{"type": "call", "notes": [], "qpm": Infinity}',
        json.dumps(call(params={"seed": 2**70})),
    ],
)
def test_orjson_and_the_stdlib_decoder_agree(raw, monkeypatch):
    """The fast decoder (orjson, when installed) accepts and refuses what the stdlib one does."""
    from latentjam.jam import protocol

    def outcome():
        try:
            return parse(raw)
        except ProtocolError as exc:
            return exc.code

    fast = outcome()
    monkeypatch.setattr(protocol, "_orjson", lambda: None)
    assert outcome() == fast
    event = {"type": "reply", "notes": [{"pitch": 36, "offset": -0.25}], "position": [0.1, 2e-7]}
    assert json.loads(encode_event(event)) == event
