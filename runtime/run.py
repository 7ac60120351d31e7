"""One run: model + scenario + seed → spans, metrics and a summary in one folder.

The engine's side of a run; callers go through :mod:`archgen.runtime.session`
(``run_scenario``), which resolves the scenario, prices the run and writes its folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archgen.model.cost import price_run
from archgen.model.errors import InputError, UsageError
from archgen.model.schema import Model, Scenario
from archgen.model.stats import percentile, percentiles
from archgen.runtime.accounting import message_accounting
from archgen.runtime.artefacts import (
    AttackSummary,
    CacheSummary,
    CapacityFigure,
    FaultEvent,
    FidelitySummary,
    FleetSummary,
    FlowSummary,
    MessageBooks,
    NodeSummary,
    RunCost,
    RunSummary,
    SpanDict,
    TimelinePoint,
)
from archgen.runtime.behavior import Behavior
from archgen.runtime.capacity import ScaledCapacity
from archgen.runtime.engine import run_collector
from archgen.runtime.export import EXPORT_FILES
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.store import at_rest_report
from archgen.runtime.system import Authorizer, Simulation
from archgen.runtime.trace import SpanSink
from archgen.runtime.traffic import Traffic

DEFAULT_PERIOD_S = 60.0


class RunError(InputError):
    """Bad input for a run (unknown scenario, kind without behavior…)."""


class UnknownScenarioError(RunError, UsageError):
    """A scenario the model does not declare: a usage error of ``--scenario``."""

    def __init__(self, message: str) -> None:
        UsageError.__init__(self, message, "--scenario")


class UnknownJourneyError(RunError, UsageError):
    """A journey the model does not declare: a usage error of ``--journey``."""

    def __init__(self, message: str) -> None:
        UsageError.__init__(self, message, "--journey")


@dataclass
class RunResult:
    summary: dict[str, Any]
    out: Path | None
    spans: list[SpanDict] = field(default_factory=list)
    simulation: Simulation | None = None
    traffic: Traffic | None = None


def check_kinds(model: Model, registry: dict[str, type[Behavior]]) -> None:
    missing = sorted({node.kind for node in model.nodes} - set(registry))
    if missing:
        raise RunError(
            f"no behavior for kind(s) {', '.join(missing)}; available: "
            + ", ".join(sorted(registry))
        )


def load_authorizer() -> Authorizer | None:
    """IAM's :func:`archgen.runtime.aws.iam.authorize`, which checks every call of a run."""
    from archgen.runtime.aws.iam import authorize

    return authorize


def metric_period(model: Model) -> float:
    periods = [p for n in model.nodes if (p := n.params.metric_period_s()) is not None]
    return min(periods) if periods else DEFAULT_PERIOD_S


def build(
    model: Model,
    scenario: Scenario,
    *,
    seed: int,
    scale: float,
    duration_s: float,
    sink: SpanSink,
    registry: dict[str, type[Behavior]] | None = None,
    fidelity: Fidelity = FULL,
) -> tuple[Simulation, Traffic]:
    """The simulation and its traffic: ``scale`` is the system simulated; in hybrid
    fidelity sessions arrive at scale × sample (the traced part)."""
    traced = fidelity.traced(scale)
    if registry is None:
        from archgen.runtime.behaviors import load_registry

        registry = load_registry()
    check_kinds(model, registry)
    sim = Simulation(
        model,
        scenario,
        seed=seed,
        scale=traced,
        registry=registry,
        sink=sink,
        period_s=metric_period(model),
        authorizer=load_authorizer(),
        fidelity=fidelity,
        duration_s=duration_s,
    )
    traffic = Traffic(
        sim,
        scenario,
        scale=traced,
        duration_s=duration_s,
        warmup_s=min(scenario.warmup_s, duration_s),
    )
    return sim, traffic


def start(sim: Simulation, traffic: Traffic, duration_s: float) -> None:
    kernel = sim.kernel
    for behavior in sim.behaviors.values():
        behavior.start()
    for fault in sim.scenario.faults:
        if fault.start_s < duration_s:
            kernel.at(fault.start_s * 1000, lambda f: sim.apply_fault(f, True), fault)
            if fault.end_s is not None and fault.end_s < duration_s:
                kernel.at(fault.end_s * 1000, lambda f: sim.apply_fault(f, False), fault)
    period_ms = sim.metrics.period_s * 1000

    def close_period(_: Any) -> None:
        t_s = kernel.now / 1000
        for node_id in sorted(sim.behaviors):
            sim.behaviors[node_id].on_period(t_s)
        sim.metrics.close(t_s)
        for node_id in sorted(sim.behaviors):
            sim.behaviors[node_id].on_metrics(t_s)
        if kernel.now + period_ms <= duration_s * 1000 + 1e-9:
            kernel.after(period_ms, close_period)

    kernel.after(period_ms, close_period)
    traffic.start()


