"""DynamoDB table: single-digit-millisecond reads and writes, throttling with SDK retries.

Rules (DynamoDB Developer Guide; AWS SDK retry behavior):
- Reads (Get/Query/Scan/BatchGet) take ``read``, writes take ``write``.
- A request costs capacity units (:func:`~archgen.runtime.aws.dynamodb_capacity.request_cost`):
  a read 0.5 RCU (eventually consistent, the SDK default) or 1 (``consistent_reads``), a
  write 1 WCU, a transactional request (``Transact…``) 2.
- Provisioned tables refill ``read_capacity_units`` and ``write_capacity_units`` per second
  (scaled) into token buckets that keep ``burst_s`` seconds of unused capacity (AWS: 300),
  full at the start. On-demand tables serve per second up to the larger of their warm
  throughput (``warm_read/write_units_per_s``, scaled; AWS's new table: 12,000 / 4,000)
  and twice their previous peak, a second's use becoming the previous peak 30 minutes
  later. A request over capacity is throttled, and the SDK retries it after an exponential
  backoff with full jitter (``retry_base_ms`` × 2^attempt) up to ``max_retries`` times
  before ``ThrottlingException`` reaches the caller.
- Metrics (``AWS/DynamoDB``): each throttled attempt is a ``ThrottledRequests`` (and a
  ``Read``/``WriteThrottleEvents``); each served request consumes one capacity unit
  (``ConsumedRead``/``WriteCapacityUnits``) and publishes its ``SuccessfulRequestLatency``;
  a 5xx at the table (an outage) is a ``SystemErrors``.
Left out: partitions and adaptive capacity, item sizes (one 4 KB / 1 KB unit per request),
the "linear combination" of an on-demand table's read and write warm throughput (each is
its own ceiling).
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import BillingMode, DynamoDbParams
from archgen.runtime.aws.dynamodb_capacity import (
    HALF_UNITS,
    OnDemandCapacity,
    ProvisionedCapacity,
    request_cost,
)
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
        self.reads: ProvisionedCapacity | OnDemandCapacity
        self.writes: ProvisionedCapacity | OnDemandCapacity
        if params.billing_mode is BillingMode.provisioned:
            burst = params.burst_s
            self.reads = ProvisionedCapacity(ctx.scaled(params.read_capacity_units), burst)
            self.writes = ProvisionedCapacity(ctx.scaled(params.write_capacity_units), burst)
        else:
            self.reads = OnDemandCapacity(ctx.scaled(params.warm_read_units_per_s))
            self.writes = OnDemandCapacity(ctx.scaled(params.warm_write_units_per_s))
        self.consistent = params.consistent_reads
        self.max_retries = params.max_retries
        self.retry_base = params.retry_base_ms
        self.throttled_attempts = 0
        self.throttled_requests = 0
        self.consumed = {True: 0, False: 0}  # half units served, reads (True) and writes

    def handle(self, call: Call) -> None:
        self._attempt(call)

    def _throttled(self, reading: bool, cost: int) -> bool:
        rate = self.ctx.faults.throttle_rate
        if rate > 0 and self.ctx.rng.random() < rate:
            return True
        capacity = self.reads if reading else self.writes
        return not capacity.take(self.ctx.now, cost)

    def _attempt(self, call: Call) -> None:
        reading = is_read(call.op) or call.op.startswith("TransactGet")
        if self._throttled(reading, request_cost(call.op, reading, consistent=self.consistent)):
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
        reading = is_read(call.op) or call.op.startswith("TransactGet")
        if not reading:
            record_write(self.ctx, call)  # data at rest, for the encryption check
        emit = self.ctx.emit
        cost = request_cost(call.op, reading, consistent=self.consistent)
        self.consumed[reading] += cost
        units = cost / HALF_UNITS
        emit("ConsumedReadCapacityUnits" if reading else "ConsumedWriteCapacityUnits", units)
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
            "consumed": {
                "read_units": self.consumed[True] / HALF_UNITS,
                "write_units": self.consumed[False] / HALF_UNITS,
            },
        }
