"""Per-bar comparison of answer and query, and the information-dynamics summary."""

import json

import numpy as np

from latentjam.analysis.chroma import chroma_per_bar
from latentjam.analysis.compare import note_overlap, tonnetz_per_bar
from latentjam.analysis.information import analyze_frames
from latentjam.midi import read_midi


def test_note_overlap_by_hand():
    q = np.zeros((3, 4, 6))
    a = np.zeros((3, 4, 6))
    q[0, 0, :2] = 1  # 2 cells
    a[0, 0, 1:3] = 1  # 2 cells, 1 shared -> 1 / 3
    q[1, :, 0] = 1
    a[1, :, 0] = 1  # identical -> 1
    a[1, :, 3 + 0] = 1  # "struck" columns beyond `pitches` are ignored
    np.testing.assert_allclose(note_overlap(q, a, pitches=3), [1 / 3, 1.0, 1.0])  # bar 2 silent


def test_tonnetz_per_bar():
    c = np.eye(12)[[0, 4, 7]].sum(0)
    g = np.eye(12)[[7, 11, 2]].sum(0)
    d = tonnetz_per_bar(np.stack([c, c, np.zeros(12)]), np.stack([c, g, np.zeros(12)]))
    assert d[0] == 0 and d[1] > 0 and d[2] == 0


def test_analysis_summary_is_json_and_consistent(midi_dir):
    seq = read_midi(midi_dir / "simutrans_flyingaway.mid")
    starts = seq.downbeats()
    result = analyze_frames(chroma_per_bar(seq, starts), "tonnetz", count=40)
    data = json.loads(json.dumps(result.to_dict(starts)))
    assert data["best_ir_sum"] == max(data["ir_curve"]["ir_sums"])
    assert len(data["ir"]) == len(starts)
    assert data["ir_rate"] == np.mean(data["ir"])
    for m in data["motifs"]:
        assert len(m["starts"]) >= 2 and m["length"] >= 2
        assert all(s + m["length"] <= len(starts) for s in m["starts"])
        assert m["start_beats"] == [starts[s] for s in m["starts"]]
