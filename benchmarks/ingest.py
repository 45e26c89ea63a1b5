"""Ingest speed: real MIDI -> drum grids / melody one-hots, latentjam vs a pretty_midi converter.

The reference is a straightforward converter written here: pretty_midi parses the file, and
plain Python loops build the same windows with the same rules (16th-note steps at 480 ticks per
quarter, downbeat windows, loudest drum note per class and step, highest-note melody). Every
file's tensors from both converters are asserted equal before anything is timed.

Files: the Debian game MIDI (simutrans-data, openttd-openmsx), MMA's MIDI files (mma package),
and music21 corpus tunes (Ryan's Mammoth) written to MIDI by music21 into a temporary folder.

    python benchmarks/ingest.py            # full run, ~10 minutes on 2 shared cores
    python benchmarks/ingest.py --quick    # < 1 minute
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from debs import debian_share
from latentjam.convert import DrumGrid, MelodyOneHot
from latentjam.convert.drums import MAPPINGS, N_CLASSES
from latentjam.midi import read_midi
from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "ingest.json"
BARS = 2
STEPS = 16 * BARS
TARGET = 20.0

# ---------------------------------------------------------------------------------------------
# latentjam: compiled parser + vectorised numpy converters


def ours(kind: str, path: str) -> np.ndarray:
    """Windows of one file with latentjam: (n, 32, 27) drums or (n, 32, 90) melody."""
    conv = DrumGrid(bars=BARS) if kind == "drums" else MelodyOneHot(bars=BARS)
    return conv.windows(read_midi(path))


# ---------------------------------------------------------------------------------------------
# reference: pretty_midi + plain Python, one note at a time


def _pm_load(path: str):
    """(notes, signatures) from pretty_midi: notes as (is_drum, pitch, velocity, start tick,
    end tick, ppq), signatures as (tick, numerator, denominator)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(path)
    ppq = pm.resolution
    notes = []
    for inst in pm.instruments:
        for n in inst.notes:
            notes.append(
                (
                    inst.is_drum,
                    n.pitch,
                    n.velocity,
                    pm.time_to_tick(n.start),
                    pm.time_to_tick(n.end),
                    ppq,
                )
            )
    sigs = [
        (pm.time_to_tick(ts.time), ts.numerator, ts.denominator)
        for ts in pm.time_signature_changes
        if ts.numerator > 0 and ts.denominator > 0
    ]
    return notes, sigs, ppq


def _ref_window_starts(sigs, ppq, last_onset: float, hop: int = 1) -> list[float]:
    """Downbeats (beats) of complete 4-quarter-note-bar windows, as latentjam defines them."""
    by_beat = {}
    for tick, num, den in sorted(sigs, key=lambda s: s[0]):
        by_beat[tick / ppq] = (num, den)  # the last signature at a beat wins
    sigs = sorted(by_beat.items())
    if not sigs or sigs[0][0] > 0:
        sigs.insert(0, (0.0, (4, 4)))
    downbeats = []
    until = last_onset + 1e-6
    for i, (beat, (num, den)) in enumerate(sigs):
        stop = sigs[i + 1][0] if i + 1 < len(sigs) else until
        while beat < stop - 1e-9:
            downbeats.append(beat)
            beat += num * 4.0 / den
    if not downbeats:
        return []
    num, den = next(s for b, s in reversed(sigs) if b <= downbeats[-1])
    final = downbeats[-1] + num * 4.0 / den
    return [d for d in downbeats[::hop] if d + 4.0 * BARS <= final + 1e-9]


def _tick480(tick: int, ppq: int) -> int:
    return int(np.rint(tick / ppq * 480))


