"""ECS service on Fargate: tasks behind a load balancer, kept and scaled by the service
scheduler and Application Auto Scaling (the fleet model EC2 groups share).

Rules (Amazon ECS Developer Guide: service auto scaling, service load balancing, Fargate
task definitions, CloudWatch metrics; Application Auto Scaling User Guide: target tracking,
cooldowns):
- A task has the task definition's CPU (``cpu`` units, 1,024 a vCPU) and memory. It serves
  ``workers_per_task`` requests at once, queues ``queue_capacity`` more, and answers
  ``503`` beyond; its service time is computing on the task's CPU (a task under 1 vCPU
  is fully busy while one worker computes), calls below hold a worker but burn none.
- A new task takes its ``start_up`` time (image pull, container start) before it is
  RUNNING; a load balancer then sends it traffic once it passes a health check. Tasks
  are spread evenly over the service's zones (those that are up).
- ``CPUUtilization`` and ``MemoryUtilization`` (``AWS/ECS``, 1-minute datapoints) are
  averages over the running tasks: CPU time over task CPU; memory used (``memory_idle_mib``
  plus ``memory_per_request_mib`` for each request a task holds, served or queued,
  averaged over the minute) over task memory. ``RunningTaskCount`` is the tasks running.
- Service Auto Scaling tracks one of them, or ``requests``: the requests the load
  balancers sent the service in the minute over its running tasks
  (ALBRequestCountPerTarget); a datapoint a minute, the scale-out alarm needs
  3 in a row above the target, the scale-in alarm 15 below 90 % of it. Desired =
  ceil(running × metric / target), clamped to [min_tasks, max_tasks]; starting tasks count
  in the capacity. After a scale-out, another needs a higher desired count until
  ``scale_out_cooldown_s`` ends; after a scale-in, none other until
  ``scale_in_cooldown_s`` ends (a scale-out is never held by it); ``disable_scale_in``
  keeps the count. New tasks count in the metric at once (no warm-up).
- The service scheduler keeps the desired count: a task that stops (on its own, at
  ``task_failures_per_day``: its requests end ``502``) is replaced at once; a task that does
  not answer (its zone is out) is stopped and replaced after two missed one-minute checks,
  or, behind a load balancer, once the load balancer marks it unhealthy, past the service's
  ``health_check_grace_period_s``.
- Scale-in drains the newest tasks for the load balancers' ``deregistration_delay_s``.
- An alarm's ``scale`` action (a step-scaling policy) adds its ``adjustment`` tasks at
  once (scaled, within ``max_tasks``).
- Hybrid fidelity: the three metrics are the whole load's, as the fleet's pool estimates
  it (memory from the requests held, served or waiting; the requests per task from those
  offered, at the traced share a load balancer sent), not the traced requests'.
Left out: deployments (rolling update percentages, circuit breaker), capacity providers
and Fargate Spot, scheduled scaling, placement constraints, task CPU
contention (more computing workers than vCPUs do not stretch the service time).
"""

from __future__ import annotations

from typing import Any

from archgen.model.kind import KindParams
from archgen.model.kinds.ecs import EcsParams, ScalingMetric
from archgen.runtime.behavior import (
    HEALTH_CHECK,
    Call,
    Footprint,
    NodeContext,
    register,
    scaled_count,
)
from archgen.runtime.behaviors.fleet import IN_SERVICE, PENDING, Fleet, FleetPlan, Instance

ECS_PERIOD_S = 60  # ECS publishes service CPU and memory utilization every minute
DAY_MS = 86_400_000.0


