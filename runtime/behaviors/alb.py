"""Application Load Balancer: picks a healthy target of the fleet the flow calls.

Rules (Elastic Load Balancing, Application Load Balancers guide):
- Algorithms: ``round_robin`` or ``least_outstanding_requests`` over healthy targets.
- Health checks every ``health_check_interval_s``: a target turns unhealthy after
  ``unhealthy_threshold`` consecutive failures and healthy after ``healthy_threshold``
  successes; a newly registered target must pass one check before it receives traffic.
  When a declared edge (load balancer → fleet) carries ``HealthCheck``, each check is a
  real call to the fleet routed to the target (a span with no flow and no step; the target
  answers without taking a worker); an error, or an answer later than
  ``health_check_timeout_s``, is a failure. Without such an edge the check stays internal
  (the target's ``answering``), so a model need not declare health-check operations.
  The verdict is the target's ``lb_healthy``, which an Auto Scaling group with ELB health
  checks acts on.
- All targets unhealthy → fail open (send to all registered targets). No target → ``503``.
- A target that does not answer (its zone is out) → ``502``, until the health checks take
  it out (``unhealthy_threshold`` × ``health_check_interval_s``).
- ``idle_timeout_s``: a request whose target has not answered within it gets ``504`` from
  the load balancer (the target's work goes on; its late answer is dropped).
- ``deregistration_delay_s``: a fleet draining a target for this load balancer waits at
  most this long for its in-flight requests (see the EC2 fleet).
- ``overhead`` latency is added to each request.
- Metrics (``AWS/ApplicationELB``): every request counts in ``RequestCount``; an error the
  load balancer made itself (no target, a protection's block, a target it could not reach:
  ``502``, an outage of the target, a timeout) is ``HTTPCode_ELB_4XX/5XX_Count``, an error
  a target answered is ``HTTPCode_Target_4XX/5XX_Count``; ``TargetResponseTime`` (seconds)
  runs from forwarding to the target's answer.
The health of the load balancer itself (for Route 53) is: up, and at least one target
answering; a ``HealthCheck`` call made to it (Route 53's) is answered the same way, ``503``
when no target answers.
Left out: sticky sessions, slow start, cross-zone settings, idle client connections (the
idle timeout applies to the wait for a target's answer), and ``RejectedConnectionCount``
(no connection ceiling is modelled).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from archgen.model.kinds import AlbParams, LbAlgorithm
from archgen.runtime.aws.operations import is_client_error
from archgen.runtime.behavior import (
    HEALTH_CHECK,
    Behavior,
    Call,
    NodeContext,
    Target,
    register,
)
from archgen.runtime.behaviors.fleet import Instance
from archgen.runtime.health import HealthProber

UNREACHED = frozenset({"502", "ServiceUnavailable", "Timeout"})
"""Errors of a target that did not answer: the load balancer answers them itself."""


class _Health:
    __slots__ = ("fails", "fresh", "healthy", "oks", "pending", "target")

    def __init__(self, target: Target) -> None:
        self.target = target
        self.healthy = False  # a new target must pass one check first
        self.fresh = True
        self.oks = 0
        self.fails = 0
        self.pending = 0  # number of the check awaiting its answer, 0 = none


@register("alb")
class Alb(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, AlbParams)
        params = node.params
        self.least_outstanding = params.algorithm is LbAlgorithm.least_outstanding_requests
        self.interval_ms = params.health_check_interval_s * 1000.0
        self.healthy_threshold = params.healthy_threshold
        self.unhealthy_threshold = params.unhealthy_threshold
        self.overhead = ctx.sampler(params.overhead)
        self.health: dict[str, _Health] = {}
        self.verdicts = 0
        """Bumped whenever a target's verdict changes or a target comes or goes."""
        self.routable: dict[str, tuple[list[Target], int, list[Target]]] = {}
        """Node → (its targets list, ``verdicts``, the healthy ones): a fleet's list of
        members in service is a new list whenever they change, so the healthy ones of a
        fleet of thousands are filtered once per change, not once per request."""
        self.rr = 0
        self.fail_open = 0
        self.no_target = 0
        self.fleets = sorted(
            {edge.target for edge in ctx.model.edges if edge.source == ctx.node_id}
        )
        self.probed: dict[str, bool] = {}  # fleet → checked through a HealthCheck edge
        self.prober = HealthProber(ctx, self._result, params.health_check_timeout_s * 1000.0)
        self.idle_ms = params.idle_timeout_s * 1000.0
        self.forwarded: dict[int, float] = {}  # span → when it went to a target
        self.deadlines: deque[tuple[float, Call]] = deque()  # idle deadlines, in order
        self.armed = False
        self.idle_504 = 0

    def start(self) -> None:
        self._check(None)

    def _fleet_targets(self) -> list[tuple[str, Target]]:
        pairs: list[tuple[str, Target]] = []
        for fleet in self.fleets:
            actual = fleet
            replica = self._replica(fleet)
            if replica is not None:
                actual = replica
            pairs.extend((actual, target) for target in self.ctx.targets(actual))
        return pairs

    def _replica(self, node: str) -> str | None:
        replica = self.ctx.model.replica_in(node, self.ctx.region)
        return None if replica == node else replica

    def _check(self, _: Any) -> None:
        live = set()
        self.prober.new_round()
        for fleet, target in self._fleet_targets():
            key = f"{fleet}/{target.id}"
            live.add(key)
            state = self.health.get(key)
            if state is None:
                state = self.health[key] = _Health(target)
                self.verdicts += 1
            probed = self.probed.get(fleet)
            if probed is None:
                probed = self.probed[fleet] = self.ctx.declares(fleet, HEALTH_CHECK)
            if not probed:
                self._result(state, getattr(target, "answering", target.healthy))
                continue
            self.prober.probe(state, fleet, route=target)
        for key in [k for k in self.health if k not in live]:
            del self.health[key]
            self.verdicts += 1
        self.ctx.after(self.interval_ms, self._check)

    def _result(self, state: _Health, ok: bool) -> None:
        was = state.healthy
        self._judge(state, ok)
        if state.healthy != was:
            self.verdicts += 1

    def _judge(self, state: _Health, ok: bool) -> None:
        if ok:
            state.oks += 1
            state.fails = 0
            if not state.healthy and (state.fresh or state.oks >= self.healthy_threshold):
                state.healthy = True
        else:
            state.fails += 1
            state.oks = 0
            if state.fails >= self.unhealthy_threshold:
                state.healthy = False
                state.target.lb_healthy = False
        if state.healthy:
            state.target.lb_healthy = True
        state.fresh = False

    def healthy(self) -> bool:
        if self.ctx.faults.down:
            return False
        return any(
            getattr(target, "answering", target.healthy) for _, target in self._fleet_targets()
        )

    def route(self, child: Call) -> str | None:
        targets = self.ctx.targets(child.node)
        if not targets:
            self.no_target += 1
            return "503"
        cached = self.routable.get(child.node)
        if cached is not None and cached[0] is targets and cached[1] == self.verdicts:
            candidates = cached[2]
        else:
            health = self.health
            prefix = child.node + "/"
            candidates = [t for t in targets if (h := health.get(prefix + t.id)) and h.healthy]
            self.routable[child.node] = (targets, self.verdicts, candidates)
        if not candidates:
            self.fail_open += 1
            candidates = targets
            child.note("fail_open", True)
        self.rr += 1
        count = len(candidates)
        start = self.rr % count
        best = candidates[start]
        if self.least_outstanding:
            # The first target with the fewest outstanding requests from ``start`` on, round
            # the list: ties go round robin, so idle targets share the load. An idle target
            # at ``start`` is that one (none has fewer than 0), the usual case of a large
            # fleet, whose list is not read at all; else min and index do in C what a loop
            # over the fleet did per request.
            if best.outstanding:
                outstanding = [target.outstanding for target in candidates]
                fewest = min(outstanding)
                if outstanding[start] != fewest:
                    try:
                        best = candidates[outstanding.index(fewest, start)]
                    except ValueError:
                        best = candidates[outstanding.index(fewest)]
            why = "least outstanding"
        else:
            why = "round robin"
        child.route = best
        child.note("instance", best.id)
        child.note("why", f"{why}: {best.id}")
        return None

    def handle(self, call: Call) -> None:
        self.ctx.after(self.overhead(), self._forward, call)

    def _forward(self, call: Call) -> None:
        if call.op == HEALTH_CHECK and call.step is None:
            self.ctx.finish(call, None if self.healthy() else "503")
            return
        now = self.ctx.now
        self.forwarded[call.span] = now
        self.deadlines.append((now + self.idle_ms, call))
        if not self.armed:
            self._arm()
        self.ctx.run_children(call, self._answered, route=self.route)

    def _arm(self) -> None:
        """One timer, at the earliest idle deadline of a request still unanswered."""
        deadlines, forwarded = self.deadlines, self.forwarded
        while deadlines and deadlines[0][1].span not in forwarded:
            deadlines.popleft()
        self.armed = bool(deadlines)
        if deadlines:
            self.ctx.after(deadlines[0][0] - self.ctx.now, self._idle)

    def _idle(self, _: Any) -> None:
        now = self.ctx.now
        deadlines, forwarded = self.deadlines, self.forwarded
        while deadlines and deadlines[0][0] <= now + 1e-6:
            _, call = deadlines.popleft()
            if forwarded.pop(call.span, None) is not None:
                self.idle_504 += 1
                call.note("idle_timeout", True)
                self.ctx.finish(call, "504")
        self._arm()

    def _answered(self, call: Call) -> None:
        sent = self.forwarded.pop(call.span, None)
        if sent is None:
            return  # the idle timeout answered 504 already
        error = call.error
        if error is None or (call.origin != self.ctx.node_id and error not in UNREACHED):
            self.ctx.emit("TargetResponseTime", (self.ctx.now - sent) / 1000.0)
        self.ctx.finish(call)

    def completed(self, call: Call) -> None:
        emit = self.ctx.emit
        emit("RequestCount", 1)
        error = call.error
        if error is None:
            return
        here = call.origin == self.ctx.node_id or bool(call.attrs and "blocked_by" in call.attrs)
        if here or error in UNREACHED:
            client = is_client_error(error)
            emit("HTTPCode_ELB_4XX_Count" if client else "HTTPCode_ELB_5XX_Count", 1)
        elif is_client_error(error) and not self._downstream(call):
            emit("HTTPCode_Target_4XX_Count", 1)
        else:
            emit("HTTPCode_Target_5XX_Count", 1)

    def _downstream(self, call: Call) -> bool:
        """Whether the error came from beyond the target (the target did not handle it:
        its answer is a 500)."""
        origin = call.origin
        return origin is not None and self.ctx.model.original_of(origin) not in self.fleets

    def on_period(self, t_s: float) -> None:
        # The host counts are published in real units, ÷ the system's scale the fleets'
        # instances are simulated at; a whole node (a Lambda function) is one target at
        # any scale, so it counts as that share of one.
        whole = self.ctx.system_scale
        healthy = unhealthy = 0.0
        for state in self.health.values():
            weight = 1.0 if isinstance(state.target, Instance) else whole
            if state.healthy:
                healthy += weight
            else:
                unhealthy += weight
        if self.ctx.faults.down:
            healthy = 0
        self.ctx.emit("HealthyHostCount", float(healthy))
        self.ctx.emit("UnHealthyHostCount", float(unhealthy))

    def summary(self) -> dict[str, Any]:
        return {
            "fail_open_requests": self.fail_open,
            "no_target_503": self.no_target,
            "idle_timeout_504": self.idle_504,
        }
