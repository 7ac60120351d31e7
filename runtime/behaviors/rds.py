"""RDS / Aurora: a connection limit, read/write latency, Multi-AZ failover.

Rules (RDS User Guide: Multi-AZ, quotas):
- At most ``max_connections`` (scaled, time-shared) requests at once; one more →
  ``TooManyConnections``.
- Reads (SELECT/Get/Query/Read) take ``read``, the rest ``write``.
- Multi-AZ: the primary sits in ``zones[0]``; when its zone goes out, the standby in the
  next zone takes over after ``failover_s``, during which every request fails
  (``ServiceUnavailable``). Without Multi-AZ the database stays down with its zone.
- Metrics (``AWS/RDS``): ``DatabaseConnections`` as a gauge (maximum within the period);
  ``ReadLatency``/``WriteLatency`` (seconds) per request served.
Left out: read replicas and their lag, storage throughput and IOPS limits, connection
pooling (RDS Proxy) and automatic storage growth.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import RdsParams
from archgen.model.schema import Fault
from archgen.runtime.aws.operations import is_read
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.store import record_write


@register("rds")
class Rds(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, RdsParams)
        params = node.params
        self.slots = ctx.scaled_slots("max_connections", params.max_connections)
        self.max_connections = self.slots.ceiling
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

    def _primary_down(self) -> bool:
        return self.primary is not None and self.primary in self.ctx.faults.zones_down

    def on_fault(self, fault: Fault, active: bool) -> None:
        if not self._primary_down():
            return
        standby = [z for z in self.zones if z not in self.ctx.faults.zones_down]
        if self.multi_az and standby:
            self.failovers.append(
                {"t_s": round(self.ctx.now / 1000, 3), "from": self.primary, "to": standby[0]}
            )
            self.primary = standby[0]
            self.unavailable_until = self.ctx.now + self.failover_ms

    def healthy(self) -> bool:
        return not (
            self.ctx.faults.down or self._primary_down() or self.ctx.now < self.unavailable_until
        )

    def handle(self, call: Call) -> None:
        if self._primary_down() or self.ctx.now < self.unavailable_until:
            self.ctx.fail(call, "ServiceUnavailable")
            return
        if not self.slots.take(self.ctx.now):
            self.refused += 1
            self.ctx.fail(call, "TooManyConnections")
            return
        self.connections += 1
        self.peak = max(self.peak, self.connections)
        reading = is_read(call.op)
        latency = self.read() if reading else self.write()
        self.ctx.emit("ReadLatency" if reading else "WriteLatency", latency / 1000.0)
        self.ctx.after(latency, self._answer, call)

    def _answer(self, call: Call) -> None:
        if not is_read(call.op):
            record_write(self.ctx, call)  # data at rest, for the encryption check
        self.ctx.run_children(call, self._release)

    def _release(self, call: Call) -> None:
        self.connections -= 1
        self.slots.give(self.ctx.now)
        self.ctx.finish(call)

    def on_period(self, t_s: float) -> None:
        self.ctx.emit("DatabaseConnections", float(self.peak))
        self.peak = self.connections

    def summary(self) -> dict[str, Any]:
        return {
            "refused_connections": self.refused,
            "failovers": self.failovers,
            "max_connections": self.max_connections,
        }
