"""How steady is this machine? Times a fixed pure-Python loop in short slices after a pause.

Benchmarks here compare our code with a reference side by side; when one side's run is much
shorter than the other's (vmo: ~0.06 s against 1-2 s), drift in the machine's speed hits the
short side's figure and averages out of the long side's. This prints how large that drift is:
the time of each ~10 ms slice of the same loop, for `--seconds` seconds after a one-second
pause, and the ratio of the slowest slices to the fastest.

    python benchmarks/cpu_drift.py [--seconds 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time


def work(count: int = 400_000) -> int:
    """A fixed amount of interpreter work (about 10 ms on a 2.6 GHz core)."""
    total = 0
    for i in range(count):
        total += i & 7
    return total


def slices(seconds: float) -> list[float]:
    """Milliseconds taken by each call of `work` over `seconds`."""
    out, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        work()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    for r in range(args.rounds):
        time.sleep(1.0)
        ms = slices(args.seconds)
        fast = min(ms)
        print(
            f"round {r + 1}: {len(ms)} slices, fastest {fast:.1f} ms, median "
            f"{statistics.median(ms):.1f} ms, slowest {max(ms):.1f} ms "
            f"(x{max(ms) / fast:.2f}); first ten: " + " ".join(f"{v:.0f}" for v in ms[:10])
        )
        slow = sum(v > 1.3 * fast for v in ms) / len(ms)
        print(f"         slices over 1.3x the fastest: {100 * slow:.0f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
