"""Session memory in the jam: does the recall knob bring earlier moments back, monotonically?

Scripted sessions of 64 calls through the jam's own session code at default knobs (temperature
0.5, radius 0.3): 8 two-bar grooves from the drum corpus's test split played in a form that keeps
coming back (A B A C A B A D, eight times), one session per recall amount (0, 0.25, 0.5, 0.75,
1) and per seed. Measured per session:

- recalled share: replies whose latent point lies within the memory's threshold (0.3 x the
  corpus spread) of an earlier reply's point (the session answering as it did before);
- information rate: the session oracle's mean IR at the end (how much the session both
  repeats and renews itself);
- whether both rise with the knob, and that recall 0 gives exactly the replies without memory.

    python benchmarks/jam_memory.py [--model drums] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from results_file import write_results

RESULTS = Path(__file__).parent / "results" / "jam_memory.json"
AMOUNTS = (0.0, 0.25, 0.5, 0.75, 1.0)
FORM = "ABACABAD" * 8


def grooves(jam_model, n: int = 8) -> list[list[dict]]:
    """`n` distinct test-split windows with at least 8 hits, as call notes."""
    from latentjam.convert import DrumGrid
    from latentjam.corpora import load_corpus

    x = load_corpus("drums", DrumGrid(), "test", progress=False)
    rng = np.random.default_rng(0)
    busy = np.flatnonzero((x[..., :9] > 0.5).sum(axis=(1, 2)) >= 8)
    chosen = rng.choice(busy, n, replace=False)
    return [
        [note.to_json() for note in jam_model.windows_to_notes(x[i : i + 1], 2, 120.0)]
        for i in chosen
    ]


def session_run(jam_model, calls: list[list[dict]], recall: float, seed: int) -> dict:
    """One scripted session; returns its figures and its replies' notes."""
    from latentjam.jam.protocol import parse_message
    from latentjam.jam.session import Session

    models = {jam_model.name: {"kind": jam_model.kind, "attributes": sorted(jam_model.attributes)}}
    session = Session(jam_model, f"r{recall}", seed=seed)
    threshold = jam_model.memory_threshold
    latents, near, recalled, notes = [], 0, 0, []
    for k, letter in enumerate(FORM):
        msg = {
            "type": "call",
            "notes": calls["ABCD".index(letter) + (4 if k % 16 >= 8 else 0)],
            "params": {"recall": recall, "seed": seed * 1000 + k},
        }
        event = session.respond(
            parse_message(msg, models=models, default_model=jam_model.name).call
        )
        z = session.history[-1].reply_latent
        if latents and np.min(np.linalg.norm(np.asarray(latents) - z, axis=1)) < threshold:
            near += 1
        latents.append(z)
        recalled += "recalled" in event["memory"]
        notes.append(event["notes"])
    return {
        "recalled_share": near / len(FORM),
        "replies_drawn_towards_memory": recalled / len(FORM),
        "information_rate": session.memory.information_rate(),
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    from latentjam.jam.session import load_jam_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="drums")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", default=str(RESULTS))
    args = ap.parse_args(argv)
    jam_model = load_jam_model(args.model)
    calls = grooves(jam_model)
    rows = {}
    for recall in AMOUNTS:
        runs = [session_run(jam_model, calls, recall, seed) for seed in range(args.seeds)]
        rows[recall] = runs
        print(
            json.dumps(
                {
                    "recall": recall,
                    "recalled_share": [round(r["recalled_share"], 3) for r in runs],
                    "information_rate": [round(r["information_rate"], 3) for r in runs],
                }
            ),
            flush=True,
        )
    mean = {
        key: [float(np.mean([r[key] for r in rows[a]])) for a in AMOUNTS]
        for key in ("recalled_share", "information_rate", "replies_drawn_towards_memory")
    }
    # recall 0 must be today's jam: the same session without any memory gives the same notes
    from latentjam.jam.memory import SessionMemory

    class Forgetful(SessionMemory):
        def proposal(self, state):  # a memory that never proposes anything
            return None

    import latentjam.jam.session as session_module

    real = session_module.SessionMemory
    session_module.SessionMemory = Forgetful
    try:
        plain = session_run(jam_model, calls, 0.0, 0)
    finally:
        session_module.SessionMemory = real
    result = {
        "model": args.model,
        "calls_per_session": len(FORM),
        "seeds": args.seeds,
        "amounts": list(AMOUNTS),
        "threshold": jam_model.memory_threshold,
        "mean": mean,
        "monotonic": {key: bool(np.all(np.diff(v) >= -1e-9)) for key, v in mean.items()},
        "recall_0_equals_no_memory": plain["notes"] == rows[0.0][0]["notes"],
        "command": f"python benchmarks/jam_memory.py --model {args.model} --seeds {args.seeds}",
    }
    print(json.dumps({k: v for k, v in result.items() if k != "amounts"}, indent=1))
    write_results(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
