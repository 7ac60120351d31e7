"""EventBridge: an event bus whose rules match events by pattern and deliver them, with
retries and a dead-letter queue per target, asynchronously.

The whole declaration of the kind: its parameters, how it is drawn, its ARN, its metrics,
what it costs and the CloudFormation types it reads (a bus, and the rules on it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator, model_validator

from archgen.model.base import Duration, Id, Strict, ms
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Lints,
    Metrics,
    Node,
    Operations,
    Ref,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext, ImportedNode

MAX_TARGETS = 5
"""Targets one rule may have (EventBridge quota)."""
PUT_EVENTS_RATE = 10_000
"""PutEvents requests per second of a Region (us-east-1, us-west-2, eu-west-1; 2,400 or
1,200 in the others): a soft quota, throttled beyond."""
INVOCATIONS_RATE = 18_750
"""Target invocations per second of a Region (the same three Regions; 4,500 or 750 in
the others)."""
OPERATORS = ("prefix", "anything-but", "numeric", "exists")
"""Content-filter operators the simulated matching knows (those SNS filter policies share)."""
SCHEDULE = re.compile(
    r"^(rate\(\s*[1-9][0-9]*\s+(minute|minutes|hour|hours|day|days)\s*\)"
    r"|cron\(\s*\S+(\s+\S+){5}\s*\))$"
)
DEFAULT_BUS = "default"


class RetryPolicy(Strict):
    """How long and how often EventBridge retries a target it could not deliver to."""

    maximum_event_age_s: int = Field(
        86_400,
        ge=60,
        le=86_400,
        description="Give up on an event this many seconds after it was put (60 s to 24 h).",
    )
    maximum_retry_attempts: int = Field(
        185, ge=0, le=185, description="Retries after the first attempt (0 to 185)."
    )


class EventTarget(Strict):
    """Where a rule sends the events it matches."""

    target: Annotated[Id, Ref()] = Field(
        description="Node invoked with the event (a function, queue, topic, state machine, "
        "another bus…), through a declared edge."
    )
    retry_policy: RetryPolicy = Field(
        default_factory=RetryPolicy, description="Retries of a failed delivery."
    )
    dead_letter_queue: Annotated[Id | None, Ref(("sqs",), dead_letter=True)] = Field(
        None,
        description="SQS queue that receives the events whose retries ran out; without "
        "one they are dropped.",
    )


class EventRule(Strict):
    """A rule of the bus: an event pattern (or a schedule) and up to 5 targets."""

    id: Id = Field(description="The rule's name (unique on the bus).")
    event_pattern: dict[str, Any] | None = Field(
        None,
        description="Fields of the event (source, detail-type, detail.…) → accepted values: "
        "fields AND, values OR; values may be prefix, anything-but, numeric or exists "
        "operators.",
    )
    schedule: str | None = Field(
        None,
        max_length=256,
        pattern=r"^(rate|cron)\(.*\)$",
        description='A schedule instead of a pattern: "rate(5 minutes)" or AWS\'s six-field '
        '"cron(0 3 * * ? *)" (UTC).',
    )
    enabled: bool = Field(True, description="A disabled rule matches nothing.")
    targets: tuple[EventTarget, ...] = Field(
        (), max_length=MAX_TARGETS, description="Where matched events go (at most 5)."
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None and not SCHEDULE.match(value):
            raise ValueError(
                f"schedule {value!r} is neither rate(N minutes|hours|days) nor a six-field cron(…)"
            )
        return value

    @field_validator("event_pattern")
    @classmethod
    def _pattern(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            for path, rules in flatten_pattern(value):
                if not isinstance(rules, list) or not rules:
                    raise ValueError(f"pattern field {path!r} needs a non-empty list of values")
                for rule in rules:
                    unknown = sorted(set(rule) - set(OPERATORS)) if isinstance(rule, dict) else []
                    if unknown:
                        raise ValueError(
                            f"pattern field {path!r} uses {unknown[0]!r}: the simulation "
                            f"knows {', '.join(OPERATORS)}"
                        )
        return value

    @model_validator(mode="after")
    def _pattern_or_schedule(self) -> EventRule:
        if self.event_pattern is None and self.schedule is None:
            raise ValueError("a rule needs an event_pattern, a schedule, or both")
        return self


def flatten_pattern(pattern: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``{"detail": {"status": ["x"]}}`` → ``("detail.status", ["x"])``: the leaves of a
    nested event pattern (or event) under dotted paths."""
    for key, value in pattern.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten_pattern(value, path + ".")
        else:
            yield path, value


