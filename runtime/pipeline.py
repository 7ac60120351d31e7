"""The order pipeline's books: every message placed is fulfilled, dead-lettered, still in
the queue, or lost — and none is fulfilled twice.

"Orders" are the messages of the queues named by the model's ``no_lost_messages``
invariants (else of every queue a Lambda event source consumes), counted per queue:

    placed = fulfilled + in_dlq + in_queue + lost

where a fulfilled message counts once even if it also sits in a queue (redelivered after a
crash, awaiting its duplicate-suppressing acknowledgement) or in the DLQ, a dead-lettered one
once even if it is still being redelivered, and ``lost`` is what is nowhere: expired, or
dropped. Notifications are counted per channel over every SNS topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archgen.model.schema import InvariantRule, LambdaNode, Model
from archgen.runtime.behavior import Behavior


def order_queues(model: Model) -> list[str]:
    named = sorted(
        {
            target
            for invariant in model.invariants
            if invariant.rule is InvariantRule.no_lost_messages
            for target in invariant.targets
            if target in model.nodes_by_id and model.nodes_by_id[target].kind == "sqs"
        }
    )
    if named:
        return named
    return sorted(
        {
            node.params.event_source.queue
            for node in model.nodes
            if isinstance(node, LambdaNode) and node.params.event_source is not None
        }
    )


def order_accounting(model: Model, behaviors: Mapping[str, Behavior]) -> dict[str, Any]:
    from archgen.runtime.behaviors.lambda_ import Lambda
    from archgen.runtime.behaviors.sns import Sns
    from archgen.runtime.behaviors.sqs import Sqs

    orders: dict[str, Any] = {}
    for queue_id in order_queues(model):
        queue = behaviors.get(queue_id)
        if not isinstance(queue, Sqs):
            continue
        placed = queue.placed
        consumers = [
            b
            for b in behaviors.values()
            if isinstance(b, Lambda) and b.source is not None and b.source.queue == queue_id
        ]
        fulfilled: set[str] = set()
        for consumer in consumers:
            fulfilled |= consumer.fulfilled
        dlq_id = getattr(queue.ctx.node.params, "dead_letter_queue", None)
        dlq = behaviors.get(dlq_id) if dlq_id is not None else None
        in_dlq_ids = set(dlq.queue.message_ids()) if isinstance(dlq, Sqs) else set()
        in_queue_ids = set(queue.queue.message_ids())
        counts = {"fulfilled": 0, "in_dlq": 0, "in_queue": 0, "lost": 0}
        for message_id in placed:
            if message_id in fulfilled:
                counts["fulfilled"] += 1
            elif message_id in in_dlq_ids:
                counts["in_dlq"] += 1
            elif message_id in in_queue_ids:
                counts["in_queue"] += 1
            else:
                counts["lost"] += 1
        orders[queue_id] = {
            "placed": len(placed),
            **counts,
            "in_flight": queue.queue.in_flight_count,
            "fulfilled_and_in_dlq": len(fulfilled & in_dlq_ids),
            "duplicates_suppressed": sum(c.duplicates_suppressed for c in consumers),
            "shipped_twice": sum(sum(1 for n in c.shipments.values() if n > 1) for c in consumers),
            "consumers": sorted(c.ctx.node_id for c in consumers),
        }
    channels: dict[str, dict[str, int]] = {}
    for node_id in sorted(behaviors):
        topic = behaviors[node_id]
        if isinstance(topic, Sns):
            for protocol, figures in topic.channels.items():
                total = channels.setdefault(protocol, dict.fromkeys(figures, 0))
                for key, value in figures.items():
                    total[key] += value
    return {"orders": orders, "notifications": dict(sorted(channels.items()))}
