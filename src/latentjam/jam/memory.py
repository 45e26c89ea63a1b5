"""A jam session's memory: a Variable Markov Oracle grown over its latent trajectory, live.

Every exchange adds two frames, the call's point and the reply's point, in turn. A call whose
context the oracle has seen before (its suffix link points to an earlier state) gets a
*proposal*: the frame that followed that earlier moment, i.e. how the session went on the last
time it was here. The jam's `recall` knob is the chance that a reply is drawn around it (a
motif coming back).
The oracle's information rate says how much the session both repeats and renews itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentjam.analysis.vmo import Oracle, RunningInformationRate

MAX_FRAMES = 2048  # past this the oracle restarts from the most recent half


@dataclass(frozen=True)
class Proposal:
    """The continuation the oracle proposes: a latent point and where it came from."""

    latent: np.ndarray  # (Nz,)
    exchange: int  # 1-based exchange of the session it belongs to
    role: str  # "call" or "reply"


class SessionMemory:
    """The oracle of one session; `threshold` is the latent distance under which two points
    count as the same symbol."""

    def __init__(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self.offset = 0  # frames dropped from the front by a restart (exchange numbering)
        self._start([])

    def reset(self) -> None:
        """Forget everything."""
        self.offset = 0
        self._start([])

    def add(self, latent: np.ndarray) -> int:
        """Append one point (Nz,); returns its oracle state."""
        if len(self.frames) >= MAX_FRAMES:
            keep = self.frames[-MAX_FRAMES // 2 :]
            self.offset += len(self.frames) - len(keep)
            self._start(keep)
        return self._append(np.asarray(latent, dtype=np.float64))

    def _start(self, frames: list[np.ndarray]) -> None:
        """A new oracle (and running information rate) over `frames`."""
        self.frames: list[np.ndarray] = []
        # the live jam measures with one vectorised norm per step (see Oracle.exact_order)
        self.oracle = Oracle(self.threshold, exact_order=False)
        self.rate = RunningInformationRate()  # the oracle's information rate, kept up to date
        for frame in frames:
            self._append(frame)

    def _append(self, frame: np.ndarray) -> int:
        self.frames.append(frame)
        state = self.oracle.add(frame)
        self.rate.append(self.oracle.lrs[state])
        return state

    def proposal(self, state: int) -> Proposal | None:
        """What followed the earlier moment that `state` repeats (its suffix link), if any."""
        earlier = self.oracle.sfx[state]
        if earlier <= 0 or earlier >= state - 1:  # nothing seen before, or no "after" yet
            return None
        index = earlier  # state s holds frame s - 1: the frame after state `earlier`
        absolute = self.offset + index
        return Proposal(
            self.frames[index], absolute // 2 + 1, "call" if absolute % 2 == 0 else "reply"
        )

    def information_rate(self) -> float:
        """Mean information rate over the session's frames so far (0 with fewer than 2)."""
        if len(self.frames) < 2:
            return 0.0
        return self.rate.total() / self.rate.frames