def ref_drums(path: str, loaded=None) -> np.ndarray:
    """Drum windows (n, 32, 27) with pretty_midi and Python loops."""
    notes, sigs, ppq = loaded or _pm_load(path)
    table = MAPPINGS["gm"]
    hits = []  # (tick480, class, velocity)
    for is_drum, pitch, velocity, start, _end, _ in notes:
        if is_drum and velocity > 0 and table[pitch] >= 0:
            hits.append((_tick480(start, ppq), int(table[pitch]), velocity))
    if not hits:
        return np.zeros((0, STEPS, 27), dtype=np.float32)
    windows = []
    for beat in _ref_window_starts(sigs, ppq, max(h[0] for h in hits) / 480):
        origin = int(np.rint(beat * 480))
        best = {}  # (step, class) -> (velocity, -offset)
        for tick, cls, velocity in hits:
            t = tick - origin
            step = (t + 60) // 120
            if 0 <= step < STEPS:
                key = (velocity, -(t - step * 120))
                if (step, cls) not in best or key > best[(step, cls)]:
                    best[(step, cls)] = key
        if not best:
            continue
        x = np.zeros((STEPS, 27), dtype=np.float32)
        for (step, cls), (velocity, neg_offset) in best.items():
            offset = -neg_offset
            if step == 0 and offset < 0:
                offset = 0
            x[step, cls] = 1.0
            x[step, N_CLASSES + cls] = np.float32(velocity) / np.float32(127.0)
            x[step, 2 * N_CLASSES + cls] = np.float32(offset) / np.float32(60)
        windows.append(x)
    return np.array(windows, dtype=np.float32).reshape(-1, STEPS, 27)


