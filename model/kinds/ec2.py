"""EC2 Auto Scaling fleet: instances with workers and queues, scaled by target tracking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from archgen.model.base import (
    DAY_S,
    MAX_INSTANCES,
    Duration,
    Id,
    Percent,
    Strict,
    TimeOfDay,
    ms,
    since_start,
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


def _cron_field(text: str, low: int, high: int) -> tuple[int, ...]:
    """Values of one cron field: ``*``, ``n``, ``a-b``, ``*/s``, ``a-b/s``, comma lists."""
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else (1 if not step_text else 0)
        if span == "*":
            first, last = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            first, last = (int(a), int(b)) if a.isdigit() and b.isdigit() else (high, low)
        elif span.isdigit():
            first = last = int(span)
            last = high if step_text else last
        else:
            first, last = high, low
        if step < 1 or not low <= first <= last <= high:
            raise ValueError(f"{text!r} is not a cron field of values {low}-{high}")
        values.update(range(first, last + 1, step))
    return tuple(sorted(values))


class Recurrence:
    """A Unix cron schedule as Auto Scaling reads it (UTC): minute and hour fields; a run
    has a time of day but no date, so the day, month and weekday fields must be ``*``."""

    def __init__(self, text: str) -> None:
        fields = text.split()
        if len(fields) != 5:
            raise ValueError(
                f"recurrence {text!r} needs 5 cron fields: minute hour day month weekday"
            )
        if fields[2:] != ["*", "*", "*"]:
            raise ValueError(
                f"recurrence {text!r}: a run has no calendar date, so the day, month and "
                "weekday fields must be *"
            )
        self.minutes = _cron_field(fields[0], 0, 59)
        self.hours = _cron_field(fields[1], 0, 23)

    def next_at(self, clock_s: float) -> int:
        """The first time at or after ``clock_s`` (seconds since midnight of the run's
        first day) that the schedule fires."""
        day = int(clock_s // DAY_S)
        for d in (day, day + 1):
            for hour in self.hours:
                for minute in self.minutes:
                    at = d * DAY_S + hour * 3_600 + minute * 60
                    if at >= clock_s:
                        return at
        raise AssertionError("a cron schedule fires every day")  # pragma: no cover


class ScheduledAction(Strict):
    """An Auto Scaling scheduled action: at a time of day, once or on a recurrence, the
    group's minimum, maximum and/or desired capacity (real instances) become these."""

    name: Id = Field(description="Name of the action (unique in the group).")
    at: TimeOfDay | None = Field(
        None,
        description="When it runs (UTC time of day, placed by the scenario's start_at); with "
        "a recurrence, when the recurrence begins.",
    )
    recurrence: str | None = Field(
        None,
        max_length=255,
        pattern=r"^[0-9*/,-]+( +[0-9*/,-]+){4}$",
        description='Unix cron schedule in UTC, "minute hour * * *" (e.g. "0 */6 * * *"); '
        "day, month and weekday must be *.",
    )
    min_instances: int | None = Field(
        None, ge=0, le=MAX_INSTANCES, description="The group's new minimum; none: unchanged."
    )
    max_instances: int | None = Field(
        None, ge=0, le=MAX_INSTANCES, description="The group's new maximum; none: unchanged."
    )
    desired_instances: int | None = Field(
        None,
        ge=0,
        le=MAX_INSTANCES,
        description="The group's new desired capacity (target tracking may move it later); "
        "none: unchanged, only clamped into the new bounds.",
    )

    @field_validator("recurrence")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            Recurrence(value)
        return value

    @model_validator(mode="after")
    def _sizes(self) -> ScheduledAction:
        if self.at is None and self.recurrence is None:
            raise ValueError("a scheduled action needs at, a recurrence, or both")
        sizes = (self.min_instances, self.max_instances, self.desired_instances)
        if sizes == (None, None, None):
            raise ValueError(
                "a scheduled action sets at least one of min_instances, max_instances and "
                "desired_instances"
            )
        low, high, desired = sizes
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_instances ({low}) is greater than max_instances ({high})")
        if desired is not None and (
            (low is not None and desired < low) or (high is not None and desired > high)
        ):
            raise ValueError(
                f"desired_instances ({desired}) must lie between the action's min_instances "
                "and max_instances"
            )
        return self

    def sizes(self) -> tuple[tuple[str, int | None], ...]:
        """(name, real instances or None) of the bounds and capacity it sets."""
        return (
            ("min_instances", self.min_instances),
            ("max_instances", self.max_instances),
            ("desired_instances", self.desired_instances),
        )

    def first_s(self, start_of_day_s: int) -> float:
        """Seconds from the run's start (at ``start_of_day_s`` past midnight) to its first
        run."""
        offset = 0 if self.at is None else since_start(None, self.at) - start_of_day_s
        offset %= DAY_S
        if self.recurrence is None:
            return offset
        return Recurrence(self.recurrence).next_at(start_of_day_s + offset) - start_of_day_s

    def next_s(self, start_of_day_s: int, after_s: float) -> float | None:
        """Seconds from the run's start to its next run after ``after_s``; None when it
        does not recur."""
        if self.recurrence is None:
            return None
        clock = start_of_day_s + after_s + 60  # cron fires at most once a minute
        return Recurrence(self.recurrence).next_at(clock) - start_of_day_s


class AutoScaling(Strict):
    """An Auto Scaling group with a target-tracking policy on CPU, and scheduled actions."""

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
    scheduled_actions: tuple[ScheduledAction, ...] = Field(
        (),
        max_length=125,
        description="Scheduled actions: new min/max/desired at times of day (AWS allows 125 "
        "per group).",
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
        names = [action.name for action in self.scheduled_actions]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"scheduled action names must be unique: {', '.join(twice)}")
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
        scale=bill.fleet_scale,
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
        CfnImport(
            "AWS::AutoScaling::AutoScalingGroup",
            _import_group,
            entry_operation="GET /",
            physical_name="AutoScalingGroupName",
        ),
        CfnImport("AWS::AutoScaling::ScalingPolicy", _import_policy, creates_node=False),
    ),
    cost=_cost,
)