RUN_FILES = frozenset(
    {"spans.jsonl", "metrics.jsonl", "summary.json", "data-at-rest.json"}
    | {name for names in EXPORT_FILES.values() for name in names}
)
"""What a run folder may hold: the run's files and those of its exports."""


def simulate(
    model: Model,
    scenario: Scenario,
    *,
    seed: int,
    scale: float,
    duration_s: float,
    folder: Path | None,
    keep_spans: bool = False,
    write_spans: bool = True,
    progress: Callable[[float], None] | None = None,
    registry: dict[str, type[Behavior]] | None = None,
    fidelity: Fidelity = FULL,
) -> RunResult:
    """The run itself, its files written into ``folder`` (a fresh one, swapped in by the
    session as one unit, so the summary always describes the spans beside it); nothing on
    disk when ``folder`` is None, and no ``spans.jsonl`` without ``write_spans``.
    Resolving and pricing the run are the session's (:mod:`archgen.runtime.session`)."""
    spans_file = folder / "spans.jsonl" if folder is not None and write_spans else None
    sink = SpanSink(spans_file, keep=keep_spans)
    try:
        sim, traffic = build(
            model,
            scenario,
            seed=seed,
            scale=scale,
            duration_s=duration_s,
            sink=sink,
            registry=registry,
            fidelity=fidelity,
        )
        start(sim, traffic, duration_s)
        end_ms = duration_s * 1000
        steps = 100
        with run_collector():
            for index in range(1, steps + 1):
                sim.kernel.run(end_ms * index / steps)
                if progress is not None:
                    progress(index / steps)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    typed = summarize(
        sim, traffic, scenario, seed=seed, scale=fidelity.traced(scale), duration_s=duration_s
    )
    if spans_file is not None:
        typed = typed.model_copy(update={"spans_sha256": sink.sha256()})
    summary = summary_json(typed)
    if folder is not None:
        _write(folder / "metrics.jsonl", "".join(line + "\n" for line in sim.metrics.lines))
        _write(folder / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n")
        at_rest = at_rest_report(sim.services.data_at_rest)
        _write(folder / "data-at-rest.json", json.dumps(at_rest, indent=2, sort_keys=True) + "\n")
    return RunResult(summary, folder, sink.records, sim, traffic)


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _r(value: float | None, digits: int = 3) -> float | None:
    if value is None:  # no data (a percentile of no value)
        return None
    return round(value, digits)


def summarize(
    sim: Simulation,
    traffic: Traffic,
    scenario: Scenario,
    *,
    seed: int,
    scale: float,
    duration_s: float,
) -> RunSummary:
    """The run's ``summary.json`` (users' view first, then each node's)."""
    warmup_s = min(scenario.warmup_s, duration_s)
    window_s = max(duration_s - warmup_s, 1e-9)
    flows: dict[str, FlowSummary] = {}
    errors_by_cause: dict[str, int] = {}
    period_s = sim.metrics.period_s
    for flow_id in sorted(traffic.flow_stats):
        stats = traffic.flow_stats[flow_id]
        total = stats.ok + stats.failed
        p50, p95, p99 = percentiles(stats.latencies, (50, 95, 99))
        for cause, count in stats.causes.items():
            errors_by_cause[cause] = errors_by_cause.get(cause, 0) + count
        timeline = []
        for period in sorted(stats.periods):
            ok, failed, latencies = stats.periods[period]
            timeline.append(
                TimelinePoint(
                    t_s=round(period * period_s, 3),
                    ok=ok,
                    failed=failed,
                    p99_ms=_r(percentile(latencies, 99)),
                )
            )
        flows[flow_id] = FlowSummary(
            completed=total,
            ok=stats.ok,
            failed=stats.failed,
            availability=_r(stats.ok / total, 6) if total else None,
            p50_ms=_r(p50),
            p95_ms=_r(p95),
            p99_ms=_r(p99),
            throughput_per_s=_r(total / window_s / scale),
            errors=dict(sorted(stats.causes.items())),
            timeline=timeline,
        )
    nodes: dict[str, NodeSummary] = {}
    entries: dict[str, dict[str, Any]] = {}
    requests = 0
    instances: dict[str, Any] = {}
    caches: dict[str, Any] = {}
    for node_id in sorted(sim.contexts):
        ctx = sim.contexts[node_id]
        node_stats = ctx.stats
        requests += node_stats.arrived
        extra = sim.behaviors[node_id].summary()
        entry: dict[str, Any] = {
            "kind": ctx.kind,
            "arrived": node_stats.arrived,
            "ok": node_stats.ok,
            "failed": node_stats.failed,
            "in_flight": node_stats.inflight,
            "errors": dict(sorted(node_stats.errors.items())),
            "counters": dict(sorted(ctx.counters.items())),
            **_calls(node_stats.calls),
        }
        entry.update(extra)
        entries[node_id] = entry
        nodes[node_id] = NodeSummary.model_validate(entry)
        if "instances" in extra:
            instances[node_id] = extra["instances"]
        if "cache" in extra:
            caches[node_id] = extra["cache"]
    total_flows = sum(f.completed for f in flows.values())
    ok_flows = sum(f.ok for f in flows.values())
    peak = traffic.peak_entry()
    capacities: dict[str, dict[str, CapacityFigure]] = {}
    warnings: list[str] = []
    for node_id in sorted(sim.contexts):
        booked = sim.contexts[node_id].capacities
        if booked:
            figures = {
                name: CapacityFigure.model_validate(
                    booked[name].as_json(node_id, _booked_scale(booked[name], sim, scale))
                )
                for name in sorted(booked)
            }
            capacities[node_id] = figures
            warnings += [f.warning for f in figures.values() if f.warning is not None]
    books = message_accounting(
        sim.model, (b for i in sorted(sim.behaviors) for b in sim.behaviors[i].accounting())
    )
    return RunSummary(
        model=sim.model.system.id,
        scenario=scenario.id,
        seed=seed,
        scale=scale,
        duration_s=duration_s,
        warmup_s=warmup_s,
        events=sim.kernel.events,
        sessions=traffic.sessions,
        requests=requests,
        requests_real_per_s=_r(requests / duration_s / scale),
        peak_requests_real_per_s=None if peak is None else _r(peak[1] * 1000 / scale),
        peak_requests_t_s=None if peak is None else _r(peak[0] / 1000),
        spans=sim.sink.count,
        violations=sim.violations,
        flows_in_flight=traffic.in_flight_flows(),
        availability=_r(ok_flows / total_flows, 6) if total_flows else None,
        flows=flows,
        errors_by_cause=dict(sorted(errors_by_cause.items())),
        attack=AttackSummary(requests=traffic.attack_requests, blocked=traffic.attack_blocked),
        instances={k: FleetSummary.model_validate(v) for k, v in instances.items()},
        cache={k: CacheSummary.model_validate(v) for k, v in caches.items()},
        faults=[FaultEvent.model_validate(event) for event in sim.fault_log],
        pipeline=MessageBooks.model_validate(books),
        cost=RunCost.model_validate(
            price_run(
                sim.model,
                entries,
                scale=scale,
                duration_s=duration_s,
                fleet_scale=scale / sim.fidelity.sample if sim.fidelity.hybrid else None,
            )
        ),
        nodes=nodes,
        capacities=capacities,
        scale_warnings=warnings,
        fidelity=_fidelity(sim.fidelity, scale),
    )


def _booked_scale(capacity: ScaledCapacity, sim: Simulation, scale: float) -> float:
    """The scale a capacity was booked at: the run's, or in hybrid fidelity its own (pools
    keep the system's scale, linear capacities the traced one)."""
    if not sim.fidelity.hybrid or capacity.real <= 0:
        return scale
    return float(f"{capacity.scaled / capacity.real:.12g}")


def _fidelity(fidelity: Fidelity, scale: float) -> FidelitySummary | None:
    if not fidelity.hybrid and not fidelity.reason:
        return None
    system = scale / fidelity.sample if fidelity.hybrid else scale
    return FidelitySummary(
        mode=fidelity.mode,
        sample=fidelity.sample,
        system_scale=float(f"{system:.12g}"),
        reason=fidelity.reason or None,
    )


def _calls(meters: dict[tuple[str, str], list[float]]) -> dict[str, Any]:
    """A node's finished calls by operation (count, milliseconds) and by caller."""
    by_op: dict[str, list[float]] = {}
    by_caller: dict[str, int] = {}
    for (source, op), (count, ms) in sorted(meters.items()):
        total = by_op.setdefault(op, [0, 0.0])
        total[0] += count
        total[1] += ms
        by_caller[source] = by_caller.get(source, 0) + int(count)
    return {
        "calls": {op: {"n": int(n), "ms": round(ms, 3)} for op, (n, ms) in by_op.items()},
        "callers": by_caller,
    }


def summary_json(summary: RunSummary) -> dict[str, Any]:
    """``summary`` as the JSON object ``summary.json`` holds (``spans_sha256`` only when a
    run folder was written)."""
    exclude = {"spans_sha256"} if summary.spans_sha256 is None else set()
    return summary.model_dump(mode="json", by_alias=True, exclude=exclude)
