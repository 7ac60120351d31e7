"""DAX: answers reads from its item cache with probability ``hit_ratio``; a miss is the
``cache_miss`` condition, so the flow's steps under it (DAX reading the table) run.
Left out: evictions, memory limits and replication (the hit ratio is given, not earned)."""

from __future__ import annotations

from archgen_dax import DaxParams

from archgen.runtime.behavior import Behavior, Call, NodeContext


class Dax(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, DaxParams)
        self.latency = ctx.sampler(params.latency)
        self.hit_ratio = params.hit_ratio

    def handle(self, call: Call) -> None:
        self.ctx.after(self.latency(), self._answer, call)

    def _answer(self, call: Call) -> None:
        self.ctx.run_children(call, self.ctx.finish)

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "cache_miss":
            return self.ctx.rng.random() >= self.hit_ratio
        return None
