"""ECS service on Fargate: tasks of one task definition behind a load balancer, kept at a
desired count by the service scheduler and scaled by Application Auto Scaling.

The whole declaration of the kind: its parameters (the task size is a Fargate size), how it
is drawn, its ARN, its metrics, what it costs and the CloudFormation types it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from archgen.model.base import MAX_INSTANCES, Duration, Id, Strict, ms
from archgen.model.cost import Bill, fleet_hours
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    Extent,
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
    from archgen.model.importers.context import ImportContext, ImportedNode

FARGATE_MEMORY_MIB: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
"""Fargate task sizes (Amazon ECS Developer Guide, task definition parameters for Fargate):
CPU units (1,024 = 1 vCPU) → the memory sizes (MiB) allowed with them."""


class ScalingMetric(StrEnum):
    """The predefined metric a target-tracking policy of an ECS service tracks."""

    cpu = "cpu"
    """ECSServiceAverageCPUUtilization."""
    memory = "memory"
    """ECSServiceAverageMemoryUtilization."""
    requests = "requests"
    """ALBRequestCountPerTarget: requests a task received through its load balancer in a
    minute."""


class CpuArchitecture(StrEnum):
    """The task definition's ``RuntimePlatform.CpuArchitecture`` (Fargate prices it)."""

    x86_64 = "x86_64"
    arm64 = "arm64"


class ServiceAutoScaling(Strict):
    """Service Auto Scaling: an Application Auto Scaling scalable target (the service's
    desired count) with a target-tracking policy on a predefined ECS metric."""

    min_tasks: int = Field(
        1, ge=0, le=MAX_INSTANCES, description="The scalable target's MinCapacity."
    )
    max_tasks: int = Field(
        10, gt=0, le=MAX_INSTANCES, description="The scalable target's MaxCapacity."
    )
    metric: ScalingMetric = Field(
        ScalingMetric.cpu,
        description="What the policy tracks: the service's average CPU or memory "
        "utilization (ECSServiceAverageCPUUtilization / …MemoryUtilization), or the "
        "requests per task a minute through its load balancer (ALBRequestCountPerTarget).",
    )
    target_value: float = Field(
        50,
        gt=0,
        le=1_000_000,
        description="The policy's TargetValue: a percent for cpu and memory, requests per "
        "task a minute for requests. Its alarms (1-minute metrics) scale out after 3 "
        "datapoints above it and scale in after 15 below 90 % of it.",
    )
    scale_out_cooldown_s: int = Field(
        300,
        ge=0,
        le=86_400,
        description="ScaleOutCooldown: after a scale-out, only a larger one (a higher desired "
        "count) may follow until it ends (AWS default for ECS 300 s).",
    )
    scale_in_cooldown_s: int = Field(
        300,
        ge=0,
        le=86_400,
        description="ScaleInCooldown: after a scale-in, no other until it ends; a scale-out "
        "is never held by it (AWS default for ECS 300 s).",
    )
    disable_scale_in: bool = Field(False, description="DisableScaleIn: the policy only adds tasks.")

    @model_validator(mode="after")
    def _bounds(self) -> ServiceAutoScaling:
        if self.metric is not ScalingMetric.requests and self.target_value > 100:
            raise ValueError(
                f"target_value {self.target_value:g} is a percent for metric "
                f"{self.metric.value}: at most 100"
            )
        if self.min_tasks > self.max_tasks:
            raise ValueError(
                f"min_tasks ({self.min_tasks}) is greater than max_tasks ({self.max_tasks})"
            )
        return self


