"""SQS queue semantics, independent of any simulator: the clock is passed in.

The rules of the SQS Developer Guide:

- Standard queues deliver at least once in best-effort order (here: send order, a message
  whose visibility timeout expires goes back to its place). FIFO queues deliver in order
  within a message group and keep a group blocked while any of its messages is in flight;
  a deduplication id (or the body's SHA-256 with content-based deduplication) is accepted
  once per 5-minute window.
- Each receive increments the receive count and hides the message for the visibility
  timeout (0 s–12 h, default 30 s); a message not deleted in time becomes visible again.
  A visible message that was already received ``maxReceiveCount`` times is moved to the
  dead-letter queue instead of being delivered (keeping its id and receive count).
- A receive returns at most 10 messages; batches carry 1–10 entries with distinct ids.
- Messages older than the retention period (default 4 days) are deleted, in flight or not;
  a standard DLQ keeps the original enqueue time, a FIFO DLQ resets it.
- Deleting with a receipt handle that is no longer the latest succeeds without deleting
  (the guide: "the request succeeds, but the message might not be deleted").

Long polling does not block here: ``receive`` answers at once, and the caller waits until
``min(now + wait, next_visible_at())`` or until ``on_available`` fires after a send.
Left out: short polling's sampling of a subset of servers (every receive sees all
messages), per-message timers on FIFO queues, and message size limits.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_BATCH = 10
MAX_VISIBILITY_TIMEOUT_S = 43_200
MAX_WAIT_TIME_S = 20
DEDUPLICATION_WINDOW_S = 300.0


def send_order(message_id: str) -> int:
    """Where a message stands in the sequence of sends to the queue that first took it: ids are
    ``{queue}-{seq:08d}``, numbered as sent (a message moved to a DLQ keeps its id)."""
    return int(message_id.rsplit("-", 1)[1])


class SqsError(Exception):
    """An SQS API error; ``code`` is AWS's error name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(slots=True)
class Message:
    """A message as the queue keeps it (mutable; receivers get :class:`Received`)."""

    message_id: str
    body: str
    attributes: Mapping[str, Any]
    group_id: str | None
    dedup_id: str | None
    seq: int
    sent_at: float
    visible_at: float
    receive_count: int = 0
    first_received_at: float | None = None
    receipt_handle: str | None = None
    in_flight: bool = False
    gen: int = 0


@dataclass(frozen=True, slots=True)
class Received:
    """A message as a receive returns it."""

    message_id: str
    body: str
    attributes: Mapping[str, Any]
    receipt_handle: str
    receive_count: int
    group_id: str | None
    sent_at: float
    first_received_at: float


@dataclass(frozen=True, slots=True)
class SendEntry:
    id: str
    body: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None
    delay_s: int | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    duplicate: bool = False


@dataclass(slots=True)
class QueueStats:
    sent: int = 0
    duplicates: int = 0
    received: int = 0
    redelivered: int = 0
    deleted: int = 0
    moved_to_dlq: int = 0
    arrived_from_source: int = 0
    expired: int = 0
    stale_deletes: int = 0


def _check_batch(ids: Sequence[str]) -> None:
    if not ids:
        raise SqsError("EmptyBatchRequest", "a batch needs at least one entry")
    if len(ids) > MAX_BATCH:
        raise SqsError(
            "TooManyEntriesInBatchRequest", f"{len(ids)} entries; a batch holds at most 10"
        )
    if len(set(ids)) != len(ids):
        raise SqsError("BatchEntryIdsNotDistinct", "two batch entries share an id")


class RedriveTarget(Protocol):
    """Where a queue's redrive policy moves exhausted messages: a queue, or an adapter that
    forwards them (the simulator sends them through the declared edge)."""

    fifo: bool

    def accept_from_source(self, message: Message) -> None: ...


