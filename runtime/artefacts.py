"""The files a run and a check leave behind, as typed, versioned classes.

``summary.json``, each line of ``spans.jsonl`` and ``metrics.jsonl``, and each finding of
``check --format json`` is one of these frozen pydantic models. Writers keep their fast
hand-made JSON (the bytes are pinned); readers parse through the models, so a malformed
file or one written by another schema version is refused with one clear message instead
of a ``KeyError`` deep inside a check. ``archgen schema --artefact NAME`` publishes the JSON
Schema of each (``$id`` ends in ``-<SCHEMA_VERSION>.json``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

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

    t_s: float
    ok: int
    failed: int
    p99_ms: float | None


class FlowSummary(_Artefact):
    """Executions of one flow after warm-up; latencies in milliseconds."""

    completed: int
    ok: int
    failed: int
    availability: float | None = Field(description="ok / completed (0..1); null: no execution")
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    throughput_per_s: float | None = Field(description="executions per second, at full scale")
    errors: dict[str, int]
    timeline: list[TimelinePoint]


class NodeSummary(_Artefact):
    """Calls one node served; a behavior adds its own keys (``kms``, ``cache``…)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, JsonValue]

    kind: str
    arrived: int
    ok: int
    failed: int
    in_flight: int
    errors: dict[str, int]
    counters: dict[str, int]


class FleetSummary(_Artefact):
    """An Auto Scaling fleet: sizes, and ``[t_s, in_service, pending, cpu_percent]`` rows."""

    initial: int
    min: int
    max: int
    final_in_service: int
    peak_in_service: int
    timeline: list[tuple[float, int, int, float | None]]


class CacheSummary(_Artefact):
    hits: int
    misses: int
    hit_ratio: float | None
    stale_served: int
    origin_failovers: int


class AttackSummary(_Artefact):
    requests: int
    blocked: int


class FaultEvent(_Artefact):
    """A scenario fault starting or ending."""

    t_s: float
    type: str
    target: str
    state: Literal["start", "end"]


class QueueAccount(_Artefact):
    """Where the messages sent to one queue ended:
    ``sent = processed + in_dlq + in_queue + lost``."""

    sent: int
    processed: int
    in_dlq: int
    in_queue: int
    lost: int
    in_flight: int
    processed_and_in_dlq: int
    duplicates_suppressed: int
    applied_twice: int
    consumers: list[str]


class MessageBooks(_Artefact):
    """The run's message books (:mod:`archgen.runtime.accounting`)."""

    queues: dict[str, QueueAccount]
    notifications: dict[str, dict[str, int]] = Field(
        description="deliveries per protocol (email, sqs…), figures by outcome"
    )


class RunSummary(_Artefact):
    """``summary.json``: the users' view of one run first, then each node's."""

    schema_version: Literal[1] = SCHEMA_VERSION
    model: str
    scenario: str
    seed: int
    # As the scenario wrote them: ``warmup_s: 0`` stays 0, not 0.0.
    scale: int | float
    duration_s: int | float
    warmup_s: int | float
    events: int
    sessions: int
    requests: int
    requests_real_per_s: float | None
    spans: int
    spans_sha256: str | None = Field(
        default=None, description="sha256 of spans.jsonl beside it (absent without a folder)"
    )
    violations: int
    flows_in_flight: int
    availability: float | None
    flows: dict[str, FlowSummary]
    errors_by_cause: dict[str, int]
    attack: AttackSummary
    instances: dict[str, FleetSummary]
    cache: dict[str, CacheSummary]
    faults: list[FaultEvent]
    pipeline: MessageBooks
    nodes: dict[str, NodeSummary]


# -- spans.jsonl


class SpanRecord(_Artefact):
    """One finished call (a line of ``spans.jsonl``); times in ms since the run started."""

    span: str = Field(pattern=r"^s[0-9]+$")
    parent: str | None = Field(pattern=r"^s[0-9]+$")
    trace: str = Field(pattern=r"^t[0-9]+$")
    session: int
    journey: str | None
    flow: str | None
    step: int | None
    source: str = Field(alias="from")
    node: str
    op: str
    start_ms: float
    end_ms: float
    status: Literal["ok", "error", "violation"]
    error: str | None
    attrs: dict[str, JsonValue]


# -- metrics.jsonl


class LatencyStats(_Artefact):
    avg_ms: float
    p99_ms: float
    max_ms: float


class MetricPoint(_Artefact):
    """One node's statistics for one closed period (a line of ``metrics.jsonl``).

    Counts are omitted when zero; other keys are the period's average of a metric a
    behavior publishes (``CPUUtilization``, ``HealthyHostCount``…)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, float]

    node: str
    t_s: float
    Latency: LatencyStats | None = None
    RequestCount: int | float | None = None
    Errors: int | float | None = None
    HTTPCode_5XX_Count: int | float | None = None
    Throttles: int | float | None = None

    def published(self, name: str) -> float | None:
        """The period's average of metric ``name`` a behavior published, None without one."""
        extra = self.model_extra or {}
        value = extra.get(name)
        return None if value is None else float(value)


# -- check findings


Measure = int | float


class FindingRecord(_Artefact):
    """One finding of ``archgen check --format json``.

    ``values`` holds the measured numbers the message quotes, each key naming its unit
    (``p99_ms``, ``objective_ms``, ``availability_percent``, ``count``…)."""

    rule: str
    severity: Literal["error", "warning"]
    message: str
    file: str
    line: int
    column: int
    path: str
    suppressed: str | None
    details: str
    values: dict[str, Measure] = Field(default_factory=dict)


ARTEFACTS: dict[str, type[_Artefact]] = {
    "summary": RunSummary,
    "span": SpanRecord,
    "metric": MetricPoint,
    "finding": FindingRecord,
}


def artefact_schema(name: str) -> dict[str, JsonValue]:
    """The published JSON Schema of artefact ``name`` (one of :data:`ARTEFACTS`)."""
    schema = ARTEFACTS[name].model_json_schema(by_alias=True, mode="serialization")
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
