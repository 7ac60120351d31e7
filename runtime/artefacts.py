"""The files a run and a check leave behind, as typed, versioned classes.

``summary.json``, each line of ``spans.jsonl`` and ``metrics.jsonl``, and each finding of
``check --format json`` is one of these frozen pydantic models. Writers keep their fast
hand-made JSON (the bytes are pinned); readers parse through the models, so a malformed
file or one written by another schema version is refused with one clear message instead
of a ``KeyError`` deep inside a check. ``archgen schema --artefact NAME`` publishes the JSON
Schema of each (``$id`` ends in ``-<SCHEMA_VERSION>.json``).
"""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError
from pydantic.config import JsonDict

SCHEMA_VERSION: Literal[1] = 1
"""Bump when a field of any artefact changes meaning or disappears; readers refuse others."""

SCHEMA_BASE = "https://archgen.dev/schema"


class ArtefactError(ValueError):
    """An artefact file that does not match its schema (bad input, exit 2)."""


class _Artefact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# -- summary.json


class TimelinePoint(_Artefact):
    """One metric period of a flow: executions that ended in it and their p99."""

    t_s: float = Field(description="Start of the period, in seconds since the run started.")
    ok: int = Field(description="Executions that ended well in the period.")
    failed: int = Field(description="Executions that ended in an error in the period.")
    p99_ms: float | None = Field(
        description="99th percentile of their latency, in ms; null: no execution."
    )


class FlowSummary(_Artefact):
    """Executions of one flow after warm-up; latencies in milliseconds."""

    completed: int = Field(description="Executions that ended after warm-up (ok + failed).")
    ok: int = Field(description="Executions that ended well.")
    failed: int = Field(description="Executions that ended in an error.")
    availability: float | None = Field(description="ok / completed (0..1); null: no execution")
    p50_ms: float | None = Field(description="Median latency, in ms; null: no execution.")
    p95_ms: float | None = Field(description="95th percentile latency, in ms; null: no execution.")
    p99_ms: float | None = Field(description="99th percentile latency, in ms; null: no execution.")
    throughput_per_s: float | None = Field(description="executions per second, at full scale")
    errors: dict[str, int] = Field(description="Failed executions by the error that ended them.")
    timeline: list[TimelinePoint] = Field(description="One point per metric period.")


class OpCalls(_Artefact):
    """Finished calls of one operation at one node (simulated)."""

    n: int = Field(description="Calls of the operation that finished at the node.")
    ms: float = Field(description="Their total duration, in ms (start to answer).")


class NodeSummary(_Artefact):
    """Calls one node served; a behavior adds its own keys (``kms``, ``cache``…)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, JsonValue]

    kind: str = Field(description="The node's kind.")
    arrived: int = Field(description="Calls that reached the node.")
    ok: int = Field(description="Calls it answered well.")
    failed: int = Field(description="Calls it answered with an error.")
    in_flight: int = Field(description="Calls still running when the run ended.")
    errors: dict[str, int] = Field(description="Failed calls by error.")
    counters: dict[str, int] = Field(
        description="Events its behavior counted (throttles, cold starts…), by name."
    )
    calls: dict[str, OpCalls] = Field(
        default_factory=dict,
        description="Finished calls by operation: count and total ms (what a bill counts).",
    )
    callers: dict[str, int] = Field(
        default_factory=dict, description="Finished calls by the node that made them."
    )


class ZoneInstances(_Artefact):
    """One availability zone of a fleet (simulated instances)."""

    final_in_service: int = Field(description="Instances in service there when the run ended.")
    peak_in_service: int = Field(description="Most instances in service there at once.")


class FleetSummary(_Artefact):
    """A fleet (an Auto Scaling group, an ECS service): sizes, and ``[t_s, in_service,
    pending, cpu_percent]`` rows."""

    member: str = Field(
        "instance", description="What one member of the fleet is: an instance, or a task."
    )
    initial: int = Field(description="Instances at the start (simulated, after the run's scale).")
    min: int = Field(description="Fewest instances Auto Scaling keeps (simulated).")
    max: int = Field(description="Most instances Auto Scaling launches (simulated).")
    final_in_service: int = Field(description="Instances in service when the run ended.")
    peak_in_service: int = Field(description="Most instances in service at once.")
    zones: dict[str, ZoneInstances] = Field(
        description="Availability zone → its instances (empty for a fleet without zones)."
    )
    timeline: list[tuple[float, int, int, float | None]] = Field(
        description="``[t_s, in_service, pending, cpu_percent]`` per metric period."
    )


class CacheSummary(_Artefact):
    """A CDN's caches over the whole run (every edge location together)."""

    hits: int = Field(description="Requests answered from a cache (an edge or the shield).")
    misses: int = Field(description="Requests sent on to the origin.")
    shield_hits: int = Field(
        description="Edge misses the Origin Shield answered (0 without origin_shield)."
    )
    hit_ratio: float | None = Field(description="hits / (hits + misses); null: no request.")
    stale_served: int = Field(
        description="Expired copies served because the origin failed (stale-if-error)."
    )
    origin_failovers: int = Field(description="Requests retried on the secondary origin.")


