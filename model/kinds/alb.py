"""Application Load Balancer: spreads calls over healthy targets."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from archgen.model.base import (
    Duration,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    DrainsTargets,
    Extent,
    KindParams,
    Metrics,
    Node,
    Shape,
    Unit,
    kind,
    metric,
)

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext, ImportedNode


class LbAlgorithm(StrEnum):
    """How a load balancer picks a healthy target."""

    round_robin = "round_robin"
    least_outstanding_requests = "least_outstanding_requests"


class AlbParams(KindParams, DrainsTargets):
    """Settings of an Application Load Balancer."""

    algorithm: LbAlgorithm = Field(
        LbAlgorithm.round_robin,
        description="How a target is picked: round robin or least outstanding requests.",
    )
    health_check_interval_s: int = Field(
        30, ge=5, le=300, description="Seconds between two health checks of a target (5 to 300)."
    )
    health_check_timeout_s: int = Field(
        5,
        ge=2,
        le=120,
        description="How long a health check waits; a later answer fails it. Below the interval.",
    )
    healthy_threshold: int = Field(
        5,
        ge=2,
        le=10,
        description="Consecutive passed checks before a target receives traffic again.",
    )
    unhealthy_threshold: int = Field(
        2, ge=2, le=10, description="Consecutive failed checks before a target is taken out."
    )
    deregistration_delay_s: int = Field(
        300,
        ge=0,
        le=3600,
        description="How long a target leaving the fleet (scale-in, replacement) may finish "
        "its in-flight requests; those still running then end in 502.",
    )
    idle_timeout_s: int = Field(
        60,
        ge=1,
        le=4000,
        description="Seconds the balancer waits for a target's answer before it gives the "
        "client a 504 (the connection idle timeout).",
    )
    overhead: Duration = Field(
        default_factory=lambda: ms(2, 0.3), description="Latency the balancer adds to each request."
    )

    def pools_targets(self) -> bool:
        return self.algorithm == LbAlgorithm.least_outstanding_requests

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> AlbParams:
        if self.health_check_timeout_s >= self.health_check_interval_s:
            raise ValueError("health_check_timeout_s must be less than health_check_interval_s")
        return self


def _attributes(items: object) -> dict[str, str]:
    pairs = items if isinstance(items, list) else []
    return {
        str(item.get("Key")): str(item.get("Value")) for item in pairs if isinstance(item, dict)
    }


def _import_balancer(ctx: ImportContext) -> dict[str, object] | None:
    """``AWS::ElasticLoadBalancingV2::LoadBalancer`` of type application: its idle timeout
    and its subnets (a network load balancer is reported)."""
    if ctx.text(ctx.prop("Type", default="application")) != "application":
        ctx.skip("only application load balancers are modeled")
        return None
    ctx.in_subnets(ctx.prop("Subnets"))
    idle = _attributes(ctx.prop("LoadBalancerAttributes")).get("idle_timeout.timeout_seconds")
    return {"idle_timeout_s": int(idle)} if idle is not None else {}


TARGET_GROUP_FIELDS = (
    ("HealthCheckIntervalSeconds", "health_check_interval_s"),
    ("HealthCheckTimeoutSeconds", "health_check_timeout_s"),
    ("HealthyThresholdCount", "healthy_threshold"),
    ("UnhealthyThresholdCount", "unhealthy_threshold"),
)


def _import_listener(ctx: ImportContext) -> None:
    """``AWS::ElasticLoadBalancingV2::Listener``: what its forward actions' target group
    sets on the balancer (health checks, draining, algorithm), and an edge to each fleet
    registered in that group."""
    balancer = ctx.node(ctx.prop("LoadBalancerArn"))
    if balancer is None:
        ctx.skip("its load balancer is not in the model")
        return
    _forward(ctx, balancer, ctx.prop("DefaultActions", default=[]))


def _import_listener_rule(ctx: ImportContext) -> None:
    """``AWS::ElasticLoadBalancingV2::ListenerRule`` (a path or host condition, as an ECS
    service behind a shared balancer has): its forward actions, as a listener's."""
    listener = ctx.properties_of(ctx.prop("ListenerArn"))
    balancer = ctx.node(listener.get("LoadBalancerArn"))
    if balancer is None:
        ctx.skip("its listener's load balancer is not in the model")
        return
    _forward(ctx, balancer, ctx.prop("Actions", default=[]))


