"""EC2 Auto Scaling fleet: instances with workers and queues, scaled by target tracking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from archgen.model.base import (
    MAX_INSTANCES,
    Duration,
    Id,
    Percent,
    Strict,
    ms,
)
from archgen.model.cost import Bill, fleet_hours
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

# vCPUs of common current-generation instance types (EC2 User Guide, instance type specs).
# Sizes follow AWS's rule large = 2, xlarge = 4, Nxlarge = 4N vCPUs; Graviton "medium" is 1;
# burstable types are listed one by one (their CPU credits are not modelled).
_NXL = {"large": 2, "xlarge": 4, **{f"{n}xlarge": 4 * n for n in (2, 4, 8, 12, 16, 24)}}
_C5 = {"large": 2, "xlarge": 4, **{f"{n}xlarge": 4 * n for n in (2, 4, 9, 12, 18, 24)}}
_GRAVITON = {"medium": 1, **{k: v for k, v in _NXL.items() if k != "24xlarge"}}
_T3 = {"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}
_T2 = {"nano": 1, "micro": 1, "small": 1, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8}
_NXL32 = {**_NXL, "32xlarge": 128}
_NXL48 = {**_NXL, "48xlarge": 192}
_NXL_AMD = {**_NXL32, **_NXL48}
_FAMILIES: dict[str, dict[str, int]] = {
    **dict.fromkeys(("c5", "c5d"), _C5),
    **dict.fromkeys(("m5", "m5a", "m5d", "c5a", "r5", "r5a", "r5d"), _NXL),
    **dict.fromkeys(("m6i", "c6i", "r6i"), _NXL32),
    **dict.fromkeys(("m7i", "c7i", "r7i"), _NXL48),
    **dict.fromkeys(("m6a", "c6a", "r6a", "m7a", "c7a", "r7a"), _NXL_AMD),
    **dict.fromkeys(("m6g", "c6g", "r6g", "m7g", "c7g", "r7g"), _GRAVITON),
    **dict.fromkeys(("t3", "t3a", "t4g"), _T3),
    "t2": _T2,
}


def instance_vcpus(instance_type: str) -> int | None:
    """vCPUs of ``instance_type`` (``family.size``), or None when the table lacks it."""
    family, _, size = instance_type.partition(".")
    return _FAMILIES.get(family, {}).get(size)


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
        50,
        description="Target tracking: the average CPU the group scales to hold. Its alarms "
        "scale out after 3 datapoints above it and scale in after 15 below 90 % of it.",
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
    health_check_type: Literal["ec2", "elb"] = Field(
        "ec2",
        description="What tells Auto Scaling an instance is unhealthy, to replace it: EC2 "
        "status checks (every minute; an instance that stops answering fails them) or also "
        "the load balancer's health checks (unhealthy_threshold × interval).",
    )
    health_check_grace_period_s: int = Field(
        0,
        ge=0,
        le=86_400,
        description="After an instance comes into service, how long Auto Scaling waits before "
        "it acts on a failed health check (AWS default 0).",
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
        pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        description="EC2 instance type of the fleet: its vCPUs are what CPUUtilization "
        "divides by (current-generation c/m/r families, Graviton and t2/t3/t4g).",
    )
    detailed_monitoring: bool = Field(
        False,
        description="EC2 detailed monitoring: CPUUtilization every minute instead of every "
        "5 minutes, so target tracking (3 datapoints to scale out, 15 to scale in) reacts "
        "in 3 minutes instead of 15.",
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
        description="CPU time one worker takes to serve a request; its calls to others "
        "hold the worker but burn no CPU.",
    )
    autoscaling: AutoScaling = Field(
        default_factory=AutoScaling,
        description="The Auto Scaling group: instance bounds and target tracking.",
    )

    @field_validator("instance_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if instance_vcpus(value) is None:
            raise ValueError(
                f"unknown instance type {value!r}: its vCPUs drive CPUUtilization; use a "
                f"family of {', '.join(sorted(_FAMILIES))} with a size such as large, "
                "xlarge or 4xlarge"
            )
        return value

    @property
    def monitoring_period_s(self) -> int:
        """Period of the instances' CPUUtilization datapoints (basic or detailed)."""
        return 60 if self.detailed_monitoring else 300

    @property
    def vcpus(self) -> int:
        """vCPUs of one instance: CPUUtilization is CPU time over them."""
        vcpus = instance_vcpus(self.instance_type)
        assert vcpus is not None  # the validator refused the others
        return vcpus