class SqsQueue:
    """One queue. ``clock()`` returns the current time in seconds."""

    fifo: bool

    def __init__(
        self,
        name: str,
        clock: Callable[[], float],
        *,
        fifo: bool = False,
        visibility_timeout_s: float = 30,
        retention_s: float = 345_600,
        delay_s: float = 0,
        receive_wait_time_s: float = 0,
        max_receive_count: int | None = None,
        dead_letter_queue: RedriveTarget | None = None,
        content_based_deduplication: bool = False,
    ) -> None:
        if (max_receive_count is None) != (dead_letter_queue is None):
            raise SqsError("InvalidParameterValue", "maxReceiveCount and a DLQ go together")
        if dead_letter_queue is not None and dead_letter_queue.fifo != fifo:
            raise SqsError("InvalidParameterValue", "a dead-letter queue must be of the same type")
        if not 0 <= visibility_timeout_s <= MAX_VISIBILITY_TIMEOUT_S:
            raise SqsError("InvalidParameterValue", "VisibilityTimeout must be 0–43200 s")
        self.name = name
        self.clock = clock
        self.fifo = fifo
        self.visibility_timeout_s = visibility_timeout_s
        self.retention_s = retention_s
        self.delay_s = delay_s
        self.receive_wait_time_s = receive_wait_time_s
        self.max_receive_count = max_receive_count
        self.dead_letter_queue = dead_letter_queue
        self.content_based_deduplication = content_based_deduplication
        self.stats = QueueStats()
        self.on_available: Callable[[], None] | None = None
        """Called when a send makes a message visible at once (wakes long pollers)."""

        self._messages: dict[str, Message] = {}
        self._seq = 0
        self._handles = 0
        self._issued_handles: dict[str, str] = {}  # handle -> message id
        self._pending: list[tuple[float, int, str, int]] = []  # (visible_at, seq, id, gen)
        self._expiry: list[tuple[float, int, str]] = []  # (expires_at, seq, id)
        self._ready: list[tuple[int, str, int]] = []  # standard: (seq, id, gen)
        self._groups: dict[str, deque[str]] = {}  # FIFO: group -> ids in order
        self._group_in_flight: dict[str, int] = {}
        self._ready_groups: list[tuple[int, str]] = []  # FIFO: (head seq, group)
        self._dedup: dict[str, tuple[float, str]] = {}  # dedup id -> (sent_at, message id)
        self._dedup_order: deque[tuple[float, str]] = deque()

    # ------------------------------------------------------------------ introspection

    def __len__(self) -> int:
        self._advance()
        return len(self._messages)

    @property
    def visible_count(self) -> int:
        self._advance()
        now = self.clock()
        return sum(1 for m in self._messages.values() if m.visible_at <= now)

    @property
    def in_flight_count(self) -> int:
        self._advance()
        return sum(1 for m in self._messages.values() if m.in_flight)

    def has_visible(self) -> bool:
        """Whether a receive now would return a message (cheap: it looks at the heads of
        the ready heaps only, dropping stale entries)."""
        self._advance()
        if self.fifo:
            ready_groups = self._ready_groups
            while ready_groups:
                head_seq, group_id = ready_groups[0]
                queue = self._groups.get(group_id)
                if (
                    queue
                    and not self._group_in_flight.get(group_id, 0)
                    and self._messages[queue[0]].seq == head_seq
                ):
                    return True
                heapq.heappop(ready_groups)
            return False
        ready = self._ready
        while ready:
            _, message_id, gen = ready[0]
            message = self._messages.get(message_id)
            if message is not None and message.gen == gen and not message.in_flight:
                return True
            heapq.heappop(ready)
        return False

    def message_ids(self) -> list[str]:
        """Ids of every message still in the queue, in send order."""
        self._advance()
        return [m.message_id for m in sorted(self._messages.values(), key=lambda m: m.seq)]

    def oldest_age_s(self) -> float:
        self._advance()
        if not self._messages:
            return 0.0
        return self.clock() - min(m.sent_at for m in self._messages.values())

    def next_visible_at(self) -> float | None:
        """When the next hidden (delayed or in-flight) message becomes visible."""
        self._advance()
        while self._pending:
            visible_at, _, message_id, gen = self._pending[0]
            message = self._messages.get(message_id)
            if message is not None and message.gen == gen:
                return visible_at
            heapq.heappop(self._pending)
        return None

    # ------------------------------------------------------------------ sending

    def send(
        self,
        body: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        group_id: str | None = None,
        dedup_id: str | None = None,
        delay_s: float | None = None,
    ) -> SendResult:
        now = self.clock()
        self._advance()
        if self.fifo:
            if group_id is None:
                raise SqsError("MissingParameter", "FIFO queues need a MessageGroupId")
            if delay_s is not None:
                raise SqsError(
                    "InvalidParameterValue", "FIFO queues take no per-message DelaySeconds"
                )
            if dedup_id is None:
                if not self.content_based_deduplication:
                    raise SqsError(
                        "InvalidParameterValue",
                        "FIFO queue without content-based deduplication needs a "
                        "MessageDeduplicationId",
                    )
                dedup_id = hashlib.sha256(body.encode()).hexdigest()
            self._forget_dedup(now)
            seen = self._dedup.get(dedup_id)
            if seen is not None:
                self.stats.duplicates += 1
                return SendResult(seen[1], duplicate=True)
        elif group_id is not None:
            group_id = None  # standard queues ignore group ids (fair queues aside)
        self._seq += 1
        message_id = f"{self.name}-{self._seq:08d}"
        delay = self.delay_s if delay_s is None else delay_s
        message = Message(
            message_id=message_id,
            body=body,
            attributes=dict(attributes or {}),
            group_id=group_id,
            dedup_id=dedup_id if self.fifo else None,
            seq=self._seq,
            sent_at=now,
            visible_at=now + delay,
        )
        if self.fifo and dedup_id is not None:
            self._dedup[dedup_id] = (now, message_id)
            self._dedup_order.append((now, dedup_id))
        self._insert(message, now)
        self.stats.sent += 1
        if message.visible_at <= now and self.on_available is not None:
            self.on_available()
        return SendResult(message_id)

    def send_batch(self, entries: Sequence[SendEntry]) -> dict[str, SendResult]:
        _check_batch([e.id for e in entries])
        return {
            e.id: self.send(
                e.body, e.attributes, group_id=e.group_id, dedup_id=e.dedup_id, delay_s=e.delay_s
            )
            for e in entries
        }

    def _forget_dedup(self, now: float) -> None:
        order = self._dedup_order
        while order and order[0][0] + DEDUPLICATION_WINDOW_S <= now:
            sent_at, dedup_id = order.popleft()
            if self._dedup.get(dedup_id, (None,))[0] == sent_at:
                del self._dedup[dedup_id]

    def _insert(self, message: Message, now: float) -> None:
        self._messages[message.message_id] = message
        heapq.heappush(
            self._expiry, (message.sent_at + self.retention_s, message.seq, message.message_id)
        )
        if self.fifo:
            assert message.group_id is not None
            queue = self._groups.setdefault(message.group_id, deque())
            queue.append(message.message_id)
            self._group_in_flight.setdefault(message.group_id, 0)
        if message.visible_at <= now:
            self._make_visible(message)
        else:
            heapq.heappush(
                self._pending, (message.visible_at, message.seq, message.message_id, message.gen)
            )

    def accept_from_source(self, message: Message) -> None:
        """Take a message moved here by a source queue's redrive policy."""
        now = self.clock()
        self._advance()
        self._seq += 1
        moved = Message(
            message_id=message.message_id,
            body=message.body,
            attributes=message.attributes,
            group_id=message.group_id,
            dedup_id=message.dedup_id,
            seq=self._seq,
            sent_at=now if self.fifo else message.sent_at,
            visible_at=now,
            receive_count=message.receive_count,
            first_received_at=message.first_received_at,
        )
        self._insert(moved, now)
        self.stats.arrived_from_source += 1
        if self.on_available is not None:
            self.on_available()

    # ------------------------------------------------------------------ receiving

    def receive(
        self, max_messages: int = 1, visibility_timeout_s: float | None = None
    ) -> list[Received]:
        if not 1 <= max_messages <= MAX_BATCH:
            raise SqsError(
                "InvalidParameterValue", f"MaxNumberOfMessages must be 1–10, got {max_messages}"
            )
        timeout = (
            self.visibility_timeout_s if visibility_timeout_s is None else visibility_timeout_s
        )
        if not 0 <= timeout <= MAX_VISIBILITY_TIMEOUT_S:
            raise SqsError("InvalidParameterValue", "VisibilityTimeout must be 0–43200 s")
        now = self.clock()
        self._advance()
        out: list[Received] = []
        if self.fifo:
            self._receive_fifo(max_messages, now, timeout, out)
            return out
        while self._ready and len(out) < max_messages:
            _, message_id, gen = heapq.heappop(self._ready)
            message = self._messages.get(message_id)
            if message is None or message.gen != gen or message.in_flight:
                continue
            if not self._redrive_if_exhausted(message):
                out.append(self._hand_out(message, now, timeout))
        return out

    def _receive_fifo(
        self, max_messages: int, now: float, timeout: float, out: list[Received]
    ) -> None:
        # Each message is handed out (in flight, its group blocked) as soon as it is
        # picked, so a group can never be picked twice in one call.
        while self._ready_groups and len(out) < max_messages:
            head_seq, group_id = heapq.heappop(self._ready_groups)
            queue = self._groups.get(group_id)
            if (
                not queue
                or self._group_in_flight.get(group_id, 0)
                or self._messages[queue[0]].seq != head_seq
            ):
                continue  # stale entry
            for message_id in list(queue):
                if len(out) >= max_messages:
                    break
                message = self._messages[message_id]
                if message.in_flight or message.visible_at > now:
                    break
                if not self._redrive_if_exhausted(message):
                    out.append(self._hand_out(message, now, timeout))
            if queue and not self._group_in_flight.get(group_id, 0):
                head = self._messages[queue[0]]
                if head.visible_at <= now:
                    heapq.heappush(self._ready_groups, (head.seq, group_id))

    def _redrive_if_exhausted(self, message: Message) -> bool:
        limit = self.max_receive_count
        if limit is None or message.receive_count < limit:
            return False
        assert self.dead_letter_queue is not None
        self._remove(message)
        self.stats.moved_to_dlq += 1
        self.dead_letter_queue.accept_from_source(message)
        return True

    def _hand_out(self, message: Message, now: float, timeout: float) -> Received:
        message.receive_count += 1
        if message.receive_count > 1:
            self.stats.redelivered += 1
        self.stats.received += 1
        if message.first_received_at is None:
            message.first_received_at = now
        self._handles += 1
        handle = f"{message.message_id}#{self._handles}"
        message.receipt_handle = handle
        self._issued_handles[handle] = message.message_id
        message.in_flight = True
        message.visible_at = now + timeout
        message.gen += 1
        if message.group_id is not None:
            self._group_in_flight[message.group_id] += 1
        heapq.heappush(
            self._pending, (message.visible_at, message.seq, message.message_id, message.gen)
        )
        return Received(
            message.message_id,
            message.body,
            message.attributes,
            handle,
            message.receive_count,
            message.group_id,
            message.sent_at,
            message.first_received_at,
        )

    # ------------------------------------------------------------------ deleting & visibility

    def _message_for(self, receipt_handle: str) -> Message | None:
        message_id = self._issued_handles.get(receipt_handle)
        if message_id is None:
            raise SqsError(
                "ReceiptHandleIsInvalid", f"the receipt handle {receipt_handle!r} is not valid"
            )
        message = self._messages.get(message_id)
        if message is None or message.receipt_handle != receipt_handle:
            return None
        return message

    def delete(self, receipt_handle: str) -> bool:
        """Delete by receipt handle; True if the message was deleted by this call."""
        self._advance()
        message = self._message_for(receipt_handle)
        if message is None:
            self.stats.stale_deletes += 1
            return False
        self._remove(message)
        self.stats.deleted += 1
        return True

    def delete_batch(self, entries: Sequence[tuple[str, str]]) -> dict[str, bool | SqsError]:
        """``(entry id, receipt handle)`` pairs; per entry: deleted?, or the error."""
        _check_batch([entry_id for entry_id, _ in entries])
        results: dict[str, bool | SqsError] = {}
        for entry_id, handle in entries:
            try:
                results[entry_id] = self.delete(handle)
            except SqsError as error:
                results[entry_id] = error
        return results

    def change_visibility(self, receipt_handle: str, timeout_s: float) -> None:
        if not 0 <= timeout_s <= MAX_VISIBILITY_TIMEOUT_S:
            raise SqsError("InvalidParameterValue", "VisibilityTimeout must be 0–43200 s")
        now = self.clock()
        self._advance()
        message = self._message_for(receipt_handle)
        if message is None or not message.in_flight:
            raise SqsError("MessageNotInflight", "the message is not in flight")
        message.visible_at = now + timeout_s
        message.gen += 1
        if timeout_s == 0:
            self._return_to_queue(message)
        else:
            heapq.heappush(
                self._pending, (message.visible_at, message.seq, message.message_id, message.gen)
            )

    def purge(self) -> None:
        for message in list(self._messages.values()):
            self._remove(message)

    # ------------------------------------------------------------------ internals

    def _advance(self) -> None:
        """Apply everything the clock has made due: expiry, then visibility."""
        now = self.clock()
        while self._expiry and self._expiry[0][0] <= now:
            _, seq, message_id = heapq.heappop(self._expiry)
            message = self._messages.get(message_id)
            if message is not None and message.seq == seq:
                self._remove(message)
                self.stats.expired += 1
        while self._pending and self._pending[0][0] <= now:
            _, _, message_id, gen = heapq.heappop(self._pending)
            message = self._messages.get(message_id)
            if message is None or message.gen != gen:
                continue
            if message.in_flight:
                self._return_to_queue(message)
            else:
                self._make_visible(message)

    def _return_to_queue(self, message: Message) -> None:
        message.in_flight = False
        message.gen += 1
        if message.group_id is not None:
            self._group_in_flight[message.group_id] -= 1
        self._make_visible(message)

    def _make_visible(self, message: Message) -> None:
        if self.fifo:
            group_id = message.group_id
            assert group_id is not None
            queue = self._groups[group_id]
            if self._group_in_flight[group_id] == 0 and queue:
                heapq.heappush(self._ready_groups, (self._messages[queue[0]].seq, group_id))
        else:
            heapq.heappush(self._ready, (message.seq, message.message_id, message.gen))

    def _remove(self, message: Message) -> None:
        del self._messages[message.message_id]
        message.gen += 1
        if message.group_id is not None and self.fifo:
            group_id = message.group_id
            queue = self._groups[group_id]
            queue.remove(message.message_id)
            if message.in_flight:
                self._group_in_flight[group_id] -= 1
            if not queue:
                del self._groups[group_id]
                del self._group_in_flight[group_id]
            elif self._group_in_flight[group_id] == 0:
                head = self._messages[queue[0]]
                if head.visible_at <= self.clock():
                    heapq.heappush(self._ready_groups, (head.seq, group_id))
        message.in_flight = False
