"""What the site shows of a simulated run, reduced from the run folder and cached as JSON.

A run folder can hold millions of spans; the pages need a few series and percentiles. The
reduction (:class:`ScenarioResult`) is what the cache stores, so an unchanged model
rebuilds without simulating or reading spans again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from archgen.model import LoadedModel
from archgen.model.kind import Capability
from archgen.model.registry import has
from archgen.model.schema import Model
from archgen.runtime.export.representative import TracedCall, TracedRequest
from archgen.site.cache import Cache, archgen_version, content_key
from archgen.site.charts import Bounds, Series, histogram, line_chart

if TYPE_CHECKING:
    from pydantic import JsonValue

    from archgen.runtime.artefacts import FlowSummary, MetricPoint, RunSummary
    from archgen.runtime.check.report import Scope
    from archgen.runtime.fluid import Choice, Fidelity
    from archgen.runtime.session import Outcome
    from archgen.runtime.traffic import FlowStats

RESULT_FORMAT = "13"  # 3: None-free; 4: nodes' load; 5: verdict; 6: charts; 7: traced; 8: cost;
# 9: every chart in full-scale units; 10: fidelity, peak request rate; 11: why that fidelity;
# 12: findings' places without the model file (the page names it as the user did);
# 13: what screening and egress nodes did (requests inspected, calls carried)
"""Bump when :class:`ScenarioResult` or the drawing of its histograms changes (the cached
value holds their SVGs): old cache entries then stop matching."""


@dataclass(frozen=True)
class Chart:
    """A chart's data; drawn once every scenario is known, so that charts of one ``name``
    share their axes (:func:`draw_charts`)."""

    name: str
    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]

    def svg(self, bounds: Bounds | None = None) -> str:
        return line_chart(self.title, self.x_label, self.y_label, self.series, bounds)


def draw_charts(results: Mapping[str, ScenarioResult]) -> dict[tuple[str, str], str]:
    """(scenario, chart name) → SVG, with the axes of each chart name covering the data of
    every scenario that has it."""
    bounds: dict[str, Bounds] = {}
    for result in results.values():
        for chart in result.charts:
            own = Bounds.of(chart.series)
            if own is not None:
                known = bounds.get(chart.name)
                bounds[chart.name] = own if known is None else known.union(own)
    return {
        (sid, chart.name): chart.svg(bounds.get(chart.name))
        for sid, result in sorted(results.items())
        for chart in result.charts
    }


@dataclass(frozen=True)
class FlowLatency:
    flow: str
    count: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    """None: no successful execution to measure."""
    chart: str
    """SVG histogram of the flow's latency."""


@dataclass(frozen=True)
class NodeLoad:
    """Calls one node served in a run: what the diagram viewer's hover card shows."""

    node: str
    calls: int
    failed: int
    per_s: float
    """Calls per second of the run's duration, at full scale (divided by the scenario's scale)."""
    inspected_per_s: float | None = None
    """A screening node's (WAF, Shield) requests inspected at the door of the nodes it
    protects, per second at full scale; None: the node screens nothing. Such a node
    receives no call of its own, so ``calls`` says nothing of its work."""
    blocked_per_s: float | None = None
    """Of those, the requests it blocked (a WAF's rate rule); None: its kind blocks none."""
    carried_per_s: float | None = None
    """An egress node's (NAT gateway, VPC endpoint) calls carried out of a private subnet,
    per second at full scale; None: the node carries no call. Like screening, carrying is
    no call to the node."""
    dropped_per_s: float | None = None
    """Of the calls sent its way, those it dropped (it was down) or refused (a NAT gateway
    out of ports); None with ``carried_per_s``."""


@dataclass(frozen=True)
class ConformanceRow:
    rule: str
    where: str
    """line:column and path in the model file; not the file, which the results are cached
    without (the same text may be built from anywhere)."""
    message: str


@dataclass(frozen=True)
class SloOutcome:
    """One SLO in the scenario's scope, as its check judged it."""

    flow: str
    result: str
    """``met``, ``missed``, ``missed (ignored: <reason>)``, ``not measured`` or ``not
    measured end to end`` (its other objectives met, its end-to-end one judged nothing)."""
    measured: str
    """What the check measured (its fact line), e.g. ``p99 180 ms (objective 300 ms), n=412``."""


@dataclass(frozen=True)
class NodeCostRow:
    """One node's cost in a run (real system, list prices)."""

    node: str
    kind: str
    region: str
    window_usd: float
    monthly_usd: float
    items: str
    """Its charges in words, largest first: ``ec2.c6i.xlarge 200 instance-hour …``."""
    not_priced: str