def _validate(checks: Checks, path: PathKey, node: Node, params: Ec2Params) -> None:
    check_zones(checks, path, params)


def _import_group(ctx: ImportContext) -> dict[str, object]:
    """``AWS::AutoScaling::AutoScalingGroup``: instance bounds, desired capacity, warm-up,
    health checks, the instance type and monitoring of its launch template, and the subnets
    it launches into."""
    scaling: dict[str, object] = {}
    for key, name in (
        ("MinSize", "min_instances"),
        ("MaxSize", "max_instances"),
        ("DesiredCapacity", "desired_instances"),
        ("DefaultInstanceWarmup", "warmup_s"),
        ("HealthCheckGracePeriod", "health_check_grace_period_s"),
    ):
        value = ctx.number(key)
        if value is not None:
            scaling[name] = value
    check_type = ctx.prop("HealthCheckType", default=None)
    if check_type is not None and ctx.text(check_type).lower() in ("ec2", "elb"):
        scaling["health_check_type"] = ctx.text(check_type).lower()
    ctx.in_subnets(ctx.prop("VPCZoneIdentifier"))
    params: dict[str, object] = {"autoscaling": scaling} if scaling else {}
    template = ctx.properties_of(ctx.prop("LaunchTemplate", "LaunchTemplateId"))
    data = template.get("LaunchTemplateData")
    monitoring = data.get("Monitoring") if isinstance(data, dict) else None
    if isinstance(monitoring, dict) and ctx.text(monitoring.get("Enabled", "")).lower() == "true":
        params["detailed_monitoring"] = True
    if isinstance(data, dict) and data.get("InstanceType") is not None:
        instance_type = ctx.text(data["InstanceType"])
        if instance_vcpus(instance_type) is not None:
            params["instance_type"] = instance_type
        elif (this := ctx.this) is not None:  # the model would refuse it: say so instead
            this.notes.append(f"instance type {instance_type} has no vCPU count in archgen")
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


def _cost(bill: Bill, node: Node, params: Ec2Params) -> None:
    """Instance-hours of the fleet, launching or in service, from its timeline."""
    fleet = bill.activity.get("instances")
    if not isinstance(fleet, Mapping):
        bill.leave_out("instance-hours: the run reported no fleet timeline")
        return
    scaling = params.autoscaling
    hours = fleet_hours(
        fleet,
        real_min=scaling.min_instances,
        real_max=scaling.max_instances,
        scale=bill.scale,
        duration_s=bill.duration_s,
    )
    mean = hours / bill.hours if bill.hours else 0.0
    bill.charge_hours(
        "ec2", params.instance_type, hours, f"{mean:,.1f} instances on average (real fleet)"
    )
    bill.leave_out("EBS volumes and internet data transfer: not modelled")


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
                "CPU time (service time; workers waiting on downstream calls burn none) "
                "over the vCPUs of the answering in-service instances past their warm-up, "
                "one datapoint per 5 minutes (per minute with detailed_monitoring).",
                shape=Shape.gauge,
            ),
        ),
    ),
    imports=(
        CfnImport("AWS::AutoScaling::AutoScalingGroup", _import_group, entry_operation="GET /"),
        CfnImport("AWS::AutoScaling::ScalingPolicy", _import_policy, creates_node=False),
    ),
    cost=_cost,
)