class EcsParams(KindParams, Zonal):
    """Settings of an ECS service on Fargate: its task size, tasks, workers and scaling."""

    cpu: int = Field(
        1024,
        ge=256,
        le=16_384,
        description="Task CPU units of the task definition (1,024 = 1 vCPU): a Fargate size, "
        "256, 512, 1024, 2048, 4096, 8192 or 16384. CPUUtilization is CPU time over it.",
    )
    memory_mib: int = Field(
        2048,
        ge=512,
        le=122_880,
        description="Task memory (MiB) of the task definition: one of the sizes Fargate "
        "allows with its cpu (e.g. 2048–8192 in steps of 1024 for 1 vCPU).",
    )
    cpu_architecture: CpuArchitecture = Field(
        CpuArchitecture.x86_64,
        description="The task definition's CPU architecture: Fargate prices arm64 lower.",
    )
    zones: tuple[Id, ...] = Field(
        (),
        description="Availability-zone groups of the service's subnets: tasks are spread "
        "over them evenly (an AZ outage takes out its share).",
    )
    assign_public_ip: bool = Field(
        False,
        description="The service's AssignPublicIp (awsvpc network mode): whether each task "
        "gets a public IP address. AWS's default is off: tasks in a public subnet then "
        "reach AWS services and the internet only through a NAT gateway or VPC endpoint.",
    )
    desired_count: int = Field(
        2,
        ge=0,
        le=MAX_INSTANCES,
        description="The service's DesiredCount: tasks at the start (the scheduler keeps "
        "it; with autoscaling, clamped into its bounds).",
    )
    workers_per_task: int = Field(
        8, gt=0, le=10_000, description="Requests one task serves at once."
    )
    queue_capacity: int = Field(
        64,
        ge=0,
        le=100_000_000,
        description="Requests waiting per task; beyond it requests are rejected (503).",
    )
    service_time: Duration = Field(
        default_factory=lambda: ms(40, 0.6),
        description="Time one worker computes on the task's CPU to serve a request (a task "
        "under 1 vCPU is fully busy meanwhile); its calls to others hold the worker but "
        "burn no CPU.",
    )
    memory_idle_mib: int = Field(
        256,
        ge=0,
        le=122_880,
        description="Memory a task uses with no request in it (runtime, caches).",
    )
    memory_per_request_mib: float = Field(
        4,
        ge=0,
        le=122_880,
        description="Memory each request held by a task (served or queued) adds.",
    )
    start_up: Duration = Field(
        default_factory=lambda: ms(45_000, 0.2),
        description="From the scheduler placing a task to RUNNING: image pull and container "
        "start (typically 30–60 s on Fargate).",
    )
    health_check_grace_period_s: int = Field(
        0,
        ge=0,
        le=2_147_483_647,
        description="The service's HealthCheckGracePeriodSeconds: how long after a task "
        "starts the scheduler ignores failed load-balancer health checks.",
    )
    task_failures_per_day: float = Field(
        0,
        ge=0,
        le=1_440,
        description="How often a running task stops on its own (an essential container "
        "exits), per task and day; the scheduler starts a replacement.",
    )
    autoscaling: ServiceAutoScaling | None = Field(
        None,
        description="Service Auto Scaling; none: the scheduler keeps desired_count.",
    )

    @model_validator(mode="after")
    def _fargate_size(self) -> EcsParams:
        sizes = FARGATE_MEMORY_MIB.get(self.cpu)
        if sizes is None:
            raise ValueError(
                f"cpu {self.cpu} is not a Fargate task size: use one of "
                f"{', '.join(str(c) for c in FARGATE_MEMORY_MIB)}"
            )
        if self.memory_mib not in sizes:
            raise ValueError(
                f"memory_mib {self.memory_mib} is not a Fargate size for cpu {self.cpu}: "
                f"use {sizes[0]}–{sizes[-1]} in steps of {sizes[1] - sizes[0]}"
            )
        if self.memory_idle_mib >= self.memory_mib:
            raise ValueError(
                f"memory_idle_mib ({self.memory_idle_mib}) must be less than memory_mib "
                f"({self.memory_mib})"
            )
        return self

    def public_address(self) -> bool:
        """A Fargate task has a public IP address only when the service assigns one
        (ECS Developer Guide, Fargate task networking)."""
        return self.assign_public_ip

    @property
    def vcpus(self) -> float:
        """vCPUs of one task: CPUUtilization is CPU time over them."""
        return self.cpu / 1024

    def bounds(self) -> tuple[int, int, int]:
        """(min, max, initial) tasks, real counts: the scalable target's bounds, or the
        desired count alone; the initial count is clamped into the bounds, as Application
        Auto Scaling does when it registers the service."""
        scaling = self.autoscaling
        if scaling is None:
            return self.desired_count, self.desired_count, self.desired_count
        low, high = scaling.min_tasks, scaling.max_tasks
        return low, high, min(high, max(low, self.desired_count))


def _validate(checks: Checks, path: PathKey, node: Node, params: EcsParams) -> None:
    check_zones(checks, path, params)


def _text(ctx: ImportContext, value: object) -> str:
    return ctx.text(value) if value is not None else ""


