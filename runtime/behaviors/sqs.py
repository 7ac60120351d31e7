"""SQS queue: the rules of :mod:`archgen.runtime.aws.sqs_queue` on the simulated clock.

Operations (the op names of the model's edges):
- any sending op (``SendMessage``, an SNS ``Deliver``…) enqueues one message; the sending
  call is kept as the message's origin, so its consumer continues the same trace. FIFO
  queues group by the sending step's ``key`` (for an SNS delivery, the publish step's;
  default: the session) and deduplicate by trace + span (each send is one message). A
  standard queue ignores groups, but a send whose step declares a ``key`` notes it as the
  span's ``group``, so the ``ordered_per_group`` invariant can judge the sequence kept.
- ``ReceiveMessage`` with a :class:`ReceiveRequest` payload (a consumer's poll) receives up
  to 10 messages; when none is visible it long-polls: the call waits until a message
  arrives or becomes visible again, or until the wait time ends (then answers empty).
  Without a payload it is a flow step about a message already delivered (it notes which).
- ``DeleteMessage`` with a :class:`DeleteRequest` deletes by receipt handle; without one it
  is the flow step acknowledging the message.
- A consumer's flow steps ``ReceiveMessage`` and ``DeleteMessage*`` to the queue its event
  source mapping polls stand for the mapping's calls (:meth:`Sqs.stands_in`): Lambda's
  pollers receive and delete, the function's code does not, so the steps are no requests
  of their own (no latency, no count, no charge); their spans note ``made_by`` and the
  message. The pollers' calls are the requests: one receive per poll (empty ones too) and
  one delete per batch with successes.
- ``Redrive`` accepts a message moved here by a source queue's redrive policy; the source
  sends it through its declared edge to the dead-letter queue; its span notes the moved
  message's ``message_id``.
- FIFO throughput (SQS Developer Guide, "Amazon SQS message quotas"; SQS API Reference):
  a FIFO queue accepts ``requests_per_s_quota`` calls a second per API action
  (``SendMessage``, ``SendMessageBatch``, ``ReceiveMessage``, ``DeleteMessage``,
  ``DeleteMessageBatch``, each its own quota): 300 (a call is one transaction whatever it
  carries, so batches of 10 make the documented 3,000 messages a second), or with high
  throughput (``deduplication_scope: messageGroup`` and ``fifo_throughput_limit:
  perMessageGroupId``) the quota of the queue's Region (2,400 to 70,000, see
  :data:`~archgen.model.kinds.sqs.HIGH_THROUGHPUT_REQUESTS_PER_S`). Counted in one-second
  windows of the simulated clock at the run's scale (traced scale in hybrid fidelity, as
  every rate quota: a quota is linear, it shrinks with the traffic it counts). A call
  over it is throttled: the caller's SDK retries it (standard retry mode:
  ``max_attempts`` attempts in all, full-jitter backoff) before ``RequestThrottled``
  reaches the caller; the span notes its ``retries``. The event source mapping's own
  receives and deletes are not retried by an SDK: a throttled receive makes the poller
  poll again a second later, a throttled delete leaves the batch in flight until its
  visibility timeout. Each throttled attempt counts in ``throttled``, each call that
  failed with it in ``throttled_requests`` (the summary; CloudWatch has no SQS metric
  for it), and a throttled send adds nothing to the queue or to ``NumberOfMessagesSent``.
- SSE-KMS (``kms_key``): the queue reuses a data key per principal for
  ``kms_data_key_reuse_period_s``; a fault on the key reaches a principal's send or receive
  only when its key must be renewed (:meth:`archgen.runtime.system.Simulation._key_fails`).
- A ``poison_message`` fault (``rate``) poisons that share of the messages sent here while
  it lasts (drawn per message as it is added; the send span notes ``poisoned``): every
  delivery of one carries ``poisoned``, and a consumer fails each attempt to process it
  (:mod:`archgen.runtime.behaviors.lambda_`), so it comes back after the visibility timeout
  until ``max_receive_count`` receives, then moves to the dead-letter queue, where it
  stays poisoned; on a FIFO queue its group waits behind it all that time. The summary
  counts ``poisoned`` messages when there are any.
Metrics (``AWS/SQS``): ``NumberOfMessagesSent`` per message added by a send (not a FIFO
duplicate, not a redrive), ``NumberOfMessagesReceived`` per message a consumer's receive
returned, ``NumberOfEmptyReceives`` per receive that returned none,
``NumberOfMessagesDeleted`` per message deleted by receipt handle; each period the
visible, in-flight (not visible) and delayed counts and ``ApproximateAgeOfOldestMessage``.
Left out: message size limits, the in-flight message quotas, message timers per
message; in high-throughput mode the per-partition limit (300 calls a second per
partition, partitions being added as the rate grows, message groups hashed to them): the
Region's quota applies to the whole queue. Deliveries of an SNS topic (``Deliver``) and
moves by a redrive policy are not counted against the quota (SNS retries its deliveries
on its own), nor ``ChangeMessageVisibility`` calls. Deduplication is per trace and span,
so ``deduplication_scope`` changes nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archgen.model.kind import Capability
from archgen.model.kinds import SqsParams
from archgen.model.regions import region_code
from archgen.model.registry import has
from archgen.runtime.aws.kms_envelope import RequestQuota, sdk_backoff_ms
from archgen.runtime.aws.sqs_queue import Message, Received, SqsError, SqsQueue
from archgen.runtime.behavior import Behavior, Books, Call, NodeContext, QueueBooks, register

if TYPE_CHECKING:
    from archgen.runtime.services import Services

RECEIVE_OPS = ("ReceiveMessage",)
DELETE_OPS = ("DeleteMessage", "DeleteMessageBatch")
CONTROL_OPS = ("ChangeMessageVisibility", "PurgeQueue", "GetQueueAttributes")
EVENT_SOURCE_MAPPING = "event_source_mapping"
"""Who makes the receive and delete calls a Lambda consumer's flow steps declare."""
QUOTA_ACTIONS = (
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
)
"""The API actions a FIFO queue's throughput quota counts, each on its own."""
THROTTLED = "RequestThrottled"
"""What SQS answers a call over the quota: the error the SQS API Reference (and its JSON
protocol's service model) lists for SendMessage, ReceiveMessage and DeleteMessage, which
the SDKs' standard retry mode retries as a throttling error."""