class EventBridgeParams(KindParams):
    """Settings of an event bus: its rules and the Region's quotas."""

    rules: tuple[EventRule, ...] = Field((), description="Rules on the bus, matched in turn.")
    put_events_rate_per_s: float = Field(
        PUT_EVENTS_RATE,
        gt=0,
        le=1_000_000,
        description="PutEvents quota: requests per second refilling a token bucket of one "
        "second's worth; an empty bucket answers ThrottlingException.",
    )
    invocations_rate_per_s: float = Field(
        INVOCATIONS_RATE,
        gt=0,
        le=1_000_000,
        description="Invocations quota: target invocations per second; an invocation over "
        "it is throttled (ThrottledRules) and retried.",
    )
    latency: Duration = Field(
        default_factory=lambda: ms(20, 0.3), description="Latency of a PutEvents call."
    )
    delivery_latency: Duration = Field(
        default_factory=lambda: ms(250, 0.5),
        description="From an event accepted to its target invoked (ingestion to invocation).",
    )


def _validate(checks: Checks, path: PathKey, node: Node, params: EventBridgeParams) -> None:
    """Rule names are unique; every target and dead-letter queue has its edge."""
    seen: set[str] = set()
    for i, rule in enumerate(params.rules):
        rule_path = (*path, "rules", i)
        if rule.id in seen:
            checks.report((*rule_path, "id"), f"rule '{rule.id}' is declared twice on the bus")
        seen.add(rule.id)
        for j, target in enumerate(rule.targets):
            target_path = (*rule_path, "targets", j)
            if checks.node_ref((*target_path, "target"), target.target):
                checks.edge_ref((*target_path, "target"), node.id, target.target, "a rule target")
            dlq = target.dead_letter_queue
            if checks.node_ref((*target_path, "dead_letter_queue"), dlq, "sqs") and dlq:
                why = "a target's dead-letter queue"
                checks.edge_ref((*target_path, "dead_letter_queue"), node.id, dlq, why)


def _lint(lints: Lints, path: PathKey, node: Node, params: EventBridgeParams) -> None:
    """``dlq``: a target without a dead-letter queue drops the events its retries could
    not deliver."""
    for i, rule in enumerate(params.rules):
        for j, target in enumerate(rule.targets):
            if target.dead_letter_queue is not None:
                continue
            lints.add(
                "dlq",
                (*path, "rules", i, "targets", j),
                f"EventBridge rule '{rule.id}' of '{node.id}' targets '{target.target}' "
                "without a dead_letter_queue: events whose retries run out are dropped",
                node=node.id,
            )


# --------------------------------------------------------------------------- import

_TARGET_OPS = {
    "lambda": "Invoke",
    "sqs": "SendMessage",
    "sns": "Publish",
    "stepfunctions": "StartExecution",
    "eventbridge": "PutEvents",
}


def _import_bus(ctx: ImportContext) -> dict[str, object]:
    """``AWS::Events::EventBus``: a custom bus (its rules come with their own resources)."""
    return {}


