"""Start-up cost of the CLI: ``archgen --help`` (goal < 0.3 s) and validating the embedded
model (goal < 0.5 s), against the anchor of a bare ``python -c pass`` in the same run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
RUNS = 15


def median_seconds(command: list[str]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    anchor = median_seconds([sys.executable, "-c", "pass"])
    rows = [
        ("archgen --help", median_seconds([str(BIN / "archgen"), "--help"]), 0.3),
        ("archgen validate", median_seconds([str(BIN / "archgen"), "validate", "-q"]), 0.5),
    ]
    print(f"anchor: python -c pass  median {anchor * 1000:7.1f} ms  ({RUNS} runs)")
    for name, seconds, goal in rows:
        verdict = "ok" if seconds < goal else "OVER GOAL"
        print(
            f"{name:18s} median {seconds * 1000:7.1f} ms  = {seconds / anchor:4.1f}× "
            f"interpreter start  (goal < {goal} s: {verdict})"
        )


if __name__ == "__main__":
    main()
