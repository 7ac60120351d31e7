"""VPC endpoint: carries the calls of private subnets to one AWS service without leaving
AWS's network (:mod:`archgen.runtime.egress`).

Rules (AWS PrivateLink guide: gateway endpoints, interface endpoints, CloudWatch metrics):
- A gateway endpoint (S3, DynamoDB) is a route-table target: it has no capacity of its own
  to exhaust and publishes no metric; it cannot fail by itself.
- An interface endpoint has a network interface in each of its zones; the simulation
  keeps it up unless a fault takes the node down (a zone outage of the zone it is drawn
  in), and then its calls fail (``ConnectTimeoutError``).
Metrics (``AWS/PrivateLinkEndpoints``, interface endpoints only): ``BytesProcessed`` (both
directions), ``ActiveConnections`` (most concurrent in the period), ``NewConnections``,
``PacketsDropped``.
Left out: the 10 Gbps per-interface bandwidth (bursting to 100 Gbps), endpoint policies,
and which interface a caller's zone uses.
"""

from __future__ import annotations

from archgen.model.kinds import EndpointType, VpcEndpointParams
from archgen.runtime.behavior import Call, NodeContext, register
from archgen.runtime.egress import EgressPath


@register("vpc_endpoint")
class VpcEndpoint(EgressPath):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, VpcEndpointParams)
        self.publishes = params.endpoint_type is EndpointType.interface

    def opened(self, call: Call) -> None:
        if self.publishes:
            self.ctx.emit("NewConnections", 1)
            self.ctx.emit("BytesProcessed", self.request_bytes)

    def closed(self, call: Call) -> None:
        if self.publishes:
            self.ctx.emit("BytesProcessed", self.response_bytes)

    def dropped_metric(self) -> None:
        if self.publishes:
            self.ctx.emit("PacketsDropped", 1)

    def gauge(self, connections: int) -> None:
        if self.publishes:
            self.ctx.emit("ActiveConnections", float(connections))