@dataclass(frozen=True)
class CostTotal:
    """A run's cost: the window and a month at its load, and what the figures rest on."""

    window_s: float
    window_usd: float
    monthly_usd: float
    prices_date: str
    scale: float
    not_priced: str
    """Kinds that carry no cost and why, in one line."""


@dataclass(frozen=True)
class RunFidelity:
    """How the run behind a scenario page simulated its system."""

    mode: str
    """``full``: every session request by request; ``hybrid``: a traced sample."""
    sample: float
    """Share of the sessions traced (1 in full fidelity)."""
    system_scale: float
    """The system simulated (in full fidelity, the run's scale)."""
    reason: str = ""
    """Why this fidelity (who asked, or what the budget estimate said); empty if not said."""


@dataclass(frozen=True)
class ScenarioResult:
    scenario: str
    summary: tuple[tuple[str, str], ...]
    charts: tuple[Chart, ...]
    flows: tuple[FlowLatency, ...]
    conformance: tuple[ConformanceRow, ...]
    conformance_verdict: str
    facts: tuple[tuple[str, str], ...]
    nodes: tuple[NodeLoad, ...] = ()
    passed: bool = True
    """No failing (error, not ignored) finding: the scenario's plain verdict."""
    slos: tuple[SloOutcome, ...] = ()
    traced: tuple[TracedRequest, ...] = ()
    """One representative request per flow the run completed without error."""
    cost: CostTotal | None = None
    node_costs: tuple[NodeCostRow, ...] = ()
    """Priced nodes, dearest first."""
    fidelity: RunFidelity | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> ScenarioResult:
        raw: dict[str, Any] = json.loads(data)
        return cls(
            scenario=raw["scenario"],
            summary=tuple((str(a), str(b)) for a, b in raw["summary"]),
            charts=tuple(
                Chart(
                    chart["name"],
                    chart["title"],
                    chart["x_label"],
                    chart["y_label"],
                    tuple(
                        Series(line["name"], tuple((x, y) for x, y in line["points"]))
                        for line in chart["series"]
                    ),
                )
                for chart in raw["charts"]
            ),
            flows=tuple(FlowLatency(**flow) for flow in raw["flows"]),
            conformance=tuple(ConformanceRow(**row) for row in raw["conformance"]),
            conformance_verdict=raw["conformance_verdict"],
            facts=tuple((str(a), str(b)) for a, b in raw["facts"]),
            nodes=tuple(NodeLoad(**load) for load in raw["nodes"]),
            passed=bool(raw["passed"]),
            slos=tuple(SloOutcome(**slo) for slo in raw["slos"]),
            traced=tuple(
                TracedRequest(**{**flow, "calls": tuple(TracedCall(**c) for c in flow["calls"])})
                for flow in raw["traced"]
            ),
            cost=CostTotal(**raw["cost"]) if raw.get("cost") else None,
            node_costs=tuple(NodeCostRow(**row) for row in raw.get("node_costs", ())),
            fidelity=RunFidelity(**raw["fidelity"]) if raw.get("fidelity") else None,
        )


# --------------------------------------------------------------------------- simulating


def result_key(loaded: LoadedModel, scenario_id: str, fidelity: Fidelity | None = None) -> str:
    """Model text + scenario + seed + fidelity and sample + archgen version (+ the shape of
    the cached value): a hybrid result is never served for a full one."""
    from archgen.runtime.fluid import FULL

    scenario = loaded.model.scenarios_by_id[scenario_id]
    fidelity = FULL if fidelity is None else fidelity
    return content_key(
        "scenario-result",
        RESULT_FORMAT,
        loaded.text,
        scenario_id,
        str(scenario.seed),
        fidelity.mode,
        repr(fidelity.sample if fidelity.hybrid else 1.0),
        archgen_version(),
    )


