"""AWS WAF rate-based rule at the door of the nodes in ``params.protects``.

Rules (WAF Developer Guide, rate-based rules): requests are counted per key (the source
"IP" of the session) over ``window_s``; a key over ``limit`` is blocked (``403``). The
evaluation is periodic (``evaluation_interval_s``), not per request, so a flood gets
through until the next evaluation; a key is unblocked when its count falls back under the
limit. Blocked requests still count, so a continuing flood stays blocked. Counting happens
in buckets of one evaluation interval. Every request screened waits ``inspect`` (the web
ACL's inspection latency) before it goes on to the protected node, or is blocked.
Metrics (``AWS/WAFV2``): ``AllowedRequests`` and ``BlockedRequests`` per screened request.
Left out: managed rule groups and the other rule types (IP sets, geo match, SQL
injection and XSS rules); a rule's action is always block.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from archgen.model.kinds import WafParams
from archgen.runtime.behavior import Behavior, Call, NodeContext, register


@register("waf")
class Waf(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, WafParams)
        params = node.params
        self.limit = params.rate_rule.limit
        self.interval_ms = params.evaluation_interval_s * 1000.0
        buckets = max(1, round(params.rate_rule.window_s / params.evaluation_interval_s))
        self.window: deque[dict[str, int]] = deque(maxlen=buckets)
        self.current: dict[str, int] = {}
        self.blocked: set[str] = set()
        self.inspect = ctx.sampler(params.inspect)
        self.blocked_total = 0
        self.inspected = 0
        self.blocks: list[dict[str, Any]] = []

    def start(self) -> None:
        self.ctx.after(self.interval_ms, self._evaluate)

    def inspection_ms(self) -> float:
        return self.inspect()

    def screen(self, call: Call) -> str | None:
        self.inspected += 1
        key = call.trace.session.source
        self.current[key] = self.current.get(key, 0) + 1  # blocked requests count too
        if key in self.blocked:
            self.blocked_total += 1
            self.ctx.emit("BlockedRequests", 1)
            call.note("waf", "blocked by rate rule")
            return "403"
        self.ctx.emit("AllowedRequests", 1)
        return None

    def _evaluate(self, _: Any) -> None:
        self.window.append(self.current)
        self.current = {}
        totals: dict[str, int] = {}
        for bucket in self.window:
            for key, count in bucket.items():
                totals[key] = totals.get(key, 0) + count
        over = {key for key, count in totals.items() if count > self.limit}
        now_s = round(self.ctx.now / 1000, 3)
        for key in sorted(over - self.blocked):
            self.blocks.append({"t_s": now_s, "source": key, "action": "block"})
        for key in sorted(self.blocked - over):
            self.blocks.append({"t_s": now_s, "source": key, "action": "unblock"})
        self.blocked = over
        self.ctx.after(self.interval_ms, self._evaluate)

    def summary(self) -> dict[str, Any]:
        return {
            "inspected": self.inspected,
            "blocked_requests": self.blocked_total,
            "blocks": self.blocks,
        }