class AttackSummary(_Artefact):
    """Hostile traffic of a DDoS scenario and how much of it was blocked."""

    requests: int = Field(description="Hostile requests sent (simulated).")
    blocked: int = Field(description="Hostile requests a protection blocked.")


class FaultEvent(_Artefact):
    """A scenario fault starting or ending."""

    t_s: float = Field(description="When, in seconds since the run started.")
    type: str = Field(description="The fault's type (node_outage, az_outage…).")
    target: str = Field(description="The node or group it hits.")
    state: Literal["start", "end"] = Field(description="Whether the fault starts or ends.")


class QueueAccount(_Artefact):
    """Where the messages sent to one queue ended:
    ``sent = processed + in_dlq + in_queue + lost``."""

    sent: int = Field(description="Messages sent to the queue.")
    processed: int = Field(description="Messages a consumer processed to the end.")
    in_dlq: int = Field(description="Messages in its dead-letter queue.")
    in_queue: int = Field(description="Messages still in the queue at the end.")
    lost: int = Field(description="Messages accounted nowhere else (must be 0).")
    in_flight: int = Field(description="Messages received and not yet deleted at the end.")
    processed_and_in_dlq: int = Field(description="Messages both processed and dead-lettered.")
    duplicates_suppressed: int = Field(
        description="Redeliveries of processed messages acknowledged without running again."
    )
    applied_twice: int = Field(
        description="Messages that ran to success more than once (must be 0)."
    )
    consumers: list[str] = Field(description="Nodes that consume the queue.")


class MessageBooks(_Artefact):
    """The run's message books (:mod:`archgen.runtime.accounting`)."""

    queues: dict[str, QueueAccount] = Field(description="Queue id → where its messages ended.")
    notifications: dict[str, dict[str, int]] = Field(
        description="deliveries per protocol (email, sqs…), figures by outcome"
    )


class CostLine(_Artefact):
    """One charge of a node's bill: a quantity of a price-table item at its list price."""

    item: str = Field(description="Price-table item (``lambda.request``, ``ec2.c6i.xlarge``…).")
    what: str = Field(description="What was counted, in words (assumptions included).")
    quantity: float = Field(description="Units in the window, in the real (un-scaled) system.")
    unit: str = Field(description="The unit priced (request, GB-second, instance-hour…).")
    unit_usd: float = Field(
        description="List price of one unit, in US dollars; for a price tiered by volume, the "
        "average over its tiers at the month's volume the run projects."
    )
    window_usd: float = Field(description="quantity × unit_usd: US dollars for the window.")


class NodeCost(_Artefact):
    """What one node cost over the window, and per month at the same load."""

    kind: str = Field(description="The node's kind.")
    region: str | None = Field(description="Region code it is priced in; null: global.")
    window_usd: float = Field(description="US dollars over the simulated window (real system).")
    monthly_usd: float = Field(description="window_usd extrapolated to a 730-hour month.")
    lines: list[CostLine] = Field(description="The charges, as its kind's rule made them.")
    not_priced: list[str] = Field(description="What this node costs that is not priced, and why.")


class RunCost(_Artefact):
    """The run's cost at the price table's list prices, in the real (un-scaled) system:
    counted activity ÷ scale; instance counts as the real fleet they stand for."""

    currency: Literal["USD"] = Field(description="Currency of every amount.")
    prices_date: str = Field(description="Date of the price table used (YYYY-MM-DD).")
    window_s: int | float = Field(description="Seconds priced: the whole simulated duration.")
    scale: int | float = Field(description="The run's scale, undone before pricing.")
    window_usd: float = Field(description="US dollars over the window, every node together.")
    monthly_usd: float = Field(
        description="window_usd × (hours_per_month × 3600 / window_s): a month at this load."
    )
    hours_per_month: int = Field(description="Hours in AWS's pricing month (730).")
    by_kind_monthly_usd: dict[str, float] = Field(description="Kind → its nodes' monthly_usd.")
    nodes: dict[str, NodeCost] = Field(description="Node id → its cost (priced kinds only).")
    kinds_not_priced: dict[str, str] = Field(
        description="Kind → why its nodes carry no cost (``free: …`` or ``not priced: …``)."
    )