def scenario_results(
    loaded: LoadedModel,
    scenario_ids: list[str],
    cache: Cache,
    *,
    mode: Choice | None = None,
    sample: float | None = None,
) -> dict[str, ScenarioResult]:
    """The reduced result of each scenario at the fidelity ``mode`` and ``sample`` ask (see
    :func:`~archgen.runtime.session.resolve_fidelity`): from the cache when the model is
    unchanged, else simulated through the session (priced first, several scenarios at once
    on machines with several cores; Ctrl-C or SIGTERM stops them all, leaving no temporary
    folder)."""
    from archgen.runtime.session import resolve_fidelity, run_many

    model = loaded.model
    keys = {
        scenario_id: result_key(
            loaded,
            scenario_id,
            resolve_fidelity(model, model.scenarios_by_id[scenario_id], mode, sample),
        )
        for scenario_id in scenario_ids
    }
    found = {sid: cache.get("scenarios", key) for sid, key in keys.items()}
    missing = [sid for sid, data in found.items() if data is None]
    made = run_many(
        loaded, missing, reduced_json, can_override=False, traced=True, mode=mode, sample=sample
    )
    for scenario_id, data in zip(missing, made, strict=True):
        cache.put("scenarios", keys[scenario_id], data)
        found[scenario_id] = data
    return {sid: ScenarioResult.from_json(data) for sid, data in found.items() if data is not None}


def reduced_json(loaded: LoadedModel, outcome: Outcome) -> bytes:
    """The site's reduction of a run, as cached (made in the session's worker process)."""
    return reduce_outcome(loaded.model, outcome).to_json()


def simulate(loaded: LoadedModel, scenario_id: str) -> ScenarioResult:
    """Run the scenario through the session (into a temporary run folder, checked), and
    reduce it."""
    from archgen.runtime.session import run_and_check

    return reduce_outcome(loaded.model, run_and_check(loaded, scenario_id, traced=True))


def reduce_outcome(model: Model, outcome: Outcome) -> ScenarioResult:
    result = reduce_run(
        model,
        outcome.scenario,
        outcome.summary,
        outcome.metrics(),
        outcome.flow_stats,
        outcome.period_s,
        outcome.scope,
    )
    return replace(result, traced=tuple(outcome.traced.values()))


def reduce_run(
    model: Model,
    scenario_id: str,
    summary: RunSummary,
    metrics: list[MetricPoint],
    flow_stats: Mapping[str, FlowStats],
    period_s: float,
    scope: Scope,
) -> ScenarioResult:
    """What the pages show of one run: a few series, percentiles and the check's findings."""
    from archgen.model.stats import percentiles

    flows = summary.flows
    user_facing = {flow.id for flow in model.flows if flow.user_facing}
    scale = float(summary.scale)
    charts = [
        _traffic_chart(flows, period_s, scale),
        _instances_chart(summary),
        _latency_chart(flow_stats, user_facing, period_s),
        _queue_chart(model, metrics),
        _errors_chart(flows, period_s, scale),
    ]
    latencies = []
    for flow_id in sorted(flow_stats):
        stats = flow_stats[flow_id]
        values = sorted(stats.latencies)
        entry = flows.get(flow_id)
        if not values and not (entry is not None and entry.failed):
            continue
        p50, p95, p99 = percentiles(values, (50, 95, 99))
        latencies.append(
            FlowLatency(
                flow=flow_id,
                count=int(stats.ok + stats.failed),
                errors=int(stats.failed),
                p50_ms=_round(p50),
                p95_ms=_round(p95),
                p99_ms=_round(p99),
                chart=histogram(
                    f"Latency of {flow_id} (successful executions)",
                    "milliseconds",
                    values,
                    tuple(
                        (name, value)
                        for name, value in (("p50", p50), ("p95", p95), ("p99", p99))
                        if value is not None
                    ),
                ),
            )
        )
    findings = [f for f in scope.findings if f.suppressed is None]
    rows = tuple(
        ConformanceRow(
            rule=f"{f.severity.value}: {f.rule}",
            where=f"{f.line}:{f.column}" + (f" {f.path}" if f.path else ""),
            message=f.message,
        )
        for f in findings
    )
    errors = sum(1 for f in findings if f.failing)
    if not rows:
        verdict = f"{len(scope.rules)} rules checked, no finding."
    else:
        verdict = (
            f"{len(rows)} finding(s), {errors} of them error(s), over {len(scope.rules)} "
            "rules checked."
        )
    return ScenarioResult(
        scenario=scenario_id,
        summary=_summary_rows(summary),
        charts=tuple(chart for chart in charts if chart is not None),
        flows=tuple(latencies),
        conformance=rows,
        conformance_verdict=verdict,
        facts=tuple((str(name), str(value)) for name, value in scope.facts),
        nodes=_node_loads(summary),
        passed=errors == 0,
        slos=_slo_outcomes(model, scenario_id, scope),
        cost=_cost_total(summary),
        node_costs=_node_costs(summary),
        fidelity=_run_fidelity(summary),
    )


def _run_fidelity(summary: RunSummary) -> RunFidelity:
    hybrid = summary.fidelity
    if hybrid is None:
        return RunFidelity("full", 1.0, float(summary.scale))
    return RunFidelity(hybrid.mode, hybrid.sample, float(hybrid.system_scale), hybrid.reason or "")