class Task(Instance):
    """A Fargate task: an instance of the fleet that also integrates the requests it holds
    (its memory)."""

    __slots__ = ("held_area", "held_mark", "held_since", "held_snapshot")

    def __init__(self, fleet: Fleet, task_id: str, zone: str | None) -> None:
        super().__init__(fleet, task_id, zone)
        self.held_area = 0.0  # request-milliseconds held (served or queued), cumulative
        self.held_since = 0.0
        self.held_snapshot = 0.0
        self.held_mark = fleet.held_total(0.0)  # the fluid's held integral when last read

    def hold(self, now: float) -> None:
        fleet = self.fleet
        if fleet.fluid is not None:  # hybrid: the whole load's requests, not the traced ones
            total = fleet.held_total(now)
            if self.answering:
                self.held_area += total - self.held_mark
            self.held_mark = total
        else:
            self.held_area += (self.busy + len(self.queue)) * (now - self.held_since)
        self.held_since = now

    def touch(self, now: float) -> None:
        self.hold(now)
        super().touch(now)


@register("ecs")
class EcsService(Fleet):
    member_noun = "task"
    counts_held = True

    @classmethod
    def footprint(cls, params: KindParams, scale: float, items: int) -> Footprint:
        """Memory for the largest service; idle health checks for the initial one."""
        assert isinstance(params, EcsParams)
        _, high, initial = params.bounds()
        return Footprint(instances=scaled_count(high, scale), workers=scaled_count(initial, scale))

    def __init__(self, ctx: NodeContext) -> None:
        params = ctx.node.params
        assert isinstance(params, EcsParams)
        scaling = params.autoscaling
        low, high, initial = params.bounds()
        self.start_up = ctx.sampler(params.start_up)
        self.memory_mib = params.memory_mib
        self.memory_idle = params.memory_idle_mib
        self.memory_per_request = params.memory_per_request_mib
        self.failure_rate = params.task_failures_per_day / DAY_MS  # per task and ms
        self.tracked = ScalingMetric.cpu if scaling is None else scaling.metric
        self.metric_label = {
            ScalingMetric.cpu: "CPU",
            ScalingMetric.memory: "memory",
            ScalingMetric.requests: "requests per task",
        }[self.tracked]
        self.metric_unit = "" if self.tracked is ScalingMetric.requests else "%"
        self.balanced_requests = 0  # requests routed by a load balancer this period
        self.handled = 0  # … and all requests, routed or not (hybrid: the traced ones)
        self.offered_mark = 0.0  # hybrid: the pool's offered integral at the last datapoint
        self.out_cooldown_ms = 0.0 if scaling is None else scaling.scale_out_cooldown_s * 1000.0
        self.scale_in = scaling is not None and not scaling.disable_scale_in
        self.out_until = -1.0
        self.out_desired = 0
        self.last_scale_in = -float("inf")
        self.failed = 0
        self.mem_snapshot: dict[str, float] = {}
        super().__init__(
            ctx,
            FleetPlan(
                workers=params.workers_per_task,
                vcpus=params.vcpus,
                queue_capacity=params.queue_capacity,
                service_time=params.service_time,
                zones=params.zones,
                min=low,
                max=high,
                desired=initial,
                target=None if scaling is None else scaling.target_value,
                warmup_s=0,
                scale_in_cooldown_s=0 if scaling is None else scaling.scale_in_cooldown_s,
                period_s=ECS_PERIOD_S,
                elb_health=False,  # set below: behind a load balancer
                grace_s=params.health_check_grace_period_s,
                names=("min_tasks", "max_tasks", "desired_count"),
                member="task-",
            ),
        )
        self.elb_health = self.drain_ms is not None  # ECS acts on its load balancers' checks

    # -- the fleet's hooks

    def _member(self, member_id: str, zone: str | None) -> Instance:
        task = Task(self, member_id, zone)
        task.held_since = self.ctx.now
        return task

    def _start_ms(self) -> float:
        return self.start_up()

    def _held(self, instance: Instance) -> None:
        assert isinstance(instance, Task)
        instance.hold(self.ctx.now)

    def _booted(self, instance: Instance) -> None:
        if instance.state == PENDING:
            super()._booted(instance)
            self._arm_failure(instance)

    def _tracked(self, now: float, counted: list[Instance], cpu: float | None) -> float | None:
        memory = self._memory(now, counted, None)
        for instance in self.instances:
            assert isinstance(instance, Task)
            instance.hold(now)
            instance.held_snapshot = instance.held_area
        requests, self.balanced_requests = self.balanced_requests, 0
        handled, self.handled = self.handled, 0
        if self.fluid is not None:  # hybrid: the whole load's, the traced share balanced
            offered = self.offered_total(now)
            whole, self.offered_mark = offered - self.offered_mark, offered
            requests = round(whole * requests / handled) if handled else 0
        if self.tracked is ScalingMetric.requests:
            return requests / len(counted) if counted else None
        return memory if self.tracked is ScalingMetric.memory else cpu

    def handle(self, call: Call) -> None:
        if call.op != HEALTH_CHECK:
            self.handled += 1
            if call.route is not None:  # RequestCountPerTarget counts what a balancer sent
                self.balanced_requests += 1
        super().handle(call)

    def _scale_out_allowed(self, desired: int, capacity: int) -> bool:
        """A scale-out in the cooldown of the last one must be larger than it."""
        if desired <= capacity:
            return False
        return self.ctx.now >= self.out_until or desired > self.out_desired

    def _scaled_out(self, desired: int) -> None:
        self.out_until = self.ctx.now + self.out_cooldown_ms
        self.out_desired = desired

    def _scale_in_allowed(self, now: float) -> bool:
        return self.scale_in and now - self.last_scale_in >= self.cooldown_ms

    def _scale_in_step(self, capacity: int, desired: int) -> int:
        """Application Auto Scaling sets the service's desired count at once."""
        return capacity - desired

    def _scaled_in(self) -> None:
        self.last_scale_in = self.ctx.now

    def _replace_why(self) -> str:
        why = "load balancer health checks" if self.elb_health else "task stopped"
        return f"replace unhealthy tasks ({why})"

    # -- task failures

    def start(self) -> None:
        super().start()
        for instance in self.serving:
            self._arm_failure(instance)

    def _arm_failure(self, instance: Instance) -> None:
        if self.failure_rate > 0:
            self.ctx.after(self.ctx.rng.expovariate(self.failure_rate), self._stopped, instance)

    def _stopped(self, instance: Instance) -> None:
        """The task's essential container exited: it stops, the scheduler replaces it."""
        if instance.state != IN_SERVICE or self.ctx.faults.down:
            return
        self.failed += 1
        self._cut(instance)
        self._refresh()
        self.launch(1, "replace a stopped task")

    # -- metrics

    def _memory(
        self, now: float, counted: list[Instance], snapshots: dict[str, float] | None
    ) -> float | None:
        """Average memory utilization (percent) of ``counted`` since their snapshots."""
        if not counted:
            return None
        total = 0.0
        start = now - self.period_ms if snapshots is None else self.cw_last
        for instance in counted:
            assert isinstance(instance, Task)
            instance.hold(now)
            before = (
                instance.held_snapshot if snapshots is None else snapshots.get(instance.id, 0.0)
            )
            span = now - max(start, instance.in_service_at)
            held = (instance.held_area - before) / span if span > 0 else 0.0
            total += (self.memory_idle + self.memory_per_request * held) / self.memory_mib
        return min(100.0, 100.0 * total / len(counted))

    def _publish(self, now: float, period_ms: float, counted: list[Instance]) -> None:
        memory = self._memory(now, counted, self.mem_snapshot)
        if memory is not None:
            self.ctx.emit("MemoryUtilization", memory)
        self.ctx.emit("RunningTaskCount", float(len(self.serving)))
        for instance in self.instances:
            assert isinstance(instance, Task)
            instance.hold(now)
            self.mem_snapshot[instance.id] = instance.held_area

    def summary(self) -> dict[str, Any]:
        return super().summary() | {
            "stopped_tasks": self.failed,
            "workers_per_task": self.workers,
            "vcpus_per_task": self.vcpus,
            "memory_mib_per_task": self.memory_mib,
        }