def _forward(ctx: ImportContext, balancer: ImportedNode, actions: object) -> None:
    """Forward actions: their target group's settings on the balancer, and an edge to each
    fleet registered in it."""
    for action in actions if isinstance(actions, list) else []:
        group = action.get("TargetGroupArn") if isinstance(action, dict) else None
        target_group = ctx.properties_of(group)
        for key, name in TARGET_GROUP_FIELDS:
            if key in target_group:
                balancer.params[name] = int(ctx.text(target_group[key]))
        attributes = _attributes(target_group.get("TargetGroupAttributes"))
        if "deregistration_delay.timeout_seconds" in attributes:
            delay = attributes["deregistration_delay.timeout_seconds"]
            balancer.params["deregistration_delay_s"] = int(delay)
        if attributes.get("load_balancing.algorithm.type") == "least_outstanding_requests":
            balancer.params["algorithm"] = "least_outstanding_requests"
        for fleet in ctx.registered_in(group):
            forwards = f"{_kind_word(ctx)} {ctx.logical_id} forwards to {ctx.text(group)}"
            why = f"{forwards}, where it registers"
            protocol = ctx.text(target_group.get("Protocol", "HTTP")).lower()
            ctx.edge(balancer, fleet, ["*"], why, protocol=protocol)


def _kind_word(ctx: ImportContext) -> str:
    return "listener rule" if ctx.type.endswith("ListenerRule") else "listener"


def _cost(bill: Bill, node: Node, params: AlbParams) -> None:
    """Hours, and LCU-hours from new connections: one per request (no keep-alive, an
    upper bound); processed bytes are not modelled."""
    bill.charge("alb.hour", bill.hours, "the load balancer")
    per_s = bill.calls() / bill.duration_s
    bill.charge(
        "alb.lcu_hour",
        per_s / 25 * bill.hours,
        f"{per_s:,.0f} new connections/s ÷ 25 (one per request: an upper bound)",
    )


SPEC = kind(
    "alb",
    AlbParams,
    title="Application Load Balancer",
    category="network",
    order=60,
    summary="Round robin or least outstanding requests over healthy targets.",
    icon=("diagrams.aws.network", "ALB"),
    arn=Arn("elasticloadbalancing", "loadbalancer/app/{id}"),
    conditions=("no_healthy_target",),
    capabilities={Capability.waf_attachable, Capability.shield_protectable, Capability.triggered},
    behavior="archgen.runtime.behaviors.alb:Alb",
    metrics=Metrics(
        "AWS/ApplicationELB",
        ("LoadBalancer",),
        (
            metric(
                "RequestCount",
                Unit.count,
                "Requests the load balancer received and answered (health checks excluded).",
            ),
            metric(
                "HTTPCode_ELB_4XX_Count",
                Unit.count,
                "4xx answers the load balancer made itself (a web ACL blocked the request, an "
                "IAM refusal).",
            ),
            metric(
                "HTTPCode_ELB_5XX_Count",
                Unit.count,
                "5xx answers the load balancer made itself: no target (503), a target that did "
                "not answer (502), the load balancer out.",
            ),
            metric(
                "HTTPCode_Target_4XX_Count",
                Unit.count,
                "4xx answers that came from a target.",
            ),
            metric(
                "HTTPCode_Target_5XX_Count",
                Unit.count,
                "Errors that came from a target (its own failure or one it did not handle).",
            ),
            metric(
                "TargetResponseTime",
                Unit.seconds,
                "Time from sending a request to a target until its answer, per request that "
                "reached a target.",
            ),
            metric(
                "HealthyHostCount",
                Unit.count,
                "Targets passing health checks at the end of the period.",
                shape=Shape.gauge,
                statistic="Minimum",
                extent=Extent.servers,
            ),
            metric(
                "UnHealthyHostCount",
                Unit.count,
                "Registered targets failing health checks at the end of the period.",
                shape=Shape.gauge,
                statistic="Maximum",
                extent=Extent.servers,
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::ElasticLoadBalancingV2::LoadBalancer", _import_balancer, entry_operation="GET /"
        ),
        CfnImport("AWS::ElasticLoadBalancingV2::Listener", _import_listener, creates_node=False),
        CfnImport(
            "AWS::ElasticLoadBalancingV2::ListenerRule", _import_listener_rule, creates_node=False
        ),
    ),
    cost=_cost,
)
