"""Active health checks: calls on the declared ``HealthCheck`` edge.

Shared by the behaviors that probe (Route 53 records, load-balancer targets); each keeps its
own thresholds and reacts to the results. A check still unanswered when the next one is due
counts as failed (a timeout); an answer that arrives later is ignored. With a ``timeout_ms``
(a load balancer's ``health_check_timeout_s``), an answer slower than it is a failure too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from archgen.runtime.behavior import HEALTH_CHECK, Call, NodeContext, Trace


class Probed(Protocol):
    pending: int  # number of the check awaiting its answer, 0 = none


class HealthProber:
    """Sends checks for one behavior and reports each outcome to ``on_result(state, ok)``."""

    __slots__ = ("_round", "checks", "ctx", "on_result", "timeout_ms")

    def __init__(
        self,
        ctx: NodeContext,
        on_result: Callable[[Any, bool], None],
        timeout_ms: float | None = None,
    ) -> None:
        self.ctx = ctx
        self.on_result = on_result
        self.timeout_ms = timeout_ms
        self.checks = 0
        self._round: Trace | None = None

    def new_round(self) -> None:
        """Checks sent until the next call of this share one trace."""
        self._round = None

    def probe(self, state: Probed, target: str, route: Any = None) -> None:
        if state.pending:  # the previous check never answered: timed out
            state.pending = 0
            self.on_result(state, False)
        if self._round is None:
            self._round = self.ctx.new_trace()
        self.checks += 1
        state.pending = self.checks
        self.ctx.call(
            None,
            target,
            HEALTH_CHECK,
            self._answered,
            trace=self._round,
            route=route,
            payload=(state, self.checks),
        )

    def _answered(self, call: Call) -> None:
        state, number = call.payload
        if state.pending != number:
            return  # answered after its timeout (already counted as failed), or gone
        state.pending = 0
        late = self.timeout_ms is not None and self.ctx.now - call.start > self.timeout_ms
        self.on_result(state, call.error is None and not late)