class CapacityFigure(_Artefact):
    """One capacity of a node in the real system and in the run (``runtime/capacity.py``)."""

    real: int | float = Field(description="As the model declares it (real system).")
    scaled: int | float = Field(description="real × the run's scale: what the run should have.")
    simulated: int | float = Field(
        description="What the run had (time-averaged for time-shared slots)."
    )
    how: Literal["exact", "time-shared", "whole"] = Field(
        description="``exact``: a rate kept fractional; ``time-shared``: concurrent slots, "
        "the fractional one busy at most its share of the time; ``whole``: a count of "
        "instances rounded to the nearest (at least one)."
    )
    warning: str | None = Field(
        description="How the simulated capacity differs from the real one by more than 5 % "
        "(or leaves zones empty); null when faithful."
    )


class FidelitySummary(_Artefact):
    """How the run simulated its system, and why (absent when a caller of the library
    asked for full fidelity without a reason)."""

    mode: Literal["full", "hybrid"] = Field(
        description="full: every session request by request; hybrid: a traced sample of the "
        "sessions, pools of servers as fluids."
    )
    sample: float = Field(description="Share of the sessions traced request by request.")
    system_scale: int | float = Field(
        description="Share of the real system simulated: pools keep real × this many servers; "
        "``scale`` (= system_scale × sample) is what traffic and counts are traced at."
    )
    reason: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Why this fidelity: who asked for it, or what the budget estimate said "
        "(the scenario's fidelity auto).",
    )


class RunSummary(_Artefact):
    """``summary.json``: the users' view of one run first, then each node's."""

    schema_version: Literal[1] = Field(
        SCHEMA_VERSION, description="Version of this file's schema; readers refuse another."
    )
    model: str = Field(description="The model's system id.")
    scenario: str = Field(description="The scenario simulated.")
    seed: int = Field(description="The random seed: the same seed gives the same run.")
    # As the scenario wrote them: ``warmup_s: 0`` stays 0, not 0.0.
    scale: int | float = Field(
        description="Share of the real system simulated (traffic and capacity)."
    )
    duration_s: int | float = Field(description="Simulated seconds.")
    warmup_s: int | float = Field(description="Seconds at the start left out of the flow figures.")
    events: int = Field(description="Events the simulation processed.")
    sessions: int = Field(description="User sessions started (simulated).")
    requests: int = Field(description="Calls that reached any node (simulated).")
    requests_real_per_s: float | None = Field(
        description="Calls per second at full scale (requests / duration / scale)."
    )
    peak_requests_real_per_s: float | None = Field(
        default=None,
        description="Calls clients (users and attackers) sent into the system per second in "
        "the busiest metric period, at full scale: that period's calls / its length / scale "
        "(in hybrid fidelity scale is system scale × sample, so the figure is the real "
        "system's). Null: no call, or a run written before the figure existed.",
    )
    peak_requests_t_s: float | None = Field(
        default=None,
        description="Start of that busiest metric period, in simulated seconds; null with it.",
    )
    spans: int = Field(description="Lines of spans.jsonl.")
    spans_sha256: str | None = Field(
        default=None, description="sha256 of spans.jsonl beside it (absent without a folder)"
    )
    violations: int = Field(
        description="Calls refused for following no declared edge or operation."
    )
    flows_in_flight: int = Field(description="Flow executions still running when the run ended.")
    availability: float | None = Field(
        description="ok / completed over every flow (0..1); null: no execution."
    )
    flows: dict[str, FlowSummary] = Field(description="Flow id → its executions after warm-up.")
    errors_by_cause: dict[str, int] = Field(
        description="Failed flow executions by error, over every flow."
    )
    attack: AttackSummary = Field(description="The scenario's hostile traffic.")
    instances: dict[str, FleetSummary] = Field(
        description="Fleet node id → its Auto Scaling figures."
    )
    cache: dict[str, CacheSummary] = Field(description="CDN node id → its cache figures.")
    faults: list[FaultEvent] = Field(description="Faults starting and ending, earliest first.")
    pipeline: MessageBooks = Field(
        description="Where the messages sent to queues and topics ended."
    )
    cost: RunCost = Field(description="What the run cost at list prices (real system).")
    nodes: dict[str, NodeSummary] = Field(description="Node id → the calls it served.")
    capacities: dict[str, dict[str, CapacityFigure]] = Field(
        description="Node id → each capacity it scaled: real, scaled and simulated."
    )
    scale_warnings: list[str] = Field(
        description="Capacities the run simulates more than 5 % away from real × scale, or "
        "whose instances leave zones of the real fleet empty; empty when the scaled system "
        "is faithful."
    )
    fidelity: FidelitySummary | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The fidelity of the run and why (absent: full fidelity, asked by a "
        "caller of the library).",
    )


