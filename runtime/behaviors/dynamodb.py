"""DynamoDB table: single-digit-millisecond reads and writes, throttling with SDK retries.

Rules (DynamoDB Developer Guide; AWS SDK retry behavior):
- Reads (Get/Query/Scan/BatchGet) take ``read``, writes take ``write``.
- On-demand tables scale and never throttle (unless a throttling fault says so).
- Provisioned tables accept ``read_capacity_units`` reads and ``write_capacity_units``
  writes per second (scaled); a request over the budget of its second is throttled, and
  the SDK retries it after an exponential backoff with full jitter (``retry_base_ms`` ×
  2^attempt) up to ``max_retries`` times before ``ThrottlingException`` reaches the caller.
- Metrics (``AWS/DynamoDB``): each throttled attempt is a ``ThrottledRequests`` (and a
  ``Read``/``WriteThrottleEvents``); each served request consumes one capacity unit
  (``ConsumedRead``/``WriteCapacityUnits``) and publishes its ``SuccessfulRequestLatency``;
  a 5xx at the table (an outage) is a ``SystemErrors``.
Left out: burst capacity, adaptive capacity, item sizes (one unit per request).
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import BillingMode, DynamoDbParams
from archgen.runtime.aws.operations import is_client_error, is_read
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.store import record_write


@register("dynamodb")
class DynamoDb(Behavior):
    handles_throttling = True

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, DynamoDbParams)
        params = node.params
        self.read = ctx.sampler(params.read)
        self.write = ctx.sampler(params.write)
        self.provisioned = params.billing_mode is BillingMode.provisioned
        self.rcu = ctx.scaled(params.read_capacity_units)
        self.wcu = ctx.scaled(params.write_capacity_units)
        self.max_retries = params.max_retries
        self.retry_base = params.retry_base_ms
        self.second = -1
        self.used_reads = 0
        self.used_writes = 0
        self.throttled_attempts = 0
        self.throttled_requests = 0

    def handle(self, call: Call) -> None:
        self._attempt(call)

    def _throttled(self, reading: bool) -> bool:
        rate = self.ctx.faults.throttle_rate
        if rate > 0 and self.ctx.rng.random() < rate:
            return True
        if not self.provisioned:
            return False
        second = int(self.ctx.now // 1000)
        if second != self.second:
            self.second = second
            self.used_reads = 0
            self.used_writes = 0
        if reading:
            if self.used_reads >= self.rcu:
                return True
            self.used_reads += 1
        else:
            if self.used_writes >= self.wcu:
                return True
            self.used_writes += 1
        return False

    def _attempt(self, call: Call) -> None:
        reading = is_read(call.op)
        if self._throttled(reading):
            self.throttled_attempts += 1
            self.ctx.emit("ThrottledRequests", 1)
            self.ctx.emit("ReadThrottleEvents" if reading else "WriteThrottleEvents", 1)
            attempts = (call.attrs or {}).get("retries", 0)
            if attempts >= self.max_retries:
                self.throttled_requests += 1
                self.ctx.fail(call, "ThrottlingException")
                return
            call.note("retries", attempts + 1)
            backoff = self.ctx.rng.random() * self.retry_base * (2**attempts)
            self.ctx.after(backoff, self._attempt, call)
            return
        latency = self.read() if reading else self.write()
        self.ctx.after(latency, self._answer, (call, latency))

    def _answer(self, served: tuple[Call, float]) -> None:
        call, latency = served
        reading = is_read(call.op)
        if not reading:
            record_write(self.ctx, call)  # data at rest, for the encryption check
        emit = self.ctx.emit
        emit("ConsumedReadCapacityUnits" if reading else "ConsumedWriteCapacityUnits", 1)
        emit("SuccessfulRequestLatency", latency)
        self.ctx.run_children(call, self.ctx.finish)

    def completed(self, call: Call) -> None:
        error = call.error
        if error is not None and call.origin == self.ctx.node_id and not is_client_error(error):
            self.ctx.emit("SystemErrors", 1)

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "throttled":
            return bool(call.attrs and call.attrs.get("retries"))
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "throttled_attempts": self.throttled_attempts,
            "throttled_requests": self.throttled_requests,
        }
