"""Route 53: DNS answers by latency, failover or weight, with health checks."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from archgen.model.base import (
    Duration,
    Id,
    Strict,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Metrics,
    Node,
    Ref,
    Shape,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey
from archgen.model.schema import GroupKind

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class RoutingPolicy(StrEnum):
    """How Route 53 picks the record it answers with."""

    simple = "simple"
    latency = "latency"
    failover = "failover"
    weighted = "weighted"


class FailoverRole(StrEnum):
    """Primary or secondary, in a failover pair."""

    primary = "primary"
    secondary = "secondary"


class DnsRecord(Strict):
    """One record of the routed name: where it points and how it is health-checked."""

    target: Annotated[Id, Ref()] = Field(
        description="Node the answer points at (e.g. a regional load balancer)."
    )
    region: Id | None = Field(None, description="Region group, for latency routing.")
    weight: int = Field(
        1, ge=0, le=255, description="Relative share of answers, for weighted routing (0 to 255)."
    )
    failover: FailoverRole | None = Field(
        None, description="Primary or secondary, for failover routing."
    )
    health_check: bool = Field(
        True,
        description="Route 53 health-checks the target; an unhealthy record is not answered.",
    )
    health_alarm: Id | None = Field(
        None, description="CloudWatch alarm whose ALARM state marks this record unhealthy."
    )


class Route53Params(KindParams):
    """Settings of a Route 53 record set: routing policy, records, health checks."""

    routing: RoutingPolicy = Field(
        RoutingPolicy.latency,
        description="How an answer is chosen: latency, failover, weighted or simple.",
    )
    ttl_s: int = Field(
        60, ge=0, le=172_800, description="How long resolvers cache an answer (at most two days)."
    )
    health_check_interval_s: Literal[10, 30] = Field(
        30, description="Seconds between two health checks of a record's target (10 or 30)."
    )
    failure_threshold: int = Field(
        3, ge=1, le=10, description="Consecutive failed checks before a target counts as unhealthy."
    )
    records: tuple[DnsRecord, ...] = Field((), description="The answers the name can resolve to.")
    resolve: Duration = Field(
        default_factory=lambda: ms(20, 0.3), description="Latency of one DNS resolution."
    )

    def name_targets(self) -> tuple[str, ...]:
        return tuple(record.target for record in self.records)


def _validate(checks: Checks, path: PathKey, node: Node, params: Route53Params) -> None:
    alarms = checks.alarm_ids()
    for i, record in enumerate(params.records):
        checks.node_ref((*path, "records", i, "target"), record.target)
        if record.region is not None:
            checks.group_ref((*path, "records", i, "region"), record.region, GroupKind.region)
        elif params.routing is RoutingPolicy.latency:
            checks.report((*path, "records", i), "latency routing needs the record's region")
        if record.health_alarm:
            checks.ref((*path, "records", i, "health_alarm"), record.health_alarm, alarms, "alarm")
    if params.routing is RoutingPolicy.failover:
        roles = [record.failover for record in params.records]
        if roles.count(FailoverRole.primary) != 1:
            checks.report((*path, "records"), "failover routing needs exactly one primary record")


def _cost(bill: Bill, node: Node, params: Route53Params) -> None:
    """Queries (latency routing is dearer), the hosted zone and the health checks. Only
    the queries that reach Route 53 are billed (those DNSQueries counts), not the answers
    resolvers serve from their cache."""
    latency = params.routing is RoutingPolicy.latency
    bill.charge(
        "route53.query.latency" if latency else "route53.query.standard",
        real_queries(bill, params.ttl_s),
        "DNS queries that reached Route 53 (resolvers answer from their cache for the TTL)",
    )
    bill.charge("route53.hosted_zone_month", bill.months, "the hosted zone")
    checks = sum(1 for record in params.records if record.health_check)
    if checks:
        bill.charge("route53.health_check_month", checks * bill.months, f"{checks} health checks")
        if params.health_check_interval_s == 10:
            bill.charge(
                "route53.health_check_fast_month", checks * bill.months, "10 s interval option"
            )


def real_queries(bill: Bill, ttl_s: float) -> float:
    """The real system's queries to Route 53, from the run's resolver cache misses.

    A resolver's misses do not grow with its traffic as calls do: once a location asks
    more than once per TTL, it sends about one query per TTL, however many users ask. So a
    shrunk run's misses are not divided by its scale. Each resolver (client location) is a
    TTL cache under Poisson lookups of rate λ: a miss, then ``ttl_s`` of hits, then the
    wait for the next lookup, hence λ·D / (1 + λ·TTL) misses in D seconds. The run's
    misses m give its own rate (λ_run = m / (D − m·TTL)), the real rate is λ_run / scale,
    and the formula gives the real misses: m itself at scale 1, about D / TTL for a busy
    location, m / scale for a quiet one."""
    resolvers = bill.activity.get("queries") or {}
    misses = [float(n) for n in resolvers.values()]
    if bill.scale == 1:
        return sum(misses)
    window = bill.duration_s
    total = 0.0
    for m in misses:
        idle = window - m * ttl_s  # seconds the resolver held no answer
        if idle <= 0:
            total += m  # asked whenever its answer expired: as busy as it gets
            continue
        rate = m / idle / bill.scale
        total += rate * window / (1 + rate * ttl_s)
    return total


def _import_record_set(ctx: ImportContext) -> dict[str, object]:
    """``AWS::Route53::RecordSet``: one answer of the routed name (``dns`` node): its alias
    target, failover role, latency region or weight, and its health check's interval and
    threshold. Every record set of a template joins the one ``dns`` node (a node is one
    routed name; another name is noted)."""
    this = ctx.this
    if this is None:
        return {}
    from archgen.model.importers.intrinsics import ResourceRef

    params = this.params
    name = ctx.text(ctx.prop("Name", default=""))
    first = ctx.properties_of(ResourceRef(this.logical_id)).get("Name")
    if first is not None and ctx.text(first) != name:
        this.notes.append(f"record set {ctx.logical_id} ({name}): another name, merged here")
    alias = ctx.prop("AliasTarget", "DNSName")
    target = ctx.node(alias) if alias is not None else None
    if target is None:
        this.notes.append(f"record set {ctx.logical_id}: its answer is not a node of the model")
        return {}
    record: dict[str, object] = {"target": target.id}
    failover = ctx.prop("Failover")
    if failover is not None:
        record["failover"] = ctx.text(failover).lower()
        params["routing"] = "failover"
    elif ctx.prop("Region") is not None and target.group is not None:
        record["region"] = target.group
        params["routing"] = "latency"
    elif ctx.prop("Weight") is not None:
        record["weight"] = int(ctx.number("Weight") or 0)
        params["routing"] = "weighted"
    else:
        params.setdefault("routing", "simple")
    check = ctx.properties_of(ctx.prop("HealthCheckId")).get("HealthCheckConfig")
    evaluates = ctx.prop("AliasTarget", "EvaluateTargetHealth", default="")
    record["health_check"] = isinstance(check, dict) or str(evaluates).lower() == "true"
    if isinstance(check, dict):
        interval = check.get("RequestInterval")
        if interval is not None:
            params["health_check_interval_s"] = int(float(ctx.text(interval)))
        threshold = check.get("FailureThreshold")
        if threshold is not None:
            params["failure_threshold"] = int(float(ctx.text(threshold)))
    ttl = ctx.number("TTL")
    if ttl is not None:
        params["ttl_s"] = int(ttl)
    records = params.setdefault("records", [])
    assert isinstance(records, list)
    records.append(record)
    why = f"record set {ctx.logical_id} answers it (health checks)"
    ctx.edge(this, target, ["HealthCheck"], why, protocol="https")
    return {}


def _import_health_check(ctx: ImportContext) -> None:
    """``AWS::Route53::HealthCheck``: read by the record sets that name it."""


SPEC = kind(
    "route53",
    Route53Params,
    title="Route 53",
    category="network",
    order=20,
    summary="DNS with latency, failover and weighted routing and health checks.",
    icon=("diagrams.aws.network", "Route53"),
    arn=Arn("route53", "hostedzone/{id}", regional=False, with_account=False),
    iam_service="route53",
    conditions=("failover",),
    capabilities={
        Capability.dns,
        Capability.shield_protectable,
        Capability.triggered,
        Capability.global_service,
    },
    behavior="archgen.runtime.behaviors.route53:Route53",
    validate=_validate,
    imports=(
        CfnImport("AWS::Route53::RecordSet", _import_record_set, shared_node="dns"),
        CfnImport("AWS::Route53::HealthCheck", _import_health_check, creates_node=False),
    ),
    metrics=Metrics(
        "AWS/Route53",
        ("HostedZoneId", "HealthCheckId"),
        (
            metric(
                "DNSQueries",
                Unit.count,
                "Queries Route 53 answered (a resolver's cache miss); answers served from a "
                "resolver's cache are not queries.",
            ),
            metric(
                "HealthCheckStatus",
                Unit.none,
                "1 when every health-checked record passes its check at the end of the "
                "period, else 0 (AWS publishes one per health check; the run the Minimum "
                "over the node's checks).",
                shape=Shape.gauge,
                statistic="Minimum",
            ),
        ),
    ),
    cost=_cost,
)
