"""Hybrid against full fidelity on every reference scenario, at a scale both can run.

Each scenario runs at a scale the full engine can run in minutes (:data:`FULL_SCALES`,
or ``--scale``: the reference scenarios themselves run at scale 1) in full fidelity and in hybrid
fidelity with ``--sample`` (the system at the same scale, that share of its sessions
traced), full fidelity over ``--seeds`` seeds, hybrid over ``--hybrid-seeds`` (by default
``--seeds`` ÷ ``--sample``: both sides then rest on about as many traced requests, and a
hybrid run costs about ``--sample`` of a full one). Two tables compare them:

- per flow, p50 and p99 of its requests over all seeds, pooled (bound ±10 %);
- availability (±0.5 points); each fleet's instances in service, sampled every second, as
  the mean curve over seeds: the largest gap between the two curves (±1 instance); the
  depth of each queue — an SQS queue's visible messages, a fleet's queued requests —
  sampled every second, as the mean curve over seeds averaged over 10 s: its peak (±10 %,
  or within one message or request of the run that simulates fewest of them). Depths are
  in real units: a count ÷ the scale it was simulated at (an SQS queue runs at scale ×
  sample in hybrid, a fleet at the system's scale in both).

Each difference comes with its 95 % interval over the seeds (a bootstrap: each side's runs
drawn again with replacement). A row outside its bound is marked, not hidden: **no** when
its interval lies outside the bound too, *unresolved* when the interval reaches within it
(the seeds cannot tell; more of them would). Too slow for ``make test`` (minutes of
CPU): ``python bench/validate_hybrid.py [--sample 0.2] [--seeds 10] [--scale S]``; the
guide's fidelity page quotes its output, which depends only on the seeds.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

P_BOUND = 0.10
AVAILABILITY_BOUND = 0.005
INSTANCE_BOUND = 1.0
DEPTH_BOUND = 0.10
SAMPLE_MS = 1_000.0
"""How often a run samples its instances and queue depths."""
DEPTH_WINDOW = 10
"""Samples a depth is averaged over before its peak is taken (a stochastic queue's
one-second maximum is mostly noise, the fluid's is a mean)."""
FULL_SCALES = {"prime-day": 0.002}
"""The scales the reference scenarios ran at before scale 1 became their default, and
the validation kept (:data:`FULL_SCALE` for the others)."""
FULL_SCALE = 0.01
BOOTSTRAP = 400
"""Resamples of the seeds behind each row's 95 % interval (:func:`interval`)."""
MIN_POOLED = 100
"""Requests a flow needs over each side's seeds to be compared (its p99 then rests on one
request at least)."""

Run = dict[str, Any]
"""One run's figures: ``flows`` {flow: [latency of each completed request, ms]},
``availability``, ``instances`` {fleet: [in service each second]}, ``depths`` {queue:
([depth each second], unit)} where ``unit`` is the real count one simulated message or
request stands for."""


# --------------------------------------------------------------------------- one run


def _fleet_queued(fleet: Any, now: float) -> float:
    """Requests waiting for a worker: the members' queues in full fidelity, the pool's
    (:meth:`FluidPool.waiting`: an exact pool's queue, a large one's mean) in hybrid."""
    fluid = fleet.fluid
    if fluid is None:
        return float(sum(len(instance.queue) for instance in fleet.instances))
    return float(fluid.waiting(now))


def one_run(
    scenario_id: str,
    seed: int,
    sample: float | None,
    scale: float | None,
    duration_s: float | None = None,
) -> Run:
    """The figures the tables compare, of one run (full fidelity when ``sample`` is None),
    as ``archgen run`` would simulate it, sampled every second."""
    from archgen.model import load_model
    from archgen.runtime.behaviors.fleet import Fleet
    from archgen.runtime.engine import run_collector
    from archgen.runtime.fluid import FULL, Fidelity
    from archgen.runtime.run import build, start, summarize, summary_json
    from archgen.runtime.trace import SpanSink

    model = load_model(None).model
    scenario = model.scenarios_by_id[scenario_id]
    fidelity = FULL if sample is None else Fidelity("hybrid", sample)
    system_scale = scenario.scale if scale is None else scale
    traced_scale = fidelity.traced(system_scale)
    duration_s = scenario.duration_s if duration_s is None else duration_s
    sim, traffic = build(
        model,
        scenario,
        seed=seed,
        scale=system_scale,
        duration_s=duration_s,
        sink=SpanSink(None),
        fidelity=fidelity,
    )
    start(sim, traffic, duration_s)
    fleets = {n: b for n, b in sorted(sim.behaviors.items()) if isinstance(b, Fleet)}
    queues = sorted(n for n, ctx in sim.contexts.items() if ctx.kind == "sqs")
    instances: dict[str, list[float]] = {n: [] for n in fleets}
    depths: dict[str, list[float]] = {
        **{f"{n} queued requests": [] for n in fleets},
        **{f"{n} {what} messages": [] for n in queues for what in ("visible", "in-flight")},
    }

    def measure(_: Any) -> None:
        now = sim.kernel.now
        for name, fleet in fleets.items():
            instances[name].append(float(len(fleet.serving)))
            depths[f"{name} queued requests"].append(_fleet_queued(fleet, now))
        for name in queues:
            queue = sim.behaviors[name].queue
            depths[f"{name} visible messages"].append(float(queue.visible_count))
            depths[f"{name} in-flight messages"].append(float(queue.in_flight_count))
        if now + SAMPLE_MS <= duration_s * 1000:
            sim.kernel.after(SAMPLE_MS, measure)

    sim.kernel.after(SAMPLE_MS, measure)
    with run_collector():
        sim.kernel.run(duration_s * 1000)
    summary = summary_json(
        summarize(sim, traffic, scenario, seed=seed, scale=traced_scale, duration_s=duration_s)
    )
    units = {
        **{f"{n} queued requests": 1 / system_scale for n in fleets},
        **{f"{n} {w} messages": 1 / traced_scale for n in queues for w in ("visible", "in-flight")},
    }
    return {
        "flows": {
            flow: list(stats.latencies)
            for flow, stats in sorted(traffic.flow_stats.items())
            if stats.latencies
        },
        "availability": summary["availability"],
        "instances": instances,
        "depths": {name: (series, units[name]) for name, series in depths.items()},
    }


# --------------------------------------------------------------------------- the tables

Statistic = Callable[[Any, Any], "float | None"]
"""A compared figure as a function of the weight of each full and each hybrid run (how
many times it is drawn): all ones for the estimate, a bootstrap resample for its interval."""


@dataclass(frozen=True)
class Row:
    """One compared figure: the cells after the scenario and its name, whether its
    estimate is within its bound, and whether the seeds settle that: within, or outside
    with its whole 95 % interval (:func:`interval`) outside too."""

    scenario: str
    name: str
    cells: tuple[str, ...]
    within: bool
    resolved: bool = True

    @property
    def mark(self) -> str:
        if self.within:
            return "yes"
        return "**no**" if self.resolved else "unresolved"

    def markdown(self) -> str:
        return f"| {self.scenario} | {self.name} | " + " | ".join(self.cells) + f" | {self.mark} |"


def interval(statistic: Statistic, full: int, hybrid: int) -> tuple[float, float] | None:
    """The 95 % interval of ``statistic`` over what its seeds leave open: a percentile
    bootstrap, each side's runs drawn again with replacement :data:`BOOTSTRAP` times
    (from a fixed generator: the same runs give the same interval). None when no resample
    has the figure."""
    import numpy as np

    from archgen.model.stats import percentiles

    rng = np.random.default_rng(0)
    values = []
    for _ in range(BOOTSTRAP):
        drawn_full = np.bincount(rng.integers(0, full, full), minlength=full)
        drawn_hybrid = np.bincount(rng.integers(0, hybrid, hybrid), minlength=hybrid)
        value = statistic(drawn_full.astype(float), drawn_hybrid.astype(float))
        if value is not None:
            values.append(value)
    low, high = percentiles(values, (2.5, 97.5))
    return None if low is None or high is None else (low, high)


def outside(bounds: tuple[float, float] | None, bound: float) -> bool:
    """Whether an interval of a difference lies wholly beyond ±``bound``."""
    return bounds is not None and (bounds[0] > bound + 1e-12 or bounds[1] < -bound - 1e-12)


def _relative(full: float | None, hybrid: float | None) -> float | None:
    if full is None or hybrid is None or full == 0:
        return None
    return hybrid / full - 1


def _percent(delta: float | None, bounds: tuple[float, float] | None = None) -> str:
    if delta is None:
        return "—"
    spread = "" if bounds is None else f" ({100 * bounds[0]:+,.1f} to {100 * bounds[1]:+,.1f})"
    return f"{100 * delta:+.1f} %{spread}"


def _count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _matrix(curves: Sequence[Sequence[float]]) -> Any:
    """Runs' series as rows of one array, cut to the shortest run."""
    import numpy as np

    length = min((len(c) for c in curves), default=0)
    return np.array([list(c[:length]) for c in curves], dtype=float).reshape(len(curves), length)


def _ones(count: int) -> Any:
    import numpy as np

    return np.ones(count)


def mean_curve(curves: Sequence[Sequence[float]], weights: Any = None) -> list[float]:
    """The mean over runs at each sample time (up to the shortest run), each run counted
    ``weights`` times (once by default)."""
    matrix = _matrix(curves)
    if weights is None:
        weights = _ones(len(curves))
    return [float(v) for v in weights @ matrix / weights.sum()] if len(curves) else []


def windowed_peak(series: Sequence[float], window: int = DEPTH_WINDOW) -> float:
    """The largest mean of ``window`` consecutive samples (non-overlapping windows; a
    short last one is still a window)."""
    import numpy as np

    values = np.asarray(series, dtype=float)
    whole = len(values) // window * window
    means = list(values[:whole].reshape(-1, window).mean(axis=1)) if whole else []
    if whole < len(values):
        means.append(values[whole:].mean())
    return float(max(means, default=0.0))


class Pooled:
    """The latencies of a flow in several runs, sorted once, so that a percentile of any
    weighting of the runs (a bootstrap resample) costs a few thousand operations: the
    sorted values are cut in blocks whose count per run is kept, the block holding the
    rank is found from those, and the rank within it from its own values."""

    BLOCK = 512

    def __init__(self, runs: Sequence[Sequence[float]]) -> None:
        import numpy as np

        values = np.concatenate([np.asarray(r, dtype=float) for r in runs] or [np.empty(0)])
        owners = np.concatenate([np.full(len(r), k) for k, r in enumerate(runs)] or [np.empty(0)])
        order = np.argsort(values, kind="stable")
        self.values = values[order]
        self.owners = owners[order].astype(int)
        self.runs = len(runs)
        blocks = -(-len(values) // self.BLOCK)
        where = np.arange(len(values)) // self.BLOCK
        self.counts = np.zeros((self.runs, blocks))
        np.add.at(self.counts, (self.owners, where), 1.0)

    def percentiles(self, qs: Sequence[float], weights: Any = None) -> tuple[float | None, ...]:
        """Nearest-rank percentiles of the runs' latencies pooled, run k's counted
        ``weights[k]`` times (as :func:`archgen.model.stats.percentiles` of them)."""
        import numpy as np

        if weights is None:
            weights = _ones(self.runs)
        per_block = np.cumsum(weights @ self.counts) if self.runs else np.empty(0)
        if not len(per_block) or per_block[-1] <= 0:
            return tuple(None for _ in qs)
        picked = []
        for q in qs:
            rank = max(1, math.ceil(q / 100 * per_block[-1] - 1e-9))
            block = int(np.searchsorted(per_block, rank - 0.5))
            before = per_block[block - 1] if block else 0.0
            start = block * self.BLOCK
            inside = np.cumsum(weights[self.owners[start : start + self.BLOCK]])
            picked.append(
                float(self.values[start + int(np.searchsorted(inside, rank - before - 0.5))])
            )
        return tuple(picked)


def pooled(runs: Sequence[Run], flow: str) -> list[float]:
    """The latencies of ``flow`` in all ``runs``, as one sample."""
    return [latency for run in runs for latency in run["flows"][flow]]


def depth_peak(runs: Sequence[Run], queue: str, weights: Any = None) -> float:
    """The peak of ``queue``'s mean depth over ``runs`` (in real units, averaged over
    :data:`DEPTH_WINDOW` samples), run k counted ``weights[k]`` times (once by default).

    The peak of the mean curve, not the mean of each run's peak: a run's peak is its
    largest excursion, and a hybrid run, which simulates a sample of the messages, each
    standing for more real ones, has larger excursions for the same mean (Prime Day's SQS
    queues: a fifth of full fidelity's messages, 2,500 real each). Its mean depth at each
    second is what both engines must agree on, as the instance curves are compared.
    """
    return _peak(_depths(runs, queue), weights)


def _depths(runs: Sequence[Run], queue: str) -> Any:
    """Each run's depths of ``queue`` in real units, as rows of one array."""
    return _matrix([[d * r["depths"][queue][1] for d in r["depths"][queue][0]] for r in runs])


def _peak(depths: Any, weights: Any = None) -> float:
    if weights is None:
        weights = _ones(len(depths))
    return windowed_peak(weights @ depths / weights.sum()) if len(depths) else 0.0


def _percentile_delta(full: Pooled, hybrid: Pooled, q: float) -> Statistic:
    """Hybrid's ``q``-th percentile relative to full fidelity's, runs weighted."""

    def delta(full_weights: Any, hybrid_weights: Any) -> float | None:
        (f,) = full.percentiles((q,), full_weights)
        (h,) = hybrid.percentiles((q,), hybrid_weights)
        return _relative(f, h)

    return delta


def flow_rows(scenario: str, full: Sequence[Run], hybrid: Sequence[Run]) -> list[Row]:
    """Per flow seen in every run, with :data:`MIN_POOLED` requests on each side: p50 and
    p99 of the seeds' requests pooled, each within ±10 %.

    Pooled rather than the mean of each run's percentiles: a hybrid run traces a share of
    the sessions, so the p99 of a rare flow in one run rests on its one or two slowest
    requests (about 60 checkouts a run in the reference normal-day at 20 %), an estimate
    whose spread and bias differ from those of the full run's p99 of five times as many.
    """
    runs = [*full, *hybrid]
    flows = sorted(set.intersection(*(set(r["flows"]) for r in runs))) if runs else []
    rows = []
    for flow in flows:
        full_latencies = Pooled([r["flows"][flow] for r in full])
        hybrid_latencies = Pooled([r["flows"][flow] for r in hybrid])
        if min(len(full_latencies.values), len(hybrid_latencies.values)) < MIN_POOLED:
            continue
        cells: list[str] = []
        within = resolved = True
        for q in (50, 99):
            (f,), (h,) = full_latencies.percentiles((q,)), hybrid_latencies.percentiles((q,))
            point = _relative(f, h)
            bounds = interval(
                _percentile_delta(full_latencies, hybrid_latencies, q), len(full), len(hybrid)
            )
            if point is not None and abs(point) > P_BOUND + 1e-12:
                within = False
                resolved = resolved and outside(bounds, P_BOUND)
            cells += [_count(f), _count(h), _percent(point, bounds)]
        rows.append(Row(scenario, flow, tuple(cells), within, within or resolved))
    return rows


def _weighted_gap(
    full: Sequence[Sequence[float]], hybrid: Sequence[Sequence[float]]
) -> Callable[[Any, Any], Any]:
    """Hybrid's mean series less full fidelity's (up to the shorter), runs weighted."""
    full_matrix, hybrid_matrix = _matrix(full), _matrix(hybrid)
    length = min(full_matrix.shape[1], hybrid_matrix.shape[1])
    full_matrix, hybrid_matrix = full_matrix[:, :length], hybrid_matrix[:, :length]

    def gap(full_weights: Any, hybrid_weights: Any) -> Any:
        hybrid_mean = hybrid_weights @ hybrid_matrix / hybrid_weights.sum()
        return hybrid_mean - full_weights @ full_matrix / full_weights.sum()

    return gap


def _largest(gaps: Callable[[Any, Any], Any]) -> Statistic:
    """The largest gap, either way, between two weighted mean series."""
    return lambda full_weights, hybrid_weights: float(
        abs(gaps(full_weights, hybrid_weights)).max(initial=0.0)
    )


def _peak_difference(full: Sequence[Run], hybrid: Sequence[Run], queue: str) -> Statistic:
    """Hybrid's depth peak of ``queue`` less full fidelity's, runs weighted."""
    full_depths, hybrid_depths = _depths(full, queue), _depths(hybrid, queue)
    return lambda full_weights, hybrid_weights: (
        _peak(hybrid_depths, hybrid_weights) - _peak(full_depths, full_weights)
    )


def _points(bounds: tuple[float, float] | None) -> str:
    return "" if bounds is None else f" ({100 * bounds[0]:+.2f} to {100 * bounds[1]:+.2f})"


def figure_rows(scenario: str, full: Sequence[Run], hybrid: Sequence[Run]) -> list[Row]:
    """Availability, each fleet's instance curve, each queue's depth peak."""
    rows = []
    full_availability = [r["availability"] for r in full]
    hybrid_availability = [r["availability"] for r in hybrid]
    gap_of = _weighted_gap([[a] for a in full_availability], [[a] for a in hybrid_availability])
    gap = float(gap_of(_ones(len(full)), _ones(len(hybrid)))[0]) if full and hybrid else None
    bounds = (
        interval(lambda wf, wh: float(gap_of(wf, wh)[0]), len(full), len(hybrid))
        if gap is not None
        else None
    )
    within = gap is not None and abs(gap) <= AVAILABILITY_BOUND + 1e-12
    rows.append(
        Row(
            scenario,
            "availability",
            (
                "—" if not full else f"{100 * statistics.fmean(full_availability):.2f} %",
                "—" if not hybrid else f"{100 * statistics.fmean(hybrid_availability):.2f} %",
                "—" if gap is None else f"{100 * gap:+.2f} pt" + _points(bounds),
                f"±{100 * AVAILABILITY_BOUND:g} pt",
            ),
            within,
            within or outside(bounds, AVAILABILITY_BOUND),
        )
    )
    for fleet in sorted(full[0]["instances"]) if full else []:
        gaps = _weighted_gap(
            [r["instances"][fleet] for r in full], [r["instances"][fleet] for r in hybrid]
        )
        fc, hc = (mean_curve([r["instances"][fleet] for r in side]) for side in (full, hybrid))
        point = gaps(_ones(len(full)), _ones(len(hybrid)))
        length = len(point)
        worst = max(range(length), key=lambda k: (abs(point[k]), -k), default=None)
        largest = 0.0 if worst is None else float(point[worst])
        at = "" if worst is None or largest == 0 else f" at {(worst + 1) * SAMPLE_MS / 1000:g} s"
        bounds = interval(_largest(gaps), len(full), len(hybrid))
        within = abs(largest) <= INSTANCE_BOUND + 1e-12
        spread = "" if bounds is None else f" (largest {bounds[0]:.1f} to {bounds[1]:.1f})"
        rows.append(
            Row(
                scenario,
                f"{fleet} instances",
                (
                    f"{max(fc, default=0):.1f} peak",
                    f"{max(hc, default=0):.1f} peak",
                    f"{largest:+.1f}{at}{spread}",
                    f"±{INSTANCE_BOUND:g}",
                ),
                within,
                within or outside(bounds, INSTANCE_BOUND),
            )
        )
    for queue in sorted(full[0]["depths"]) if full else []:
        if queue in empty_queues(full, hybrid):
            continue
        f, h = depth_peak(full, queue), depth_peak(hybrid, queue)
        # One simulated message (or request) of the run that simulates fewest, in real units:
        # below it a depth is a count's rounding, not a queue.
        floor = max(r["depths"][queue][1] for r in [*full, *hybrid])
        bound = max(DEPTH_BOUND * f, floor)
        delta = _relative(f, h)
        bounds = interval(_peak_difference(full, hybrid, queue), len(full), len(hybrid))
        within = abs(h - f) <= bound + 1e-9
        if delta is not None:
            difference = _percent(delta, None if bounds is None else (bounds[0] / f, bounds[1] / f))
        else:
            spread = "" if bounds is None else f" ({bounds[0]:+,.0f} to {bounds[1]:+,.0f})"
            difference = f"{h - f:+,.0f}{spread}"
        rows.append(
            Row(
                scenario,
                f"{queue} peak",
                (
                    _count(f),
                    _count(h),
                    difference,
                    f"±{100 * DEPTH_BOUND:g} % or ±{floor:,.0f}",
                ),
                within,
                within or outside(bounds, bound),
            )
        )
    return rows


def empty_queues(full: Sequence[Run], hybrid: Sequence[Run]) -> list[str]:
    """The queues no run ever saw a message or request in: no depth to compare."""
    runs = [*full, *hybrid]
    names = sorted(full[0]["depths"]) if full else []
    return [n for n in names if not any(any(r["depths"][n][0]) for r in runs)]


FLOW_HEADER = (
    "| scenario | flow | p50 full | p50 hybrid | Δ (95 % interval) | p99 full | p99 hybrid"
    " | Δ (95 % interval) | within |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)
FIGURE_HEADER = (
    "| scenario | figure | full | hybrid | Δ (95 % interval) | bound | within |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | --- |"
)


def tables(results: dict[str, tuple[list[Run], list[Run]]]) -> str:
    """Both tables, scenarios in the order given, and a count of the rows outside: those
    the seeds settle (their 95 % interval outside too) and those they leave open."""
    flows = [row for s, (f, h) in results.items() for row in flow_rows(s, f, h)]
    figures = [row for s, (f, h) in results.items() for row in figure_rows(s, f, h)]
    outside_rows = [row for row in [*flows, *figures] if not row.within and row.resolved]
    open_rows = [row for row in [*flows, *figures] if not row.resolved]
    empty = {s: empty_queues(f, h) for s, (f, h) in results.items()}

    def named(rows: list[Row]) -> str:
        return ": " + ", ".join(f"{r.scenario} {r.name}" for r in rows) if rows else ""

    lines = [
        FLOW_HEADER,
        *(row.markdown() for row in flows),
        "",
        FIGURE_HEADER,
        *(row.markdown() for row in figures),
        "",
        *(f"{s}: empty in every run: {', '.join(names)}" for s, names in empty.items() if names),
        f"{len(outside_rows)} of {len(flows) + len(figures)} rows outside their bound"
        + named(outside_rows),
    ]
    if open_rows:
        lines.append(
            f"{len(open_rows)} more outside it at the estimate, their 95 % interval reaching"
            " within it (unresolved at these seeds)" + named(open_rows)
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def cached(
    folder: Path | None,
    scenario: str,
    seed: int,
    sample: float | None,
    scale: float | None,
    duration_s: float | None,
) -> Run:
    """:func:`one_run`, a full-fidelity one kept in ``folder`` and read back from it: the
    full runs are most of the CPU, and a change to the hybrid engine leaves them alone."""
    if folder is None or sample is not None:
        return one_run(scenario, seed, sample, scale, duration_s)
    scaled = "own" if scale is None else f"{scale:g}"
    lasting = "own" if duration_s is None else f"{duration_s:g}"
    path = folder / f"{scenario}-seed{seed}-scale{scaled}-duration{lasting}.json"
    if path.exists():
        loaded: Run = json.loads(path.read_text())
        return loaded
    result = one_run(scenario, seed, sample, scale, duration_s)
    path.write_text(json.dumps(result, sort_keys=True))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sample", type=float, default=0.2)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--hybrid-seeds",
        type=int,
        default=None,
        help="seeds of the hybrid side (default: --seeds ÷ --sample, as many traced requests)",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--scale", type=float, default=None, help="every scenario at this scale")
    parser.add_argument("--duration", type=float, default=None, help="seconds of each run")
    parser.add_argument("--scenario", action="append", default=None)
    parser.add_argument(
        "--full-runs",
        type=Path,
        default=None,
        help="keep the full-fidelity runs' figures in this folder and reuse them",
    )
    parser.add_argument(
        "--full-only", action="store_true", help="only fill --full-runs (no hybrid, no table)"
    )
    args = parser.parse_args(argv)
    if args.full_only and args.full_runs is None:
        parser.error("--full-only fills the folder --full-runs names: give one")
    if args.full_runs is not None:
        args.full_runs.mkdir(parents=True, exist_ok=True)
    from archgen.model import load_model

    model = load_model(None).model
    scenarios = args.scenario or [s.id for s in model.scenarios]
    unknown = sorted(set(scenarios) - set(model.scenarios_by_id))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    hybrid_seeds = args.hybrid_seeds or max(args.seeds, round(args.seeds / args.sample))
    jobs = [
        (
            s,
            model.scenarios_by_id[s].seed + k,
            sample,
            FULL_SCALES.get(s, FULL_SCALE) if args.scale is None else args.scale,
            args.duration,
        )
        for s in scenarios
        for sample in ((None,) if args.full_only else (None, args.sample))
        for k in range(args.seeds if sample is None else hybrid_seeds)
    ]
    # The longest runs first, so that the two workers finish together.
    order = sorted(range(len(jobs)), key=lambda j: (jobs[j][2] is not None, j))
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = {j: pool.submit(cached, args.full_runs, *jobs[j]) for j in order}
        results = [futures[j].result() for j in range(len(jobs))]
    if args.full_only:
        print(f"{len(jobs)} full-fidelity runs kept in {args.full_runs}")
        return 0
    by_scenario: dict[str, tuple[list[Run], list[Run]]] = {s: ([], []) for s in scenarios}
    for (scenario, _, sample, _, _), result in zip(jobs, results, strict=True):
        by_scenario[scenario][0 if sample is None else 1].append(result)
    at = (
        f"prime-day at scale {FULL_SCALES['prime-day']:g}, the others at {FULL_SCALE:g}"
        if args.scale is None
        else f"scale {args.scale:g}"
    )
    if args.duration is not None:
        at += f", its first {args.duration:g} s"
    print(
        f"hybrid (sample {args.sample:g}, {hybrid_seeds} seeds) against full fidelity "
        f"({args.seeds} seeds), {at}"
    )
    print(tables(by_scenario))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
