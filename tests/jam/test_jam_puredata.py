"""The shipped Pure Data patch (examples/pd) talks to a real jam server through Pd's own OSC."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

PATCH = Path(__file__).resolve().parents[2] / "examples" / "pd" / "latentjam-call.pd"

# quits Pd shortly after the first reply, or after 15 s whatever happens
HARNESS = """#N canvas 0 50 400 300 12;
#X obj 10 10 r latentjam-reply;
#X obj 10 40 del 100;
#X msg 10 70 \\; pd quit;
#X obj 150 10 loadbang;
#X obj 150 40 del 15000;
#X connect 0 0 1 0;
#X connect 1 0 2 0;
#X connect 3 0 4 0;
#X connect 4 0 2 0;
"""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_patch(osc_port: int, tmp_path: Path) -> str:
    pd = shutil.which("pd") or shutil.which("puredata")
    if not pd:
        pytest.fail("Debian's Pure Data is needed: apt-get install -y puredata-core")
    harness = tmp_path / "harness.pd"
    harness.write_text(HARNESS)
    cmd = [
        pd,
        "-nogui",
        "-nosound",
        "-nomidi",
        "-stderr",
        "-open",
        str(PATCH),
        "-open",
        str(harness),
        "-send",
        f"latentjam-ports {osc_port} {_free_udp_port()}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    return done.stdout + done.stderr


def test_pd_patch_sends_a_call_and_prints_the_reply(jam_factory, drums_model, tmp_path):
    with jam_factory({"drums": drums_model}) as jam:
        log = _run_patch(jam.port("osc"), tmp_path)
        lines = [line for line in log.splitlines() if line.startswith("latentjam-reply:")]
        assert lines, f"no reply reached Pd:\n{log}"
        values = [int(float(v)) for v in lines[0].split(":", 1)[1].split()]
        assert values and len(values) % 3 == 0
        pitch, velocity, step = (values[i::3] for i in range(3))
        assert all(0 <= p <= 127 for p in pitch) and all(1 <= v <= 127 for v in velocity)
        assert all(0 <= s < 32 for s in step)  # a 2-bar reply on the 16th-note grid
        assert "latentjam-error" not in log
