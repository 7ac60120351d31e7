"""RDS / Aurora: a connection limit, read/write latency, Multi-AZ failover.

Rules (RDS User Guide: Multi-AZ, quotas):
- At most ``max_connections`` (scaled, time-shared) requests at once; one more →
  ``TooManyConnections``.
- Reads (SELECT/Get/Query/Read) take ``read``, the rest ``write``.
- Multi-AZ: the primary sits in ``zones[0]``; when its zone goes out, the standby in the
  next zone takes over after ``failover_s``, during which every request fails
  (``ServiceUnavailable``). Without Multi-AZ the database stays down with its zone.
- A ``node_outage`` of a Multi-AZ database is the failure of its primary instance (RDS
  User Guide, "Failover process for Amazon RDS": an instance or storage failure starts an
  automatic failover): the standby in the next zone that is up takes over the same way,
  after ``failover_s`` (AWS: typically 60–120 s for a Multi-AZ DB instance, about 30 s or
  less for Aurora; set ``failover_s`` to the engine's), each recorded in ``failovers``;
  the database is up again while the outage lasts (the failed instance is replaced in the
  background), so requests fail only during the failover. With no standby zone up, or
  without Multi-AZ, it is down for the whole outage. Without declared ``zones`` a
  Multi-AZ database still fails over; its record's ``from`` and ``to`` are then null.
- Metrics (``AWS/RDS``): ``DatabaseConnections`` as a gauge (maximum within the period);
  ``ReadLatency``/``WriteLatency`` (seconds) per request served.
- A replica (``replica_of``: an Aurora global database's secondary cluster, or a read
  replica) serves reads and refuses writes with the engine's read-only error
  (``read_only_sql_transaction``, PostgreSQL SQLSTATE 25006; ``ER_OPTION_PREVENTS_STATEMENT``,
  MySQL 1290). With ``write_forwarding`` it forwards them to the primary instead, each
  taking that round trip more, and fails them (``ServiceUnavailable``) while the primary
  is unavailable. With ``global_failover_s`` it watches its primary every 5 s and, once the
  primary has been unavailable that long, is promoted: from then on it takes writes itself.
- Hybrid fidelity (:mod:`archgen.runtime.fluid`): ``max_connections`` (× the system's
  scale) is a loss pool loaded by the whole traffic: a traced request is refused with
  probability ErlangB(max_connections, a); ``DatabaseConnections`` is the whole load's.
Left out: replication lag, storage throughput and IOPS limits, connection pooling (RDS
Proxy), automatic storage growth, the old primary rejoining as a secondary after a
promotion (when its Region returns it takes writes again, as if switched back), and
reboots (with or without failover) as faults of their own.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import RdsParams
from archgen.model.schema import Fault, FaultType
from archgen.runtime.aws.operations import is_read
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.fluid import FluidPool
from archgen.runtime.store import record_write

WATCH_MS = 5_000.0
"""How often a secondary that may be promoted looks at its primary."""


@register("rds")
class Rds(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, RdsParams)
        params = node.params
        self.slots = ctx.scaled_slots("max_connections", params.max_connections)
        self.max_connections = self.slots.ceiling
        self.fluid: FluidPool | None = ctx.pool(
            "max_connections_pool", params.max_connections, loss=True
        )
        self.held: dict[int, float] = {}  # span → when it took a connection (hybrid)
        self.read = ctx.sampler(params.read)
        self.write = ctx.sampler(params.write)
        self.multi_az = params.multi_az
        self.zones = list(params.zones)
        self.primary = self.zones[0] if self.zones else None
        self.failover_ms = params.failover_s * 1000.0
        self.unavailable_until = 0.0
        self.connections = 0
        self.peak = 0
        self.refused = 0
        self.failovers: list[dict[str, Any]] = []
        self.stranded: set[int] = set()  # node outages with no standby to fail over to
        original = ctx.model.original_of(ctx.node_id)
        secondary = original != ctx.node_id
        self.original = original
        self.secondary = secondary
        self.read_only_error = params.replica_write_error() if secondary else None
        forwarding = params.write_forwarding if secondary else None
        self.forward = ctx.sampler(forwarding) if forwarding is not None else None
        failover_s = params.global_failover_s if secondary else None
        self.promote_after_ms = None if failover_s is None else failover_s * 1000.0
        self.promoted_at: float | None = None
        self.primary_lost_at: float | None = None
        self.refused_writes = 0
        self.forwarded_writes = 0

    def start(self) -> None:
        if self.promote_after_ms is not None:
            self.ctx.after(WATCH_MS, self._watch_primary)

    def _watch_primary(self, _: Any = None) -> None:
        assert self.promote_after_ms is not None
        now = self.ctx.now
        if self.ctx.healthy(self.original):
            self.primary_lost_at = None
        elif self.primary_lost_at is None:
            self.primary_lost_at = now
        elif now - self.primary_lost_at >= self.promote_after_ms:
            self.promoted_at = now
            self.failovers.append({"t_s": round(now / 1000, 3), "promoted": self.ctx.node_id})
            return
        self.ctx.after(WATCH_MS, self._watch_primary)

    def _primary_down(self) -> bool:
        return self.primary is not None and self.primary in self.ctx.faults.zones_down

    def rides_out(self, fault: Fault) -> bool:
        """A node outage of a Multi-AZ database fails its primary instance over to the
        standby (:meth:`_instance_failed`); any other outage takes it down whole."""
        return fault.type is FaultType.node_outage and self.multi_az

    def _instance_failed(self, fault: Fault, active: bool) -> None:
        """The primary instance fails (``active``): the standby in the next zone that is
        up takes over after ``failover_s``; with none up the database is down until the
        fault ends (``stranded``)."""
        if not active:
            self.stranded.discard(id(fault))
            return
        down = self.ctx.faults.zones_down
        standby = [z for z in self.zones if z != self.primary and z not in down]
        if self.zones and not standby:
            self.stranded.add(id(fault))
            return
        to = standby[0] if standby else None
        now = self.ctx.now
        self.failovers.append({"t_s": round(now / 1000, 3), "from": self.primary, "to": to})
        self.primary = to
        self.unavailable_until = max(self.unavailable_until, now + self.failover_ms)

    def on_fault(self, fault: Fault, active: bool) -> None:
        if self.rides_out(fault):
            self._instance_failed(fault, active)
            return
        if not self._primary_down():
            return
        standby = [z for z in self.zones if z not in self.ctx.faults.zones_down]
        if self.multi_az and standby:
            self.failovers.append(
                {"t_s": round(self.ctx.now / 1000, 3), "from": self.primary, "to": standby[0]}
            )
            self.primary = standby[0]
            self.unavailable_until = self.ctx.now + self.failover_ms

    def _unavailable(self) -> bool:
        """No instance answers: the primary's zone is out, a failover is under way, or the
        primary failed with no standby to take over."""
        return self._primary_down() or self.ctx.now < self.unavailable_until or bool(self.stranded)

    def healthy(self) -> bool:
        return not (self.ctx.faults.down or self._unavailable())

    def handle(self, call: Call) -> None:
        if self._unavailable():
            self.ctx.fail(call, "ServiceUnavailable")
            return
        if not self._connect(call):
            self.refused += 1
            self.ctx.fail(call, "TooManyConnections")
            return
        reading = is_read(call.op)
        extra = 0.0
        if not reading and self.secondary and self.promoted_at is None:
            if self.forward is None:
                self.refused_writes += 1
                self.ctx.fail(call, self.read_only_error or "ReadOnly")
                return
            if not self.ctx.healthy(self.original):
                self.ctx.fail(call, "ServiceUnavailable")
                return
            self.forwarded_writes += 1
            extra = self.forward()
        self.connections += 1
        self.peak = max(self.peak, self.connections)
        if self.fluid is not None:
            self.held[call.span] = self.ctx.now
            self.peak = max(self.peak, round(self.fluid.busy(self.ctx.now)))
        latency = (self.read() if reading else self.write()) + extra
        self.ctx.emit("ReadLatency" if reading else "WriteLatency", latency / 1000.0)
        self.ctx.after(latency, self._answer, call)

    def _connect(self, call: Call) -> bool:
        if self.fluid is None:
            return self.slots.take(self.ctx.now)
        trace = call.trace
        session = trace.session
        return (
            self.fluid.offer(self.ctx.now, session.born, trace.flow_id, session.attack) is not None
        )

    def _disconnect(self, call: Call) -> None:
        if self.fluid is None:
            self.slots.give(self.ctx.now)
            return
        taken = self.held.pop(call.span, None)
        if taken is not None:
            self.fluid.release(self.ctx.now - taken, attack=call.trace.session.attack)

    def _answer(self, call: Call) -> None:
        if not is_read(call.op):
            record_write(self.ctx, call)  # data at rest, for the encryption check
        self.ctx.run_children(call, self._release)

    def _release(self, call: Call) -> None:
        self.connections -= 1
        self._disconnect(call)
        self.ctx.finish(call)

    def on_period(self, t_s: float) -> None:
        self.ctx.emit("DatabaseConnections", float(self.peak))
        self.peak = self.connections

    def summary(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "refused_connections": self.refused,
            "failovers": self.failovers,
            "max_connections": self.max_connections,
        }
        if self.secondary:
            found["secondary"] = {
                "read_only_refused_writes": self.refused_writes,
                "forwarded_writes": self.forwarded_writes,
                "promoted_at_s": None
                if self.promoted_at is None
                else round(self.promoted_at / 1000, 3),
            }
        return found