def _cost_total(summary: RunSummary) -> CostTotal:
    cost = summary.cost
    return CostTotal(
        window_s=float(cost.window_s),
        window_usd=cost.window_usd,
        monthly_usd=cost.monthly_usd,
        prices_date=cost.prices_date,
        scale=float(cost.scale),
        not_priced="; ".join(f"{kind} ({why})" for kind, why in cost.kinds_not_priced.items()),
    )


def _node_costs(summary: RunSummary) -> tuple[NodeCostRow, ...]:
    rows = []
    for node_id, node in summary.cost.nodes.items():
        lines = sorted(node.lines, key=lambda line: (-line.window_usd, line.item))
        rows.append(
            NodeCostRow(
                node=node_id,
                kind=node.kind,
                region=node.region or "global",
                window_usd=node.window_usd,
                monthly_usd=node.monthly_usd,
                items="; ".join(
                    f"{line.item}: {line.quantity:,.6g} {line.unit}"
                    for line in lines
                    if line.quantity
                ),
                not_priced="; ".join(node.not_priced),
            )
        )
    return tuple(sorted(rows, key=lambda row: (-row.monthly_usd, row.node)))


def _slo_outcomes(model: Model, scenario_id: str, scope: Scope) -> tuple[SloOutcome, ...]:
    """How the check judged each SLO in the scenario's scope (its ``slo`` findings point at
    ``flows[i].slo``; its facts say what it measured)."""
    from archgen.model.flows import slo_scope

    facts = dict(scope.facts)
    index = {flow.id: i for i, flow in enumerate(model.flows)}
    judged = (
        scope.slos.evaluated
        if scope.slos is not None
        else tuple(flow.id for flow in slo_scope(model, scenario_id).in_scope)
    )
    outcomes = []
    for flow in (model.flow(flow_id) for flow_id in judged):
        measured = facts.get(f"slo {flow.id}", "")
        where = f"flows[{index[flow.id]}].slo"
        missed = [f for f in scope.findings if f.rule == "slo" and f.path.startswith(where)]
        if any(f.suppressed is None for f in missed):
            result = "missed"
        elif missed:
            result = f"missed (ignored: {missed[0].suppressed})"
        elif measured in ("", "no execution after warm-up"):
            result = "not measured"
        elif "no request to judge" in measured:
            result = "not measured end to end"
        else:
            result = "met"
        outcomes.append(SloOutcome(flow.id, result, measured or "no execution after warm-up"))
    return tuple(outcomes)


def _node_loads(summary: RunSummary) -> tuple[NodeLoad, ...]:
    """Each node's calls, and the work of the nodes that do theirs on other nodes' calls
    (screening, egress), which its behavior's own keys in ``summary.json`` count."""
    seconds = float(summary.duration_s) * float(summary.scale)

    def rate(count: float) -> float:
        return round(count / seconds, 3) if seconds > 0 else 0.0

    def optional(count: JsonValue) -> float | None:
        return rate(count) if isinstance(count, int | float) else None

    loads = []
    for node_id, node in sorted(summary.nodes.items()):
        extra = node.model_extra or {}
        egress = extra.get("egress")
        egress = egress if isinstance(egress, dict) else {}
        dropped = [egress.get(key) for key in ("dropped", "port_allocation_errors")]
        loads.append(
            NodeLoad(
                node=node_id,
                calls=node.arrived,
                failed=node.failed,
                per_s=rate(node.arrived),
                inspected_per_s=optional(extra.get("inspected")),
                blocked_per_s=optional(extra.get("blocked_requests")),
                carried_per_s=optional(egress.get("calls")),
                dropped_per_s=(
                    rate(sum(n for n in dropped if isinstance(n, int | float))) if egress else None
                ),
            )
        )
    return tuple(loads)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _summary_rows(summary: RunSummary) -> tuple[tuple[str, str], ...]:
    def fmt(value: int) -> str:
        return f"{value:,}"

    availability = summary.availability
    hybrid = summary.fidelity is not None and summary.fidelity.mode == "hybrid"
    traced = " (traced)" if hybrid else ""
    rows = [
        (f"Sessions{traced}", fmt(summary.sessions)),
        (f"Requests{traced}", fmt(summary.requests)),
        (f"Spans{traced}", fmt(summary.spans)),
        ("Simulated events", fmt(summary.events)),
        (
            "Availability of flows",
            "—" if availability is None else f"{100 * float(availability):.4g} %",
        ),
        ("Calls outside declared edges", fmt(summary.violations)),
    ]
    peak = summary.peak_requests_real_per_s
    if peak is not None:
        rows.append(
            (
                "Peak requests per second sent into the system (real units)",
                f"{peak:,.6g} (the busiest metric period, from {summary.peak_requests_t_s:g} s)",
            )
        )
    attack = summary.attack
    if attack.requests:
        label = "Attack requests (traced; blocked)" if hybrid else "Attack requests (blocked)"
        rows.append((label, f"{fmt(attack.requests)} ({fmt(attack.blocked)})"))
    for cause, count in sorted(summary.errors_by_cause.items()):
        rows.append((f"Failed flows: {cause}", fmt(count)))
    return tuple(rows)