def _import_service(ctx: ImportContext) -> dict[str, object]:
    """``AWS::ECS::Service``: desired count, grace period, subnets and public IP, and the
    task size, architecture and task role of its ``AWS::ECS::TaskDefinition``."""
    params: dict[str, object] = {}
    desired = ctx.number("DesiredCount")
    if desired is not None:
        params["desired_count"] = int(desired)
    grace = ctx.number("HealthCheckGracePeriodSeconds")
    if grace is not None:
        params["health_check_grace_period_s"] = int(grace)
    ctx.in_subnets(ctx.prop("NetworkConfiguration", "AwsvpcConfiguration", "Subnets"))
    public = ctx.prop("NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp")
    if public is not None and _text(ctx, public).upper() == "ENABLED":
        params["assign_public_ip"] = True
    this = ctx.this
    launch = _text(ctx, ctx.prop("LaunchType", default="FARGATE"))
    if launch != "FARGATE" and this is not None:
        this.notes.append(f"launch type {launch} simulated as Fargate")
    task = ctx.properties_of(ctx.prop("TaskDefinition"))
    cpu, memory = _number(task.get("Cpu")), _number(task.get("Memory"))
    if cpu is not None and memory is not None:
        sizes = FARGATE_MEMORY_MIB.get(int(cpu), ())
        if int(memory) in sizes:
            params.update(cpu=int(cpu), memory_mib=int(memory))
        elif this is not None:  # the model would refuse it: say so instead
            this.notes.append(f"task size {cpu:g} CPU / {memory:g} MiB is not a Fargate size")
    role = ctx.node(task.get("TaskRoleArn"))
    if role is not None and this is not None:
        this.role = role.id  # the containers' calls are the task role's
    platform = task.get("RuntimePlatform")
    arch = platform.get("CpuArchitecture") if isinstance(platform, dict) else None
    if arch is not None and ctx.text(arch).upper() == "ARM64":
        params["cpu_architecture"] = CpuArchitecture.arm64.value
    return params


