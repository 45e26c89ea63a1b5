#!/usr/bin/env python3
"""Build the bundled drum corpus from six Debian packages (MMA, Hydrogen, TK-707, three game sets).

Usage:
    python scripts/build_drum_corpus.py [--debs DIR] [--out DIR] [--jobs 2]

`--debs DIR` is a folder holding the unpacked packages (`dpkg -x PKG.deb DIR` for each of mma,
hydrogen-data, tk707, simutrans-data, openttd-openmsx, freedoom) or the .deb files themselves.
Without it the script runs `apt-get download` + `dpkg -x` in a temporary folder. The output
(drum-only MIDI files at 480 PPQ, `index.json`, `SOURCES.md`) goes to
`src/latentjam/corpora/drums` by default.
Everything is deterministic: a rebuild from the same package versions gives the same files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from latentjam.errors import InvalidMidiError
from latentjam.midi import read_midi, write_midi
from latentjam.music import Sequence, Tempo, TimeSignature, Track

PACKAGES = ("mma", "hydrogen-data", "tk707", "simutrans-data", "openttd-openmsx", "freedoom")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "latentjam" / "corpora" / "drums"
MMA_SEED = 1  # `RndSeed 1`: MMA's humanisation stays on but is the same on every build
MMA_BARS = 8
MMA_CHORDS = ("C", "Am", "F", "G7")
MMA_PITCHED = ("Bass", "Chord", "Arpeggio", "Scale", "Walk", "Plectrum", "Melody", "Solo", "Aria")
NOTE_BEATS = 0.125  # written length of a drum hit where the source has none (drums ignore it)


# --------------------------------------------------------------------------------- packages


def fetch_packages(workdir: Path) -> Path:
    """`apt-get download` the six packages into `workdir` and unpack them into workdir/x."""
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=workdir, check=True)
    return unpack_debs(workdir, workdir / "x")


def unpack_debs(folder: Path, target: Path) -> Path:
    """`dpkg -x` every .deb in `folder` into `target` (one tree, like an installed system)."""
    target.mkdir(parents=True, exist_ok=True)
    for deb in sorted(folder.glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(target)], check=True)
    return target


def package_version(root: Path, package: str, debs: Path | None) -> str:
    """The Debian version of `package`: from its .deb file name, else its changelog."""
    if debs is not None:
        for deb in debs.glob(f"{package}_*.deb"):
            return deb.name.split("_")[1].replace("%3a", ":")
    changelog = root / "usr/share/doc" / package / "changelog.Debian.gz"
    if changelog.is_file():
        with gzip.open(changelog, "rt", encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        match = re.match(r"\S+ \(([^)]+)\)", first)
        if match:
            return match.group(1)
    return "unknown"


def drum_sequence(notes, *, qpm: float, signatures=None, source: str = "") -> Sequence:
    """One drum track from (pitch, velocity, start_beat, duration) rows, with a tempo and metre."""
    track = Track.from_notes(notes, is_drum=True, program=0, name="drums")
    return Sequence(
        [track],
        [Tempo(0.0, float(qpm))],
        signatures or [TimeSignature(0.0, 4, 4)],
        ppq=480,
        source=source,
    )


def bars_of(sequence: Sequence) -> int:
    """Number of bars (of the piece's own metre) up to the end of its last note."""
    return len(sequence.downbeats())


# ---------------------------------------------------------------------------------- MMA


def mma_grooves(root: Path) -> list[tuple[str, str]]:
    """(style, groove) for every `DefGroove` in MMA's stdlib, in file order, no repeats."""
    out = []
    for lib in sorted((root / "usr/share/mma/lib/stdlib").glob("*.mma")):
        seen = set()
        for line in lib.read_text(encoding="latin-1").splitlines():
            match = re.match(r"\s*DefGroove\s+(\S+)", line, re.IGNORECASE)
            if match and match.group(1).upper() not in seen:
                seen.add(match.group(1).upper())
                out.append((lib.stem, match.group(1)))
    return out


def _mma_song(style: str, groove: str) -> str:
    lines = [
        "// written by latentjam scripts/build_drum_corpus.py",
        f"RndSeed {MMA_SEED}",
        f"Use stdlib/{style}",
        f"Groove {groove}",
        # pitched tracks off: they neither sound nor draw from the random generator, so the
        # drum output depends only on the groove's drum tracks and the seed
        f"AllTracks {' '.join(MMA_PITCHED)} Off",
    ]
    chords = [MMA_CHORDS[i % len(MMA_CHORDS)] for i in range(MMA_BARS)]
    return "\n".join(lines + chords) + "\n"


def _run_mma(root: Path, song: str, workdir: Path, stem: str) -> Sequence:
    mma_home = root / "usr/share/mma"
    src, mid = workdir / f"{stem}.mma", workdir / f"{stem}.mid"
    src.write_text(song, encoding="utf-8")
    env = dict(os.environ, MMA_HOME=str(mma_home))
    proc = subprocess.run(
        [sys.executable, str(root / "usr/bin/mma"), str(src), "-f", str(mid)],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=120,
    )
    if "No data created" in proc.stdout + proc.stderr:
        raise RuntimeError("no drum tracks in this groove (MMA made no data with them alone)")
    if proc.returncode != 0 or not mid.is_file():
        message = (proc.stdout + proc.stderr).strip().splitlines()
        errors = [m for m in message if m.startswith("Error")] or message[-1:] or ["no output"]
        raise RuntimeError(f"MMA failed: {' '.join(errors)[:200]}")
    return read_midi(mid)


def render_groove(args: tuple[str, str, str, str]) -> dict:
    """Render one groove with MMA; return its drum notes and a fingerprint, or a reason."""
    root, workdir, style, groove = args
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", f"{style}-{groove}")
    try:
        song = _run_mma(Path(root), _mma_song(style, groove), Path(workdir), stem)
    except (RuntimeError, InvalidMidiError, subprocess.TimeoutExpired) as exc:
        return {"style": style, "groove": groove, "error": str(exc)}
    drums = song.merged(drums=True)
    if len(drums) == 0:
        return {"style": style, "groove": groove, "error": "no drum notes"}
    key = np.stack([drums.pitch, drums.velocity, np.rint(drums.start * 480)]).astype(np.int64)
    sig = tuple((ts.beat, ts.numerator, ts.denominator) for ts in song.time_signatures)
    fingerprint = hashlib.sha1(key.tobytes() + repr(sig).encode()).hexdigest()
    return {
        "style": style,
        "groove": groove,
        "fingerprint": fingerprint,
        "notes": [tuple(n) for n in drums.notes],
        "qpm": song.tempos[0].qpm,
        "signatures": [tuple(ts) for ts in song.time_signatures],
    }


def build_mma(
    root: Path,
    out: Path,
    jobs: int,
    entries: dict,
    skipped: list,
    work: Path | None = None,
    version: str = "",
) -> None:
    """Render every stdlib groove with MMA; keep one file per distinct drum part.

    With `work`, the renders are kept in work/mma-VERSION.json and reused by a later run.
    """
    grooves = mma_grooves(root)
    saved = work / f"mma-{version}-seed{MMA_SEED}-bars{MMA_BARS}.json" if work else None
    if saved is not None and saved.is_file():
        results = json.loads(saved.read_text(encoding="utf-8"))
        print(f"mma: reusing {len(results)} renders from {saved}", flush=True)
    else:
        print(f"mma: rendering {len(grooves)} grooves on {jobs} processes", flush=True)
        with tempfile.TemporaryDirectory(prefix="latentjam-mma-") as tmp:
            tasks = [(str(root), tmp, style, groove) for style, groove in grooves]
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                results = list(pool.map(render_groove, tasks, chunksize=8))
        if saved is not None:
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(json.dumps(results), encoding="utf-8")
    kept: dict[str, str] = {}  # fingerprint -> file key
    for r in results:
        if "error" in r:
            skipped.append(
                {"source": "mma", "item": f"{r['style']}/{r['groove']}", "reason": r["error"]}
            )
            continue
        if r["fingerprint"] in kept:
            entries[kept[r["fingerprint"]]]["aliases"].append(f"{r['style']}/{r['groove']}")
            continue
        key = f"mma/{r['style']}/{r['groove']}.mid"
        seq = drum_sequence(
            r["notes"],
            qpm=r["qpm"],
            source=key,
            signatures=[TimeSignature(*s) for s in r["signatures"]],
        )
        write_midi(seq, out / key)
        kept[r["fingerprint"]] = key
        entries[key] = {
            "source": "mma",
            "style": r["style"],
            "name": r["groove"],
            "group": f"mma/{r['style']}",
            "bars": bars_of(seq),
            "notes": len(r["notes"]),
            "aliases": [],
        }
    print(
        f"mma: {len(kept)} distinct drum parts, "
        f"{sum(len(e['aliases']) for e in entries.values() if e['source'] == 'mma')} "
        f"duplicates folded, {sum(s['source'] == 'mma' for s in skipped)} skipped "
        "(no drums or failed; see index.json)",
        flush=True,
    )


# ----------------------------------------------------------------------------- Hydrogen

H2_TICKS_PER_BEAT = 48  # Hydrogen's pattern resolution (192 ticks per 4/4 bar)
H2_SWING_TICKS = 6  # MAX_NOTES / 32: off-beat 16ths are delayed by swing_factor * 6 ticks
H2_LEADLAG_TICKS = 5  # a note's leadlag (-1..1) moves it by up to 5 ticks


def _kit_notes(root: Path) -> dict[tuple[str, str], int]:
    """(drumkit name, instrument name) -> the kit's own MIDI out note (drumkit.xml)."""
    out = {}
    for xml in (root / "usr/share/hydrogen/data/drumkits").glob("*/drumkit.xml"):
        kit = ET.parse(xml).getroot()
        kit_name = kit.findtext("{*}name") or xml.parent.name
        for inst in kit.iter():
            if inst.tag.endswith("instrument") and inst.find("{*}midiOutNote") is not None:
                out[(kit_name, inst.findtext("{*}name"))] = int(inst.findtext("{*}midiOutNote"))
    return out


def h2song_sequence(path: Path, kit_notes: dict) -> tuple[Sequence, list[str]]:
    """Convert one .h2song (song mode: pattern columns in order) to a drum sequence."""
    song = ET.parse(path).getroot()
    notes_out, warnings = [], []
    pitch_of = {}
    for inst in song.find("instrumentList"):
        name, kit = inst.findtext("name"), inst.findtext("drumkit")
        kit_note = kit_notes.get((kit, name))
        pitch_of[inst.findtext("id")] = (
            kit_note if kit_note is not None else int(inst.findtext("midiOutNote"))
        )
    swing = float(song.findtext("swing_factor") or 0.0)
    patterns = {}
    for pat in song.find("patternList"):
        patterns[pat.findtext("name")] = pat
    beat = 0.0
    for column in song.find("patternSequence"):
        names = [p.text for p in column.iter("patternID")]
        length = 0
        for name in names:
            pat = patterns.get(name)
            if pat is None:
                warnings.append(f"unknown pattern {name!r}")
                continue
            length = max(length, int(pat.findtext("size")))
            for note in pat.find("noteList"):
                silent = float(note.findtext("probability") or 1) <= 0
                if note.findtext("note_off") == "true" or silent:
                    continue
                pos = int(note.findtext("position"))
                ticks = pos + H2_LEADLAG_TICKS * float(note.findtext("leadlag") or 0.0)
                if pos % 12 == 0 and pos % 24 != 0:
                    ticks += H2_SWING_TICKS * swing
                velocity = int(np.clip(round(float(note.findtext("velocity")) * 127), 1, 127))
                notes_out.append(
                    (
                        pitch_of[note.findtext("instrument")],
                        velocity,
                        beat + ticks / H2_TICKS_PER_BEAT,
                        NOTE_BEATS,
                    )
                )
        beat += length / H2_TICKS_PER_BEAT
    return drum_sequence(notes_out, qpm=float(song.findtext("bpm")), source=path.name), warnings


def build_hydrogen(root: Path, out: Path, entries: dict, skipped: list) -> None:
    """Every Hydrogen demo song, played through its pattern sequence."""
    kit_notes = _kit_notes(root)
    for path in sorted((root / "usr/share/hydrogen/data/demo_songs").glob("*.h2song")):
        try:
            seq, warnings = h2song_sequence(path, kit_notes)
        except (ET.ParseError, ValueError, TypeError, KeyError, AttributeError) as exc:
            skipped.append({"source": "hydrogen", "item": path.name, "reason": repr(exc)})
            continue
        if not len(seq.tracks[0]):
            skipped.append({"source": "hydrogen", "item": path.name, "reason": "no notes"})
            continue
        key = f"hydrogen/{path.stem}.mid"
        write_midi(seq, out / key)
        entries[key] = {
            "source": "hydrogen",
            "style": path.stem,
            "name": path.stem,
            "group": key,
            "bars": bars_of(seq),
            "notes": len(seq.tracks[0]),
            "warnings": warnings,
        }
    print(f"hydrogen: {sum(e['source'] == 'hydrogen' for e in entries.values())} songs", flush=True)


# ------------------------------------------------------------------------------- TK-707

# which sound map and tempo each demo file is meant for (tk707 manual, "Sound maps" section)
TK707_SETUP = {
    "demo": ("707.map", 120.0),
    "son-montuno": ("727.map", 200.0),
    "carioca": ("7b7.map", 220.0),
}
# step length per pattern scale: 16ths, 32nds, triplets, sextuplets
TK707_STEP_BEATS = {0: 0.25, 1: 0.125, 2: 1 / 3, 3: 1 / 6}
TK707_ACCENT = {0: 1 / 3, 2: 2 / 3, 4: 1.0}  # tk707's own MIDI export: none / weak / strong accent
TK707_FLAM_BEATS = 4 / 120  # 4 ticks at tk707's 120 ticks per quarter, times the flam interval


def parse_tcl_list(text: str) -> list:
    """A Tcl list (braces, words) as nested Python lists of strings; '#' lines are comments."""
    body = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    stack: list[list] = [[]]
    for token in re.findall(r"[{}]|[^\s{}]+", body):
        if token == "{":
            stack.append([])
        elif token == "}":
            if len(stack) == 1:
                raise ValueError("unbalanced '}'")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise ValueError("unbalanced '{'")
    return stack[0]


def tk707_map(path: Path) -> list[int]:
    """The 16 MIDI keys of a TK-707 sound map, instrument 1..16 -> index 0..15."""
    entries = parse_tcl_list(path.read_text(encoding="latin-1"))
    return [int(e[3][0] if isinstance(e[3], list) else e[3]) for e in entries]


def _tk707_pattern(notes, props, pprops, keys, start: float) -> tuple[list, float]:
    last_step, scale, flam = int(pprops[0]), int(pprops[1]), int(pprops[2])
    step = TK707_STEP_BEATS[scale]
    out = []
    for k in range(last_step):
        for idx, inst in enumerate(notes[k]):
            prop = int(props[k][idx]) if idx < len(props[k]) else 0
            if prop & 8:  # zero-velocity note: silent
                continue
            velocity = max(1, int(127 * TK707_ACCENT[prop & 6] + 0.5))
            pitch, t = keys[int(inst) - 1], start + k * step
            out.append((pitch, velocity, t, NOTE_BEATS))
            if flam and prop & 1:
                out.append((pitch, velocity, t + flam * TK707_FLAM_BEATS, NOTE_BEATS))
    return out, last_step * step


def build_tk707(root: Path, out: Path, entries: dict, skipped: list) -> None:
    """TK-707 demo files: each non-empty track (song) and each pattern no track uses."""
    share = root / "usr/share/tk707"
    for dat in sorted(share.glob("*.dat")):
        map_name, qpm = TK707_SETUP.get(dat.stem, ("707.map", 120.0))
        try:
            keys = tk707_map(share / map_name)
            notes, props, pprops, tracks = parse_tcl_list(dat.read_text(encoding="latin-1"))[0]
        except (ValueError, IndexError) as exc:
            skipped.append({"source": "tk707", "item": dat.name, "reason": repr(exc)})
            continue

        pieces, used = [], set()
        for n, track in enumerate(tracks):
            if track:
                pieces.append((f"{dat.stem}-track{n + 1}", [int(p) for p in track]))
                used.update(int(p) for p in track)
        for pid in range(64):
            grp, pat = divmod(pid, 16)
            if pid not in used and any(notes[grp][pat]):
                length = int(pprops[grp][pat][0]) * TK707_STEP_BEATS[int(pprops[grp][pat][1])]
                name = f"{dat.stem}-pattern-{'ABCD'[grp]}{pat + 1}"
                pieces.append((name, [pid] * max(1, math.ceil(8.0 / length))))  # 2 bars' worth
        for name, pids in pieces:
            rows, beat = [], 0.0
            for pid in pids:
                grp, pat = divmod(pid, 16)
                more, length = _tk707_pattern(
                    notes[grp][pat], props[grp][pat], pprops[grp][pat], keys, beat
                )
                rows += more
                beat += length
            if not rows:
                skipped.append({"source": "tk707", "item": name, "reason": "no notes"})
                continue
            key = f"tk707/{name}.mid"
            seq = drum_sequence(rows, qpm=qpm, source=key)
            write_midi(seq, out / key)
            entries[key] = {
                "source": "tk707",
                "style": dat.stem,
                "name": name,
                "group": key,
                "bars": bars_of(seq),
                "notes": len(rows),
                "sound_map": map_name,
            }
    print(f"tk707: {sum(e['source'] == 'tk707' for e in entries.values())} pieces", flush=True)


# -------------------------------------------------------------------------- game MIDI sets

GAME_SETS = {
    "simutrans": ("simutrans-data", "usr/share/games/simutrans/music"),
    "openmsx": ("openttd-openmsx", "usr/share/games/openttd/baseset/openmsx"),
}


# A song whose onsets fall near a sixteenth no more often than random times would (1 in 5 within
# a tenth of a step) was not written on the file's beat grid: its hits land on the grid's steps
# by chance, so a two-bar grid of it says nothing about its groove. Ten Freedoom songs are like
# this (0.19-0.24); the lowest share of any other bundled song is 0.33.
MIN_ONSETS_NEAR_GRID = 0.28


def onsets_near_grid(starts: np.ndarray) -> float:
    """Share of onsets (in quarter notes) within a tenth of a sixteenth-note step of the grid."""
    phase = (np.asarray(starts) * 4) % 1.0
    return float(np.mean(np.minimum(phase, 1 - phase) < 0.1))


def add_drum_track(
    midi: Path | bytes, source: str, stem: str, item: str, out: Path, entries: dict, skipped: list
) -> None:
    """The GM drum track (channel 10) of one song (a file or its bytes) as `source/stem.mid`,
    tempo and metre maps kept; a song that does not read, has no drums or whose drums are off
    the beat grid (`MIN_ONSETS_NEAR_GRID`) goes to `skipped`."""
    try:
        song = read_midi(midi)
    except InvalidMidiError as exc:
        skipped.append({"source": source, "item": item, "reason": str(exc)})
        return
    drums = song.merged(drums=True)
    if len(drums) == 0:
        skipped.append({"source": source, "item": item, "reason": "no drum track"})
        return
    near = onsets_near_grid(drums.start)
    if near < MIN_ONSETS_NEAR_GRID:
        reason = "drums off the beat grid (onsets near a sixteenth no more often than by chance)"
        skipped.append(
            {"source": source, "item": item, "reason": reason, "onsets_near_grid": round(near, 3)}
        )
        return
    drums.name, drums.program = "drums", 0
    key = f"{source}/{stem}.mid"
    seq = Sequence([drums], song.tempos, song.time_signatures, ppq=480, source=key)
    write_midi(seq, out / key)
    entries[key] = {
        "source": source,
        "style": stem,
        "name": stem,
        "group": key,
        "bars": bars_of(seq),
        "notes": len(drums),
    }


def build_game_midi(root: Path, out: Path, source: str, entries: dict, skipped: list) -> None:
    """The GM drum tracks (channel 10) of a game's MIDI songs, tempo and metre maps kept."""
    for path in sorted((root / GAME_SETS[source][1]).glob("*.mid")):
        add_drum_track(path, source, path.stem, path.name, out, entries, skipped)
    print(f"{source}: {sum(e['source'] == source for e in entries.values())} songs", flush=True)


FREEDOOM_WADS = ("freedoom1.wad", "freedoom2.wad")
FREEDOOM_FOLDER = "usr/share/games/doom"


def wad_music(path: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of the music lumps (D_*) of a Doom WAD: its 12-byte header says how many
    16-byte directory entries (offset, size, 8-byte name) start where."""
    data = path.read_bytes()
    magic, count, directory = struct.unpack_from("<4sii", data, 0)
    if magic not in (b"IWAD", b"PWAD"):
        raise ValueError(f"{path.name} is not a WAD file")
    lumps = []
    for i in range(count):
        offset, size, raw = struct.unpack_from("<ii8s", data, directory + 16 * i)
        name = raw.rstrip(b"\0").decode("ascii", "replace")
        if name.startswith("D_"):
            lumps.append((name[2:], data[offset : offset + size]))
    return lumps


def build_freedoom(root: Path, out: Path, entries: dict, skipped: list) -> None:
    """The GM drum tracks of Freedoom's music (MIDI lumps inside its two WAD files); a lump that
    repeats an earlier one byte for byte is kept once."""
    seen: dict[str, str] = {}
    for wad in FREEDOOM_WADS:
        for name, lump in wad_music(root / FREEDOOM_FOLDER / wad):
            item = f"{wad}:{name}"
            digest = hashlib.sha1(lump).hexdigest()
            if digest in seen:
                skipped.append(
                    {"source": "freedoom", "item": item, "reason": f"same as {seen[digest]}"}
                )
                continue
            seen[digest] = item
            stem = f"{Path(wad).stem}_{name.lower()}"
            add_drum_track(lump, "freedoom", stem, item, out, entries, skipped)
    print(f"freedoom: {sum(e['source'] == 'freedoom' for e in entries.values())} songs", flush=True)


# ------------------------------------------------------------------------------ reporting


def window_counts(out: Path, entries: dict) -> dict | None:
    """2-bar windows (1-bar hop) per file with the project's DrumGrid, or None if unavailable."""
    try:
        from latentjam.convert import DrumGrid
    except ImportError:
        return None
    grid = DrumGrid(bars=2)
    return {key: len(grid.windows(read_midi(out / key))) for key in entries}


SOURCE_TEXT = {
    "mma": (
        "mma",
        "GPL-2+",
        "Bob van der Poel (MMA, Musical MIDI Accompaniment) and the authors of its groove library",
        "Every `DefGroove` in `usr/share/mma/lib/stdlib/*.mma` is rendered by MMA itself (the "
        "package's `usr/bin/mma` run with this Python and `MMA_HOME` pointing at the package) "
        f"from a {MMA_BARS}-bar song file: `RndSeed {MMA_SEED}`, `Use stdlib/STYLE`, "
        "`Groove NAME`, all pitched tracks `Off`, and the chords "
        f"{' '.join(MMA_CHORDS)} repeated. MMA's own humanisation (the groove's RTime, RVolume, "
        "RSkip settings) stays on, made deterministic by the fixed seed; switching the pitched "
        "tracks off keeps them from drawing on the random generator, so a drum part depends only "
        "on the drum tracks and the seed. Grooves that differ only in their pitched tracks "
        "(e.g. the ...Sus variants) therefore render identical drums: each distinct drum part "
        "is kept once and the other groove names are listed as its `aliases` in index.json. "
        "MMA renders at 192 PPQ; onsets are re-written at 480 "
        "PPQ (rounded to the nearest tick).",
    ),
    "hydrogen": (
        "hydrogen-data",
        "GPL-2+",
        "the Hydrogen development team and the demo songs' authors "
        "(e.g. Artemio for the GM kit demos; see each song's <author>)",
        "Each demo song (`usr/share/hydrogen/data/demo_songs/*.h2song`, XML) is played through "
        "its pattern sequence (song mode; a column lasts as long as its longest pattern). "
        "Positions are at 48 ticks per quarter; velocity 0-1 becomes round(127 v); Hydrogen's "
        "song swing is applied as Hydrogen does (off-beat 16ths later by swing x 6 ticks), a "
        "note's leadlag moves it by leadlag x 5 ticks (all leadlags are 0 in these songs); "
        "Hydrogen's random humanisation is not applied. An instrument's pitch is its drum kit's "
        "midiOutNote from the kit's drumkit.xml (GMRockKit, TR808EmulationKit), else the song's.",
    ),
    "tk707": (
        "tk707",
        "GPL-2+",
        "Chris Willing and Pierre Saramito (TK-707)",
        "The three demo files (`usr/share/tk707/*.dat`, Tcl lists of 4 x 16 patterns of up to 16 "
        "steps) are read with the sound map and tempo the tk707 manual names for them (demo: "
        "707.map 120 qpm; son-montuno: 727.map 200 qpm; carioca: 7b7.map 220 qpm). Each "
        "non-empty track (the author's arrangement of patterns) becomes one file, and each "
        "pattern no track uses becomes a 2-bar loop. Step lengths follow the pattern's scale "
        "(16ths, 32nds, triplets, sextuplets) and last step; velocities follow tk707's MIDI "
        "export with all faders at 100% (no accent 42, weak 85, strong 127); a flam adds a second "
        "hit 4 x interval ticks (at 120 per quarter) later; zero-velocity notes are dropped.",
    ),
    "simutrans": (
        "simutrans-data",
        "Artistic-1.0 (debian/copyright, Files: *)",
        "the Simutrans team and the composers of its music (see music/music.tab)",
        "The notes on MIDI channel 10 of every song in `usr/share/games/simutrans/music`, "
        "merged into one drum track; the tempo and time-signature maps are kept.",
    ),
    "openmsx": (
        "openttd-openmsx",
        "GPL-2",
        "the OpenMSX authors (see the package's readme.txt)",
        "The notes on MIDI channel 10 of every song in "
        "`usr/share/games/openttd/baseset/openmsx`, merged into one drum track; the tempo and "
        "time-signature maps are kept.",
    ),
    "freedoom": (
        "freedoom",
        "BSD-3-Clause (debian/copyright: freedoom-license)",
        "the contributors to the Freedoom project (see the package's CREDITS)",
        "The music lumps (D_*, standard MIDI files) of `usr/share/games/doom/freedoom1.wad` "
        "and `freedoom2.wad`: the notes on MIDI channel 10 of each, merged into one drum track, "
        "tempo and time-signature maps kept; a lump identical to an earlier one is kept once. "
        "File names are the WAD's stem and the lump name without its D_ prefix.",
    ),
}


def write_sources(out: Path, index: dict, counts: dict | None) -> None:
    """SOURCES.md: each source's package, version, licence, attribution, conversion, counts."""
    entries = index["files"]
    lines = [
        "# The bundled drum corpus: sources, licences, conversion",
        "",
        "Built by `scripts/build_drum_corpus.py` from Debian packages (`apt-get download` + "
        "`dpkg -x`). Every file is a drum-only standard MIDI file at 480 PPQ (one track, "
        "channel 10). `index.json` gives each file's source, style, bars and note count, plus "
        "every item that was skipped and why. The corpus as a whole is distributed under the "
        "GPL (GPL-3.0-or-later, as the project; every source licence below allows that).",
        "",
        "| source | Debian package | version | licence | files | bars | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for source, (pkg, licence, _, _) in SOURCE_TEXT.items():
        mine = [e for e in entries.values() if e["source"] == source]
        lines.append(
            f"| {source} | {pkg} | {index['packages'].get(pkg, '?')} | {licence} | {len(mine)} "
            f"| {sum(e['bars'] for e in mine)} | {sum(e['notes'] for e in mine)} |"
        )
    for source, (pkg, licence, credit, how) in SOURCE_TEXT.items():
        lines += [
            "",
            f"## {source} ({pkg})",
            "",
            f"Licence: {licence}. Attribution: {credit}.",
            "",
            how,
        ]
        skipped = [s for s in index["skipped"] if s["source"] == source]
        if skipped:
            reasons = Counter(re.sub(r"<Line \d+>", "", s["reason"])[:80] for s in skipped)
            lines += [
                "",
                f"Skipped {len(skipped)}: "
                + "; ".join(f"{r} ({n})" for r, n in reasons.most_common()),
            ]
    lines += ["", "## 2-bar windows", ""]
    if counts is None:
        lines.append(
            "(latentjam.convert was not available when this was built: run "
            "`latentjam corpus info drums` for the counts.)"
        )
    else:
        per_source, per_style = Counter(), defaultdict(Counter)
        for key, n in counts.items():
            e = entries[key]
            per_source[e["source"]] += n
            per_style[e["source"]][e["style"]] += n
        lines += [
            "`DrumGrid(bars=2)` windows (hop 1 bar, starting on downbeats; "
            f"total {sum(per_source.values())}):",
            "",
            "| source | windows |",
            "| --- | --- |",
            *[f"| {s} | {per_source[s]} |" for s in SOURCE_TEXT],
            "",
            "Per style (MMA style file, Hydrogen song, TK-707 demo file, game song):",
            "",
        ]
        for source in SOURCE_TEXT:
            styles = sorted(per_style[source].items())
            lines.append(f"- **{source}**: " + ", ".join(f"{s} {n}" for s, n in styles))
    (out / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--debs",
        type=Path,
        help="unpacked packages (or .deb files); default: apt-get download into a temporary folder",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=2, help="processes rendering MMA grooves")
    parser.add_argument(
        "--work",
        type=Path,
        help="keep MMA's renders here and reuse them on the next run (default: render afresh)",
    )
    parser.add_argument(
        "--counts-only",
        action="store_true",
        help="only recount the 2-bar windows of an existing build and rewrite SOURCES.md",
    )
    args = parser.parse_args(argv)
    if args.counts_only:
        index = json.loads((args.out / "index.json").read_text(encoding="utf-8"))
        counts = window_counts(args.out, index["files"])
        write_sources(args.out, index, counts)
        print(f"2-bar windows: {sum(counts.values()) if counts else 'unavailable'}")
        return 0

    with tempfile.TemporaryDirectory(prefix="latentjam-debs-") as tmp:
        debs = None
        if args.debs is None:
            debs = Path(tmp)
            root = fetch_packages(debs)
        elif any(args.debs.glob("*.deb")) and not (args.debs / "usr").is_dir():
            debs = args.debs
            root = unpack_debs(args.debs, Path(tmp) / "x")
        else:
            root = args.debs
            if not (root / "usr/share/mma").is_dir() and (root / "x/usr/share/mma").is_dir():
                debs, root = root, root / "x"
        packages = {p: package_version(root, p, debs) for p in PACKAGES}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="drums-", dir=args.out.parent))
        entries: dict = {}
        skipped: list = []
        try:
            build_mma(root, staging, args.jobs, entries, skipped, args.work, packages["mma"])
            build_hydrogen(root, staging, entries, skipped)
            build_tk707(root, staging, entries, skipped)
            for source in GAME_SETS:
                build_game_midi(root, staging, source, entries, skipped)
            build_freedoom(root, staging, entries, skipped)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    index = {
        "version": 1,
        "packages": packages,
        "mma": {"seed": MMA_SEED, "bars": MMA_BARS},
        "files": dict(sorted(entries.items())),
        "skipped": skipped,
    }
    (staging / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    counts = window_counts(staging, entries)
    write_sources(staging, index, counts)
    # swap the finished build in (the old one is removed only after the new one is complete)
    old = args.out.with_name(args.out.name + ".old")
    if args.out.exists():
        os.replace(args.out, old)
    os.replace(staging, args.out)
    shutil.rmtree(old, ignore_errors=True)
    total = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(
        f"wrote {len(entries)} files ({total / 1e6:.2f} MB) to {args.out}; skipped {len(skipped)}",
        flush=True,
    )
    if counts is not None:
        print(f"2-bar windows: {sum(counts.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