def _bus_of(ctx: ImportContext) -> ImportedNode:
    """The node of the bus a rule is on: its ``EventBusName`` (a name, an ARN, a ``Ref``),
    else the account's default bus, made once for every rule on it."""
    name = ctx.prop("EventBusName")
    found = ctx.node(name)
    if found is not None and found.kind == "eventbridge":
        return found
    text = ctx.text(name) if name is not None else DEFAULT_BUS
    bare = text.rsplit("/", 1)[-1]
    from archgen.model.importers.intrinsics import ResourceRef

    for node in ctx.graph.unique():
        if node.kind != "eventbridge":
            continue
        named = ctx.properties_of(ResourceRef(node.logical_id)).get("Name")
        if node.arn.endswith(f":event-bus/{bare}") or (named and ctx.text(named) == bare):
            return node
    if bare != DEFAULT_BUS:
        bus = ctx.add_node(kebab_name(bare), "eventbridge", "events", f"event-bus/{bare}")
        bus.notes.append(f"event bus {bare}, which the template does not declare")
        return bus
    bus = ctx.add_node("default-bus", "eventbridge", "events", f"event-bus/{DEFAULT_BUS}")
    if not bus.notes:
        bus.notes.append("the account's default event bus, which rules without EventBusName use")
    return bus


def kebab_name(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:64] or "bus"


def _pattern(ctx: ImportContext) -> dict[str, Any] | None:
    raw = ctx.prop("EventPattern")
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            loaded = json.loads(raw)
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None
    plain = ctx.plain(raw)
    return plain if isinstance(plain, dict) else None


def _import_rule(ctx: ImportContext) -> None:
    """``AWS::Events::Rule``: a rule of its bus, with an edge to each target (and its
    dead-letter queue) saying why it exists."""
    bus = _bus_of(ctx)
    rule: dict[str, object] = {"id": kebab_name(ctx.text(ctx.prop("Name", default=ctx.name)))}
    pattern = _pattern(ctx)
    if pattern is not None:
        rule["event_pattern"] = pattern
    schedule = ctx.prop("ScheduleExpression")
    if schedule is not None:
        rule["schedule"] = ctx.text(schedule)
    if ctx.text(ctx.prop("State", default="ENABLED")).upper() == "DISABLED":
        rule["enabled"] = False
    targets: list[dict[str, object]] = []
    listed = ctx.prop("Targets", default=[])
    for item in listed if isinstance(listed, list) else []:
        target = _import_target(ctx, bus, item) if isinstance(item, dict) else None
        if target is not None:
            targets.append(target)
    if targets:
        rule["targets"] = targets
    rules = bus.params.setdefault("rules", [])
    assert isinstance(rules, list)
    rules.append(rule)


def _import_target(
    ctx: ImportContext, bus: ImportedNode, item: dict[str, Any]
) -> dict[str, object] | None:
    node = ctx.node(item.get("Arn"))
    what = f"rule {ctx.logical_id}, target {ctx.text(item.get('Id', '?'))}"
    if node is None or node.kind not in _TARGET_OPS:
        bus.notes.append(f"{what}: {ctx.text(item.get('Arn', '?'))} is not modeled")
        return None
    target: dict[str, object] = {"target": node.id}
    policy = item.get("RetryPolicy")
    if isinstance(policy, dict):
        retry: dict[str, object] = {}
        age = _int(ctx, policy.get("MaximumEventAgeInSeconds"))
        if age is not None:
            retry["maximum_event_age_s"] = age
        attempts = _int(ctx, policy.get("MaximumRetryAttempts"))
        if attempts is not None:
            retry["maximum_retry_attempts"] = attempts
        if retry:
            target["retry_policy"] = retry
    op = _TARGET_OPS[node.kind]
    ctx.edge(bus, node, [op], f"{what}: {bus.id} delivers to {node.id}", "async")
    dead = item.get("DeadLetterConfig")
    dlq = ctx.node(dead.get("Arn")) if isinstance(dead, dict) else None
    if dlq is not None and dlq.kind == "sqs":
        target["dead_letter_queue"] = dlq.id
        why = f"{what}: dead-letter queue of {node.id}"
        ctx.edge(bus, dlq, ["Redrive"], why, "async")
    return target


def _int(ctx: ImportContext, value: object) -> int | None:
    try:
        return int(float(ctx.text(value))) if value is not None else None
    except ValueError:
        return None


