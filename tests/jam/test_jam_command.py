"""`latentjam jam` as a user runs it: prints the page URL, serves, stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest


def start(args: list[str]) -> tuple[subprocess.Popen, list[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "latentjam", "jam", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "stop with Ctrl-C" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("the jam did not start:\n" + "\n".join(lines))


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_jam_command_prints_the_url_serves_and_stops(sig):
    # the shipped drum model, as the README's first command starts it (on free ports here)
    proc, lines = start(["--port", "0", "--osc-port", "0", "--tcp-port", "0", "--midi"])
    try:
        text = "\n".join(lines)
        assert "playing with drums (drums, 32-D)" in text
        page = next(line.split()[-1] for line in lines if "open the page:" in line)
        assert page.startswith("http://127.0.0.1:") and page.endswith("/")
        assert "OSC (Max/Pd):" in text and "TCP line-JSON:" in text
        # this machine may lack ALSA: then the jam says so and runs without MIDI ports
        assert "MIDI ports:" in text or "no MIDI subsystem" in text
        assert "<canvas" in urllib.request.urlopen(page, timeout=10).read().decode()
        health = json.loads(urllib.request.urlopen(page + "health", timeout=10).read())
        assert health["status"] == "ok"
    finally:
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "latentjam jam: stopped" in out


def test_non_loopback_needs_a_token(tiny_model_file):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "latentjam",
            "jam",
            "--host",
            "0.0.0.0",
            "--model",
            str(tiny_model_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--token" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_docs_jam_examples_get_music_back():
    """docs/jam.md's call message and its TCP one-liner, against the shipped drum model."""
    import re
    import socket
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "jam.md").read_text()
    call = json.loads(re.search(r"```json\n(\{\"type\": \"call\".*?)```", doc, re.S).group(1))
    line = re.search(r"printf '(.*?)\\n' \| nc", doc).group(1)
    proc, lines = start(["--port", "0", "--osc-port", "0", "--tcp-port", "0"])
    try:
        tcp = next(ln.split("tcp://")[1] for ln in lines if "TCP line-JSON:" in ln)
        host, port = tcp.rsplit(":", 1)
        for message in (line, json.dumps(call)):
            with socket.create_connection((host, int(port)), timeout=30) as sock:
                stream = sock.makefile("rw")
                hello = json.loads(stream.readline())
                assert hello["type"] == "hello"
                stream.write(message + "\n")
                stream.flush()
                reply = json.loads(stream.readline())
            assert reply["type"] == "reply" and len(reply["notes"]) > 0, reply
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


@pytest.mark.slow
def test_readme_jam_options_record_the_session(tmp_path):
    """`latentjam jam --midi --tempo 100` and `--record DIR` as the README shows them."""
    import socket

    from latentjam.midi import read_midi

    rec = tmp_path / "jams"
    proc, lines = start(
        [
            "--midi",
            "--tempo",
            "100",
            "--record",
            str(rec),
            "--port",
            "0",
            "--osc-port",
            "0",
            "--tcp-port",
            "0",
        ]
    )
    try:
        tcp = next(ln.split("tcp://")[1] for ln in lines if "TCP line-JSON:" in ln)
        host, port = tcp.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            stream = sock.makefile("rw")
            stream.readline()  # hello
            stream.write('{"type":"call","notes":[{"pitch":36,"velocity":100,"step":0}]}\n')
            stream.flush()
            assert json.loads(stream.readline())["notes"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    midis = list(rec.rglob("*.mid"))
    assert midis and sum(len(t) for t in read_midi(midis[0]).tracks) >= 2
    assert list(rec.rglob("*.json"))


@pytest.mark.slow
def test_after_kill_9_every_answered_exchange_is_in_the_journal(tmp_path):
    import socket

    rec = tmp_path / "jams"
    proc, lines = start(["--record", str(rec), "--port", "0", "--osc-port", "0", "--tcp-port", "0"])
    answered = 0
    try:
        tcp = next(ln.split("tcp://")[1] for ln in lines if "TCP line-JSON:" in ln)
        host, port = tcp.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            stream = sock.makefile("rw")
            stream.readline()  # hello
            for i in range(40):
                stream.write(
                    json.dumps(
                        {
                            "type": "call",
                            "session": "busy",
                            "id": i,
                            "notes": [{"pitch": 36, "velocity": 100, "step": i % 32}],
                        }
                    )
                    + "\n"
                )
                stream.flush()
                if json.loads(stream.readline())["type"] == "reply":
                    answered += 1
            proc.send_signal(signal.SIGKILL)  # no chance to write anything more
            proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    (journal,) = list(rec.rglob("*.jsonl"))
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert answered == 40 and len(entries) == answered
    assert [e["call"]["notes"][0]["step"] for e in entries] == [i % 32 for i in range(40)]


@pytest.mark.slow
def test_jam_replay_command_reruns_a_recorded_session(tmp_path, capsys):
    import socket

    from latentjam.cli import main

    rec = tmp_path / "jams"
    proc, lines = start(["--record", str(rec), "--port", "0", "--osc-port", "0", "--tcp-port", "0"])
    long_name = "a-very-long-session-name-for-a-stage-" + "x" * 20  # 57 characters
    try:
        tcp = next(ln.split("tcp://")[1] for ln in lines if "TCP line-JSON:" in ln)
        host, port = tcp.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            stream = sock.makefile("rw")
            stream.readline()
            for seed in range(3):
                stream.write(
                    json.dumps(
                        {
                            "type": "call",
                            "session": long_name,
                            "notes": [
                                {"pitch": 36, "velocity": 100, "step": 0},
                                {"pitch": 38, "velocity": 90, "step": 4},
                            ],
                            "params": {"seed": seed, "temperature": 0},
                        }
                    )
                    + "\n"
                )
                stream.flush()
                assert json.loads(stream.readline())["type"] == "reply"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert main(["jam", "replay", str(rec), "--out", str(tmp_path / "again")]) == 0
    printed = capsys.readouterr().out
    assert "3 of 3 replies identical" in printed
    assert list((tmp_path / "again").glob("*.json"))


@pytest.mark.slow
def test_readme_jam_on_every_interface_with_a_token():
    """`latentjam jam --host 0.0.0.0 --token SECRET` as the README shows it (free ports)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    proc, lines = start(
        [
            "--host",
            "0.0.0.0",
            "--token",
            "SECRET",
            "--port",
            "0",
            "--osc-port",
            "0",
            "--tcp-port",
            "0",
        ]
    )
    try:
        page_line = next(ln for ln in lines if "open the page:" in ln)
        pages = page_line.split("open the page:")[1].split()
        assert pages and all(p.endswith("?token=SECRET") for p in pages)
        assert not any("0.0.0.0" in p for p in pages)  # addresses another machine can open
        local = next(p for p in pages if "127.0.0.1" in p)
        base = local.split("?")[0]
        ws = base.replace("http://", "ws://") + "ws"
        with pytest.raises(InvalidStatus):
            connect(ws, open_timeout=10)  # no token: refused
        with connect(ws + "?token=SECRET", open_timeout=10) as conn:
            assert json.loads(conn.recv(timeout=10))["type"] == "hello"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
