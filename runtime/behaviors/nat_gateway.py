"""NAT gateway: carries the calls of private subnets to the internet and to AWS's public
endpoints (:mod:`archgen.runtime.egress`).

Rules (Amazon VPC User Guide, NAT gateways: basics, quotas, troubleshooting, CloudWatch
metrics):
- A NAT gateway keeps at most 55,000 simultaneous connections to each unique destination
  per IP address it has (``ip_addresses``, scaled); one more is refused with
  ``ErrorPortAllocation`` (the caller's connection fails). Destinations are the model's
  target nodes (a service's many endpoint addresses are one destination here).
- It carries up to ``bandwidth_gbps`` (AWS: scales to 100 Gbps), as a bucket of one
  second's bytes (scaled); a call whose bytes do not fit is dropped
  (``PacketsDropCount``), and the caller sees its connection time out.
- It lives in one availability zone: when that zone fails, it is down, and every call it
  would carry fails (``ConnectTimeoutError``, once the callers' ``connect_timeout_s`` has
  passed): a private subnet in another zone whose route goes through it loses its way out
  too. A caller spread over zones uses the NAT gateway of the zone each call is made in
  (:func:`archgen.model.egress.egress`), and while a zone is out makes its calls from the
  zones that are up.
Metrics (``AWS/NATGateway``): ``BytesOutToDestination`` (request bytes),
``BytesInFromDestination`` (response bytes), ``ActiveConnectionCount`` (most concurrent
connections in the period), ``ErrorPortAllocation``, ``PacketsDropCount``.
Left out: idle-timeout (350 s) connection drops, the 5 Gbps start and scaling steps,
private NAT gateways, and packet-level behavior (a call is its bytes).
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import NatGatewayParams
from archgen.model.kinds.nat_gateway import CONNECTIONS_PER_ADDRESS
from archgen.runtime.behavior import Call, NodeContext, register
from archgen.runtime.egress import UNREACHABLE, EgressPath

PORT_ALLOCATION = "ErrorPortAllocation"
"""What a connection refused for want of a source port fails with (AWS's metric name)."""


@register("nat_gateway")
class NatGateway(EgressPath):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, NatGatewayParams)
        self.slots = ctx.scaled(
            CONNECTIONS_PER_ADDRESS * params.ip_addresses, name="connections per destination"
        )
        per_s = ctx.scaled_rate("bandwidth bytes/s", params.bandwidth_gbps * 1e9 / 8)
        self.rate = per_s / 1000.0  # bytes per ms
        self.size = per_s  # one second's bytes
        self.tokens = per_s
        self.at_ms = 0.0
        self.refused = 0

    def refuse(self, call: Call) -> str | None:
        if self.active.get(call.node, 0) >= self.slots:
            self.refused += 1
            self.ctx.emit("ErrorPortAllocation", 1)
            call.note("refused_by", self.ctx.node_id)
            return PORT_ALLOCATION
        now = self.ctx.now
        self.tokens = min(self.size, self.tokens + (now - self.at_ms) * self.rate)
        self.at_ms = now
        needed = self.request_bytes + self.response_bytes
        if needed > self.tokens:
            self.dropped += 1
            self.ctx.emit("PacketsDropCount", 1)
            call.note("dropped_by", self.ctx.node_id)
            return UNREACHABLE
        self.tokens -= needed
        return None

    def opened(self, call: Call) -> None:
        self.ctx.emit("BytesOutToDestination", self.request_bytes)

    def closed(self, call: Call) -> None:
        self.ctx.emit("BytesInFromDestination", self.response_bytes)

    def dropped_metric(self) -> None:
        self.ctx.emit("PacketsDropCount", 1)

    def gauge(self, connections: int) -> None:
        self.ctx.emit("ActiveConnectionCount", float(connections))

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["egress"]["port_allocation_errors"] = self.refused
        return out