@dataclass
class ReceiveRequest:
    max_messages: int = 10
    wait_s: float = 20.0
    visibility_timeout_s: float | None = None


@dataclass
class Delivery:
    message: Received
    origin: Call | None
    poisoned: bool = False
    """A ``poison_message`` fault marked it: every attempt to process it fails."""


@dataclass
class ReceiveResponse:
    deliveries: list[Delivery] = field(default_factory=list)
    backlog: bool = False
    """Messages were left visible behind this receive (what Lambda's pollers scale on)."""


@dataclass
class DeleteRequest:
    handles: list[str]
    deleted: int = 0


def _noop(_: Any) -> None:
    return None


def queue_backlogs(_: Services) -> dict[str, Callable[[], bool]]:
    """Per queue node of the run: whether a receive now would return a message. Lambda's
    event source mappings watch their queue through it (AWS's pollers see the queue's
    depth, not only what their own receives return)."""
    return {}


class _RedriveThroughEdge:
    """The queue's dead-letter target: moved messages travel over the declared edge."""

    def __init__(self, owner: Sqs, dlq: str, fifo: bool) -> None:
        self.owner = owner
        self.dlq = dlq
        self.fifo = fifo

    def accept_from_source(self, message: Message) -> None:
        owner = self.owner
        origin = owner.origins.pop(message.message_id, None)
        poisoned = message.message_id in owner.poisoned
        payload = (message, origin, poisoned)
        owner.ctx.call(origin, self.dlq, "Redrive", _noop, payload=payload)


