"""A fallback for kinds whose own module is not written yet (documented, temporary).

It answers after the latency its params declare (``latency``, ``duration`` or
``inference``), then runs the flow's children. It does not consume queues or fan out. It is
registered only for ``FALLBACK_KINDS``; a module registering the same kind replaces it.
"""

from __future__ import annotations

from archgen.runtime.behavior import Behavior, Call, NodeContext

FALLBACK_KINDS = ("sqs", "sns", "lambda", "kms", "iam_role", "sagemaker_endpoint")


class Generic(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        duration = None
        for name in ("latency", "duration", "inference"):
            duration = getattr(params, name, None)
            if duration is not None:
                break
        self.latency = ctx.sampler(duration) if duration is not None else (lambda: 0.0)

    def handle(self, call: Call) -> None:
        self.ctx.after(self.latency(), self._answer, call)

    def _answer(self, call: Call) -> None:
        self.ctx.run_children(call, self.ctx.finish)
