"""Hybrid against full fidelity on every reference scenario, at a scale both can run.

Each scenario runs at its own scale in full fidelity and in hybrid fidelity with
``--sample`` (the system at the same scale, that share of its sessions traced), over
``--seeds`` seeds. The table compares the means over seeds: per flow p50 and p99 (bound
±10 %), availability (bound ±0.5 points) and each fleet's peak instances in service (bound
±1); a row outside its bound is marked, not hidden. Too slow for ``make test`` (minutes of
CPU): run it by hand, ``python bench/validate_hybrid.py [--sample 0.2] [--seeds 5]``; the
guide's fidelity page quotes its output.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any

P_BOUND = 0.10
AVAILABILITY_BOUND = 0.005
INSTANCE_BOUND = 1.0


def one_run(scenario: str, seed: int, sample: float | None) -> dict[str, Any]:
    """The figures the table compares, of one run (full fidelity when ``sample`` is None)."""
    from archgen.model import load_model
    from archgen.runtime.fluid import FULL, Fidelity
    from archgen.runtime.session import run_scenario

    model = load_model(None).model
    fidelity = FULL if sample is None else Fidelity("hybrid", sample)
    summary = run_scenario(model, scenario, seed=seed, fidelity=fidelity).summary
    return {
        "flows": {
            flow: (figures["p50_ms"], figures["p99_ms"])
            for flow, figures in summary["flows"].items()
            if figures["completed"] >= 50
        },
        "availability": summary["availability"],
        "instances": {
            fleet: figures["peak_in_service"] for fleet, figures in summary["instances"].items()
        },
    }


def _mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.fmean(kept) if kept else None


def _delta(full: float | None, hybrid: float | None) -> str:
    if full is None or hybrid is None or full == 0:
        return "—"
    return f"{100 * (hybrid / full - 1):+.1f} %"


def compare(scenario: str, full: list[dict[str, Any]], hybrid: list[dict[str, Any]]) -> list[str]:
    rows = []
    flows = sorted(set.intersection(*(set(r["flows"]) for r in full + hybrid)))
    for flow in flows:
        cells = []
        within = True
        for index in (0, 1):
            f = _mean([r["flows"][flow][index] for r in full])
            h = _mean([r["flows"][flow][index] for r in hybrid])
            if f and h is not None and abs(h / f - 1) > P_BOUND:
                within = False
            cells += [f"{f:,.0f}" if f else "—", f"{h:,.0f}" if h else "—", _delta(f, h)]
        mark = "yes" if within else "**no**"
        rows.append(f"| {scenario} | {flow} | " + " | ".join(cells) + f" | {mark} |")
    fa = _mean([r["availability"] for r in full])
    ha = _mean([r["availability"] for r in hybrid])
    gap = None if fa is None or ha is None else 100 * (ha - fa)
    mark = "yes" if gap is not None and abs(gap) <= 100 * AVAILABILITY_BOUND else "**no**"
    rows.append(
        f"| {scenario} | availability | {100 * (fa or 0):.2f} % | {100 * (ha or 0):.2f} % | "
        f"{'—' if gap is None else f'{gap:+.2f} pt'} | | | | {mark} |"
    )
    for fleet in sorted(full[0]["instances"]):
        fi = _mean([r["instances"][fleet] for r in full]) or 0.0
        hi = _mean([r["instances"][fleet] for r in hybrid]) or 0.0
        mark = "yes" if abs(hi - fi) <= INSTANCE_BOUND else "**no**"
        rows.append(
            f"| {scenario} | {fleet} peak instances | {fi:.1f} | {hi:.1f} | {hi - fi:+.1f} "
            f"| | | | {mark} |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=float, default=0.2)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scenario", action="append", default=None)
    args = parser.parse_args(argv)
    from archgen.model import load_model

    model = load_model(None).model
    scenarios = args.scenario or [s.id for s in model.scenarios]
    seeds = {s.id: [s.seed + k for k in range(args.seeds)] for s in model.scenarios}
    jobs = [
        (s, seed, sample) for s in scenarios for seed in seeds[s] for sample in (None, args.sample)
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(one_run, *job) for job in jobs]
        results = [future.result() for future in futures]
    print(f"hybrid (sample {args.sample:g}) against full fidelity, {args.seeds} seeds each")
    print(
        "| scenario | flow / figure | p50 full | p50 hybrid | Δ | p99 full | p99 hybrid | Δ "
        "| within |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for scenario in scenarios:
        full = [
            r for (s, _, x), r in zip(jobs, results, strict=True) if s == scenario and x is None
        ]
        hybrid = [r for (s, _, x), r in zip(jobs, results, strict=True) if s == scenario and x]
        for row in compare(scenario, full, hybrid):
            print(row)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