def _cost(bill: Bill, node: Node, params: EventBridgeParams) -> None:
    """Custom events put on the bus (scheduled ones are free)."""
    bill.charge(
        "eventbridge.custom_event",
        bill.real(bill.value("bus", "entries")),
        "custom events put, each one 64 KB chunk (deliveries to AWS targets are free)",
    )
    bill.leave_out("API destinations, archives and replays, cross-account deliveries")


# EventBridge API reference.
_OPERATIONS = Operations(
    "EventBridge",
    """
    ActivateEventSource CancelReplay CreateApiDestination CreateArchive CreateConnection
    CreateEndpoint CreateEventBus CreatePartnerEventSource DeactivateEventSource
    DeauthorizeConnection DeleteApiDestination DeleteArchive DeleteConnection DeleteEndpoint
    DeleteEventBus DeletePartnerEventSource DeleteRule DescribeApiDestination DescribeArchive
    DescribeConnection DescribeEndpoint DescribeEventBus DescribeEventSource
    DescribePartnerEventSource DescribeReplay DescribeRule DisableRule EnableRule
    ListApiDestinations ListArchives ListConnections ListEndpoints ListEventBuses
    ListEventSources ListPartnerEventSourceAccounts ListPartnerEventSources ListReplays
    ListRuleNamesByTarget ListRules ListTagsForResource ListTargetsByRule PutEvents
    PutPartnerEvents PutPermission PutRule PutTargets RemovePermission RemoveTargets StartReplay
    TagResource TestEventPattern UntagResource UpdateApiDestination UpdateArchive
    UpdateConnection UpdateEndpoint UpdateEventBus
    """,
)


SPEC = kind(
    "eventbridge",
    EventBridgeParams,
    title="EventBridge event bus",
    category="integration",
    order=165,
    summary="Event bus: rules match events by pattern; retries and a DLQ per target.",
    icon=("diagrams.aws.integration", "Eventbridge"),
    arn=Arn("events", "event-bus/{id}"),
    iam_service="events",
    operations=_OPERATIONS,
    # EventBridge User Guide, "Amazon SNS/SQS targets": a rule delivers to an SNS topic or
    # SQS queue encrypted with a customer managed key as events.amazonaws.com, which the
    # key policy must allow kms:GenerateDataKey* and kms:Decrypt (else the delivery fails
    # and counts in FailedInvocations).
    service_principal="events.amazonaws.com",
    capabilities={
        Capability.async_fanout,
        Capability.emits_metrics,
        Capability.event_router,
        Capability.triggered,
    },
    behavior="archgen.runtime.behaviors.eventbridge:EventBridge",
    validate=_validate,
    lint=_lint,
    metrics=Metrics(
        "AWS/Events",
        ("EventBusName",),
        (
            metric(
                "MatchedEvents",
                Unit.count,
                "Events put on the bus that matched at least one rule.",
            ),
            metric(
                "TriggeredRules",
                Unit.count,
                "Rules that matched an event (one per event and rule), scheduled ones included.",
            ),
            metric(
                "Invocations",
                Unit.count,
                "Target invocations that succeeded or failed for good (retries and "
                "throttled attempts not counted until then; dead-lettered ones not counted).",
            ),
            metric(
                "FailedInvocations",
                Unit.count,
                "Invocations that failed for good and were dropped (no dead-letter queue).",
            ),
            metric(
                "ThrottledRules",
                Unit.count,
                "Target invocations held back by the invocations quota (then retried).",
            ),
            metric(
                "DeadLetterInvocations",
                Unit.count,
                "Events moved to a target's dead-letter queue once its retries ran out.",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::Events::EventBus",
            _import_bus,
            entry_operation="PutEvents",
            physical_name="Name",
        ),
        CfnImport(
            "AWS::Events::Rule", _import_rule, creates_node=False, entry_operation="PutEvents"
        ),
    ),
    cost=_cost,
)
