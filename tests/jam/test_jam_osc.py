"""The jam's own OSC reading and writing give what python-osc reads and writes."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pythonosc")

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from latentjam.jam.osc import KNOWN_TAGS, _fast_read, _type_tags, build_osc, read_osc


def _python_osc(address: str, *args) -> bytes:
    builder = OscMessageBuilder(address=address)
    for a in args:
        builder.add_arg(a, "s" if isinstance(a, str) else "i")
    return builder.build().dgram


@pytest.mark.parametrize(
    "text", ["", "x", "abc", "abcd", '{"type": "call", "notes": []}', "é" * 33, "{}" * 700]
)
def test_build_matches_python_osc(text):
    for address in ("/a", "/abc", "/latentjam/call", "/latentjam/reply"):
        assert build_osc(address, text) == _python_osc(address, text)


def test_read_matches_python_osc_on_valid_and_damaged_datagrams():
    rng = random.Random(5)
    messages = [
        _python_osc("/latentjam/call", '{"type": "call", "notes": []}'),
        _python_osc("/latentjam/call", '{"a": 1}', 9001),
        _python_osc("/latentjam/notes", 9000, 36, 100, 0, 38, 90, 8),
        _python_osc("/latentjam/ping"),
        b"/latentjam/hello\0\0\0\0",
        _python_osc("/x", "é" * 5, -7, ""),
    ]
    datagrams = list(messages)
    for _ in range(3000):  # cut, flipped and shifted copies
        d = bytearray(rng.choice(messages))
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(3)
            if op == 0 and len(d) > 1:
                del d[rng.randrange(len(d)) :]
            elif op == 1 and d:
                d[rng.randrange(len(d))] = rng.choice(b"\0,sifb{\xff\xc3a")
            else:
                d.insert(rng.randrange(len(d) + 1), rng.choice(b"\0s,"))
        datagrams.append(bytes(d))
    fast_hits = 0
    for d in datagrams:
        try:
            msg = OscMessage(d)
            expected = (msg.address, list(msg.params))
        except Exception:
            expected = None
        fast = _fast_read(d)
        if fast is not None:  # whatever the fast path reads, python-osc reads the same
            fast_hits += 1
            assert fast == expected, d
        try:
            got = read_osc(d)
        except Exception:  # python-osc's assorted parse errors
            got = None
        if fast is None and set(_type_tags(d)) - KNOWN_TAGS:
            expected = None  # python-osc skips unknown tags with a warning; we refuse them
        assert got == expected
    assert fast_hits > 300  # (the rest went to python-osc)