TIME = "simulated time (s)"
"""Every chart's x axis: seconds of the simulated run, not of the machine that ran it."""


def _traffic_chart(flows: Mapping[str, FlowSummary], period_s: float, scale: float) -> Chart:
    series = [
        Series(
            flow_id,
            tuple(
                (p.t_s, round((p.ok + p.failed) / period_s / scale, 6))
                for p in flows[flow_id].timeline
            ),
        )
        for flow_id in sorted(flows)
    ]
    return Chart(
        "traffic",
        "Traffic: flows started per second",
        TIME,
        "flows / s (full scale)",
        tuple(line for line in series if line.points),
    )


def _instances_chart(summary: RunSummary) -> Chart | None:
    fleets = summary.instances
    # In hybrid fidelity fleets keep the system's instances, not the traced share.
    hybrid = summary.fidelity
    scale = float(hybrid.system_scale if hybrid and hybrid.mode == "hybrid" else summary.scale)
    series = tuple(
        Series(
            node,
            tuple((float(t), round(float(n) / scale, 6)) for t, n, *_ in fleets[node].timeline),
        )
        for node in sorted(fleets)
        if fleets[node].timeline
    )
    if not series:
        return None
    return Chart("instances", "Instances in service", TIME, "instances (full scale)", series)


def _latency_chart(
    flow_stats: Mapping[str, FlowStats],
    user_facing: set[str],
    period_s: float,
) -> Chart:
    from archgen.model.stats import percentiles

    by_period: dict[int, list[float]] = {}
    for flow_id in sorted(flow_stats):
        if flow_id not in user_facing:
            continue
        for period, bucket in flow_stats[flow_id].periods.items():
            by_period.setdefault(int(period), []).extend(bucket[2])
    points: dict[float, list[tuple[float, float]]] = {50: [], 95: [], 99: []}
    for period, values in sorted(by_period.items()):
        for q, value in zip(points, percentiles(values, tuple(points)), strict=True):
            if value is not None:
                points[q].append((period * period_s, value))
    return Chart(
        "latency",
        "Latency percentiles of user-facing flows",
        TIME,
        "milliseconds",
        tuple(Series(f"p{q:g}", tuple(line)) for q, line in points.items()),
    )


def _queue_chart(model: Model, metrics: list[MetricPoint]) -> Chart | None:
    """The queues' depth, as ``metrics.jsonl`` has it: in real units already."""
    queues = {node.id for node in model.nodes if has(node.kind, Capability.queue)}
    points: dict[str, list[tuple[float, float]]] = {}
    for point in metrics:
        value = point.published(QUEUE_DEPTH)
        if point.node in queues and value is not None:
            points.setdefault(point.node, []).append((point.t_s, value))
    if not points:
        return None
    return Chart(
        "queues",
        "Queue depth: messages visible",
        TIME,
        "messages (full scale)",
        tuple(Series(node, tuple(points[node])) for node in sorted(points)),
    )


def _errors_chart(flows: Mapping[str, FlowSummary], period_s: float, scale: float) -> Chart:
    timelines = {flow_id: flows[flow_id].timeline for flow_id in sorted(flows)}
    series = [
        Series(flow_id, tuple((p.t_s, round(p.failed / period_s / scale, 6)) for p in timeline))
        for flow_id, timeline in timelines.items()
        if any(p.failed for p in timeline)
    ]
    if not series:
        times = sorted({p.t_s for f in flows.values() for p in f.timeline})
        series = [Series("all flows", tuple((t, 0.0) for t in times))]
    return Chart(
        "errors",
        "Errors: failed flow executions per second",
        TIME,
        "failed flows / s (full scale)",
        tuple(series),
    )


QUEUE_DEPTH = "ApproximateNumberOfMessagesVisible"