def _number(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None


def _import_task_definition(ctx: ImportContext) -> None:
    """``AWS::ECS::TaskDefinition``: read into the services that run it; one that no
    modeled service runs is reported."""
    runs = [
        node
        for node in ctx.graph.unique()
        if node.kind == "ecs"
        and ctx.properties_of(_ref(node.logical_id)).get("TaskDefinition") == _ref(ctx.logical_id)
    ]
    if not runs:
        ctx.skip("no modeled ECS service runs this task definition")


def _ref(logical_id: str) -> object:
    from archgen.model.importers.intrinsics import ResourceRef

    return ResourceRef(logical_id)


_ECS_DIMENSION = "ecs:service:DesiredCount"


def _service_of(ctx: ImportContext, props: Mapping[str, object]) -> ImportedNode | None:
    """The ECS service node an Application Auto Scaling ``ResourceId``
    (``service/<cluster>/<service>``) names, if the scalable dimension is its desired
    count."""
    if _text(ctx, props.get("ScalableDimension")) != _ECS_DIMENSION:
        return None
    name = _text(ctx, props.get("ResourceId")).rsplit("/", 1)[-1].removesuffix(".Name")
    for node in ctx.graph.unique():
        if node.kind != "ecs":
            continue
        declared = ctx.properties_of(_ref(node.logical_id)).get("ServiceName")
        if name in (node.id, _text(ctx, declared) if declared is not None else node.id):
            return node
    return None


def _import_scalable_target(ctx: ImportContext) -> None:
    """``AWS::ApplicationAutoScaling::ScalableTarget`` of a service's desired count: its
    MinCapacity and MaxCapacity; another service's target is reported."""
    service = _service_of(ctx, ctx.properties)
    if service is None:
        dimension = _text(ctx, ctx.prop("ScalableDimension")) or "none"
        ctx.skip(
            f"scalable dimension {dimension}: archgen reads Application Auto Scaling for the "
            "desired count of a modeled ECS service only"
        )
        return
    scaling = _scaling(service)
    for key, name in (("MinCapacity", "min_tasks"), ("MaxCapacity", "max_tasks")):
        value = ctx.number(key)
        if value is not None:
            scaling[name] = int(value)


def _scaling(service: ImportedNode) -> dict[str, object]:
    scaling = service.params.setdefault("autoscaling", {})
    assert isinstance(scaling, dict)
    return scaling


_METRICS = {
    "ECSServiceAverageCPUUtilization": ScalingMetric.cpu,
    "ECSServiceAverageMemoryUtilization": ScalingMetric.memory,
    "ALBRequestCountPerTarget": ScalingMetric.requests,
}


def _import_scaling_policy(ctx: ImportContext) -> None:
    """``AWS::ApplicationAutoScaling::ScalingPolicy``: target tracking on a service's
    average CPU or memory or its requests per target (target, cooldowns, scale-in switch);
    other policies are reported (the service scales by target tracking on those only)."""
    target_props = ctx.properties_of(ctx.prop("ScalingTargetId")) or ctx.properties
    service = _service_of(ctx, target_props)
    config = "TargetTrackingScalingPolicyConfiguration"
    kind_ = _text(ctx, ctx.prop(config, "PredefinedMetricSpecification", "PredefinedMetricType"))
    target = ctx.number(config, "TargetValue")
    if service is None or kind_ not in _METRICS or target is None:
        ctx.skip(
            "only target tracking on ECSServiceAverageCPUUtilization, "
            "ECSServiceAverageMemoryUtilization or ALBRequestCountPerTarget of a modeled "
            "ECS service is modeled"
        )
        return
    scaling = _scaling(service)
    scaling["metric"] = _METRICS[kind_].value
    scaling["target_value"] = target
    for key, name in (
        ("ScaleOutCooldown", "scale_out_cooldown_s"),
        ("ScaleInCooldown", "scale_in_cooldown_s"),
    ):
        value = ctx.number(config, key)
        if value is not None:
            scaling[name] = int(value)
    if ctx.flag(config, "DisableScaleIn"):
        scaling["disable_scale_in"] = True


def _cost(bill: Bill, node: Node, params: EcsParams) -> None:
    """Fargate vCPU-hours and GB-hours of the tasks, starting or running, from the
    service's timeline."""
    fleet = bill.activity.get("instances")
    if not isinstance(fleet, Mapping):
        bill.leave_out("task-hours: the run reported no task timeline")
        return
    low, high, _ = params.bounds()
    hours = fleet_hours(
        fleet, real_min=low, real_max=high, scale=bill.fleet_scale, duration_s=bill.duration_s
    )
    mean = hours / bill.hours if bill.hours else 0.0
    arch = params.cpu_architecture.value
    what = f"{mean:,.1f} tasks on average (real service)"
    bill.charge(f"fargate.vcpu_hour.{arch}", hours * params.vcpus, what)
    bill.charge(f"fargate.gb_hour.{arch}", hours * params.memory_mib / 1024, what)
    bill.leave_out("ephemeral storage above the free 20 GB, data transfer: not modelled")


SPEC = kind(
    "ecs",
    EcsParams,
    title="ECS service on Fargate",
    category="compute",
    order=72,
    summary="Fargate tasks with workers and queues, service auto scaling.",
    icon=("diagrams.aws.compute", "Fargate"),
    arn=Arn("ecs", "service/default/{id}"),
    iam_service="ecs",
    capabilities={Capability.runs_code, Capability.emits_metrics},
    behavior="archgen.runtime.behaviors.ecs:EcsService",
    validate=_validate,
    metrics=Metrics(
        "AWS/ECS",
        ("ClusterName", "ServiceName"),
        (
            metric(
                "CPUUtilization",
                Unit.percent,
                "CPU time of the running tasks (service time; workers waiting on downstream "
                "calls burn none) over their task CPU, one datapoint a minute.",
                shape=Shape.gauge,
            ),
            metric(
                "MemoryUtilization",
                Unit.percent,
                "Memory the running tasks use (idle memory plus what each held request "
                "adds) over their task memory, one datapoint a minute.",
                shape=Shape.gauge,
            ),
            metric(
                "RunningTaskCount",
                Unit.count,
                "Tasks in the RUNNING state (Container Insights, namespace ECS/ContainerInsights).",
                shape=Shape.gauge,
                statistic="Average",
                extent=Extent.servers,
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::ECS::Service",
            _import_service,
            entry_operation="GET /",
            ref_is_arn=True,
            physical_name="ServiceName",
        ),
        CfnImport("AWS::ECS::TaskDefinition", _import_task_definition, creates_node=False),
        CfnImport(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            _import_scalable_target,
            creates_node=False,
        ),
        CfnImport(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            _import_scaling_policy,
            creates_node=False,
        ),
    ),
    cost=_cost,
)