@register("sqs")
class Sqs(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, SqsParams)
        params = node.params
        self.latency = ctx.sampler(params.latency)
        self.wait_default = float(params.receive_wait_time_s)
        dlq = None
        if params.dead_letter_queue is not None:
            dlq = _RedriveThroughEdge(self, params.dead_letter_queue, params.fifo)
        self.queue = SqsQueue(
            ctx.node_id,
            lambda: ctx.now / 1000,
            fifo=params.fifo,
            visibility_timeout_s=params.visibility_timeout_s,
            retention_s=params.message_retention_s,
            delay_s=params.delay_s,
            receive_wait_time_s=params.receive_wait_time_s,
            max_receive_count=params.max_receive_count,
            dead_letter_queue=dlq,
            content_based_deduplication=params.content_based_deduplication,
        )
        self.queue.on_available = self._wake_soon
        ctx.services.once(queue_backlogs)[ctx.node_id] = self.queue.has_visible
        self.origins: dict[str, Call | None] = {}
        self.placed: list[str] = []  # ids of the messages sent here (not moved here)
        self.waiting: dict[int, tuple[Call, ReceiveRequest, float]] = {}
        self._wake_scheduled = False
        self.errors = 0
        self.dead_letter_queue = params.dead_letter_queue
        self.groups: set[str] = set()  # FIFO: message group ids seen
        self.max_attempts = params.max_attempts
        self.throttled = 0  # attempts refused by the FIFO quota
        self.throttled_requests = 0  # calls that failed with RequestThrottled
        self.quota_per_s = params.requests_per_s_quota(region_code(ctx.model, ctx.node_id))
        self.quotas: dict[str, RequestQuota] = {}
        if self.quota_per_s is not None:  # booked: the summary shows it at the run's scale
            scaled = ctx.scaled_rate("requests_per_s_per_action", self.quota_per_s)
            self.quotas = {action: RequestQuota(scaled) for action in QUOTA_ACTIONS}
        self.poisoned: set[str] = set()  # ids of the messages a poison_message fault marked

    # ------------------------------------------------------------------ calls

    def handle(self, call: Call) -> None:
        if call.op in self.quotas:
            self._attempt(call)
            return
        self.ctx.after(self.latency(), self._serve, call)

    def _attempt(self, call: Call) -> None:
        """One attempt of a call a FIFO quota counts: served within the second's quota,
        else throttled, and retried by the caller's SDK while attempts remain (the event
        source mapping's receives and deletes are its own, not an SDK's: they fail)."""
        if self.quotas[call.op].acquire(self.ctx.now / 1000):
            self.ctx.after(self.latency(), self._serve, call)
            return
        self.throttled += 1
        retries = (call.attrs or {}).get("retries", 0)
        by_mapping = isinstance(call.payload, ReceiveRequest | DeleteRequest)
        if by_mapping or retries + 1 >= self.max_attempts:
            self.throttled_requests += 1
            self.ctx.fail(call, THROTTLED)
            return
        call.note("retries", retries + 1)
        self.ctx.after(sdk_backoff_ms(retries, self.ctx.rng.random()), self._attempt, call)

    def condition(self, name: str, call: Call) -> bool | None:
        if name == "throttled":
            return bool(call.attrs and call.attrs.get("retries"))
        return None

    def _serve(self, call: Call) -> None:
        op = call.op
        payload = call.payload
        try:
            if op.startswith(RECEIVE_OPS):
                if isinstance(payload, ReceiveRequest):
                    self._poll(call, payload)
                    return
                self._note_delivery(call)
            elif op.startswith(DELETE_OPS):
                if isinstance(payload, DeleteRequest):
                    payload.deleted = sum(self.queue.delete(h) for h in payload.handles)
                    if payload.deleted:
                        self.ctx.emit("NumberOfMessagesDeleted", payload.deleted)
                else:
                    self._note_delivery(call)
            elif op == "Redrive" and isinstance(payload, tuple):
                message, origin, poisoned = payload
                call.note("message_id", message.message_id)
                self.origins[message.message_id] = origin
                if poisoned:
                    self.poisoned.add(message.message_id)
                self.queue.accept_from_source(message)
            elif op.startswith(CONTROL_OPS):
                if op == "ChangeMessageVisibility" and isinstance(payload, tuple):
                    self.queue.change_visibility(*payload)
            else:
                self._send(call)
        except SqsError as error:
            self.errors += 1
            self.ctx.fail(call, error.code)
            return
        self.ctx.run_children(call, self.ctx.finish)

    def _send(self, call: Call) -> None:
        trace = call.trace
        attributes = call.payload if isinstance(call.payload, dict) else {}
        fifo = self.queue.fifo
        key = self._group_key(call)
        group = (key or f"session-{trace.session.id}") if fifo else key
        result = self.queue.send(
            f"t{trace.id}/s{call.span}",
            attributes,
            group_id=group,
            dedup_id=f"t{trace.id}/s{call.span}" if fifo else None,
        )
        call.note("message_id", result.message_id)
        if group is not None:
            call.note("group", group)
            if fifo:
                self.groups.add(group)
        if result.duplicate:
            call.note("duplicate", True)
        else:
            self.origins[result.message_id] = call
            self.placed.append(result.message_id)
            self.ctx.emit("NumberOfMessagesSent", 1)
            rate = self.ctx.faults.poison_rate
            if rate > 0 and self.ctx.rng.random() < rate:
                self.poisoned.add(result.message_id)
                call.note("poisoned", True)

    def _group_key(self, call: Call) -> str | None:
        """The message group the model declares for a send: the sending step's ``key``,
        else, for a delivery of an SNS topic, the key of its publish (a FIFO topic passes
        the publish's group on to its queues)."""
        key = call.key()
        parent = call.parent
        if key is None and parent is not None and parent.node == call.source:
            source = self.ctx.model.nodes_by_id.get(call.source)
            if source is not None and has(source.kind, Capability.async_fanout):
                key = parent.key()
        return key

    def stands_in(self, source: str, op: str) -> str | None:
        """A receive or delete step from the function whose event source mapping polls this
        queue stands for the mapping's call (Lambda Developer Guide, "Using Lambda with
        Amazon SQS": the pollers receive, and delete the batch's successful messages)."""
        if not op.startswith(RECEIVE_OPS + DELETE_OPS):
            return None
        model = self.ctx.model
        consumer = model.nodes_by_id.get(source)
        queue = None if consumer is None else consumer.params.consumed_queue()
        if queue is None:
            return None
        here = model.original_of(self.ctx.node_id)
        return EVENT_SOURCE_MAPPING if model.original_of(queue) == here else None

    def note_stand_in(self, call: Call) -> None:
        self._note_delivery(call)

    def _note_delivery(self, call: Call) -> None:
        """A flow step about the message that started this trace's consumer work."""
        work = call.parent
        origin = work.parent if work is not None else None
        if origin is not None and origin.attrs:
            message_id = origin.attrs.get("message_id")
            if message_id is not None:
                call.note("message_id", message_id)

    # ------------------------------------------------------------------ long polling

    def _poll(self, call: Call, request: ReceiveRequest) -> None:
        received = self.queue.receive(
            max(1, min(10, request.max_messages)), request.visibility_timeout_s
        )
        if received or request.wait_s <= 0:
            self._answer_poll(call, received)
            return
        deadline = self.ctx.now + min(20.0, request.wait_s) * 1000
        self.waiting[call.span] = (call, request, deadline)
        self.ctx.after(deadline - self.ctx.now, self._poll_timeout, call)
        self._schedule_wake()

    def _answer_poll(self, call: Call, received: list[Received]) -> None:
        poisoned = self.poisoned
        response = ReceiveResponse(
            [
                Delivery(m, self.origins.get(m.message_id), m.message_id in poisoned)
                for m in received
            ],
            self.queue.has_visible(),
        )
        call.payload = response
        call.note("messages", len(received))
        if received:
            self.ctx.emit("NumberOfMessagesReceived", len(received))
        else:
            self.ctx.emit("NumberOfEmptyReceives", 1)
        self.ctx.finish(call)

    def _poll_timeout(self, call: Call) -> None:
        if self.waiting.pop(call.span, None) is not None:
            self._answer_poll(call, [])

    def _schedule_wake(self) -> None:
        """Wake waiting polls when a hidden message becomes visible again."""
        if self._wake_scheduled or not self.waiting:
            return
        at = self.queue.next_visible_at()
        if at is None:
            return
        self._wake_scheduled = True
        # At least 1 µs: the queue's clock is in seconds (now / 1000), so a wake at
        # exactly at * 1000 ms can still read as just before ``at`` and would be
        # rescheduled at the same instant forever.
        self.ctx.after(max(0.001, at * 1000 - self.ctx.now), self._timed_wake)

    def _wake_soon(self) -> None:
        # Not re-entrant: a send finishes before the woken consumer runs.
        if self.waiting:
            self.ctx.after(0, self._woken)

    def _woken(self, _: Any) -> None:
        self._wake()

    def _timed_wake(self, _: Any) -> None:
        self._wake_scheduled = False
        self._wake()
        self._schedule_wake()

    def _wake(self) -> None:
        while self.waiting:
            span = next(iter(self.waiting))
            call, request, _ = self.waiting[span]
            received = self.queue.receive(
                max(1, min(10, request.max_messages)), request.visibility_timeout_s
            )
            if not received:
                return
            del self.waiting[span]
            self._answer_poll(call, received)

    # ------------------------------------------------------------------ reporting

    def on_period(self, t_s: float) -> None:
        emit = self.ctx.emit
        emit("ApproximateNumberOfMessagesVisible", self.queue.visible_count)
        emit("ApproximateNumberOfMessagesNotVisible", self.queue.in_flight_count)
        emit("ApproximateNumberOfMessagesDelayed", self._delayed())
        emit("ApproximateAgeOfOldestMessage", self.queue.oldest_age_s())

    def accounting(self) -> tuple[Books, ...]:
        books = QueueBooks(
            self.ctx.node_id,
            tuple(self.placed),
            frozenset(self.queue.message_ids()),
            self.queue.in_flight_count,
            self.dead_letter_queue,
        )
        return (books,)

    def summary(self) -> dict[str, Any]:
        stats = self.queue.stats
        in_queue = len(self.queue)
        in_flight = self.queue.in_flight_count
        return {
            "queue": {
                "sent": stats.sent,
                "arrived_from_source": stats.arrived_from_source,
                "duplicates": stats.duplicates,
                "received": stats.received,
                "redelivered": stats.redelivered,
                "deleted": stats.deleted,
                "stale_deletes": stats.stale_deletes,
                "moved_to_dlq": stats.moved_to_dlq,
                "expired": stats.expired,
                "in_queue": in_queue,
                "in_flight": in_flight,
                "visible": in_queue - in_flight - self._delayed(),
                "errors": self.errors,
                **({"groups": len(self.groups)} if self.queue.fifo else {}),
                **(
                    {
                        "throttled": self.throttled,
                        "throttled_requests": self.throttled_requests,
                        "requests_per_s_quota": self.quota_per_s,
                    }
                    if self.quota_per_s is not None
                    else {}
                ),
                **({"poisoned": len(self.poisoned)} if self.poisoned else {}),
            }
        }

    def _delayed(self) -> int:
        return max(0, len(self.queue) - self.queue.in_flight_count - self.queue.visible_count)
