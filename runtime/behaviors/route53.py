"""Route 53: routing policies, health checks, resolvers caching answers for the TTL.

Rules (Route 53 Developer Guide):
- Health checks every ``health_check_interval_s``; a record turns unhealthy after
  ``failure_threshold`` consecutive failed checks and healthy again after as many
  successes. A record whose ``health_alarm`` is in ALARM (CloudWatch ``failover`` action)
  is unhealthy too. Records without a health check are healthy.
- A check is a real call ``HealthCheck`` to the record's target when a declared edge
  (Route 53 → target) carries that operation: a span with no flow and no step, made
  through the edge like any call; an error answer, or no answer before the next check
  (timeout), is a failed check. A model need not declare health-check edges: without one
  the check stays internal (the target's own ``healthy()``, no span, no violation).
- If every record is unhealthy, all are treated as healthy.
- Latency routing: the healthy record whose region has the lowest round trip from the
  client's location. Failover: the primary while healthy, else the secondary. Weighted:
  P = w_i / Σw among healthy records. Simple: the first record.
- Resolvers (one per client location) cache the answer for ``ttl_s``; a session keeps its
  answer for the TTL too. Hence failover takes about interval × threshold + TTL.
The answer sets the session's region: later calls go to replicas in that region.
Metrics (``AWS/Route53``): ``DNSQueries`` per query Route 53 answered (not the resolver
cache's answers); ``HealthCheckStatus`` each period, 1 when every health-checked record
is up. The summary's ``queries`` counts the same queries, per resolver (client location):
AWS bills these, not the answers resolvers serve from their cache.
Left out: geolocation, geoproximity and multivalue routing; Route 53's own
availability (it is always up); resolvers that ignore the TTL.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kind import UserLocations
from archgen.model.kinds import FailoverRole, Route53Params, RoutingPolicy
from archgen.runtime.behavior import (
    HEALTH_CHECK,
    Behavior,
    Call,
    NodeContext,
    Signal,
    register,
)
from archgen.runtime.health import HealthProber

NO_LOCATION = "(no location)"
"""The resolver of clients that declare no locations, among the summary's ``queries``
(no location id can be it)."""


class _Record:
    __slots__ = (
        "alarm",
        "alarmed",
        "checked",
        "fails",
        "healthy",
        "oks",
        "pending",
        "probe",
        "region",
        "role",
        "target",
        "weight",
    )

    def __init__(
        self,
        target: str,
        region: str | None,
        weight: int,
        role: Any,
        checked: bool,
        alarm: str | None,
    ) -> None:
        self.target = target
        self.region = region
        self.weight = weight
        self.role = role
        self.checked = checked
        self.alarm = alarm
        self.healthy = True
        self.alarmed = False
        self.fails = 0
        self.oks = 0
        self.probe = False  # checked through a declared HealthCheck edge (a real call)
        self.pending = 0  # number of the check awaiting its answer, 0 = none

    @property
    def up(self) -> bool:
        return self.healthy and not self.alarmed


@register("route53")
class Route53(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, Route53Params)
        params = node.params
        model = ctx.model
        self.routing = params.routing
        self.ttl_ms = params.ttl_s * 1000.0
        self.interval_ms = params.health_check_interval_s * 1000.0
        self.threshold = params.failure_threshold
        self.resolve = ctx.sampler(params.resolve)
        self.records: list[_Record] = []
        for record in params.records:
            region = record.region
            if region is None:
                group = model.region_of(model.nodes_by_id[record.target].group)
                region = None if group is None else group.id
            self.records.append(
                _Record(
                    record.target,
                    region,
                    record.weight,
                    record.failover,
                    record.health_check,
                    record.health_alarm,
                )
            )
        self.rtt: dict[str, dict[str, float]] = {}
        for node in model.nodes:
            if isinstance(node.params, UserLocations):
                for location in node.params.locations:
                    self.rtt[location.id] = dict(location.latency_ms)
        self.cache: dict[str | None, tuple[_Record, float, str]] = {}
        self.answers: dict[str, int] = {}
        self.queries: dict[str, int] = {}
        """Queries that reached Route 53 (resolver cache misses), per resolver: what
        ``DNSQueries`` counts and AWS bills."""
        self.transitions: list[dict[str, Any]] = []
        self.prober = HealthProber(ctx, self._result)
        for entry in self.records:
            entry.probe = entry.checked and ctx.declares(entry.target, HEALTH_CHECK)

    def start(self) -> None:
        if any(record.checked for record in self.records):
            self.ctx.after(self.interval_ms, self._check)

    # -- health

    def _check(self, _: Any) -> None:
        self.prober.new_round()
        for record in self.records:
            if not record.checked:
                continue
            if not record.probe:
                self._result(record, self.ctx.healthy(record.target))
                continue
            self.prober.probe(record, record.target)
        self.ctx.after(self.interval_ms, self._check)

    def _result(self, record: _Record, ok: bool) -> None:
        if ok:
            record.oks += 1
            record.fails = 0
            if not record.healthy and record.oks >= self.threshold:
                self._set(record, True, "health check")
        else:
            record.fails += 1
            record.oks = 0
            if record.healthy and record.fails >= self.threshold:
                self._set(record, False, "health check")

    def _set(self, record: _Record, healthy: bool, why: str) -> None:
        record.healthy = healthy
        self.transitions.append(
            {
                "t_s": round(self.ctx.now / 1000, 3),
                "record": record.target,
                "healthy": healthy,
                "by": why,
            }
        )

    def on_signal(self, signal: Signal) -> None:
        super().on_signal(signal)
        if signal.type != "failover":
            return
        for record in self.records:
            if record.alarm is not None and record.alarm == signal.alarm:
                alarmed = signal.state == "ALARM"
                if alarmed != record.alarmed:
                    record.alarmed = alarmed
                    self.transitions.append(
                        {
                            "t_s": round(self.ctx.now / 1000, 3),
                            "record": record.target,
                            "healthy": not alarmed,
                            "by": f"alarm {signal.alarm}",
                        }
                    )

    def healthy(self) -> bool:
        return not self.ctx.faults.down

    # -- answers

    def choose(self, location: str | None) -> tuple[_Record, str] | None:
        """The record answered for a client at ``location``, with the reason."""
        if not self.records:
            return None
        candidates = [record for record in self.records if record.up]
        fail_open = not candidates
        if fail_open:
            candidates = list(self.records)
        routing = self.routing
        if routing is RoutingPolicy.latency:
            rtts = self.rtt.get(location or "", {})
            best = min(
                candidates,
                key=lambda r: rtts.get(r.region or "", float("inf")),
            )
            why = "latency"
        elif routing is RoutingPolicy.failover:
            primaries = [r for r in candidates if r.role is not FailoverRole.secondary]
            best = primaries[0] if primaries else candidates[0]
            why = "failover primary" if best.role is not FailoverRole.secondary else "failover"
        elif routing is RoutingPolicy.weighted:
            total = sum(r.weight for r in candidates)
            pick = self.ctx.rng.random() * total
            best = candidates[-1]
            for record in candidates:
                pick -= record.weight
                if pick < 0:
                    best = record
                    break
            why = "weighted"
        else:
            best = candidates[0]
            why = "simple"
        if fail_open:
            why += ", all unhealthy: fail open"
        return best, why

    def handle(self, call: Call) -> None:
        session = call.trace.session
        now = self.ctx.now
        cached = self.cache.get(session.location)
        if cached is not None and cached[1] > now:
            record, expires, why = cached
            delay = 1.0
            call.note("resolver", "cached")
            why += ", from the resolver cache"
        else:
            chosen = self.choose(session.location)
            if chosen is None:
                self.ctx.fail(call, "NXDOMAIN")
                return
            record, why = chosen
            self.ctx.emit("DNSQueries", 1)
            resolver = NO_LOCATION if session.location is None else session.location
            self.queries[resolver] = self.queries.get(resolver, 0) + 1
            expires = now + self.ttl_ms
            self.cache[session.location] = (record, expires, why)
            delay = self.resolve()
        session.region = record.region
        session.region_expires = expires
        call.note("answer", record.target)
        call.note("region", record.region)
        call.note("why", f"resolved to {record.region} by {why}")
        self.answers[record.region or record.target] = (
            self.answers.get(record.region or record.target, 0) + 1
        )
        self.ctx.after(delay, self._answer, call)

    def _answer(self, call: Call) -> None:
        self.ctx.run_children(call, self.ctx.finish)

    def on_period(self, t_s: float) -> None:
        checked = [record for record in self.records if record.checked]
        if checked:
            self.ctx.emit("HealthCheckStatus", float(all(record.up for record in checked)))

    def summary(self) -> dict[str, Any]:
        return {
            "answers": dict(sorted(self.answers.items())),
            "queries": dict(sorted(self.queries.items())),
            "transitions": self.transitions,
        }
