"""A scaled fleet of load-balancer targets: members with workers and bounded queues, CPU time
over vCPUs, target tracking, health-check replacement and draining.

EC2 Auto Scaling groups (``ec2``) and ECS services (``ecs``) are both fleets: what differs
(the member's size, how long one takes to start, the metric tracked, the cooldown rules) is
a :class:`FleetPlan` and a few hooks, so an ALB routes to either through ``targets()``.

Rules (EC2 Auto Scaling User Guide; Application Auto Scaling User Guide, target tracking):
- A member serves ``workers`` requests at once; each takes a service time from
  ``service_time``, then the member makes the flow's child calls, holding the worker (a
  thread blocked on I/O). Excess requests wait in the member's FIFO queue of
  ``queue_capacity``; beyond it the request is rejected with ``503``.
- CPU utilization is CPU time, not busy workers: the service time is the request's CPU
  time, its downstream calls are I/O wait that holds a worker but burns no CPU. At any
  instant a member burns min(workers in their service time, its vCPUs); the metric is that
  time over the vCPU time of the counted members, one datapoint per monitoring period.
- Target tracking reads one datapoint per period over the n members past warm-up that
  answer (a silent member sends no data). Its scale-out alarm needs 3 datapoints in a row
  above the target, its scale-in alarm 15 in a row below 90 % of it; a missing datapoint
  breaks a run. Desired = ceil(n × metric / target); scale-out launches what the capacity
  (starting members included: they will take their share) lacks of it; scale-in, only
  while no member is starting or warming, goes toward it (an EC2 group by at most 10 % of
  the fleet at a time) when the fleet's cooldown allows. Capacity is clamped to [min, max] (scaled).
- A new member starts for its start-up time, then is in service (a load balancer sends it
  traffic once it passes a health check); it counts in the metric after ``warmup``.
- Members in a zone that is out stop answering (``502`` from a load balancer until its
  health checks mark them unhealthy). A member is replaced once found unhealthy, past the
  grace period in service: it missed two one-minute status checks in a row, or (ELB health
  checks) a load balancer marked it unhealthy. Replacements go to the zones that are up
  (the fleet spreads over its zones, fewest first); a node or region outage stops the
  fleet's control loop too.
- A load balancer's ``HealthCheck`` (no flow step) is answered at once by the member it is
  routed to, without a worker or a queue slot; a member that does not answer lets it time
  out: ``Timeout`` after the caller's ``health_check_timeout_s`` (default 5 s).
- Scale-in deregisters the newest members from their load balancers: in-flight and queued
  requests finish; the member stops when they are done, or when the longest
  ``deregistration_delay_s`` ends, which cuts the requests still running (``502``). Without
  a load balancer there is no draining: it stops at once.
- Hybrid fidelity (:mod:`archgen.runtime.fluid`): member counts stay those of the system
  (× scale, not × sample), and the workers are a fluid pool loaded by the whole traffic.
  Behind least-outstanding-requests balancers the fleet pools as one M/M/(n·workers)
  with n·``queue_capacity`` waiting places (mean field: such a balancer sends each request
  to a member with a free worker while any has one, which is what one shared queue does);
  behind round robin (or no balancer) each member is its own pool at λ/n. A traced
  request waits what the pool's state says, then holds a worker as in full fidelity; CPU
  utilization is the whole load's: a member's N workers computing at once, Poisson of mean
  λ/n · mean service time, burn min(N, vCPUs) (:func:`~archgen.runtime.fluid.busy_vcpus`),
  so target tracking scales on it. A member kind may read the requests its members hold
  and the requests offered, of the whole load too (:attr:`Fleet.counts_held`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from archgen.model.base import Duration
from archgen.model.kind import DrainsTargets
from archgen.model.kinds.ec2 import ScheduledAction
from archgen.runtime.behavior import (
    HEALTH_CHECK,
    Behavior,
    Call,
    NodeContext,
    Signal,
    Target,
)
from archgen.runtime.dists import expected_ms
from archgen.runtime.fluid import FluidPool, Mean, busy_vcpus, shape_clock

PENDING, IN_SERVICE, DRAINING, TERMINATED = "pending", "in_service", "draining", "terminated"
HEALTH_CHECK_TIMEOUT_S = 5  # ELB default HealthCheckTimeoutSeconds for instance targets
SCALE_OUT_DATAPOINTS = 3  # target tracking's high alarm: 3 of 3 datapoints
SCALE_IN_DATAPOINTS = 15  # … its low alarm: 15 of 15
SCALE_IN_SHARE = 0.9  # the low alarm's threshold, as a share of the target
STATUS_CHECK_MS = 60_000.0  # status checks every minute
STATUS_CHECK_FAILURES = 2  # failed checks in a row before a member is impaired


@dataclass(frozen=True)
class FleetPlan:
    """What a fleet kind's params say, in the shared fleet's terms (real counts: the
    fleet scales them by the run's scale and books them under ``names``)."""

    workers: int
    vcpus: float
    queue_capacity: int
    service_time: Duration
    zones: tuple[str, ...]
    min: int
    max: int
    desired: int | None
    target: float | None
    """Target of the tracked metric (percent); None: no target tracking."""
    warmup_s: float
    scale_in_cooldown_s: float
    period_s: int
    elb_health: bool
    grace_s: float
    names: tuple[str, str, str]
    """Booked names of min, max and desired (``min_instances``…)."""
    member: str = "i-"
    """Prefix of the members' ids."""
    scheduled: tuple[ScheduledAction, ...] = ()


class Instance(Target):
    """One member of a fleet: an EC2 instance or an ECS task."""

    __slots__ = (
        "active",
        "area",
        "busy",
        "computing",
        "counted_at",
        "cut",
        "fleet",
        "in_service_at",
        "mark",
        "max_busy",
        "queue",
        "served",
        "since",
        "snapshot",
        "state",
        "status_fails",
        "zone",
    )

    def __init__(self, fleet: Fleet, instance_id: str, zone: str | None) -> None:
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
        self.status_fails = 0  # status checks failed in a row
        self.active: dict[int, Call] = {}  # span → request holding a worker
        self.cut: set[int] = set()  # spans ended by the deregistration delay
        self.mark = fleet.cpu_total(0.0)  # the fluid's CPU integral when last touched

    def touch(self, now: float) -> None:
        fleet = self.fleet
        if fleet.fluid is not None:  # hybrid: the whole load's CPU, not the traced workers'
            total = fleet.cpu_total(now)
            if self.answering:
                self.area += total - self.mark
            self.mark = total
        else:
            self.area += min(self.computing, fleet.vcpus) * (now - self.since)
        self.since = now

    @property
    def answering(self) -> bool:
        fleet = self.fleet
        return (
            self.state in (IN_SERVICE, DRAINING)
            and not fleet.ctx.faults.down
            and (self.zone is None or self.zone not in fleet.ctx.faults.zones_down)
        )


class Fleet(Behavior):
    """The shared fleet; a kind's behavior builds its :class:`FleetPlan` and overrides the
    hooks (``_start_ms``, ``_tracked``, ``_scale_out_allowed``, ``_scale_in_allowed``,
    ``_scale_in_step``, ``_publish``) where its service differs."""

    metric_label = "CPU"
    """How ``scaling_activities`` name the tracked metric."""
    metric_unit = "%"
    """… and write its unit after a value."""
    member_noun = "instance"
    """What the summary calls one member."""
    counts_held = False
    """Hybrid: whether the fleet integrates the requests its members hold (a metric of
    theirs reads it: an ECS task's memory)."""

    def __init__(self, ctx: NodeContext, plan: FleetPlan) -> None:
        super().__init__(ctx)
        self.workers = plan.workers
        self.vcpus = plan.vcpus
        self.warmup_start_ms = ctx.services.scenario.warmup_s * 1000.0
        self.queue_capacity = plan.queue_capacity
        self.service = ctx.sampler(plan.service_time)
        self.service_mean = expected_ms(plan.service_time)
        self.zones: list[str | None] = list(plan.zones) or [None]
        self.prefix = plan.member
        self.names = plan.names
        self._init_bounds(plan, len(plan.zones))
        self.target = plan.target
        self.warmup_ms = plan.warmup_s * 1000.0
        self.cooldown_ms = plan.scale_in_cooldown_s * 1000.0
        self.period_ms = plan.period_s * 1000.0
        self.elb_health = plan.elb_health
        self.grace_ms = plan.grace_s * 1000.0
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
        self._init_fluid()
        self._init_schedule(plan.scheduled)
        for _ in range(self.initial):
            instance = self._new_instance()
            instance.state = IN_SERVICE
            instance.counted_at = 0.0
            self.cw_snapshot[instance.id] = 0.0  # busy from time 0: the first period counts
        self._refresh()

    def _init_fluid(self) -> None:
        """Hybrid fidelity: the workers as a :class:`FluidPool` (None in full fidelity),
        pooled over the fleet unless a balancer in front of it goes round robin."""
        ctx = self.ctx
        self.fluid: FluidPool | None = None
        self.pooled = True
        self.cpu_integral = 0.0  # vCPU-ms per answering member, cumulative
        self.cpu_at = 0.0  # when the integrals below were last brought up to date
        self.cpu_rate = 0.0  # vCPUs busy per answering member, since cpu_at
        self.held_integral = 0.0  # request-ms held (served or waiting) per answering member
        self.held_rate = 0.0
        self.offered_integral = 0.0  # requests offered to the whole pool, cumulative
        self.offered_rate = 0.0  # per ms
        self.cpu_mean = Mean(10_000)  # CPU (service) time of the traced requests
        self.begun: dict[int, tuple[float, float]] = {}
        """span → when it took a worker and its service time (the hold's drawn part)."""
        if not ctx.fidelity.hybrid:
            return
        model = ctx.model
        me = model.original_of(ctx.node_id)
        balancers = [
            model.nodes_by_id[edge.source].params.pools_targets()
            for edge in model.edges
            if edge.target == me
        ]
        balanced = [pools for pools in balancers if pools is not None]
        self.pooled = bool(balanced) and all(balanced)
        scenario = ctx.services.scenario
        self.fluid = FluidPool(
            0,
            ctx.fidelity.sample,
            ctx.rng,
            clock=shape_clock(scenario),
            tally=ctx.services.sessions,
        )
        self.fluid.expect(self.service, self.service_mean)

    def _resize_fluid(self) -> None:
        """The pool follows the members that answer (after any change to them)."""
        fluid = self.fluid
        if fluid is None:
            return
        self.cpu_total(self.ctx.now)
        n = sum(1 for instance in self.serving if instance.answering)
        if self.pooled:
            fluid.resize(n * self.workers, 1)
            fluid.queue_limit = n * self.queue_capacity
        else:
            fluid.resize(self.workers if n else 0, n)
            fluid.queue_limit = self.queue_capacity
        self._fluid_rates()

    def _integrate(self, now: float) -> None:
        """Bring the fluid's integrals up to ``now`` at the rates set since the last time."""
        elapsed = now - self.cpu_at
        if elapsed > 0.0:
            self.cpu_integral += self.cpu_rate * elapsed
            self.held_integral += self.held_rate * elapsed
            self.offered_integral += self.offered_rate * elapsed
            self.cpu_at = now

    def cpu_total(self, now: float) -> float:
        """The fluid's CPU integral (vCPU-ms per answering member) up to ``now``."""
        self._integrate(now)
        return self.cpu_integral

    def held_total(self, now: float) -> float:
        """The fluid's requests held (request-ms per answering member) up to ``now``."""
        self._integrate(now)
        return self.held_integral

    def offered_total(self, now: float) -> float:
        """The requests offered to the whole pool up to ``now`` (the whole load's)."""
        self._integrate(now)
        return self.offered_integral

    def _fluid_rates(self) -> None:
        """From now on: vCPUs busy per answering member (its N workers computing at once,
        Poisson of mean its share of the served load × the mean CPU time, burn
        min(N, vCPUs) as in full fidelity; a saturated pool serves c/ĥ per ms, no more);
        the requests it holds, if :attr:`counts_held`; the requests offered to the pool."""
        fluid = self.fluid
        cpu = self.cpu_mean.value
        hold = fluid.hold.value if fluid is not None else None
        if fluid is None or not hold or fluid.servers <= 0:
            self.cpu_rate = self.held_rate = self.offered_rate = 0.0
            return
        now = self.ctx.now
        parts = fluid.split
        rate = fluid.rate(now)
        members = parts if not self.pooled else max(1, fluid.servers // self.workers)
        self.offered_rate = rate * parts
        computing = 0.0 if cpu is None else min(rate, fluid.servers / hold) * parts * cpu / members
        self.cpu_rate = busy_vcpus(computing, self.vcpus, self.workers)
        if self.counts_held:
            self.held_rate = fluid.held(now) / members

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

    # -- hooks

    def _member(self, member_id: str, zone: str | None) -> Instance:
        return Instance(self, member_id, zone)

    def _start_ms(self) -> float:
        """How long a new member takes to come into service."""
        raise NotImplementedError

    def _held(self, instance: Instance) -> None:
        """Called before a member's held requests (busy or queued) change."""

    def _tracked(self, now: float, counted: list[Instance], cpu: float | None) -> float | None:
        """The target-tracking datapoint of the period ending ``now`` (CPU by default)."""
        return cpu

    def _scale_out_allowed(self, desired: int, capacity: int) -> bool:
        return desired > capacity

    def _scale_in_allowed(self, now: float) -> bool:
        return now - self.last_activity >= self.cooldown_ms

    def _scaled_out(self, desired: int) -> None:
        """A target-tracking scale-out to ``desired`` happened now."""

    def _scale_in_step(self, capacity: int, desired: int) -> int:
        """Members one scale-in removes: at most 10 % of the fleet at a time (EC2)."""
        return min(capacity - desired, max(1, capacity // 10))

    def _scaled_in(self) -> None:
        """A target-tracking scale-in happened now."""

    # -- fleet

    def _new_instance(self) -> Instance:
        self.next_id += 1
        healthy_zones = [z for z in self.zones if z not in self.ctx.faults.zones_down] or self.zones
        counts = dict.fromkeys(healthy_zones, 0)
        for instance in self.instances:
            if instance.state in (PENDING, IN_SERVICE) and instance.zone in counts:
                counts[instance.zone] += 1
        zone = min(healthy_zones, key=lambda z: counts[z])
        instance = self._member(f"{self.prefix}{self.next_id}", zone)
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
        self._resize_fluid()

    def _per_zone(self) -> dict[str, int]:
        """Members in service per availability zone (none for a fleet without zones)."""
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
            self.ctx.after(self._start_ms(), self._booted, instance)
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
        """Stop now: the requests it still holds or queues end with ``502``."""
        instance.touch(self.ctx.now)
        instance.state = TERMINATED
        cut = [*instance.active.values(), *instance.queue]
        instance.queue.clear()
        instance.active.clear()
        instance.computing = instance.busy = instance.outstanding = 0
        for call in cut:
            self.begun.pop(call.span, None)
            instance.cut.add(call.span)
            self.cut += 1
            call.note("cut", "instance terminated")
            self.ctx.fail(call, "502")

    # -- requests

    def targets(self) -> list[Target]:
        """The members in service: the list itself, which a change replaces (never
        mutated in place), so a load balancer may keep what it derived from it."""
        return cast("list[Target]", self.serving)  # read only: list is invariant

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
        if self.fluid is not None:
            self._offer(instance, call)
            return
        instance.outstanding += 1
        if instance.busy < self.workers:
            self._serve(instance, call)
        elif len(instance.queue) < self.queue_capacity:
            self._held(instance)
            instance.queue.append(call)
        else:
            instance.outstanding -= 1
            self.rejected += 1
            call.note("rejected", "queue full")
            self.ctx.fail(call, "503")

    def _offer(self, instance: Instance, call: Call) -> None:
        """Hybrid: the pool's state decides whether ``call`` waits (and how long) or is
        turned away; then it holds a worker as in full fidelity."""
        assert self.fluid is not None
        now = self.ctx.now
        self.cpu_total(now)
        trace = call.trace
        session = trace.session
        wait = self.fluid.offer(now, session.born, trace.flow_id, session.attack)
        self._fluid_rates()
        if wait is None:
            self.rejected += 1
            call.note("rejected", "queue full")
            self.ctx.fail(call, "503")
            return
        instance.outstanding += 1
        if wait <= 0:
            self._serve(instance, call)
            return
        instance.active[call.span] = call  # waiting: a termination cuts it too
        self.ctx.after(wait, self._waited, call)

    def _waited(self, call: Call) -> None:
        instance: Instance = call.route
        if call.span in instance.cut:
            instance.cut.discard(call.span)
            return
        self._serve(instance, call)

    def on_fault(self, fault: Any, active: bool) -> None:
        self._resize_fluid()

    def work_zone(self, call: Call, zones: tuple[str, ...]) -> str:
        """The zone of the member whose request makes ``call`` (its subnet's NAT gateway
        carries it): a member in a zone that is out answers nothing, and its replacements
        go to the zones that are up, so the zone's share moves with them."""
        parent = call.parent
        member = parent.route if parent is not None and parent.node == self.ctx.node_id else None
        if isinstance(member, Instance) and member.zone is not None:
            return member.zone
        return super().work_zone(call, zones)

    def _health_check(self, call: Call, instance: Instance | None) -> None:
        if instance is None:  # checked as a whole: healthy while a member answers
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
        service = self.service()
        if self.fluid is not None:
            self.begun[call.span] = (now, service)
            self.cpu_mean.add(service)
        self.ctx.after(service, self._served, call)

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
        self._held(instance)
        instance.busy -= 1
        instance.outstanding -= 1
        instance.served += 1
        del instance.active[call.span]
        if self.fluid is not None:
            taken, service = self.begun.pop(call.span)
            self.fluid.release(self.ctx.now - taken, service, call.trace.session.attack)
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
        """Members past warm-up since ``since`` that report data (answer)."""
        return [i for i in self.serving if i.counted_at <= since and i.answering]

    def _evaluate(self, _: Any) -> None:
        now = self.ctx.now
        counted = self._counted(now - self.period_ms)
        cpu = self._cpu(now, counted, None, self.period_ms)
        tracked = self._tracked(now, counted, cpu)
        for instance in self.instances:
            instance.touch(now)
            instance.snapshot = instance.area
        self.datapoints.append(tracked)
        capacity = self.capacity()
        target = self.target
        if capacity < self.min:
            self.launch(self.min - capacity, "below minimum")
        elif tracked is not None and target is not None:
            desired = math.ceil(len(counted) * tracked / target - 1e-9)
            desired = min(self.max, max(self.min, desired))
            if self._scale_out_allowed(desired, capacity) and self._alarm(
                SCALE_OUT_DATAPOINTS, self._high
            ):
                self.launch(desired - capacity, self._why(SCALE_OUT_DATAPOINTS, "above"))
                self._scaled_out(desired)
            elif (
                desired < capacity
                and len(counted) == capacity  # none launching or warming up
                and self._alarm(SCALE_IN_DATAPOINTS, self._low)
                and self._scale_in_allowed(now)
            ):
                step = self._scale_in_step(capacity, desired)
                self.terminate(step, self._why(SCALE_IN_DATAPOINTS, "below"))
                self._scaled_in()
        self.timeline.append(
            [
                round(now / 1000, 3),
                len(self.serving),
                sum(1 for i in self.instances if i.state == PENDING),
                None if cpu is None else round(cpu, 3),
            ]
        )
        self.ctx.after(self.period_ms, self._evaluate)

    def _high(self, value: float) -> bool:
        return self.target is not None and value > self.target

    def _low(self, value: float) -> bool:
        return self.target is not None and value < SCALE_IN_SHARE * self.target

    def _alarm(self, count: int, breaching: Callable[[float], bool]) -> bool:
        """Whether the last ``count`` datapoints all breach (a missing one does not)."""
        points = list(self.datapoints)[-count:]
        return len(points) == count and all(p is not None and breaching(p) for p in points)

    def _why(self, count: int, side: str) -> str:
        points = [p for p in list(self.datapoints)[-count:] if p is not None]
        target = self.target or 0.0
        threshold = target if side == "above" else SCALE_IN_SHARE * target
        unit = self.metric_unit
        value = f"{self.metric_label} {points[-1]:.0f}{unit}"
        return f"target tracking: {value}, {count} datapoints {side} {threshold:g}{unit}"

    def _health_sweep(self, _: Any) -> None:
        """The fleet's health checks: replace the members found unhealthy."""
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
            self.launch(len(unhealthy), self._replace_why())
        self.ctx.after(STATUS_CHECK_MS, self._health_sweep)

    def _replace_why(self) -> str:
        why = "EC2 status checks" if not self.elb_health else "health checks"
        return f"replace unhealthy instances ({why})"

    # -- scheduled actions

    def _init_bounds(self, plan: FleetPlan, spread: int) -> None:
        """min, max and the starting capacity at the run's scale (booked capacities; the
        desired capacity defaults to the minimum)."""
        ctx, least = self.ctx, plan.min
        low, high, desired = plan.names
        noun = self.member_noun
        self.min = ctx.scaled(
            least, 1 if least else 0, name=low, zones=spread, pooled=True, member=noun
        )
        self.max = max(self.min, ctx.scaled(plan.max, name=high, pooled=True))
        initial, start = plan.desired, self.min
        if initial is not None:
            start = ctx.scaled(
                initial, 1 if initial else 0, name=desired, zones=spread, pooled=True, member=noun
            )
        self.initial = min(self.max, max(self.min, start))

    def _init_schedule(self, actions: tuple[ScheduledAction, ...]) -> None:
        """Each scheduled action that runs within the run, with its sizes at the run's
        scale (booked capacities); one that first runs after the end books nothing, so a
        plan for another time of day does not warn about its scaled sizes."""
        services = self.ctx.services
        self.schedule = [
            (action, [self._scaled_size(action.name, size, v) for size, v in action.sizes()])
            for action in actions
            if action.first_s(services.scenario.start_of_day_s) < services.run_s
        ]
        self.scheduled: list[dict[str, Any]] = []

    def _scaled_size(self, action: str, size: str, value: int | None) -> int | None:
        if value is None:
            return None
        spread = len(self.zones) if self.zones != [None] else 0
        minimum = 1 if value else 0
        return self.ctx.scaled(
            value,
            minimum,
            name=f"{action}.{size}",
            zones=spread,
            pooled=True,
            member=self.member_noun,
        )

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
        """An alarm's ``scale`` action (a step policy): add its adjustment at once."""
        super().on_signal(signal)
        if signal.type == "scale" and signal.state == "ALARM" and signal.adjustment > 0:
            count = self.ctx.scaled(signal.adjustment, name="alarm_adjustment", pooled=True)
            self.launch(count, f"alarm {signal.alarm}")

    # -- metrics

    def on_period(self, t_s: float) -> None:
        now = self.ctx.now
        period_ms = now - self.cw_last
        if period_ms < self.period_ms - 1e-6:
            return  # published once per monitoring period
        counted = self._counted(now)
        if counted:
            used = 0.0
            for instance in counted:
                instance.touch(now)
                used += instance.area - self.cw_snapshot.get(instance.id, instance.area)
            self.ctx.emit("CPUUtilization", 100.0 * used / (self.vcpus * period_ms * len(counted)))
        self._publish(now, period_ms, counted)
        self.cw_last = now
        for instance in self.instances:
            instance.touch(now)
            self.cw_snapshot[instance.id] = instance.area

    def _publish(self, now: float, period_ms: float, counted: list[Instance]) -> None:
        """The kind's other metrics of the period ending ``now`` (CPU is published)."""

    def summary(self) -> dict[str, Any]:
        peaks = self.zone_peak
        scheduled = {"scheduled_actions": self.scheduled} if self.schedule else {}
        return scheduled | {
            "instances": {
                "member": self.member_noun,
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
        }
