"""EC2 Auto Scaling fleet: instances with workers and bounded queues, target tracking.

Rules (EC2 Auto Scaling User Guide):
- An instance serves ``workers_per_instance`` requests at once; each takes a service time
  from ``service_time``, then the instance makes the flow's child calls, holding the worker
  (a thread blocked on I/O). Excess requests wait in the instance's FIFO queue of
  ``queue_capacity``; beyond it the request is rejected with ``503``.
- ``CPUUtilization`` is CPU time, not busy workers: the service time is the request's CPU
  time, its downstream calls are I/O wait that holds a worker but burns no CPU. At any
  instant an instance burns min(workers in their service time, vCPUs of its
  ``instance_type``); the metric is that time over vCPU time of the counted instances.
  EC2 publishes it every 5 minutes (basic monitoring) or every minute
  (``detailed_monitoring``); a period of the run without a datapoint has none.
- Target tracking reads one CPU datapoint per monitoring period over the n instances past
  warm-up that answer (a silent instance sends no data). Its scale-out alarm needs 3
  datapoints in a row above the target, its scale-in alarm 15 in a row below 90 % of it;
  a missing datapoint breaks a run. Desired = ceil(n × CPU / target); scale-out launches
  what the capacity (launching and warming instances included: they will take their share)
  lacks of it; scale-in, only while no instance is launching or warming, goes toward it
  after ``scale_in_cooldown_s`` since the last activity, by at most 10 % of the fleet at a
  time.
  Capacity is clamped to [min, max] (scaled by the run's scale).
- A new instance boots for ``launch_s``, then is in service (the load balancer sends it
  traffic once it passes a health check); it counts in the metric only after ``warmup_s``
  (AWS's default instance warm-up semantics).
- Instances in a zone that is out (AZ outage) stop answering (``502`` from a load
  balancer, which keeps sending to them until its health checks mark them unhealthy).
  Auto Scaling replaces an instance only once a health check says it is unhealthy, past
  ``health_check_grace_period_s`` in service: EC2 status checks every minute (an instance
  that does not answer two checks in a row is impaired), or with ``health_check_type:
  elb`` also when a load balancer marks it unhealthy. Replacements go to the zones that are
  up; a whole-node or region outage stops Auto Scaling too.
- A load balancer's ``HealthCheck`` (no flow step) is answered at once by the instance it
  is routed to, without taking a worker or a queue slot (a cheap status page); an instance
  that does not answer lets it time out: error ``Timeout`` after the caller's
  ``health_check_timeout_s`` (default 5 s, the ELB default). A region or node outage fails
  it at the door, like any call.
- Alarm ``scale`` actions add ``adjustment`` (real instances, scaled) at once.
- Scale-in deregisters the newest instances from their load balancers: no new requests,
  in-flight and queued ones finish; the instance terminates when they are done, or when the
  load balancers' longest ``deregistration_delay_s`` ends, which cuts the requests still
  running (``502``). Without a load balancer there is no draining: it terminates at once.
- The summary's queue figures count requests that arrived after the scenario's warm-up;
  its ``zones`` give the instances in service per availability zone.
Left out: lifecycle hooks, CPU contention (more computing workers than vCPUs do not
stretch the service time; the metric saturates at 100 %), burstable CPU credits, and
Auto Scaling's AZ rebalancing once a zone is back.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from archgen.model.kind import DrainsTargets, KindParams
from archgen.model.kinds import Ec2Params
from archgen.model.kinds.ec2 import AutoScaling
from archgen.runtime.behavior import (
    HEALTH_CHECK,
    Behavior,
    Call,
    Footprint,
    NodeContext,
    Signal,
    Target,
    register,
    scaled_count,
)

PENDING, IN_SERVICE, DRAINING, TERMINATED = "pending", "in_service", "draining", "terminated"
HEALTH_CHECK_TIMEOUT_S = 5  # ELB default HealthCheckTimeoutSeconds for instance targets
SCALE_OUT_DATAPOINTS = 3  # target tracking's high alarm: 3 of 3 datapoints
SCALE_IN_DATAPOINTS = 15  # … its low alarm: 15 of 15
SCALE_IN_SHARE = 0.9  # the low alarm's threshold, as a share of the target
STATUS_CHECK_MS = 60_000.0  # EC2 runs status checks every minute
STATUS_CHECK_FAILURES = 2  # failed checks in a row before an instance is impaired


class Instance(Target):
    __slots__ = (
        "active",
        "area",
        "busy",
        "computing",
        "counted_at",
        "cut",
        "fleet",
        "in_service_at",
        "max_busy",
        "queue",
        "served",
        "since",
        "snapshot",
        "state",
        "status_fails",
        "zone",
    )

    def __init__(self, fleet: Ec2Fleet, instance_id: str, zone: str | None) -> None:
        super().__init__(instance_id)
        self.fleet = fleet
        self.zone = zone
        self.state = PENDING
        self.busy = 0  # workers held (CPU or waiting on calls)
        self.computing = 0  # … of which in their service (CPU) time
        self.max_busy = 0
        self.queue: deque[Call] = deque()
        self.area = 0.0  # vCPU milliseconds burnt, cumulative
        self.since = 0.0
        self.snapshot = 0.0
        self.counted_at = math.inf
        self.in_service_at = 0.0
        self.served = 0
        self.status_fails = 0  # EC2 status checks failed in a row
        self.active: dict[int, Call] = {}  # span → request holding a worker
        self.cut: set[int] = set()  # spans ended by the deregistration delay

    def touch(self, now: float) -> None:
        self.area += min(self.computing, self.fleet.vcpus) * (now - self.since)
        self.since = now

    @property
    def answering(self) -> bool:
        fleet = self.fleet
        return (
            self.state in (IN_SERVICE, DRAINING)
            and not fleet.ctx.faults.down
            and (self.zone is None or self.zone not in fleet.ctx.faults.zones_down)
        )


@register("ec2")
class Ec2Fleet(Behavior):
    @classmethod
    def footprint(cls, params: KindParams, scale: float, items: int) -> Footprint:
        """Memory for the largest fleet; idle health checks for the initial one (a grown
        fleet serves calls, which are counted already)."""
        assert isinstance(params, Ec2Params)
        return Footprint(
            instances=scaled_count(params.autoscaling.max_instances, scale),
            workers=scaled_count(params.autoscaling.initial_instances, scale),
        )

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, Ec2Params)
        params = node.params
        scaling = params.autoscaling
        self.workers = params.workers_per_instance
        self.vcpus = params.vcpus
        self.warmup_start_ms = ctx.services.scenario.warmup_s * 1000.0
        self.queue_capacity = params.queue_capacity
        self.service = ctx.sampler(params.service_time)
        self.zones: list[str | None] = list(params.zones) or [None]
        self._init_bounds(scaling, len(params.zones))
        self.target = scaling.target_cpu_percent
        self.launch_ms = scaling.launch_s * 1000.0
        self.warmup_ms = scaling.warmup_s * 1000.0
        self.cooldown_ms = scaling.scale_in_cooldown_s * 1000.0
        self.period_ms = params.monitoring_period_s * 1000.0
        self.elb_health = scaling.health_check_type == "elb"
        self.grace_ms = scaling.health_check_grace_period_s * 1000.0
        self.drain_ms = self._deregistration_delay_ms()
        self.datapoints: deque[float | None] = deque(maxlen=SCALE_IN_DATAPOINTS)
        self.instances: list[Instance] = []
        self.serving: list[Instance] = []  # in service, answering order for round robin
        self.next_id = 0
        self.rr = 0
        self.last_activity = -math.inf
        self.timeline: list[list[float | None]] = []
        self.activities: list[dict[str, Any]] = []
        self.rejected = 0
        self.cut = 0
        self.cw_snapshot: dict[str, float] = {}
        self.cw_last = 0.0
        self.max_busy = 0
        self.peak = 0
        self.zone_peak: dict[str, int] = {}
        self.started = 0  # requests arrived after the scenario's warm-up that got a worker
        self.waited = 0  # … after waiting in the queue
        self.wait_total = 0.0
        self._init_schedule(scaling)
        for _ in range(self.initial):
            instance = self._new_instance()
            instance.state = IN_SERVICE
            instance.counted_at = 0.0
            self.cw_snapshot[instance.id] = 0.0  # busy from time 0: the first period counts
        self._refresh()

    def _deregistration_delay_ms(self) -> float | None:
        """The longest ``deregistration_delay_s`` of the load balancers sending to this
        fleet (draining ends with the last of them); None without one."""
        model = self.ctx.model
        me = model.original_of(self.ctx.node_id)
        delays = [
            float(balancer.deregistration_delay_s)
            for edge in model.edges
            if edge.target == me
            and isinstance(balancer := model.nodes_by_id[edge.source].params, DrainsTargets)
        ]
        return max(delays) * 1000.0 if delays else None

    # -- fleet

    def _new_instance(self) -> Instance:
        self.next_id += 1
        healthy_zones = [z for z in self.zones if z not in self.ctx.faults.zones_down] or self.zones
        counts = dict.fromkeys(healthy_zones, 0)
        for instance in self.instances:
            if instance.state in (PENDING, IN_SERVICE) and instance.zone in counts:
                counts[instance.zone] += 1
        zone = min(healthy_zones, key=lambda z: counts[z])
        instance = Instance(self, f"i-{self.next_id}", zone)
        instance.since = self.ctx.now
        self.instances.append(instance)
        return instance

    def _refresh(self) -> None:
        self.instances = [i for i in self.instances if i.state != TERMINATED]
        self.serving = [i for i in self.instances if i.state == IN_SERVICE]
        self.peak = max(self.peak, len(self.serving))
        for zone, count in self._per_zone().items():
            if count > self.zone_peak.get(zone, 0):
                self.zone_peak[zone] = count

    def _per_zone(self) -> dict[str, int]:
        """Instances in service per availability zone (none for a fleet without zones)."""
        counts = {zone: 0 for zone in self.zones if zone is not None}
        for instance in self.serving:
            if instance.zone is not None:
                counts[instance.zone] += 1
        return counts

    def capacity(self) -> int:
        return sum(1 for i in self.instances if i.state in (PENDING, IN_SERVICE))

    def launch(self, count: int, why: str) -> None:
        count = min(count, self.max - self.capacity())
        if count <= 0:
            return
        for _ in range(count):
            instance = self._new_instance()
            self.ctx.after(self.launch_ms, self._booted, instance)
        self.last_activity = self.ctx.now
        self.activities.append({"t_s": round(self.ctx.now / 1000, 3), "launch": count, "why": why})

    def _booted(self, instance: Instance) -> None:
        if instance.state != PENDING:
            return
        instance.state = IN_SERVICE
        instance.since = self.ctx.now
        instance.in_service_at = self.ctx.now
        instance.snapshot = instance.area
        instance.counted_at = self.ctx.now + self.warmup_ms
        self._refresh()

    def terminate(self, count: int, why: str) -> None:
        victims = [i for i in reversed(self.instances) if i.state in (PENDING, IN_SERVICE)]
        victims = victims[:count]
        for instance in victims:
            self._drain(instance)
        if victims:
            self.last_activity = self.ctx.now
            self.activities.append(
                {"t_s": round(self.ctx.now / 1000, 3), "terminate": len(victims), "why": why}
            )
        self._refresh()

    def _drain(self, instance: Instance) -> None:
        if instance.state == PENDING or (instance.busy == 0 and not instance.queue):
            instance.state = TERMINATED
        elif self.drain_ms is None:
            self._cut(instance)
        else:
            instance.state = DRAINING
            self.ctx.after(self.drain_ms, self._drained, instance)

    def _drained(self, instance: Instance) -> None:
        if instance.state == DRAINING:  # the delay ended before its requests did
            self._cut(instance)
            self._refresh()

    def _cut(self, instance: Instance) -> None:
        """Terminate now: the requests it still holds or queues end with ``502``."""
        instance.touch(self.ctx.now)
        instance.state = TERMINATED
        cut = [*instance.active.values(), *instance.queue]
        instance.queue.clear()
        instance.active.clear()
        instance.computing = instance.busy = instance.outstanding = 0
        for call in cut:
            instance.cut.add(call.span)
            self.cut += 1
            call.note("cut", "instance terminated")
            self.ctx.fail(call, "502")

    # -- requests

    def targets(self) -> list[Target]:
        return list(self.serving)

    def healthy(self) -> bool:
        return any(instance.answering for instance in self.serving)

    def handle(self, call: Call) -> None:
        instance = call.route
        if call.op == HEALTH_CHECK and call.step is None:
            self._health_check(call, instance)
            return
        if instance is None:
            serving = [i for i in self.serving if i.answering]
            if not serving:
                self.ctx.fail(call, "503")
                return
            self.rr += 1
            instance = serving[self.rr % len(serving)]
            call.route = instance
            call.note("instance", instance.id)
        if not instance.answering:
            self.ctx.fail(call, "502")
            return
        instance.outstanding += 1
        if instance.busy < self.workers:
            self._serve(instance, call)
        elif len(instance.queue) < self.queue_capacity:
            instance.queue.append(call)
        else:
            instance.outstanding -= 1
            self.rejected += 1
            call.note("rejected", "queue full")
            self.ctx.fail(call, "503")

    def _health_check(self, call: Call, instance: Instance | None) -> None:
        if instance is None:  # checked as a whole: healthy while an instance answers
            answering = self.healthy()
        else:
            call.note("instance", instance.id)
            answering = instance.answering
        if answering:
            self.ctx.finish(call)
        else:
            caller = self.ctx.model.nodes_by_id[call.source].params
            timeout_s = getattr(caller, "health_check_timeout_s", HEALTH_CHECK_TIMEOUT_S)
            self.ctx.after(timeout_s * 1000.0, self._timed_out, call)

    def _timed_out(self, call: Call) -> None:
        self.ctx.fail(call, "Timeout")

    def _serve(self, instance: Instance, call: Call) -> None:
        now = self.ctx.now
        instance.touch(now)
        instance.busy += 1
        instance.computing += 1
        instance.active[call.span] = call
        if instance.busy > instance.max_busy:
            instance.max_busy = instance.busy
            self.max_busy = max(self.max_busy, instance.busy)
        wait = now - call.start
        if call.start >= self.warmup_start_ms:
            self.started += 1
            if wait > 0:
                self.waited += 1
                self.wait_total += wait
        call.note("wait_ms", round(wait, 3))
        self.ctx.after(self.service(), self._served, call)

    def _served(self, call: Call) -> None:
        instance: Instance = call.route
        if call.span in instance.cut:
            instance.cut.discard(call.span)
            return
        instance.touch(self.ctx.now)
        instance.computing -= 1  # CPU done; the worker waits on the calls below
        self.ctx.run_children(call, self._release)

    def _release(self, call: Call) -> None:
        instance: Instance = call.route
        if call.span in instance.cut:
            instance.cut.discard(call.span)
            return
        instance.busy -= 1
        instance.outstanding -= 1
        instance.served += 1
        del instance.active[call.span]
        self.ctx.finish(call)
        if instance.queue:
            self._serve(instance, instance.queue.popleft())
        elif instance.state == DRAINING and instance.busy == 0:
            instance.state = TERMINATED
            self._refresh()

    # -- scaling

    def start(self) -> None:
        self.ctx.after(self.period_ms, self._evaluate)
        self.ctx.after(STATUS_CHECK_MS, self._health_sweep)
        day_s = self.ctx.services.scenario.start_of_day_s
        for index, (action, _) in enumerate(self.schedule):
            self.ctx.after(action.first_s(day_s) * 1000.0, self._scheduled, index)

    def _cpu(
        self,
        now: float,
        counted: list[Instance],
        snapshots: dict[str, float] | None,
        span_ms: float,
    ) -> float | None:
        if not counted:
            return None
        used = 0.0
        for instance in counted:
            instance.touch(now)
            before = instance.snapshot if snapshots is None else snapshots.get(instance.id, 0.0)
            used += instance.area - before
        return 100.0 * used / (self.vcpus * span_ms * len(counted))

    def _counted(self, since: float) -> list[Instance]:
        """Instances past warm-up since ``since`` that report data (answer)."""
        return [i for i in self.serving if i.counted_at <= since and i.answering]

    def _evaluate(self, _: Any) -> None:
        now = self.ctx.now
        counted = self._counted(now - self.period_ms)
        cpu = self._cpu(now, counted, None, self.period_ms)
        for instance in self.instances:
            instance.touch(now)
            instance.snapshot = instance.area
        self.datapoints.append(cpu)
        capacity = self.capacity()
        if capacity < self.min:
            self.launch(self.min - capacity, "below minimum")
        elif cpu is not None:
            desired = math.ceil(len(counted) * cpu / self.target - 1e-9)
            desired = min(self.max, max(self.min, desired))
            if desired > capacity and self._alarm(SCALE_OUT_DATAPOINTS, self._high):
                self.launch(desired - capacity, self._why(SCALE_OUT_DATAPOINTS, "above"))
            elif (
                desired < capacity
                and len(counted) == capacity  # none launching or warming up
                and self._alarm(SCALE_IN_DATAPOINTS, self._low)
                and now - self.last_activity >= self.cooldown_ms
            ):
                step = min(capacity - desired, max(1, capacity // 10))
                self.terminate(step, self._why(SCALE_IN_DATAPOINTS, "below"))
        self.timeline.append(
            [
                round(now / 1000, 3),
                len(self.serving),
                sum(1 for i in self.instances if i.state == PENDING),
                None if cpu is None else round(cpu, 3),
            ]
        )
        self.ctx.after(self.period_ms, self._evaluate)

    def _high(self, cpu: float) -> bool:
        return cpu > self.target

    def _low(self, cpu: float) -> bool:
        return cpu < SCALE_IN_SHARE * self.target

    def _alarm(self, count: int, breaching: Any) -> bool:
        """Whether the last ``count`` datapoints all breach (a missing one does not)."""
        points = list(self.datapoints)[-count:]
        return len(points) == count and all(p is not None and breaching(p) for p in points)

    def _why(self, count: int, side: str) -> str:
        points = [p for p in list(self.datapoints)[-count:] if p is not None]
        threshold = self.target if side == "above" else SCALE_IN_SHARE * self.target
        return f"target tracking: CPU {points[-1]:.0f}%, {count} datapoints {side} {threshold:g}%"

    def _health_sweep(self, _: Any) -> None:
        """Auto Scaling's health checks: replace the instances found unhealthy."""
        now = self.ctx.now
        unhealthy: list[Instance] = []
        for instance in self.serving:
            instance.status_fails = 0 if instance.answering else instance.status_fails + 1
            if now - instance.in_service_at < self.grace_ms:
                continue
            impaired = instance.status_fails >= STATUS_CHECK_FAILURES
            if impaired or (self.elb_health and not instance.lb_healthy):
                unhealthy.append(instance)
        if unhealthy and not self.ctx.faults.down:
            for instance in unhealthy:
                self._cut(instance)
            self._refresh()
            why = "EC2 status checks" if not self.elb_health else "health checks"
            self.launch(len(unhealthy), f"replace unhealthy instances ({why})")
        self.ctx.after(STATUS_CHECK_MS, self._health_sweep)

    # -- scheduled actions

    def _init_bounds(self, scaling: AutoScaling, spread: int) -> None:
        """min, max and the starting capacity at the run's scale (booked capacities; the
        desired capacity defaults to the minimum)."""
        ctx, least = self.ctx, scaling.min_instances
        self.min = ctx.scaled(least, 1 if least else 0, name="min_instances", zones=spread)
        self.max = max(self.min, ctx.scaled(scaling.max_instances, name="max_instances"))
        initial, start = scaling.desired_instances, self.min
        if initial is not None:
            start = ctx.scaled(initial, 1 if initial else 0, name="desired_instances", zones=spread)
        self.initial = min(self.max, max(self.min, start))

    def _init_schedule(self, scaling: AutoScaling) -> None:
        """Each scheduled action with its sizes at the run's scale (booked capacities)."""
        self.schedule = [
            (action, [self._scaled_size(action.name, size, v) for size, v in action.sizes()])
            for action in scaling.scheduled_actions
        ]
        self.scheduled: list[dict[str, Any]] = []

    def _scaled_size(self, action: str, size: str, value: int | None) -> int | None:
        if value is None:
            return None
        spread = len(self.zones) if self.zones != [None] else 0
        minimum = 1 if value else 0
        return self.ctx.scaled(value, minimum, name=f"{action}.{size}", zones=spread)

    def _scheduled(self, index: int) -> None:
        """Run a scheduled action: its bounds replace the group's (an action whose minimum
        would exceed the maximum fails, as AWS's does), then the capacity moves to its
        desired one, or into the new bounds; target tracking goes on from there."""
        action, (low, high, desired) = self.schedule[index]
        now_s = self.ctx.now / 1000
        new_min = self.min if low is None else low
        new_max = self.max if high is None else high
        entry: dict[str, Any] = {"t_s": round(now_s, 3), "action": action.name}
        if new_min > new_max:
            entry["failed"] = f"min {new_min} > max {new_max}"
        else:
            self.min, self.max = new_min, new_max
            capacity = self.capacity()
            goal = min(new_max, max(new_min, capacity if desired is None else desired))
            entry.update(min=new_min, max=new_max, desired=goal)
            why = f"scheduled action {action.name}"
            if goal > capacity:
                self.launch(goal - capacity, why)
            elif goal < capacity:
                self.terminate(capacity - goal, why)
        self.scheduled.append(entry)
        later = action.next_s(self.ctx.services.scenario.start_of_day_s, now_s)
        if later is not None:
            self.ctx.after(later * 1000.0 - self.ctx.now, self._scheduled, index)

    def on_signal(self, signal: Signal) -> None:
        super().on_signal(signal)
        if signal.type == "scale" and signal.state == "ALARM" and signal.adjustment > 0:
            count = self.ctx.scaled(signal.adjustment, name="alarm_adjustment")
            self.launch(count, f"alarm {signal.alarm}")

    def on_period(self, t_s: float) -> None:
        now = self.ctx.now
        period_ms = now - self.cw_last
        if period_ms < self.period_ms - 1e-6:
            return  # EC2 publishes once per monitoring period
        counted = self._counted(now)
        if counted:
            used = 0.0
            for instance in counted:
                instance.touch(now)
                used += instance.area - self.cw_snapshot.get(instance.id, instance.area)
            self.ctx.emit("CPUUtilization", 100.0 * used / (self.vcpus * period_ms * len(counted)))
        self.cw_last = now
        for instance in self.instances:
            instance.touch(now)
            self.cw_snapshot[instance.id] = instance.area

    def summary(self) -> dict[str, Any]:
        peaks = self.zone_peak
        scheduled = {"scheduled_actions": self.scheduled} if self.schedule else {}
        return scheduled | {
            "instances": {
                "initial": self.initial,
                "min": self.min,
                "max": self.max,
                "final_in_service": len(self.serving),
                "peak_in_service": max(self.peak, len(self.serving)),
                "zones": {
                    zone: {"final_in_service": count, "peak_in_service": peaks.get(zone, 0)}
                    for zone, count in self._per_zone().items()
                },
                "timeline": self.timeline,
            },
            "scaling_activities": self.activities,
            "rejected": self.rejected,
            "cut_by_termination": self.cut,
            "queue": {
                "started": self.started,
                "waited": self.waited,
                "mean_wait_ms": round(self.wait_total / self.started, 6) if self.started else None,
            },
            "max_busy_workers": self.max_busy,
            "workers_per_instance": self.workers,
            "vcpus_per_instance": self.vcpus,
        }
