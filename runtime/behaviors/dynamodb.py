"""DynamoDB table: single-digit-millisecond reads and writes, throttling with SDK retries.

Rules (DynamoDB Developer Guide; AWS SDK retry behavior):
- Reads (Get/Query/Scan/BatchGet) take ``read``, writes take ``write``.
- A request costs capacity units (:func:`~archgen.runtime.aws.dynamodb_capacity.request_cost`):
  a read 0.5 RCU (eventually consistent, the SDK default) or 1 (``consistent_reads``), a
  write 1 WCU, a transactional request (``Transact…``) 2.
- Provisioned tables refill ``read_capacity_units`` and ``write_capacity_units`` per second
  (scaled, fractions kept) into token buckets that keep ``burst_s`` seconds of unused
  capacity (AWS: 300), full at the start. On-demand tables serve per second up to the
  larger of their warm throughput (``warm_read/write_units_per_s``, scaled; AWS's new
  table: 12,000 / 4,000) and twice their previous peak, a second's use becoming the
  previous peak 30 minutes later. A request over capacity is throttled, and the SDK
  retries it after an exponential backoff with full jitter (``retry_base_ms`` × 2^attempt)
  up to ``max_retries`` times before ``ThrottlingException`` reaches the caller.
- Metrics (``AWS/DynamoDB``): each throttled attempt is a ``ThrottledRequests`` (and a
  ``Read``/``WriteThrottleEvents``); each served request consumes one capacity unit
  (``ConsumedRead``/``WriteCapacityUnits``) and publishes its ``SuccessfulRequestLatency``;
  a 5xx at the table (an outage) is a ``SystemErrors``.
- Auto scaling (``autoscaling``, provisioned tables): each minute's consumed units over the
  provisioned ones drive target tracking as
  :mod:`archgen.runtime.aws.dynamodb_scaling` describes (2 minutes above the target: scale
  out; 15 minutes 20 points below: scale in; 4 decreases a UTC day, then one an hour); the
  summary lists each change in real units.
- SSE-KMS (``kms_key``): the table caches its table key per caller for 5 minutes; a fault
  on the key reaches a caller's requests only when its table key must be renewed (an
  outage longer than that makes the table inaccessible to the caller until the key is
  back). AWS archives a table whose key stays inaccessible for 7 days: not in a run.
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
from archgen.runtime.aws.dynamodb_scaling import CapacityTracker
from archgen.runtime.aws.operations import is_client_error, is_read
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.store import record_write

MINUTE_MS = 60_000.0
"""DynamoDB auto scaling reads one-minute datapoints."""


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
        self.burst = params.burst_s
        self.trackers: dict[bool, CapacityTracker] = {}  # reading? → its auto scaling
        self.consumed = {True: 0, False: 0}  # half units served in the current minute
        if params.billing_mode is BillingMode.provisioned:
            rcu, wcu = self._auto_scaling(params)
            rcu = ctx.scaled_rate("read_capacity_units", rcu)
            wcu = ctx.scaled_rate("write_capacity_units", wcu)
            self.reads = ProvisionedCapacity(rcu, self.burst)
            self.writes = ProvisionedCapacity(wcu, self.burst)
        else:
            reads = ctx.scaled_rate("warm_read_units_per_s", params.warm_read_units_per_s)
            writes = ctx.scaled_rate("warm_write_units_per_s", params.warm_write_units_per_s)
            self.reads = OnDemandCapacity(reads)
            self.writes = OnDemandCapacity(writes)
        self.consistent = params.consistent_reads
        self.max_retries = params.max_retries
        self.retry_base = params.retry_base_ms
        self.throttled_attempts = 0
        self.throttled_requests = 0
        self.consumed = {True: 0, False: 0}  # half units served, reads (True) and writes

    # -- auto scaling

    def _auto_scaling(self, params: DynamoDbParams) -> tuple[float, float]:
        """Trackers of the capacities auto scaling manages; the starting read and write
        capacity (real units), clamped into their ranges as AWS does on registering."""
        units = [float(params.read_capacity_units), float(params.write_capacity_units)]
        scaling = params.autoscaling
        if scaling is None:
            return units[0], units[1]
        for i, (reading, spec) in enumerate(((True, scaling.reads), (False, scaling.writes))):
            if spec is None:
                continue
            name = "reads" if reading else "writes"
            self.ctx.scaled_rate(f"autoscaling.{name}.min_units", spec.min_units)
            self.ctx.scaled_rate(f"autoscaling.{name}.max_units", spec.max_units)
            tracker = CapacityTracker(
                units[i], spec.min_units, spec.max_units, spec.target_utilization_percent
            )
            self.trackers[reading] = tracker
            units[i] = tracker.units
        return units[0], units[1]

    def start(self) -> None:
        if self.trackers:
            self.ctx.after(MINUTE_MS, self._scale)

    def _scale(self, _: Any) -> None:
        """One minute's datapoint for each tracked capacity, in real units per second."""
        now = self.ctx.now
        clock_s = self.ctx.services.scenario.start_of_day_s + now / 1000
        for reading in sorted(self.trackers, reverse=True):
            used = self.consumed[reading] / HALF_UNITS / (MINUTE_MS / 1000) / self.ctx.scale
            units = self.trackers[reading].minute(now / 1000, used, clock_s)
            if units is not None:
                bucket = self.reads if reading else self.writes
                assert isinstance(bucket, ProvisionedCapacity)
                bucket.resize(now, units * self.ctx.scale, self.burst)
            self.consumed[reading] = 0
        self.ctx.after(MINUTE_MS, self._scale)

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
        cost = request_cost(call.op, reading, consistent=self.consistent)
        if self._throttled(reading, cost):
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
        self.ctx.after(latency, self._answer, (call, latency, reading, cost))

    def _answer(self, served: tuple[Call, float, bool, int]) -> None:
        call, latency, reading, cost = served
        if not reading:
            record_write(self.ctx, call)  # data at rest, for the encryption check
        emit = self.ctx.emit
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
        figures: dict[str, Any] = {
            "throttled_attempts": self.throttled_attempts,
            "throttled_requests": self.throttled_requests,
            "consumed": {
                "read_units": self.consumed[True] / HALF_UNITS,
                "write_units": self.consumed[False] / HALF_UNITS,
            },
        }
        if self.trackers:
            figures["autoscaling"] = {
                "reads" if reading else "writes": {
                    "final_units": tracker.units,
                    "changes": tracker.changes,
                }
                for reading, tracker in sorted(self.trackers.items(), reverse=True)
            }
        return figures
