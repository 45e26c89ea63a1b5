"""What a player gets from the jam at default knobs, measured through the jam's own session code.

- drums: calls of 1, 2 or 3 hits (random kick / snare / hi-hat, random steps) -> the share of
  replies with notes;
- melody: 2-bar calls from the test split -> the share of replies with notes in both bars;
- every attribute nudge from -3 to +3 on calls from the test split -> the mean attribute of the
  replies at each amount (monotonic or not), and at the lowest density nudge the share of empty
  replies and the mean hits against the corpus's sparsest grooves (5th percentile of hits).

    python benchmarks/jam_replies.py --model drums --json benchmarks/results/jam_replies_drums.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

AMOUNTS = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)


def _respond(jam_model, calls: list[dict]) -> list[dict]:
    from latentjam.jam.protocol import parse_message
    from latentjam.jam.session import Session, respond_batch

    info = {jam_model.name: {"kind": jam_model.kind, "attributes": list(jam_model.attributes)}}
    items = []
    for i, raw in enumerate(calls):
        msg = parse_message({"type": "call", "model": jam_model.name, **raw}, models=info)
        items.append((Session(jam_model, f"s{i}", seed=i), msg.call))
    events = []
    for start in range(0, len(items), 64):  # the server's batches are at most a bar's calls
        events += respond_batch(items[start : start + 64])
    return events


def _attribute(notes: list[dict], name: str) -> float:
    if not notes:
        return 0.0 if name == "density" else float("nan")
    if name == "density":
        return float(len(notes))
    if name == "velocity":
        return float(np.mean([n["velocity"] for n in notes]))
    if name == "offset":
        return float(np.mean([n.get("offset", 0.0) for n in notes]))
    if name == "pitch":
        return float(np.mean([n["pitch"] for n in notes]))
    raise ValueError(name)


def _test_calls(jam_model, n: int, seed: int) -> list[dict]:
    """Calls made of test-split windows of the model's corpus."""
    from latentjam.corpora import load_corpus

    corpus = str(jam_model.model.metadata.get("data", {}).get("source", "")).split(":", 1)[1]
    x = load_corpus(corpus, jam_model.converter, "test", progress=False)
    rng = np.random.default_rng(seed)
    x = x[rng.permutation(len(x))[: n * 2]]
    calls = []
    for window in x:
        notes = jam_model.windows_to_notes(window[None], 2, 120.0)
        if notes:
            calls.append({"bars": 2, "notes": [note.to_json() for note in notes]})
        if len(calls) == n:
            break
    return calls


def sparse_drum_calls(jam_model, tries: int, seed: int) -> dict:
    """Share of replies with notes for calls of 1, 2 and 3 hits."""
    rng = np.random.default_rng(seed)
    out = {}
    for hits in (1, 2, 3):
        calls = []
        for _ in range(tries):
            steps = rng.choice(32, hits, replace=False)
            pitches = rng.choice([36, 38, 42], hits)
            notes = [
                {"pitch": int(p), "velocity": 100, "step": int(s)}
                for p, s in zip(pitches, steps, strict=True)
            ]
            calls.append({"bars": 2, "notes": notes})
        replies = _respond(jam_model, calls)
        out[f"{hits}_hits"] = float(np.mean([len(r["notes"]) > 0 for r in replies]))
    out["all"] = float(np.mean(list(out.values())))
    return out


def melody_both_bars(jam_model, calls: list[dict]) -> dict:
    """Share of replies with notes in both bars."""
    replies = _respond(jam_model, calls)
    both = [
        any(n["step"] < 16 for n in r["notes"]) and any(n["step"] >= 16 for n in r["notes"])
        for r in replies
    ]
    return {"calls": len(calls), "both_bars": float(np.mean(both))}


def nudges(jam_model, calls: list[dict]) -> dict:
    """Mean attribute of the replies per nudge amount, for every attribute of the model."""
    out = {}
    for name in jam_model.attributes:
        means = []
        for amount in AMOUNTS:
            batch = [{**c, "params": {"nudges": {name: amount}}} for c in calls]
            values = [_attribute(r["notes"], name) for r in _respond(jam_model, batch)]
            means.append(float(np.nanmean(values)))
        diffs = np.diff(means)
        out[name] = {
            "amounts": list(AMOUNTS),
            "mean": means,
            "monotonic": bool((diffs > 0).all() or (diffs < 0).all()),
        }
    return out


def lowest_density(jam_model, calls: list[dict]) -> dict:
    """At the lowest density nudge: empty replies and mean hits vs the corpus's sparse end."""
    from latentjam.corpora import load_corpus

    batch = [{**c, "params": {"nudges": {"density": AMOUNTS[0]}}} for c in calls]
    replies = _respond(jam_model, batch)
    counts = np.array([len(r["notes"]) for r in replies])
    corpus = str(jam_model.model.metadata.get("data", {}).get("source", "")).split(":", 1)[1]
    x = load_corpus(corpus, jam_model.converter, "train", progress=False)
    per_window = (x[..., :9] > 0.5).sum(axis=(1, 2)) if jam_model.kind == "drums" else None
    if per_window is None:
        per_window = (x[..., 2:] > 0.5).sum(axis=(1, 2))
    per_window = per_window[per_window > 0]
    return {
        "empty_share": float((counts == 0).mean()),
        "mean_notes": float(counts.mean()),
        "corpus_5th_percentile_notes": float(np.percentile(per_window, 5)),
        "corpus_min_notes": int(per_window.min()),
    }


def main(argv: list[str] | None = None) -> int:
    import torch

    from latentjam.jam.session import load_jam_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="drums")
    ap.add_argument("--tries", type=int, default=200)
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    jam_model = load_jam_model(args.model)
    calls = _test_calls(jam_model, args.calls, args.seed)
    out = {"model": args.model, "kind": jam_model.kind}
    if jam_model.kind == "drums":
        out["sparse_calls_with_reply"] = sparse_drum_calls(jam_model, args.tries, args.seed)
    else:
        out["melody_replies"] = melody_both_bars(jam_model, calls)
    out["nudges"] = nudges(jam_model, calls)
    out["lowest_density"] = lowest_density(jam_model, calls)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
