"""EC2 Auto Scaling fleet: instances with workers and queues, scaled by target tracking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from archgen.model.base import (
    MAX_INSTANCES,
    Duration,
    Id,
    Percent,
    Strict,
    ms,
)
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Metrics,
    Node,
    Shape,
    Unit,
    Zonal,
    check_zones,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class AutoScaling(Strict):
    """An Auto Scaling group with a target-tracking policy on CPU."""

    min_instances: int = Field(
        1, ge=0, le=MAX_INSTANCES, description="Fewest instances the group keeps."
    )
    max_instances: int = Field(10, gt=0, le=MAX_INSTANCES, description="At most 10,000.")
    desired_instances: int | None = Field(
        None,
        ge=0,
        le=MAX_INSTANCES,
        description="Instances at the start; defaults to min_instances.",
    )
    target_cpu_percent: Percent = Field(
        50, description="Target tracking: the average CPU the group scales to hold."
    )
    launch_s: float = Field(
        60, ge=0, le=3_600, description="From launch to in service (boot; at most an hour)."
    )
    warmup_s: float = Field(
        300,
        ge=0,
        le=3_600,
        description="After boot, before the instance counts in the metric (at most an hour).",
    )
    scale_in_cooldown_s: float = Field(
        300,
        ge=0,
        le=86_400,
        description="Pause after removing instances before removing more (at most a day).",
    )
    metric_period_s: int = Field(
        60,
        gt=0,
        le=3_600,
        description="Period of the CPU metric target tracking reads (at most an hour).",
    )

    @model_validator(mode="after")
    def _bounds(self) -> AutoScaling:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"min_instances ({self.min_instances}) is greater than "
                f"max_instances ({self.max_instances})"
            )
        desired = self.desired_instances
        if desired is not None and not self.min_instances <= desired <= self.max_instances:
            raise ValueError(
                f"desired_instances ({desired}) must lie between min_instances "
                f"({self.min_instances}) and max_instances ({self.max_instances})"
            )
        return self

    @property
    def initial_instances(self) -> int:
        return self.min_instances if self.desired_instances is None else self.desired_instances


class Ec2Params(KindParams, Zonal):
    """Settings of an EC2 fleet: its instances, their workers and Auto Scaling."""

    instance_type: str = Field(
        "c5.xlarge",
        max_length=64,
        description="EC2 instance type of the fleet (shown; capacity comes from the workers).",
    )
    zones: tuple[Id, ...] = Field(
        (),
        description="Availability-zone groups the fleet spreads over (an AZ outage takes "
        "out its share).",
    )
    workers_per_instance: int = Field(
        8, gt=0, le=10_000, description="Requests one instance serves at once."
    )
    queue_capacity: int = Field(
        64,
        ge=0,
        le=100_000_000,
        description="Requests waiting per instance; beyond it requests are rejected (503). "
        "Memory is taken by the requests waiting, not by the capacity.",
    )
    service_time: Duration = Field(
        default_factory=lambda: ms(40, 0.6),
        description="Time one worker takes to serve a request, calls to others excluded.",
    )
    autoscaling: AutoScaling = Field(
        default_factory=AutoScaling,
        description="The Auto Scaling group: instance bounds and target tracking.",
    )


def _validate(checks: Checks, path: PathKey, node: Node, params: Ec2Params) -> None:
    check_zones(checks, path, params)


def _import_group(ctx: ImportContext) -> dict[str, object]:
    """``AWS::AutoScaling::AutoScalingGroup``: instance bounds, desired capacity, warm-up,
    the instance type of its launch template, and the subnets it launches into."""
    scaling: dict[str, object] = {}
    for key, name in (
        ("MinSize", "min_instances"),
        ("MaxSize", "max_instances"),
        ("DesiredCapacity", "desired_instances"),
        ("DefaultInstanceWarmup", "warmup_s"),
    ):
        value = ctx.number(key)
        if value is not None:
            scaling[name] = value
    ctx.in_subnets(ctx.prop("VPCZoneIdentifier"))
    params: dict[str, object] = {"autoscaling": scaling} if scaling else {}
    template = ctx.properties_of(ctx.prop("LaunchTemplate", "LaunchTemplateId"))
    data = template.get("LaunchTemplateData")
    if isinstance(data, dict) and data.get("InstanceType") is not None:
        params["instance_type"] = ctx.text(data["InstanceType"])
    return params


def _import_policy(ctx: ImportContext) -> None:
    """``AWS::AutoScaling::ScalingPolicy`` tracking average CPU: the fleet's target; other
    policies are reported (the fleet scales by CPU target tracking only)."""
    fleet = ctx.node(ctx.prop("AutoScalingGroupName"))
    metric = ctx.text(
        ctx.prop(
            "TargetTrackingConfiguration",
            "PredefinedMetricSpecification",
            "PredefinedMetricType",
            default="",
        )
    )
    target = ctx.number("TargetTrackingConfiguration", "TargetValue")
    if fleet is None or metric != "ASGAverageCPUUtilization" or target is None:
        ctx.skip("only target tracking on ASGAverageCPUUtilization of a modeled group is modeled")
        return
    scaling = fleet.params.setdefault("autoscaling", {})
    assert isinstance(scaling, dict)
    scaling["target_cpu_percent"] = target
    warmup = ctx.number("EstimatedInstanceWarmup")
    if warmup is not None:
        scaling["warmup_s"] = warmup


SPEC = kind(
    "ec2",
    Ec2Params,
    title="EC2 Auto Scaling fleet",
    category="compute",
    order=70,
    summary="Instances with workers and queues, scaled by target tracking.",
    icon=("diagrams.aws.compute", "EC2AutoScaling"),
    arn=Arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/{id}"),
    iam_service="autoscaling",
    capabilities={
        Capability.runs_code,
        Capability.emits_metrics,
        Capability.scaling_group,
    },
    behavior="archgen.runtime.behaviors.ec2:Ec2Fleet",
    validate=_validate,
    metrics=Metrics(
        "AWS/EC2",
        ("AutoScalingGroupName",),
        (
            metric(
                "CPUUtilization",
                Unit.percent,
                "Busy workers over all workers of the in-service instances past their "
                "warm-up, over the period.",
                shape=Shape.gauge,
            ),
        ),
    ),
    imports=(
        CfnImport("AWS::AutoScaling::AutoScalingGroup", _import_group, entry_operation="GET /"),
        CfnImport("AWS::AutoScaling::ScalingPolicy", _import_policy, creates_node=False),
    ),
)