# -- spans.jsonl


class SpanRecord(_Artefact):
    """One finished call (a line of ``spans.jsonl``); times in ms since the run started."""

    span: str = Field(
        pattern=r"^s[0-9]+$", description="Span id (``s`` + number), unique in the run."
    )
    parent: str | None = Field(
        pattern=r"^s[0-9]+$", description="Id of the call that made this one; null for a root call."
    )
    trace: str = Field(
        pattern=r"^t[0-9]+$",
        description="Trace id (``t`` + number): every call of one flow execution.",
    )
    session: int = Field(description="The user session it belongs to.")
    journey: str | None = Field(description="The session's journey; null outside a journey.")
    flow: str | None = Field(
        description="The flow it is a step of; null for calls of no flow (health checks, polls)."
    )
    step: int | None = Field(description="The flow step's number (1-based); null outside a flow.")
    source: str = Field(alias="from", description="The calling node.")
    node: str = Field(description="The called node.")
    op: str = Field(description="The operation called.")
    start_ms: float = Field(description="When the call started, in ms since the run started.")
    end_ms: float = Field(description="When it ended, in ms since the run started.")
    status: Literal["ok", "error", "violation"] = Field(
        description="``ok``, ``error``, or ``violation`` (no declared edge or operation)."
    )
    error: str | None = Field(description="The error that ended it; null when ok.")
    attrs: dict[str, JsonValue] = Field(
        description="Facts the behaviors noted (cache hit, message id, cold start…)."
    )


SpanStatus = Literal["ok", "error", "violation"]
"""How a call ended: ``ok``, ``error``, or ``violation`` (no declared edge or operation)."""

SpanDict = TypedDict(
    "SpanDict",
    {
        "attrs": dict[str, JsonValue],
        "end_ms": float,
        "error": str | None,
        "flow": str | None,
        "from": str,
        "journey": str | None,
        "node": str,
        "op": str,
        "parent": str | None,
        "session": int,
        "span": str,
        "start_ms": float,
        "status": SpanStatus,
        "step": int | None,
        "trace": str,
    },
)
"""A span as the runtime keeps it in memory (``--explain``, tests): the keys of
:class:`SpanRecord`, a plain dict because a run makes millions of them (a test keeps the
two in step)."""


# -- metrics.jsonl


class DistributionStats(_Artefact):
    """A distribution metric's period (``TargetResponseTime``, ``Duration``…), in its unit."""

    avg: float = Field(description="Average of the period's datapoints, in the metric's unit.")
    max: float = Field(description="Largest datapoint of the period.")
    n: int = Field(description="Number of datapoints (events) in the period.")
    p99: float = Field(description="99th percentile of the period's datapoints (nearest rank).")


def _describe_metric_values(schema: JsonDict) -> None:
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        extra["description"] = (
            "A metric the node's kind declares, by its AWS name: a count's sum, a gauge's "
            "average or a distribution's statistics."
        )


