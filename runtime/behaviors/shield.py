"""AWS Shield: DDoS protection attached to the nodes in ``params.protects``.

Shield (Standard and Advanced) absorbs network- and transport-layer floods, which the
simulation does not generate; application-layer floods are stopped by WAF's rate-based
rules. So Shield counts the requests it sees at the protected nodes' door and blocks none.
Left out: Advanced's automatic application-layer mitigation (it creates WAF rules).
"""

from __future__ import annotations

from typing import Any

from archgen.runtime.behavior import Behavior, Call, NodeContext, register


@register("shield")
class Shield(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        self.inspected = 0

    def screen(self, call: Call) -> str | None:
        self.inspected += 1
        return None

    def summary(self) -> dict[str, Any]:
        return {"inspected": self.inspected}
