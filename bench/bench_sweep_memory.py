"""The sweep driver's memory does not grow with the runs, nor with their length.

A sweep of the embedded model's default scenario at scale 0.01 (request by request; at
its own scale 1 each run would be hybrid and take about a CPU-minute), the model as it is
over N seeds, on a local process pool (2 workers), once per simulated duration. Each sweep
has a fresh driver process of its own, which reports its own peak RSS (``RUSAGE_SELF``: the
workers' memory is theirs, counted apart as the largest child), so one duration's peak
cannot hide another's. Workers send back a few numbers per run, never its spans, so the
driver's peak stays near its size after loading the model whatever N and the duration.

Default: 40 runs at 150 s and at 300 s simulated (past the scenario's warm-up, so every run
carries its figures; a few minutes on 2 cores), as part of ``make bench``. The proof of
issue 15 is ``--runs 1000`` (``make bench-sweep-memory RUNS=1000``). Bound: the driver's
peak under 500 MB; exit 1 above it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BOUND_MB = 500.0
SCALE = 0.01


def _mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: kilobytes


def drive(runs: int, duration_s: float, workers: int) -> dict[str, Any]:
    """One sweep in this process (the driver) on a pool; its figures."""
    from archgen.model import load_model
    from archgen.runtime.executors import Where
    from archgen.runtime.sweep import Sweep, plan_sweep

    loaded = load_model()
    model = loaded.model
    scenario = model.system.default_scenario or model.scenarios[0].id
    plan = plan_sweep(loaded, scenario, [], seeds=runs, scale=SCALE, duration_s=duration_s)
    setup = _mb(resource.RUSAGE_SELF)
    step = max(1, runs // 10)

    def progress(done: int, total: int) -> None:
        if done and (done % step == 0 or done == total):
            print(
                f"  {done}/{total} runs, driver peak {_mb(resource.RUSAGE_SELF):.0f} MB",
                file=sys.stderr,
                flush=True,
            )

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        sweep = Sweep(plan, Path(folder) / "sweep", Where("pool", workers), progress=progress)
        sweep.run()
        seconds = time.perf_counter() - start
    return {
        "scenario": scenario,
        "scale": plan.scale,
        "duration_s": duration_s,
        "runs": len(sweep.done),
        "seconds": seconds,
        "runs_per_minute": len(sweep.done) / seconds * 60,
        "driver_setup_mb": setup,
        "driver_peak_mb": _mb(resource.RUSAGE_SELF),
        "largest_worker_mb": _mb(resource.RUSAGE_CHILDREN),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per sweep (the proof: 1000)")
    parser.add_argument(
        "--durations", default="150,300", help="simulated seconds of each run, one sweep each"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drive", type=float, help=argparse.SUPPRESS)  # a driver process
    args = parser.parse_args()
    if args.drive is not None:
        print(json.dumps(drive(args.runs, args.drive, args.workers)))
        return
    rows = []
    for duration in (float(text) for text in args.durations.split(",")):
        print(f"sweep of {args.runs} runs at {duration:g} s simulated…", flush=True)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--runs",
                str(args.runs),
                "--workers",
                str(args.workers),
                "--drive",
                str(duration),
            ],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        rows.append(json.loads(done.stdout))
    first = rows[0]
    print(
        f"{first['scenario']} at scale {first['scale']:g}, pool of {args.workers} workers; "
        f"driver = the sweep's own process (RUSAGE_SELF), bound {BOUND_MB:g} MB"
    )
    print(
        f"{'duration':>9} {'runs':>5} {'wall s':>7} {'runs/min':>8} {'driver setup':>12} "
        f"{'driver peak':>11} {'largest worker':>14}"
    )
    for row in rows:
        print(
            f"{row['duration_s']:>8g}s {row['runs']:>5} {row['seconds']:>7.0f} "
            f"{row['runs_per_minute']:>8.1f} {row['driver_setup_mb']:>9.0f} MB "
            f"{row['driver_peak_mb']:>8.0f} MB {row['largest_worker_mb']:>11.0f} MB"
        )
    worst = max(row["driver_peak_mb"] for row in rows)
    print(f"driver peak {worst:.0f} MB: {'under' if worst < BOUND_MB else 'OVER'} the bound")
    if worst >= BOUND_MB:
        sys.exit(1)


if __name__ == "__main__":
    main()