class MetricPoint(_Artefact):
    """One node's statistics for one closed period (a line of ``metrics.jsonl``).

    Besides ``node`` and ``t_s``, each key is a metric the node's kind declares (AWS's
    name, ``archgen`` lists them per kind): a count is the period's sum (omitted when
    zero), a gauge the period's average, a distribution ``{avg, max, n, p99}``; in the
    real system's units at any scale or sample (``n`` is the datapoints simulated)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_describe_metric_values)
    __pydantic_extra__: dict[str, float | DistributionStats]

    node: str = Field(description="The node the statistics are about.")
    t_s: float = Field(description="End of the period, in seconds since the run started.")

    def published(self, name: str) -> float | None:
        """The period's value of metric ``name`` (a distribution's average), None without one."""
        extra = self.model_extra or {}
        value = extra.get(name)
        if value is None:
            return None
        if isinstance(value, DistributionStats):
            return value.avg
        if isinstance(value, dict):
            return float(value["avg"])
        return float(value)


# -- check findings


Measure = int | float


class FindingRecord(_Artefact):
    """One finding of ``archgen check --format json``.

    ``values`` holds the measured numbers the message quotes, each key naming its unit
    (``p99_ms``, ``objective_ms``, ``availability_percent``, ``count``…)."""

    rule: str = Field(description="Id of the rule (as in lint_ignore, SARIF and JUnit).")
    severity: Literal["error", "warning"] = Field(
        description="``error`` fails the check; ``warning`` does not."
    )
    message: str = Field(description="What is wrong, in words.")
    file: str = Field(description="The model file.")
    line: int = Field(description="Line in the model file (1-based).")
    column: int = Field(description="Column in the model file (1-based).")
    path: str = Field(description="Path of the model element, e.g. ``nodes[3].params``.")
    suppressed: str | None = Field(
        description="The lint_ignore reason that switched it off; null if it counts."
    )
    details: str = Field(description="More lines (e.g. declared and observed calls), or empty.")
    values: dict[str, Measure] = Field(
        default_factory=dict,
        description="The numbers the message quotes, each key naming its unit (``p99_ms``).",
    )


# -- sweep.json (``archgen sweep``)

SweepValue = int | float | str | bool | None
"""A swept parameter's value, as YAML reads it."""


class Interval(_Artefact):
    """A measure over the seeds of one configuration: its mean and the 95 % confidence
    interval of that mean (Student t over the seeds that measured it), clipped to the
    measure's range (0..1 for a share, ≥ 0 otherwise)."""

    mean: float = Field(description="Mean over the runs that measured it.")
    low: float | None = Field(description="Lower bound of the 95 % interval; null: one run.")
    high: float | None = Field(description="Upper bound of the 95 % interval; null: one run.")
    stdev: float | None = Field(description="Sample standard deviation; null: one run.")
    n: int = Field(description="Runs that measured it (a flow with no execution measures none).")


class FlowSweep(_Artefact):
    """One flow's figures over the seeds (each run's value after its warm-up)."""

    p50_ms: Interval | None = Field(description="Median latency, in ms; null: never measured.")
    p99_ms: Interval | None = Field(
        description="99th percentile latency, in ms; null: never measured."
    )
    availability: Interval | None = Field(
        description="ok / completed (0..1); null: never measured."
    )


class SweepConfiguration(_Artefact):
    """One combination of the swept values, run once per seed."""

    params: dict[str, SweepValue] = Field(
        description="``NODE.PARAM`` → the value of this configuration."
    )
    seeds: list[int] = Field(description="The seeds run, smallest first.")
    availability: Interval | None = Field(
        description="ok / completed over every flow (0..1); null: no execution."
    )
    slo_pass_rate: Interval | None = Field(
        description="Share of runs (0..1) in which every SLO in the scenario's scope was "
        "met; null: the scenario judges no SLO."
    )
    slo_misses: dict[str, int] = Field(
        description="Flow id → runs in which its SLO was missed (flows never missed left out)."
    )
    flows: dict[str, FlowSweep] = Field(description="Flow id → its figures.")
    peak_instances: dict[str, Interval] = Field(
        description="Fleet node id → most instances in service at once (simulated, at the "
        "run's scale)."
    )
    max_queue_age_s: dict[str, Interval] = Field(
        description="Queue node id → age of its oldest message at the worst period, in s."
    )
    cost_usd: Interval | None = Field(
        description="Cost of the simulated window in US dollars (the real system, at list "
        "prices), when runs price it; null otherwise."
    )
    monthly_cost_usd: Interval | None = Field(
        description="That cost extrapolated to a month at the same load, in US dollars; "
        "null when runs price nothing."
    )
    scale_warnings: list[str] = Field(
        default_factory=list,
        description="What its runs' scale did to capacities (each warning once): a value "
        "the scale rounds far from real × scale, so that two configurations may run the "
        "same simulated system.",
    )


