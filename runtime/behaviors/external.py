"""External system (a partner's API, SMS/email recipients, an operator).

Answers after ``latency``; fails with ``500`` with probability ``error_rate``.
Left out: anything else about the outside system (rate limits, outages other than
a scenario's faults).
"""

from __future__ import annotations

from archgen.model.kinds import ExternalParams
from archgen.runtime.behavior import Behavior, Call, NodeContext, register


@register("external")
class External(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, ExternalParams)
        params = node.params
        self.latency = ctx.sampler(params.latency)
        self.error_rate = params.error_rate

    def handle(self, call: Call) -> None:
        self.ctx.after(self.latency(), self._answer, call)

    def _answer(self, call: Call) -> None:
        if self.error_rate and self.ctx.rng.random() < self.error_rate:
            self.ctx.fail(call, "500")
            return
        self.ctx.run_children(call, self.ctx.finish)
