"""A seeded fuzz of mutated MIDI files through `latentjam data build`, under a memory limit:
no traceback, no hang, every file either converted or skipped with a reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = 300
MEMORY_LIMIT = 3 * 1024**3  # bytes of address space for the build process
RUN = (
    "import resource, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
    "from latentjam.cli import main\n"
    "sys.exit(main({argv!r}))\n"
)


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _chunks(data: bytes) -> list[tuple[int, int]]:
    """(start, length) of each chunk after the header."""
    pos, out = 14, []
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos + 4 : pos + 8], "big")
        out.append((pos, length))
        pos += 8 + length
    return out


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random corruption of a real file."""
    b = bytearray(data)
    kind = int(rng.integers(0, 8))
    chunks = _chunks(data)
    if kind == 0:  # byte flips
        for _ in range(int(rng.integers(1, 20))):
            b[int(rng.integers(14, len(b)))] = int(rng.integers(0, 256))
    elif kind == 1:  # truncation
        b = b[: int(rng.integers(1, len(b)))]
    elif kind == 2 and chunks:  # a huge delta time before the end of a track
        start, length = chunks[int(rng.integers(0, len(chunks)))]
        end = start + 8 + length - 4  # before the end-of-track meta event
        extra = _vlq(int(rng.integers(2**20, 2**28))) + b"\xff\x01\x01x"
        b[end:end] = extra
        b[start + 4 : start + 8] = (length + len(extra)).to_bytes(4, "big")
    elif kind == 3 and chunks:  # an absurd tempo at the start of a track
        start, length = chunks[0]
        tempo = int(rng.choice([1, 2, 3, 0xFFFFFF, 0x7FFFFF, 59998]))
        extra = b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big")
        b[start + 8 : start + 8] = extra
        b[start + 4 : start + 8] = (length + len(extra)).to_bytes(4, "big")
    elif kind == 4 and chunks:  # an absurd or late metre
        start, length = chunks[0]
        num, den = int(rng.integers(0, 256)), int(rng.integers(0, 256))
        extra = _vlq(int(rng.integers(0, 2**27))) + bytes([0xFF, 0x58, 4, num, den, 24, 8])
        b[start + 8 : start + 8] = extra
        b[start + 4 : start + 8] = (length + len(extra)).to_bytes(4, "big")
    elif kind == 5 and chunks:  # a wrong chunk length
        start, _ = chunks[int(rng.integers(0, len(chunks)))]
        b[start + 4 : start + 8] = int(rng.integers(0, 2**32)).to_bytes(4, "big")
    elif kind == 6:  # a wrong track count in the header
        b[10:12] = int(rng.integers(0, 2**16)).to_bytes(2, "big")
    else:  # a zero or odd resolution
        b[12:14] = int(rng.choice([0, 1, 0x7FFF, 0xE728])).to_bytes(2, "big")
    return bytes(b)


def test_mutated_midi_files_are_read_or_reported(tmp_path):
    sources = sorted((FIXTURES / "midi").glob("*.mid")) + sorted(
        (FIXTURES / "convert").glob("*.mid")
    )
    originals = [p.read_bytes() for p in sources]
    rng = np.random.default_rng(20261204)
    folder = tmp_path / "fuzz"
    folder.mkdir()
    for i in range(FILES):
        data = mutate(originals[i % len(originals)], rng)
        (folder / f"f{i:03d}.mid").write_bytes(data)
    out = tmp_path / "ds"
    argv = [
        "data",
        "build",
        str(folder),
        "--kind",
        "drums",
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
    ]
    proc = subprocess.run(
        [sys.executable, "-c", RUN.format(limit=MEMORY_LIMIT, argv=argv)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 2), proc.stderr[-3000:]
    skipped = json.loads((out / "skipped.json").read_text())
    entries = skipped if isinstance(skipped, list) else skipped.get("skipped", [])
    assert all(e.get("reason") for e in entries)
    manifest = json.loads((out / "manifest.json").read_text())
    used = manifest.get("files_used", manifest.get("counts", {}).get("files_used"))
    assert used is not None and used + len(entries) == FILES  # each file accounted for
    assert used > 0 and len(entries) > FILES // 4  # the mutations did break files
