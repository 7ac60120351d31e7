"""Lambda function: concurrency, cold and warm environments, async retries, SQS sources.

Rules (Lambda Developer Guide: scaling, async invocation, SQS event source mapping):
- At most ``reserved_concurrency`` (else ``account_concurrency_limit``) invocations run at
  once, scaled; one more is throttled: a synchronous caller gets
  ``TooManyRequestsException`` (429), an async event waits and is retried.
- ``provisioned_concurrency`` environments are kept initialised: an invocation takes a
  free one first and never cold-starts there (they count within the concurrency limit);
  beyond them (a spillover), an invocation reuses the most recently idle on-demand
  environment if one has been idle for less than ``idle_environment_s``; otherwise it pays
  ``cold_start`` first. A crashed invocation's on-demand environment is discarded.
- The code runs ``duration``, plus ``cpu_time`` stretched by the CPU share of
  ``memory_mb``: 1,769 MB is one vCPU, so at 128 MB CPU-bound work takes 13.8 times as
  long (above 1,769 MB a single thread gets no faster).
- Synchronous invocations (sync edge) run the flow's children and answer. Asynchronous ones
  (async edge, SNS) are accepted at once; a function error is retried
  ``async_invocation.max_retry_attempts`` times, 1 then 2 minutes later, then sent to
  ``on_failure`` (through its declared edge) or dropped. An event older than
  ``max_event_age_s`` when an attempt (a retry, or a retry after a throttle) is due goes
  the same way instead of running.
- With an ``event_source``, pollers long-poll the queue (20 s) for batches of up to
  ``min(batch_size, 10)`` messages, each poller one batch at a time. They start at 5; every
  10 s in which messages waited (a receive left some visible, or the mapping, which
  watches the queue's depth, sees some at the tick), up to 50 more join (300 per
  minute, scaled), up to ``maximum_concurrency`` (else the concurrency limit); a poller
  whose long poll comes back empty stops while more than 5 run (the queue drained).
  Each message runs this node's triggered steps in its
  origin's trace. A crash (``consumer_crash`` fault: the share ``rate`` of batches, at a
  random message) or, without ``report_batch_item_failures``, any failed message fails the
  whole batch: nothing is deleted and the messages come back after the visibility timeout.
  With it, only failed messages come back (on FIFO queues, also every message after the
  first failure). A poisoned message (a ``poison_message`` fault on the queue) fails every
  time it is processed, before its steps run (the code cannot read it): its span is an
  ``Invoke`` from the queue that fails with ``FunctionError`` and notes ``poisoned``, and
  it fails its batch as any failed message does (or, reported as a batch item failure,
  only itself and, on FIFO queues, the messages after it), so it comes back after the
  visibility timeout until the queue dead-letters it; ``poisoned_failures`` in the summary
  counts these attempts. Successful messages are deleted by the mapping. A ``throttling`` fault
  refuses the share ``rate`` of the batches as the concurrency limit does (a ``Throttles``
  datapoint and a throttled batch each; its messages stay in flight and come back after the
  visibility timeout, their receive count raised, so a low ``max_receive_count`` can move
  them to the dead-letter queue, as AWS warns); while an outage takes the function down its
  pollers receive nothing, and the messages wait in the queue.
- The function ``timeout`` ends an invocation whose code (``duration``, then the calls it
  makes one by one) has not answered ``timeout_s`` after its init: the environment is
  discarded, calls already made finish but no further call is made, and the invocation
  fails with ``Sandbox.Timedout`` (a synchronous caller gets it; an async event is retried
  like any function error; an SQS batch deletes nothing, so its messages come back after
  the queue's visibility timeout).
- A function attached to a VPC runs each invocation in one of its subnets' zones (the
  VPC's zones with a private subnet: :func:`archgen.model.egress.zones_of`), spread evenly
  over the zones that are up, so its calls out of the VPC leave through that zone's NAT
  gateway (:meth:`~archgen.runtime.behavior.Behavior.work_zone`); a zone outage moves the
  invocations to the others, it does not stop the function.
- Spans: a synchronous invocation is the caller's ``Invoke`` span (``cold_start`` and
  ``init_ms`` noted); an SQS batch is an ``Invoke`` span on the function (its ``messages``,
  ``succeeded``), and each message's work span starts when its batch started, so the
  init, the duration and the messages before it are in it (``batch`` names the batch span).
  The batch is the request the function counts (``arrived``, ``calls``, ``Invocations``):
  a message's span is part of it, not a request of its own.
  A batch runs init, then ``duration``, then its messages one after the other.
- Metrics (``AWS/Lambda``): ``Invocations`` per run of the code (a synchronous call, an
  async attempt, a batch), ``Errors`` per run that failed (its own error, a crash, an error
  of a call it did not catch, a timeout), ``Throttles`` per request refused at the
  concurrency limit (its own, never those of what it calls), ``Duration`` from the end of
  init to the answer (at most the timeout), ``ConcurrentExecutions`` the period's peak;
  with provisioned concurrency, ``ProvisionedConcurrencyInvocations`` and
  ``ProvisionedConcurrencySpilloverInvocations`` per invocation served on either side.
- Idempotency: the function remembers the message ids it has processed (the idempotency
  table of an idempotent consumer); a redelivered processed message is acknowledged without
  running again, so at-least-once delivery never applies an effect twice. ``applied_twice``
  counts messages that ran to success more than once, and must stay 0.
- Hybrid fidelity (:mod:`archgen.runtime.fluid`): the concurrency limit (× the system's
  scale) is a loss pool loaded by the whole traffic: a traced invocation is throttled with
  probability ErlangB(limit, a). An on-demand invocation cold-starts when the whole load's
  busy environments rise above their most in the last ``idle_environment_s`` (each new one
  is a cold start, shared by the real invocations since the last traced one); a provisioned
  environment serves it with probability provisioned / busy. ``ConcurrentExecutions`` is
  the whole load's busy environments. The pollers of an event source keep the traced scale;
  when they are the function's only invokers (no edge leads to it) their batches are never
  throttled, as in full fidelity, where the pollers never outnumber the limit (the pool's
  Poisson view of the batches would throttle some, and their messages would stay in flight
  for a visibility timeout).
Left out: the execution span of an asynchronous invocation (its time is in the
``Duration`` metric; its calls hang under the accepted ``Invoke``), and sharing the
account's unreserved concurrency between functions.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archgen.model.kind import Capability, KindParams, OrderedQueue
from archgen.model.kinds import LambdaParams
from archgen.model.registry import has
from archgen.runtime.behavior import (
    Behavior,
    Books,
    Call,
    ConsumerBooks,
    Footprint,
    NodeContext,
    Target,
    Trace,
    register,
    scaled_count,
)
from archgen.runtime.behaviors.sqs import (
    DeleteRequest,
    Delivery,
    ReceiveRequest,
    ReceiveResponse,
    queue_backlogs,
)
from archgen.runtime.dists import expected_ms

INITIAL_POLLERS = 5
POLLERS_PER_MINUTE = 300
POLLER_TICK_MS = 10_000.0
"""Pollers grow in steps of a sixth of their per-minute allowance every 10 s."""
MB_PER_VCPU = 1_769
"""Lambda allocates CPU in proportion to memory: 1,769 MB is one full vCPU."""
LONG_POLL_S = 20.0
ASYNC_RETRY_DELAYS_MS = (60_000.0, 120_000.0)
TIMED_OUT = "Sandbox.Timedout"
"""The error of an invocation stopped by the function's timeout (AWS's ``errorType``)."""
FUNCTION_ERROR = "FunctionError"
"""The error of an invocation whose code raised (AWS's ``X-Amz-Function-Error``)."""


def _noop(_: Any) -> None:
    return None


class _Invocation:
    """One run of the function's code: its environment is held from ``begun`` (after the
    init of a cold start) until it answers, fails or reaches the timeout. It serves a
    synchronous ``call``, an async event (``call`` + ``attempt``) or a ``batch``."""

    __slots__ = (
        "accepted",
        "attempt",
        "batch",
        "begun",
        "call",
        "event",
        "over",
        "provisioned",
        "requested",
        "run",
    )

    def __init__(self, requested: float, begun: float, provisioned: bool) -> None:
        self.requested = requested  # when the environment was taken (init starts)
        self.begun = begun
        self.provisioned = provisioned
        self.accepted = 0.0
        self.call: Call | None = None
        self.event = False
        self.attempt = 0
        self.batch: _Batch | None = None
        self.over = False
        self.run = 0.0  # the code's own time drawn for it (the known part of its hold)

    def guard(self, _: Call) -> str | None:
        """A ``route`` for its calls: a function stopped by its timeout makes no more."""
        return TIMED_OUT if self.over else None


class _Then:
    """Continuation of an invocation's calls (a class: mypy types it, and it is cheaper
    than a closure per invocation)."""

    __slots__ = ("invocation", "method")

    def __init__(
        self, method: Callable[[_Invocation, Call], None], invocation: _Invocation
    ) -> None:
        self.method = method
        self.invocation = invocation

    def __call__(self, call: Call) -> None:
        self.method(self.invocation, call)


@dataclass
class _Batch:
    deliveries: list[Delivery]
    poll: Call
    crash_at: int | None
    span: Call
    invocation: _Invocation
    index: int = 0
    succeeded: list[str] = field(default_factory=list)
    failed: int = 0
    work: Call | None = None  # the message being processed
    current: Delivery | None = None


@register("lambda")
class Lambda(Behavior):
    @classmethod
    def footprint(cls, params: KindParams, scale: float, items: int) -> Footprint:
        """Pollers of an event source long-poll even when the queue is empty."""
        assert isinstance(params, LambdaParams)
        if params.event_source is None:
            return Footprint()
        limit = params.reserved_concurrency or params.account_concurrency_limit
        return Footprint(workers=min(INITIAL_POLLERS, scaled_count(limit, scale)))

    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, LambdaParams)
        self._target = Target(ctx.node_id)
        params = node.params
        limit = params.reserved_concurrency
        self.slots = ctx.scaled_slots(
            "concurrency", params.account_concurrency_limit if limit is None else limit
        )
        self.limit = self.slots.ceiling  # most environments at once (pollers, summary)
        self.fluid = ctx.pool(
            "concurrency_pool",
            params.account_concurrency_limit if limit is None else limit,
            loss=True,
        )
        self.warm: deque[tuple[float, float]] = deque()  # (time, busy): the window's maxima
        self.duration = ctx.sampler(params.duration)
        self.cpu_time = None if params.cpu_time is None else ctx.sampler(params.cpu_time)
        self.cpu_factor = MB_PER_VCPU / min(params.memory_mb, MB_PER_VCPU)
        self._expect_runs(params)
        self.provisioned = self._provisioned(params.provisioned_concurrency)
        self.provisioned_busy = 0
        self.provisioned_invocations = 0
        self.spillover_invocations = 0
        self.max_event_age_ms = params.async_invocation.max_event_age_s * 1000.0
        self.async_expired = 0
        self.cold_start = ctx.sampler(params.cold_start)
        self.timeout_ms = params.timeout_s * 1000.0
        self.idle_ms = params.idle_environment_s * 1000
        self.error_rate = params.error_rate
        self.max_retries = params.async_invocation.max_retry_attempts
        self.on_failure = params.async_invocation.on_failure
        self.source = params.event_source
        self.idle: deque[float] = deque()
        self.active = 0
        self.peak = 0
        self.period_peak = 0
        self.invocations = 0
        self.billed_ms = 0  # per invocation: init + duration, rounded up to 1 ms (AWS bills both)
        self.cold_starts = 0
        self.throttles = 0
        self.errors = 0
        self.timeouts = 0
        self.async_retries = 0
        self.async_dropped = 0
        self._init_pollers(params)
        self.pollers_only = self._pollers_only()
        self.duplicates_suppressed = 0
        self.processed: set[str] = set()
        self.applications: dict[str, int] = {}
        self._async_sources: dict[str, bool] = {}

    def _provisioned(self, provisioned: int | None) -> int:
        """Provisioned environments: within the traced limit, or of the system's in hybrid."""
        if provisioned is None:
            return 0
        if self.fluid is not None:
            return self.ctx.scaled(provisioned, name="provisioned_concurrency", pooled=True)
        return min(self.limit, self.ctx.scaled(provisioned, name="provisioned_concurrency"))

    def _init_pollers(self, params: LambdaParams) -> None:
        """The event source's pollers (5 at first, at most ``maximum_concurrency``) and
        the counts of their batches."""
        self.batches = 0
        self.messages = 0
        self.crashes = 0
        self.poisoned_failures = 0
        self.failed_messages = 0
        self.throttled_batches = 0
        self.pollers = 0
        self.peak_pollers = 0
        self.pollers_added = 0
        self.pollers_retired = 0
        self.backlog_seen = False
        source = params.event_source
        cap = self.limit
        if source is not None and source.maximum_concurrency is not None:
            cap = min(
                cap,
                self.ctx.scaled(
                    source.maximum_concurrency, name="event_source.maximum_concurrency"
                ),
            )
        self.poller_cap = cap
        self.poller_floor = min(INITIAL_POLLERS, cap)
        self.poller_step = max(1, math.ceil(self.ctx.scaled(POLLERS_PER_MINUTE) / 6))

    def _pollers_only(self) -> bool:
        """Whether the event source's pollers are the function's only invokers (no edge
        leads to it): their batches then never outnumber the pollers, which never outnumber
        the limit, so none is throttled."""
        if self.source is None:
            return False
        model = self.ctx.model
        me = {self.ctx.node_id, model.original_of(self.ctx.node_id)}
        return not any(edge.target in me for edge in model.edges)

    # ------------------------------------------------------------------ environments

    def _acquire(self, call: Call, batch: bool = False) -> tuple[float, bool] | None:
        """Init delay (0 warm, cold start otherwise) and whether a provisioned environment
        serves it, or None when throttled."""
        if self.fluid is not None:
            return self._acquire_fluid(call.trace, batch and self.pollers_only)
        if not self.slots.take(self.ctx.now):
            self.throttles += 1
            self.ctx.emit("Throttles", 1)
            return None
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.period_peak = max(self.period_peak, self.active)
        self.invocations += 1
        self.ctx.emit("Invocations", 1)
        if self.provisioned_busy < self.provisioned:
            self.provisioned_busy += 1
            self.provisioned_invocations += 1
            self.ctx.emit("ProvisionedConcurrencyInvocations", 1)
            return 0.0, True
        if self.provisioned:
            self.spillover_invocations += 1
            self.ctx.emit("ProvisionedConcurrencySpilloverInvocations", 1)
        return self._on_demand(), False

    def _acquire_fluid(self, trace: Trace, closed: bool) -> tuple[float, bool] | None:
        """Hybrid: the whole load's pool decides throttling, provisioned and cold starts.
        ``closed``: a batch of pollers that invoke alone, never throttled (the pool counts
        it for the load, but its Poisson view of the batches would throttle some: in the
        real system the pollers wait for a free environment instead, and a throttled
        batch's messages would stay in flight for a whole visibility timeout)."""
        fluid = self.fluid
        assert fluid is not None
        now = self.ctx.now
        session = trace.session
        if fluid.offer(now, session.born, trace.flow_id, session.attack) is None and not closed:
            self.throttles += 1
            self.ctx.emit("Throttles", 1)
            return None
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.invocations += 1
        self.ctx.emit("Invocations", 1)
        busy = fluid.busy(now)
        self.period_peak = max(self.period_peak, self.active, math.ceil(busy))
        if self.provisioned and self.ctx.rng.random() * max(busy, 1.0) < self.provisioned:
            self.provisioned_invocations += 1
            self.ctx.emit("ProvisionedConcurrencyInvocations", 1)
            return 0.0, True
        if self.provisioned:
            self.spillover_invocations += 1
            self.ctx.emit("ProvisionedConcurrencySpilloverInvocations", 1)
        return self._cold_fluid(now, busy), False

    def _cold_fluid(self, now: float, busy: float) -> float:
        """A cold start when the whole load needs more environments than it has kept warm
        (its most busy within the idle window): the new ones are shared by the real
        invocations since the last traced one, 1 / sample of them on average."""
        warm = self.warm
        while warm and now - warm[0][0] > self.idle_ms:
            warm.popleft()
        kept = warm[0][1] if warm else 0.0
        while warm and warm[-1][1] <= busy:
            warm.pop()
        warm.append((now, busy))
        new = busy - max(kept, float(self.provisioned))
        assert self.fluid is not None
        if new > 0 and self.ctx.rng.random() < new * self.fluid.sample:
            self.cold_starts += 1
            return self.cold_start()
        return 0.0

    def _on_demand(self) -> float:
        """An on-demand environment: the most recently idle one still warm, else a new one."""
        now = self.ctx.now
        idle = self.idle
        while idle and now - idle[0] > self.idle_ms:
            idle.popleft()
        if idle:
            idle.pop()
            return 0.0
        self.cold_starts += 1
        return self.cold_start()

    def _run_time(self) -> float:
        """The code's own time: ``duration``, plus ``cpu_time`` at this memory's CPU share."""
        if self.cpu_time is None:
            return self.duration()
        return self.duration() + self.cpu_time() * self.cpu_factor

    def _expect_runs(self, params: LambdaParams) -> None:
        """Hybrid: the pool knows the mean of the code's own time (its hold's drawn part)."""
        if self.fluid is not None:
            cpu = 0.0 if params.cpu_time is None else expected_ms(params.cpu_time)
            self.fluid.expect(self._run_time, expected_ms(params.duration) + cpu * self.cpu_factor)

    def _drawn(self, invocation: _Invocation) -> float:
        """The code's own time for ``invocation``, kept for the pool's hold estimate."""
        invocation.run = self._run_time()
        return invocation.run

    def _begin(self, acquired: tuple[float, bool], span: Call | None) -> _Invocation:
        """The code starts after the init; the timeout counts from there."""
        init, provisioned = acquired
        invocation = _Invocation(self.ctx.now, self.ctx.now + init, provisioned)
        if span is not None and init:
            span.note("cold_start", True)
            span.note("init_ms", round(init, 3))
        self.ctx.after(init + self.timeout_ms, self._deadline, invocation)
        return invocation

    def _end(self, invocation: _Invocation, *, error: bool, discard: bool = False) -> None:
        """The invocation answered or failed: its Duration, an Error, the environment."""
        invocation.over = True
        self.billed_ms += math.ceil(self.ctx.now - invocation.requested - 1e-9)
        self.ctx.emit("Duration", self.ctx.now - invocation.begun)
        if error:
            self.errors += 1
            self.ctx.emit("Errors", 1)
        self.active -= 1
        if self.fluid is not None:
            call = invocation.call  # None for a batch, which no attack sends
            attack = call is not None and call.trace.session.attack
            self.fluid.release(self.ctx.now - invocation.requested, invocation.run, attack)
            return
        self.slots.give(self.ctx.now)
        if invocation.provisioned:
            self.provisioned_busy -= 1  # AWS re-initialises a discarded one in the background
        elif not discard:
            self.idle.append(self.ctx.now)

    def _deadline(self, invocation: _Invocation) -> None:
        """The timeout: the invocation fails and its environment is discarded."""
        if invocation.over:
            return
        self.timeouts += 1
        self._end(invocation, error=True, discard=True)
        if invocation.batch is not None:
            self._batch_timed_out(invocation.batch)
        elif invocation.event:
            self._async_failed(invocation)
        else:
            assert invocation.call is not None
            self.ctx.fail(invocation.call, TIMED_OUT)

    def _fails(self) -> bool:
        rate = self.error_rate + self.ctx.faults.crash_rate
        return rate > 0 and self.ctx.rng.random() < rate

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "throttled":
            if self.fluid is not None:
                return self.fluid.busy(self.ctx.now) >= self.fluid.servers
            return not self.slots.free(self.ctx.now)
        return None

    def completed(self, call: Call) -> None:
        """A throttling fault refuses calls at the function's door: its own Throttles."""
        if call.error == "ThrottlingException" and call.origin == self.ctx.node_id:
            self.throttles += 1
            self.ctx.emit("Throttles", 1)

    # ------------------------------------------------------------------ invocations

    def _is_async(self, call: Call) -> bool:
        found = self._async_sources.get(call.source)
        if found is None:
            model = self.ctx.model
            source = model.nodes_by_id.get(call.source)
            edge = model.declared_edge(call.source, self.ctx.node_id)
            found = edge is not None and edge.is_async
            found = found or (source is not None and has(source.kind, Capability.async_fanout))
            self._async_sources[call.source] = found
        return found

    def targets(self) -> list[Target]:
        """Behind a load balancer a function is a single target (ALB → Lambda): Lambda,
        not the balancer, spreads the requests over execution environments."""
        target = self._target
        target.healthy = self.healthy()
        return [target]

    def handle(self, call: Call) -> None:
        if self._is_async(call):
            call.note("invocation", "Event")
            self.ctx.finish(call)
            self._async_attempt((call, 0, 0, self.ctx.now))
            return
        acquired = self._acquire(call)
        if acquired is None:
            self.ctx.fail(call, "TooManyRequestsException")
            return
        invocation = self._begin(acquired, call)
        invocation.call = call
        self.ctx.after(acquired[0] + self._drawn(invocation), self._run_sync, invocation)

    def _run_sync(self, invocation: _Invocation) -> None:
        if invocation.over:
            return
        call = invocation.call
        assert call is not None
        if self._fails():
            self._end(invocation, error=True, discard=True)
            self.ctx.fail(call, FUNCTION_ERROR)
            return
        self.ctx.run_children(call, _Then(self._sync_done, invocation), route=invocation.guard)

    def _sync_done(self, invocation: _Invocation, call: Call) -> None:
        if invocation.over:
            return  # timed out: the caller already has its error
        self._end(invocation, error=call.error is not None)
        self.ctx.finish(call)

    def _async_attempt(self, state: tuple[Call, int, int, float]) -> None:
        call, attempt, throttled, accepted = state
        if self.ctx.now - accepted > self.max_event_age_ms:
            self.async_expired += 1  # too old to run: it goes where failed events go
            self._give_up(call)
            return
        acquired = self._acquire(call)
        if acquired is None:  # Lambda keeps throttled events and retries them with backoff
            delay = min(1000.0 * 2**throttled, 300_000.0)
            self.ctx.after(delay, self._async_attempt, (call, attempt, throttled + 1, accepted))
            return
        invocation = self._begin(acquired, None)
        invocation.call = call
        invocation.event = True
        invocation.attempt = attempt
        invocation.accepted = accepted
        self.ctx.after(acquired[0] + self._drawn(invocation), self._async_run, invocation)

    def _async_run(self, invocation: _Invocation) -> None:
        if invocation.over:
            return
        call = invocation.call
        assert call is not None
        if self._fails():
            self._end(invocation, error=True, discard=True)
            self._async_failed(invocation)
            return
        call.error = None  # an earlier attempt may have left one
        self.ctx.run_children(call, _Then(self._async_done, invocation), route=invocation.guard)

    def _async_done(self, invocation: _Invocation, call: Call) -> None:
        if invocation.over:
            return
        failed = call.error is not None
        self._end(invocation, error=failed)
        if failed:  # an error the code did not catch: a function error, retried
            self._async_failed(invocation)

    def _async_failed(self, invocation: _Invocation) -> None:
        call = invocation.call
        assert call is not None
        attempt = invocation.attempt
        if attempt < self.max_retries:
            self.async_retries += 1
            delay = ASYNC_RETRY_DELAYS_MS[min(attempt, len(ASYNC_RETRY_DELAYS_MS) - 1)]
            state = (call, attempt + 1, 0, invocation.accepted)
            self.ctx.after(delay, self._async_attempt, state)
        else:
            self._give_up(call)

    def _give_up(self, call: Call) -> None:
        """Retries ran out or the event grew too old: ``on_failure``, else dropped."""
        if self.on_failure is not None:
            self.ctx.call(call, self.on_failure, "SendMessage", _noop, payload={})
        else:
            self.async_dropped += 1

    # ------------------------------------------------------------------ SQS event source

    def start(self) -> None:
        if self.source is None or self.poller_cap <= 0:
            return
        for _ in range(self.poller_floor):
            self._add_poller()
        self.pollers_added = 0  # the initial ones are not growth
        self.ctx.after(POLLER_TICK_MS, self._scale_pollers)

    def _add_poller(self) -> None:
        self.pollers += 1
        self.pollers_added += 1
        self.peak_pollers = max(self.peak_pollers, self.pollers)
        self.ctx.after(0, self._poll)

    def _scale_pollers(self, _: Any) -> None:
        """While messages wait (a receive left some visible, or some are visible now), add
        up to a sixth of the per-minute allowance every 10 s, up to the cap
        (``maximum_concurrency``, else the limit)."""
        assert self.source is not None
        queue = self.ctx.model.replica_in(self.source.queue, self.ctx.region)
        waiting = self.ctx.services.once(queue_backlogs).get(queue)
        if self.backlog_seen or (waiting is not None and waiting()):
            for _ in range(min(self.poller_step, self.poller_cap - self.pollers)):
                self._add_poller()
        self.backlog_seen = False
        self.ctx.after(POLLER_TICK_MS, self._scale_pollers)

    def _poll(self, _: Any = None) -> None:
        assert self.source is not None
        if self.ctx.faults.down:  # the function (and its mapping's pollers) is out: wait
            self.ctx.after(1000.0, self._poll)
            return
        request = ReceiveRequest(min(self.source.batch_size, 10), LONG_POLL_S)
        self.ctx.call(None, self.source.queue, "ReceiveMessage", self._polled, payload=request)

    def _polled(self, poll: Call, gathered: list[Delivery] | None = None) -> None:
        response = poll.payload
        if poll.error is not None or not isinstance(response, ReceiveResponse):
            if gathered:
                self._invoke(poll, gathered)
            else:
                self.ctx.after(1000.0, self._poll)
            return
        self.backlog_seen = self.backlog_seen or response.backlog
        deliveries = (gathered or []) + response.deliveries
        if not deliveries:
            if self.pollers > self.poller_floor:  # the queue is empty: scale down
                self.pollers -= 1
                self.pollers_retired += 1
                return
            self._poll()
            return
        assert self.source is not None
        window_ms = self.source.max_batching_window_s * 1000
        if gathered is None and window_ms > 0 and len(deliveries) < self.source.batch_size:
            # Batching window: keep what came and receive more once the window is over.
            self.ctx.after(window_ms, self._top_up, deliveries)
            return
        self._invoke(poll, deliveries)

    def _top_up(self, gathered: list[Delivery]) -> None:
        assert self.source is not None
        wanted = max(1, min(10, self.source.batch_size - len(gathered)))
        request = ReceiveRequest(wanted, 0.0)
        self.ctx.call(
            None,
            self.source.queue,
            "ReceiveMessage",
            lambda poll: self._polled(poll, gathered),
            payload=request,
        )

    def _invoke(self, poll: Call, deliveries: list[Delivery]) -> None:
        self.batches += 1
        self.messages += len(deliveries)
        acquired = None if self._fault_throttles() else self._acquire(poll, batch=True)
        if acquired is None:  # messages stay in flight and come back after the timeout
            self.throttled_batches += 1
            self.ctx.after(1000.0, self._poll)
            return
        crash_rate = self.ctx.faults.crash_rate
        crash_at = None
        if crash_rate > 0 and self.ctx.rng.random() < crash_rate:
            crash_at = self.ctx.rng.randrange(len(deliveries))
        span = self.ctx.open_span(poll, "Invoke")
        span.note("messages", len(deliveries))
        invocation = self._begin(acquired, span)
        batch = invocation.batch = _Batch(deliveries, poll, crash_at, span, invocation)
        # A latency fault makes the code slower: the batch holds its concurrency and its
        # pollers longer (and nears its timeout), so the queue drains more slowly.
        slow = self.ctx.faults.latency_ms
        self.ctx.after(acquired[0] + self._drawn(invocation) + slow, self._next_message, batch)

    def _fault_throttles(self) -> bool:
        """A throttling fault refuses its share of the mapping's invocations, as the
        dispatch refuses that of the calls made to the function: each one a throttle."""
        rate = self.ctx.faults.throttle_rate
        if rate > 0 and self.ctx.rng.random() < rate:
            self.throttles += 1
            self.ctx.emit("Throttles", 1)
            return True
        return False

    def _batch_timed_out(self, batch: _Batch) -> None:
        """Nothing of a timed-out batch is deleted: every message comes back after the
        queue's visibility timeout; the one in progress ends with the timeout now."""
        if batch.work is not None:
            work, batch.work = batch.work, None
            self._note_message(work, batch, batch.current)
            self.ctx.end_part(work, TIMED_OUT)
        self.failed_messages += len(batch.deliveries) - len(batch.succeeded)
        self._end_batch(batch, TIMED_OUT)
        self._poll()

    def _end_batch(self, batch: _Batch, error: str | None) -> None:
        batch.span.note("succeeded", len(batch.succeeded))
        self.ctx.finish(batch.span, error, slowed=False)  # spent in the batch's run time

    def _note_message(self, work: Call, batch: _Batch, delivery: Delivery | None) -> None:
        if delivery is not None:
            work.note("message_id", delivery.message.message_id)
            work.note("receive_count", delivery.message.receive_count)
        work.note("batch", f"s{batch.span.span:09d}")

    def _next_message(self, batch: _Batch) -> None:
        invocation = batch.invocation
        while not invocation.over:
            if batch.index == batch.crash_at:
                self.crashes += 1
                self.failed_messages += len(batch.deliveries) - batch.index
                self._end(invocation, error=True, discard=True)
                self._end_batch(batch, FUNCTION_ERROR)
                self._poll()
                return
            if batch.index >= len(batch.deliveries):
                self._complete(invocation, batch)
                return
            delivery = batch.deliveries[batch.index]
            batch.index += 1
            if delivery.message.message_id in self.processed:
                self.duplicates_suppressed += 1
                batch.succeeded.append(delivery.message.receipt_handle)
                continue
            origin = delivery.origin if delivery.origin is not None else batch.poll
            batch.current = delivery
            if delivery.poisoned:
                self._poisoned(invocation, origin)
                return
            work = self.ctx.run_triggered(
                origin,
                _Then(self._message_done, invocation),
                start=batch.span.start,
                route=invocation.guard,
                part=True,
            )
            if batch.current is delivery:  # still running: a timeout may end it
                batch.work = work
            return

    def _poisoned(self, invocation: _Invocation, origin: Call) -> None:
        """The code fails on a poisoned message before any of its steps: the message's
        span (backdated to its batch's start, as a processed one's) fails at once."""
        batch = invocation.batch
        assert batch is not None
        self.poisoned_failures += 1
        work = self.ctx.open_span(origin, "Invoke", part=True)
        work.start = batch.span.start
        work.note("poisoned", True)
        self._message_done(invocation, work, FUNCTION_ERROR)

    def _message_done(self, invocation: _Invocation, work: Call, error: str | None = None) -> None:
        """A message's work ended (with ``error``, or the one its steps left)."""
        if invocation.over:
            return  # timed out: its span already ended with the timeout
        batch = invocation.batch
        assert batch is not None
        delivery = batch.current
        assert delivery is not None
        batch.current = None
        batch.work = None
        message = delivery.message
        self._note_message(work, batch, delivery)
        ok = work.error is None and error is None
        # Part of the batch's invocation, which counts the request; the batch's run time
        # holds a latency fault's delay.
        self.ctx.end_part(work, error)
        if ok:
            key = message.message_id
            self.processed.add(key)
            self.applications[key] = self.applications.get(key, 0) + 1
            batch.succeeded.append(message.receipt_handle)
            self._next_message(batch)
            return
        self.failed_messages += 1
        batch.failed += 1
        assert self.source is not None
        queue = self._queue_params()
        fifo = queue is not None and isinstance(queue, OrderedQueue) and queue.fifo
        if not self.source.report_batch_item_failures:
            # The function raises: the whole batch goes back to the queue.
            self.failed_messages += len(batch.deliveries) - batch.index
            self._end(invocation, error=True)
            self._end_batch(batch, FUNCTION_ERROR)
            self._poll()
            return
        if fifo:  # stop at the first failure; the rest are reported failed too
            self.failed_messages += len(batch.deliveries) - batch.index
            batch.index = len(batch.deliveries)
        self._next_message(batch)

    def _queue_params(self) -> KindParams | None:
        assert self.source is not None
        node = self.ctx.model.nodes_by_id.get(self.source.queue)
        return None if node is None else node.params

    def _complete(self, invocation: _Invocation, batch: _Batch) -> None:
        self._end(invocation, error=False)
        self._end_batch(batch, None)
        assert self.source is not None
        if batch.succeeded:
            self.ctx.call(
                None,
                self.source.queue,
                "DeleteMessage",
                _noop,
                trace=batch.poll.trace,
                payload=DeleteRequest(batch.succeeded),
            )
        self._poll()

    # ------------------------------------------------------------------ reporting

    def on_period(self, t_s: float) -> None:
        self.ctx.emit("ConcurrentExecutions", self.period_peak)
        self.period_peak = self.active
        if self.fluid is not None:
            self.period_peak = max(self.active, math.ceil(self.fluid.busy(self.ctx.now)))

    def _applied_twice(self) -> int:
        return sum(1 for n in self.applications.values() if n > 1)

    def accounting(self) -> tuple[Books, ...]:
        if self.source is None:
            return ()
        books = ConsumerBooks(
            self.ctx.node_id,
            self.source.queue,
            frozenset(self.processed),
            self.duplicates_suppressed,
            self._applied_twice(),
        )
        return (books,)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "function": {
                "concurrency_limit": self.limit,
                "peak_concurrency": self.peak,
                "invocations": self.invocations,
                "billed_ms": self.billed_ms,
                "cold_starts": self.cold_starts,
                "throttles": self.throttles,
                "errors": self.errors,
                "timeouts": self.timeouts,
                "async_retries": self.async_retries,
                "async_dropped": self.async_dropped,
            }
        }
        function = out["function"]
        if self.async_expired:
            function["async_expired"] = self.async_expired
        if self.provisioned:
            function["provisioned"] = self.provisioned
            function["provisioned_invocations"] = self.provisioned_invocations
            function["spillover_invocations"] = self.spillover_invocations
        if self.source is not None:
            out["consumer"] = {
                "queue": self.source.queue,
                "pollers": self.pollers,
                "peak_pollers": self.peak_pollers,
                "pollers_added": self.pollers_added,
                "pollers_retired": self.pollers_retired,
                "poller_cap": self.poller_cap,
                "batches": self.batches,
                "messages": self.messages,
                "processed": len(self.processed),
                "duplicates_suppressed": self.duplicates_suppressed,
                "applied_twice": self._applied_twice(),
                "failed_messages": self.failed_messages,
                "crashes": self.crashes,
                "throttled_batches": self.throttled_batches,
            }
            if self.poisoned_failures:
                out["consumer"]["poisoned_failures"] = self.poisoned_failures
        return out
