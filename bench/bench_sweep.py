"""Runs per minute of ``archgen sweep`` on each executor, side by side: serial (this
process), a local process pool of 2 workers and a Dask LocalCluster of 2 workers (when Dask
is installed), on the embedded model's default scenario shortened to a minute at scale 0.01
(request by request, as before the reference ran at scale 1), its first
Auto Scaling fleet's maximum at a third and at its own value × 6 seeds = 12 runs each.

Also the driver's peak memory: workers send back a few numbers per run, never spans, so
the driver stays small whatever the number of runs."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from archgen.model import load_model
from archgen.runtime.executors import Where
from archgen.runtime.sweep import Sweep, plan_sweep
from archgen.runtime.sweep_params import parse_knobs

SEEDS = 6
DURATION_S = 60.0
SCALE = 0.01


def main() -> None:
    loaded = load_model()
    model = loaded.model
    scenario = model.system.default_scenario or model.scenarios[0].id
    fleet = next(node for node in model.nodes if hasattr(node.params, "autoscaling"))
    most = fleet.params.autoscaling.max_instances  # type: ignore[attr-defined]
    vary = f"{fleet.id}.autoscaling.max_instances={max(1, most // 3)},{most}"
    plan = plan_sweep(
        loaded,
        scenario,
        parse_knobs(loaded, [vary]),
        seeds=SEEDS,
        scale=SCALE,
        duration_s=DURATION_S,
    )
    executors = [Where("pool", 2)]
    try:
        import distributed  # noqa: F401

        executors.append(Where("dask", 2))
    except ImportError:
        print("Dask is not installed (pip install 'archgen[dask]'): its row is left out")
    executors.append(Where("serial"))  # last: its runs would count in the driver's memory
    runs = len(plan.configurations) * len(plan.seeds)
    print(f"{scenario} over {vary}, {SEEDS} seeds, {DURATION_S:g} s simulated: {runs} runs")
    results = []
    peak = 0.0
    for where in executors:
        if where.kind == "serial":  # the driver's own peak so far: the workers ran the runs
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            result = Sweep(plan, Path(folder) / "sweep", where).run()
            seconds = time.perf_counter() - start
        results.append(result.model_dump_json())
        print(f"{where.describe():32s} {seconds:7.1f} s  {runs / seconds * 60:6.1f} runs/min")
    same = all(text == results[0] for text in results)
    print(f"identical results on every executor: {same}")
    print(f"driver peak RSS while workers ran the runs: {peak:.0f} MB")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