def ref_melody(path: str, loaded=None) -> np.ndarray:
    """Melody windows (n, 32, 90) with pretty_midi and Python loops."""
    notes, sigs, ppq = loaded or _pm_load(path)
    pitched = []  # (start tick480, end tick480, pitch)
    for is_drum, pitch, _velocity, start, end, _ in notes:
        if not is_drum and 21 <= pitch <= 108:
            pitched.append((_tick480(start, ppq), _tick480(end, ppq), pitch))
    if not pitched:
        return np.zeros((0, STEPS, 90), dtype=np.float32)
    last = max((s + 60) // 120 for s, _, _ in pitched) / 4
    windows = []
    for beat in _ref_window_starts(sigs, ppq, last):
        origin = int(np.rint(beat * 480))
        top = [-1] * STEPS
        struck = [set() for _ in range(STEPS)]
        for start, end, pitch in pitched:
            s = (start - origin + 60) // 120
            e = max((end - origin + 60) // 120, s + 1)
            for step in range(max(s, 0), min(e, STEPS)):
                top[step] = max(top[step], pitch)
            if 0 <= s < STEPS:
                struck[s].add(pitch)
        codes, prev = [], -1
        for step in range(STEPS):
            if top[step] >= 0 and (top[step] != prev or top[step] in struck[step]):
                codes.append(top[step] - 21 + 2)
            elif top[step] < 0 and prev >= 0:
                codes.append(1)
            else:
                codes.append(0)
            prev = top[step]
        if any(c >= 2 for c in codes):
            x = np.zeros((STEPS, 90), dtype=np.float32)
            x[np.arange(STEPS), codes] = 1.0
            windows.append(x)
    return np.array(windows, dtype=np.float32).reshape(-1, STEPS, 90)


def reference(kind: str, path: str, loaded=None) -> np.ndarray:
    """The reference pipeline: pretty_midi parse (unless `loaded` is given) + Python loops."""
    return ref_drums(path, loaded) if kind == "drums" else ref_melody(path, loaded)


def ours_on_pretty_midi_notes(kind: str, loaded) -> np.ndarray:
    """latentjam's converter applied to the notes pretty_midi read (isolates the converters from
    the two parsers' different pairing of overlapping note-ons of one pitch)."""
    from latentjam.music import Sequence, TimeSignature, Track

    notes, sigs, ppq = loaded
    tracks = []
    for drum in (True, False):
        rows = [(p, v, s / ppq, (e - s) / ppq) for d, p, v, s, e, _ in notes if d == drum]
        tracks.append(Track.from_notes(rows, is_drum=drum))
    by_beat = {tick / ppq: TimeSignature(tick / ppq, n, d) for tick, n, d in sorted(sigs)}
    signatures = sorted(by_beat.values())
    if not signatures or signatures[0].beat > 0:
        signatures.insert(0, TimeSignature(0.0, 4, 4))
    conv = DrumGrid(bars=BARS) if kind == "drums" else MelodyOneHot(bars=BARS)
    return conv.windows(Sequence(tracks, time_signatures=signatures, ppq=ppq))


# ---------------------------------------------------------------------------------------------
# files and timing


def shown(path: str) -> str:
    """A file as the results list it: from its package's usr/share (no machine's folders)."""
    _, sep, tail = str(path).partition("/usr/share/")
    return f"usr/share/{tail}" if sep else Path(path).name


def gather_files(n_tunes: int, tmp: Path) -> dict[str, list[str]]:
    """Real MIDI files by origin; music21 tunes are written to `tmp` by music21."""
    debs = debian_share()  # fetched into the cache on first use
    games = sorted(str(p) for p in (debs / "games").rglob("*.mid"))
    mma = sorted(str(p) for p in (debs / "mma").rglob("*.mid"))
    mma += sorted(str(p) for p in (debs / "doc" / "mma").rglob("*.mid"))
    tunes = []
    if n_tunes:
        from music21 import corpus

        paths = sorted(
            p for p in corpus.corpora.CoreCorpus().getPaths() if "ryansMammoth" in str(p)
        )
        for p in paths[:: max(1, len(paths) // n_tunes)][:n_tunes]:
            out = tmp / (Path(p).stem + ".mid")
            try:
                corpus.parse(p).write("midi", fp=str(out))
                tunes.append(str(out))
            except Exception:  # a few tunes fail to expand their repeats
                continue
    return {"game": games, "mma": mma, "music21": tunes}


def _batch(args):
    fn, kind, paths = args
    return sum(len(fn(kind, p)) for p in paths)


def timed(fn, kind, paths, pool=None, workers=1) -> tuple[float, int]:
    """Seconds to convert every file in `paths`, and the number of windows made."""
    t0 = time.perf_counter()
    if pool is None:
        n = _batch((fn, kind, paths))
    else:
        chunks = [paths[i :: workers * 4] for i in range(workers * 4)]
        n = sum(pool.map(_batch, [(fn, kind, c) for c in chunks]))
    return time.perf_counter() - t0, n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subset, < 1 minute")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    repeats = args.repeats or 3

    with tempfile.TemporaryDirectory() as tmp:
        groups = gather_files(4 if args.quick else 150, Path(tmp))
        if args.quick:
            groups = {k: v[:: max(1, len(v) // 4)][:4] for k, v in groups.items()}
        unreadable = []  # files pretty_midi (mido) refuses: not timed, listed in the results
        pm_notes = {}
        for v in groups.values():
            for p in list(v):
                try:
                    pm_notes[p] = _pm_load(p)
                except Exception as exc:  # mido raises many types
                    unreadable.append(f"{shown(p)}: {type(exc).__name__}: {exc}")
                    v.remove(p)
        files = [p for v in groups.values() for p in v]
        print(
            f"{len(files)} files: "
            + ", ".join(f"{k} {len(v)}" for k, v in groups.items())
            + f" ({len(unreadable)} more that pretty_midi cannot read are left out)"
        )

        # correctness first. (1) The converters: latentjam's on pretty_midi's notes must give
        # the reference's tensors on every file. (2) The whole pipelines (parser + converter):
        # identical except where the parsers pair overlapping note-ons of one pitch differently
        # (symusic: first-in first-out, an unclosed note-on is dropped; pretty_midi: a note-off
        # closes every open note of its pitch); those files are counted and listed.
        mismatched = {"drums": [], "melody": []}
        parser_differs = {"drums": [], "melody": []}
        windows = {"drums": 0, "melody": 0}
        for p in files:
            loaded = pm_notes.pop(p)
            for kind in ("drums", "melody"):
                a, b = ours(kind, p), reference(kind, p, loaded)
                c = ours_on_pretty_midi_notes(kind, loaded)
                windows[kind] += len(a)
                if c.shape != b.shape or not np.array_equal(c, b):
                    mismatched[kind].append(f"{shown(p)}: ours {c.shape} vs reference {b.shape}")
                elif a.shape != b.shape or not np.array_equal(a, b):
                    parser_differs[kind].append(shown(p))
        for kind, bad in mismatched.items():
            print(
                f"{kind}: {windows[kind]} windows; converters differ on {len(bad)} files; "
                f"note pairing of the two parsers changes the tensors of "
                f"{len(parser_differs[kind])} of {len(files)} files"
            )
            for line in bad[:10]:
                print("   ", line)

        rows = {}
        with ProcessPoolExecutor(args.workers) as pool:
            pool.map(_batch, [(ours, "drums", files[:1])] * args.workers)  # warm the workers
            for kind in ("drums", "melody"):
                times = {k: [] for k in ("ours_1", "ref_1", "ours_all", "ref_all")}
                for r in range(repeats):  # alternate which side goes first
                    order = [("ours", ours), ("ref", reference)]
                    for name, fn in order if r % 2 == 0 else order[::-1]:
                        times[f"{name}_1"].append(timed(fn, kind, files)[0])
                        times[f"{name}_all"].append(timed(fn, kind, files, pool, args.workers)[0])
                med = {k: statistics.median(v) for k, v in times.items()}
                rows[kind] = {
                    "files": len(files),
                    "windows": windows[kind],
                    **{f"{k}_seconds": round(v, 4) for k, v in med.items()},
                    **{f"{k}_files_per_s": round(len(files) / v, 1) for k, v in med.items()},
                    "speedup_1": round(med["ref_1"] / med["ours_1"], 1),
                    "speedup_all": round(med["ref_all"] / med["ours_all"], 1),
                }

    header = (
        f"{'kind':<7} {'files':>5} {'windows':>7} | {'ours 1 proc':>12} "
        f"{'ref 1 proc':>11} {'x':>6} | {'ours all':>9} {'ref all':>8} {'x':>6}"
        f"   (files/s, {args.workers} cores)"
    )
    print(header)
    for kind, r in rows.items():
        print(
            f"{kind:<7} {r['files']:>5} {r['windows']:>7} | {r['ours_1_files_per_s']:>12} "
            f"{r['ref_1_files_per_s']:>11} {r['speedup_1']:>6} | {r['ours_all_files_per_s']:>9} "
            f"{r['ref_all_files_per_s']:>8} {r['speedup_all']:>6}"
        )

    targets = []
    for kind, r in rows.items():
        for scope in ("1", "all"):
            value = r[f"speedup_{scope}"]
            where = "one process" if scope == "1" else f"all cores ({args.workers})"
            targets.append(
                {
                    "name": f"{kind} ingest vs pretty_midi converter, {where}",
                    "value": value,
                    "target": TARGET,
                    "unit": "x faster",
                    "met": bool(value >= TARGET),
                }
            )
        targets.append(
            {
                "name": f"{kind} tensors identical to the reference converter's (same notes in)",
                "value": len(mismatched[kind]),
                "target": 0,
                "unit": "files differing",
                "met": not mismatched[kind],
            }
        )
    result = {
        "benchmark": "ingest",
        "quick": args.quick,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "processor": platform.processor(),
            "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
        },
        "repeats": repeats,
        "workers": args.workers,
        "files": {k: len(v) for k, v in groups.items()},
        "rows": rows,
        "mismatched": mismatched,
        "parser_pairing_differs": parser_differs,
        "reference_unreadable": unreadable,
        "targets": targets,
    }
    print(f"wrote {write_results(RESULTS, result)}")
    return 0 if all(t["met"] for t in targets if "identical" in t["name"]) else 1


if __name__ == "__main__":
    sys.exit(main())
