"""Information dynamics of a frame sequence: threshold sweep, IR curve, motifs, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentjam.analysis.sweep import SweepResult, sweep
from latentjam.analysis.vmo import Motif, find_motifs


@dataclass(frozen=True)
class Analysis:
    """What `analyze_frames` found: the sweep, the best oracle's per-frame IR and its motifs."""

    sweep: SweepResult
    ir: np.ndarray  # (N,) information rate per frame at the best threshold
    motifs: list[Motif]

    @property
    def ir_rate(self) -> float:
        """Mean information rate per frame at the best threshold (bits)."""
        return float(self.ir.mean()) if len(self.ir) else 0.0

    def to_dict(self, frame_beats: np.ndarray | None = None) -> dict:
        """JSON-able summary; `frame_beats` (N,) adds each motif occurrence's start beat."""
        s = self.sweep
        motifs = []
        for m in self.motifs:
            item = {"length": m.length, "starts": list(m.starts)}
            if frame_beats is not None:
                item["start_beats"] = [float(frame_beats[i]) for i in m.starts]
            motifs.append(item)
        return {
            "distance": s.distance,
            "frames": len(self.ir),
            "best_threshold": s.best_threshold,
            "best_ir_sum": float(s.ir_sums[s.best_index]),
            "ir_rate": self.ir_rate,
            "ir_curve": {"thresholds": s.thresholds.tolist(), "ir_sums": s.ir_sums.tolist()},
            "ir": self.ir.tolist(),
            "motifs": motifs,
        }


def analyze_frames(
    frames,
    distance: str,
    *,
    thresholds=None,
    count: int = 100,
    min_length: int = 2,
    min_count: int = 2,
) -> Analysis:
    """Sweep thresholds over frames (N, D), keep the best, and find its motifs."""
    result = sweep(frames, thresholds, distance, count)
    oracle = result.best_oracle
    return Analysis(
        sweep=result,
        ir=oracle.information_rate(),
        motifs=find_motifs(oracle, min_length=min_length, min_count=min_count),
    )
