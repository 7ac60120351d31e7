"""API Gateway: a stage that throttles with a token bucket and waits for its integration
at most the integration timeout.

Rules (API Gateway Developer Guide: throttling, quotas, integrations):
- Throttling is a token bucket: ``rate_limit`` tokens per second (scaled) refill a bucket
  of ``burst_limit`` tokens (scaled; at least one), full at the start; each request takes
  one. A request that finds the bucket empty is answered at once with ``429``
  (``TooManyRequestsException``) and never reaches the integration.
- Otherwise, after ``overhead``, the request runs its integration: the steps the flow
  nests under the API's step (a Lambda ``Invoke`` for an AWS_PROXY integration, an SQS
  ``SendMessage`` for a direct service integration). If the integration has not answered
  within ``integration_timeout_ms`` the API answers ``504`` itself; the integration keeps
  running (a Lambda function is not stopped), and its late answer is dropped.
- An error the integration answers reaches the caller as it is (a 4xx stays a 4xx, a
  function error is a 5xx).
Metrics (``AWS/ApiGateway``): every request is a ``Count``; a 4xx answer (a throttle, an
integration's 4xx) is a ``4XXError``, any other error (a 504, a failed integration) a
``5XXError``; ``Latency`` runs from receiving the request to the answer, and
``IntegrationLatency`` from forwarding to the integration's answer when it came in time.
Left out: authorizers and API keys with usage plans, per-method throttling, caching, the
account quota shared by several APIs of a region (each node has its own bucket), and
HTTP APIs' lowercase metric names (``4xx``, ``5xx``: both kinds of API publish the REST names
here).
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import ApiGatewayParams
from archgen.runtime.aws.operations import is_client_error
from archgen.runtime.aws.token_bucket import TokenBucket
from archgen.runtime.behavior import Behavior, Call, NodeContext, register

THROTTLED = "429"
"""API Gateway's answer to a throttled request (``TooManyRequestsException``)."""
TIMED_OUT = "504"
"""API Gateway's answer when the integration does not answer in time."""


@register("apigateway")
class ApiGateway(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, ApiGatewayParams)
        self.bucket = TokenBucket(
            params.rate_limit * ctx.scale, max(1.0, round(params.burst_limit * ctx.scale))
        )
        self.timeout_ms = float(params.integration_timeout_ms)
        self.overhead = ctx.sampler(params.overhead)
        self.pending: dict[int, float] = {}  # span → when it went to the integration
        self.throttled = 0
        self.timed_out = 0

    def handle(self, call: Call) -> None:
        if not self.bucket.take(self.ctx.now):
            self.throttled += 1
            call.note("throttled", True)
            self.ctx.fail(call, THROTTLED)
            return
        self.ctx.after(self.overhead(), self._forward, call)

    def _forward(self, call: Call) -> None:
        self.pending[call.span] = self.ctx.now
        self.ctx.after(self.timeout_ms, self._timeout, call)
        self.ctx.run_children(call, self._answered)

    def _answered(self, call: Call) -> None:
        sent = self.pending.pop(call.span, None)
        if sent is None:  # answered after the timeout: the caller has its 504
            return
        self.ctx.emit("IntegrationLatency", self.ctx.now - sent)
        self.ctx.finish(call)

    def _timeout(self, call: Call) -> None:
        if self.pending.pop(call.span, None) is None:
            return
        self.timed_out += 1
        call.note("integration_timeout_ms", self.timeout_ms)
        call.error = TIMED_OUT
        call.origin = self.ctx.node_id
        self.ctx.finish(call)

    def completed(self, call: Call) -> None:
        emit = self.ctx.emit
        emit("Count", 1)
        emit("Latency", self.ctx.now - call.start)
        error = call.error
        if error is not None:
            emit("4XXError" if is_client_error(error) else "5XXError", 1)

    def summary(self) -> dict[str, Any]:
        return {"throttled_429": self.throttled, "integration_timeouts_504": self.timed_out}