class SweepParameter(_Artefact):
    """A varied parameter, addressed by the model's own ids."""

    name: str = Field(description="``NODE.PARAM`` as given to ``--vary``.")
    node: str = Field(description="The node's id.")
    param: str = Field(description="Path of the param in the node's params (dotted).")
    values: list[SweepValue] = Field(description="The values swept, as --vary lists them.")


class SweepResult(_Artefact):
    """``sweep.json``: per-configuration statistics of a sweep (``archgen sweep``)."""

    schema_version: Literal[1] = Field(
        SCHEMA_VERSION, description="Version of this file's schema; readers refuse another."
    )
    model: str = Field(description="The model's system id.")
    scenario: str = Field(description="The scenario every run simulates.")
    scale: int | float = Field(description="Share of the real system simulated.")
    duration_s: int | float = Field(description="Simulated seconds of each run.")
    seeds: list[int] = Field(description="The seeds every configuration runs.")
    confidence: float = Field(description="Confidence level of every interval (0.95).")
    interval_method: Literal["student-t"] = Field(
        description="How intervals are computed: mean ± t(n−1) · s/√n over the seeds."
    )
    parameters: list[SweepParameter] = Field(description="The varied parameters.")
    configurations: list[SweepConfiguration] = Field(
        description="Every configuration, the first parameter varying slowest."
    )


class SweepFlowRun(_Artefact):
    """One flow's figures in one run of a sweep."""

    p50_ms: float | None = Field(description="Median latency, in ms; null: no execution.")
    p99_ms: float | None = Field(description="99th percentile latency, in ms; null: none.")
    availability: float | None = Field(description="ok / completed; null: no execution.")


class SweepRun(_Artefact):
    """What a sweep keeps of one run (``runs/<key>.json`` in the sweep folder, reused by
    ``--resume`` when its key matches)."""

    key: str = Field(
        description="sha256 of model text, scenario, scale, duration, values and seed."
    )
    params: dict[str, SweepValue] = Field(description="``NODE.PARAM`` → value of the run.")
    seed: int = Field(description="The run's seed.")
    availability: float | None = Field(description="ok / completed over every flow.")
    slos_judged: list[str] = Field(description="Flows whose SLO the check judged.")
    slos_missed: list[str] = Field(description="Flows whose SLO the run missed.")
    flows: dict[str, SweepFlowRun] = Field(description="Flow id → its figures.")
    peak_instances: dict[str, int] = Field(description="Fleet id → peak instances in service.")
    max_queue_age_s: dict[str, float] = Field(description="Queue id → oldest message's age, s.")
    cost_usd: float | None = Field(description="Cost of the window, when the summary has it.")
    monthly_cost_usd: float | None = Field(
        description="The summary's cost extrapolated to a month, when it has one."
    )
    scale_warnings: list[str] = Field(
        default_factory=list, description="The run summary's ``scale_warnings``."
    )


ARTEFACTS: dict[str, type[_Artefact]] = {
    "summary": RunSummary,
    "span": SpanRecord,
    "metric": MetricPoint,
    "finding": FindingRecord,
    "sweep": SweepResult,
}


def artefact_schema(name: str) -> dict[str, JsonValue]:
    """The published JSON Schema of artefact ``name`` (one of :data:`ARTEFACTS`)."""
    schema = ARTEFACTS[name].model_json_schema(by_alias=True, mode="serialization")
    defs = schema.get("$defs")
    if isinstance(defs, dict) and defs.get("JsonValue") == {}:
        defs["JsonValue"] = {"description": "Any JSON value."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/{name}-{SCHEMA_VERSION}.json",
        **schema,
    }


def describe(error: ValidationError) -> str:
    """The first problem of a validation error, as ``path: message``."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top)"
    more = error.error_count() - 1
    return f"{where}: {first['msg']}" + (f" (and {more} more)" if more else "")


def parse_summary(data: object, source: str) -> RunSummary:
    """``summary.json`` as a :class:`RunSummary`; another version or shape → ArtefactError."""
    if not isinstance(data, dict):
        raise ArtefactError(f"{source}: expected a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        found = "none" if version is None else repr(version)
        raise ArtefactError(
            f"{source}: schema_version {found}, this archgen reads {SCHEMA_VERSION} "
            "(run the scenario again with this version)"
        )
    try:
        return RunSummary.model_validate(data)
    except ValidationError as error:
        raise ArtefactError(f"{source}: not a run summary ({describe(error)})") from None
