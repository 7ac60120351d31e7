"""What the egress nodes (NAT gateways, VPC endpoints) do to a call they carry out of a
private subnet; the engine asks :meth:`EgressPath.carry` before the call reaches its
target (:mod:`archgen.model.egress` decides which node, if any, carries it).

A call it does not carry (the node is down, or drops it) fails with ``ConnectTimeoutError``
``connect_timeout_s`` after it was made (the SDK waits that long for the connection).
A call is one connection for as long as it is in flight (SDKs keep connections alive, so
a caller holds at most as many as it has calls in flight); its bytes are the node's
``request_bytes`` and ``response_bytes`` (calls carry no size in the model).
"""

from __future__ import annotations

from typing import Any

from archgen.runtime.behavior import Behavior, Call, NodeContext

UNREACHABLE = "ConnectTimeoutError"
"""What an SDK reports when nothing carries its connection (no route, or the path is down)."""


class EgressPath(Behavior):
    """Counts the calls, connections and bytes a NAT gateway or endpoint carries."""

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params: Any = ctx.node.params
        self.request_bytes = int(params.request_bytes)
        self.response_bytes = int(params.response_bytes)
        self.connect_timeout_ms = float(params.connect_timeout_s) * 1000.0
        """How long a call this node drops holds its caller before it fails."""
        self.calls = 0
        self.bytes = 0
        self.dropped = 0
        self.active: dict[str, int] = {}
        self.connections = 0
        self.peak = 0

    def carry(self, call: Call) -> str | None:
        """Take ``call`` through, or say why not (an error code for the caller)."""
        if self.ctx.faults.down:
            self.dropped += 1
            self.dropped_metric()
            call.note("dropped_by", self.ctx.node_id)
            return UNREACHABLE
        refused = self.refuse(call)
        if refused is not None:
            return refused
        self.calls += 1
        self.bytes += self.request_bytes + self.response_bytes
        self.active[call.node] = self.active.get(call.node, 0) + 1
        self.connections += 1
        self.peak = max(self.peak, self.connections)
        self.opened(call)
        call.note("egress", self.ctx.node_id)
        done = call.done
        destination = call.node

        def release(finished: Call) -> None:
            self.active[destination] -= 1
            self.connections -= 1
            self.closed(finished)
            done(finished)

        call.done = release
        return None

    def refuse(self, call: Call) -> str | None:
        """A kind's own reason to refuse ``call`` (capacity), counted in its metrics."""
        return None

    def opened(self, call: Call) -> None:
        """``call`` went through: count its request bytes and connection."""

    def closed(self, call: Call) -> None:
        """``call`` came back: count its response bytes."""

    def dropped_metric(self) -> None:
        """Count a call dropped because the node is down."""

    def on_period(self, t_s: float) -> None:
        self.gauge(self.peak)
        self.peak = self.connections

    def gauge(self, connections: int) -> None:
        """Emit the period's most concurrent connections."""

    def summary(self) -> dict[str, Any]:
        return {
            "egress": {
                "calls": self.calls,
                "bytes": self.bytes,
                "dropped": self.dropped,
            }
        }
