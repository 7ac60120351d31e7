"""The run's message books: every message sent is processed, dead-lettered, still in the
queue, or lost — and no effect is applied twice.

Behaviors report typed books (:meth:`Behavior.accounting`: a queue its messages, a consumer
what it processed, a topic its deliveries); this module adds them up without knowing which
kinds reported them. The accounted queues are those named by the model's
``no_lost_messages`` invariants (else every queue a consumer reports on), each with

    sent = processed + in_dlq + in_queue + lost

where a processed message counts once even if it also sits in a queue (redelivered after a
crash, awaiting its duplicate-suppressing acknowledgement) or in the dead-letter queue, a
dead-lettered one once even if it is still being redelivered, and ``lost`` is what is
nowhere: expired, or dropped. An event router (an event bus) is accounted the same way,
per delivery of an event to a target: delivered (processed), dead-lettered, still being
retried (in the queue) or dropped once its retries ran out without a dead-letter queue
(lost); every router is accounted unless the invariants name only others.
Notifications are counted per channel over every topic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from archgen.model.schema import InvariantRule, Model
from archgen.runtime.behavior import Books, ConsumerBooks, DeliveryBooks, QueueBooks


def accounted_queues(
    model: Model, queues: Iterable[str], consumed: Iterable[str], routers: Iterable[str] = ()
) -> list[str]:
    """The queues (and event routers) the books cover: those a ``no_lost_messages``
    invariant names, else every consumed queue and every router."""
    routed = set(routers)
    known = set(queues) | routed
    named = {
        target
        for invariant in model.invariants
        if invariant.rule is InvariantRule.no_lost_messages
        for target in invariant.targets
        if target in known
    }
    return sorted(named or (set(consumed) & known) | routed)


def message_accounting(model: Model, books: Iterable[Books]) -> dict[str, Any]:
    """``summary.json`` → ``pipeline``: per accounted queue, where its messages ended."""
    queues: dict[str, QueueBooks] = {}
    consumers: dict[str, list[ConsumerBooks]] = {}
    channels: dict[str, dict[str, int]] = {}
    routers: dict[str, DeliveryBooks] = {}
    for entry in books:
        if isinstance(entry, QueueBooks):
            queues[entry.queue] = entry
        elif isinstance(entry, ConsumerBooks):
            consumers.setdefault(entry.queue, []).append(entry)
        elif isinstance(entry, DeliveryBooks):
            routers[entry.source] = entry
        else:
            for protocol, figures in entry.channels:
                total = channels.setdefault(protocol, dict.fromkeys((k for k, _ in figures), 0))
                for key, value in figures:
                    total[key] += value
    accounted: dict[str, Any] = {}
    for queue_id in accounted_queues(model, queues, consumers, routers):
        router = routers.get(queue_id)
        if router is not None:
            accounted[queue_id] = _routed(router)
            continue
        queue = queues[queue_id]
        readers = sorted(consumers.get(queue_id, ()), key=lambda c: c.consumer)
        processed: set[str] = set()
        for reader in readers:
            processed |= reader.processed
        dlq = queues.get(queue.dead_letter_queue) if queue.dead_letter_queue else None
        in_dlq_ids = dlq.held if dlq is not None else frozenset()
        counts = {"processed": 0, "in_dlq": 0, "in_queue": 0, "lost": 0}
        for message_id in queue.sent:
            if message_id in processed:
                counts["processed"] += 1
            elif message_id in in_dlq_ids:
                counts["in_dlq"] += 1
            elif message_id in queue.held:
                counts["in_queue"] += 1
            else:
                counts["lost"] += 1
        accounted[queue_id] = {
            "sent": len(queue.sent),
            **counts,
            "in_flight": queue.in_flight,
            "processed_and_in_dlq": len(processed & in_dlq_ids),
            "duplicates_suppressed": sum(r.duplicates_suppressed for r in readers),
            "applied_twice": sum(r.applied_twice for r in readers),
            "consumers": [r.consumer for r in readers],
        }
    return {"queues": accounted, "notifications": dict(sorted(channels.items()))}


def _routed(books: DeliveryBooks) -> dict[str, Any]:
    """An event router's deliveries in a queue's terms."""
    return {
        "sent": books.sent,
        "processed": books.delivered,
        "in_dlq": books.dead_lettered,
        "in_queue": books.pending,
        "lost": books.lost,
        "in_flight": books.in_flight,
        "processed_and_in_dlq": 0,
        "duplicates_suppressed": 0,
        "applied_twice": 0,
        "consumers": list(books.targets),
    }
