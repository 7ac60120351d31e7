"""SNS topic: fan-out with filter policies and per-protocol delivery retries.

Rules (SNS Developer Guide: filter policies, message delivery retries, DLQs):
- ``Publish`` is accepted once stored (after ``latency``); then every subscription whose
  filter policy matches the message attributes gets a delivery through its declared edge
  (SQS: a message; Lambda: an async invocation; email/SMS/mobile push: the external
  endpoint).
- Message attributes: each key a filter policy names is set from the publishing trace;
  an accepted value with the probability of the flow step that delivers to that endpoint
  (``probability``, else 0.5), a non-matching one otherwise. Matching itself is SNS's
  (:func:`archgen.runtime.aws.sns_filter.matches`).
- A failed delivery is retried by the protocol's policy
  (:data:`archgen.runtime.aws.sns_filter.RETRY_POLICIES`); when retries run out the message
  goes to the subscription's ``dead_letter_queue`` (through the declared edge) or is lost.
- Delivery spans carry the flow step that targets the endpoint, so flows can name them.
- SSE-KMS (``kms_key``): the topic reuses a data key per publisher for 5 minutes; a fault
  on the key reaches a publish only when its key must be renewed.
- Metrics (``AWS/SNS``): ``NumberOfMessagesPublished`` per accepted publish (alarm
  notifications too); per subscription and message, ``NumberOfNotificationsFilteredOut``,
  ``NumberOfNotificationsDelivered`` when the endpoint accepted it, and
  ``NumberOfNotificationsFailed`` once retries ran out (with
  ``NumberOfNotificationsRedrivenToDlq`` when a dead-letter queue took it).
Mobile push (``application``) delivers to the external node standing for the platform's
push service (APNs, FCM…), retried as email and SMS are (50 retries over about 6 hours).
Left out: jitter on retries, throttling policies, FIFO topics' ordering; mobile push
endpoints a platform disables (an invalid device token), per-platform payloads and limits.
"""

from __future__ import annotations

from typing import Any

from archgen.model.kinds import SnsParams, SnsSubscription
from archgen.runtime.aws.sns_filter import RETRY_POLICIES, RetryPolicy, matches
from archgen.runtime.behavior import (
    Behavior,
    Books,
    Call,
    ChannelBooks,
    NodeContext,
    Signal,
    register,
)

CHANNEL_FIELDS = ("delivered", "retries", "dead_lettered", "lost", "filtered_out")


def _noop(_: Any) -> None:
    return None


def _other_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return f"not-{value}"


class _Delivery:
    __slots__ = ("attempt", "attributes", "publish", "step", "subscription", "weight")

    def __init__(
        self,
        publish: Call,
        subscription: SnsSubscription,
        step: int | None,
        attrs: dict[str, Any],
        weight: float = 1.0,
    ) -> None:
        self.publish = publish
        self.subscription = subscription
        self.step = step
        self.attributes = attrs
        self.attempt = 1
        self.weight = weight
        """What its metrics count it as: 1 for traffic (the store divides it by the traced
        scale), the traced scale for an alarm's notification (sent at its real rate)."""


@register("sns")
class Sns(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, SnsParams)
        params = node.params
        self.latency = ctx.sampler(params.latency)
        self.subscriptions = params.subscriptions
        self.channels: dict[str, dict[str, int]] = {}
        for sub in self.subscriptions:
            self.channels.setdefault(sub.protocol.value, dict.fromkeys(CHANNEL_FIELDS, 0))
        self.published = 0
        self._ops: dict[str, str] = {}

    def handle(self, call: Call) -> None:
        self.ctx.after(self.latency(), self._publish, call)

    def _publish(self, call: Call) -> None:
        self.published += 1
        self.ctx.emit("NumberOfMessagesPublished", 1)
        steps = self._child_steps(call)
        attributes = self._attributes(call, steps)
        endpoints = set()
        for sub in self.subscriptions:
            endpoints.add(sub.endpoint)
            if not matches(sub.filter_policy, attributes):
                self.channels[sub.protocol.value]["filtered_out"] += 1
                self.ctx.emit("NumberOfNotificationsFilteredOut", 1)
                continue
            delivery = _Delivery(call, sub, steps.get(sub.endpoint), attributes)
            self._deliver(delivery)
        self.ctx.finish(call)

    def on_signal(self, signal: Signal) -> None:
        """An alarm's notify action publishes to the topic (operators get paged)."""
        super().on_signal(signal)
        if signal.type == "notify" and signal.call is not None:
            signal.call.payload = {"alarm": signal.alarm, "state": signal.state}
            self.published += 1
            real = self.ctx.scale  # alarms notify at their real rate, whatever the scale
            self.ctx.emit("NumberOfMessagesPublished", real)
            for sub in self.subscriptions:
                if matches(sub.filter_policy, signal.call.payload):
                    payload = signal.call.payload
                    self._deliver(_Delivery(signal.call, sub, None, payload, real))
                else:
                    self.channels[sub.protocol.value]["filtered_out"] += 1
                    self.ctx.emit("NumberOfNotificationsFilteredOut", real)

    def _child_steps(self, call: Call) -> dict[str, int]:
        plan = call.trace.flow
        if plan is None or call.step is None:
            return {}
        return {plan.steps[i].target: i for i in plan.steps[call.step].children}

    def _attributes(self, call: Call, steps: dict[str, int]) -> dict[str, Any]:
        attributes: dict[str, Any] = dict(call.payload) if isinstance(call.payload, dict) else {}
        plan = call.trace.flow
        for sub in self.subscriptions:
            for key, accepted in sorted((sub.filter_policy or {}).items()):
                if key in attributes or not accepted:
                    continue
                step = steps.get(sub.endpoint)
                probability = 0.5
                if plan is not None and step is not None:
                    declared = plan.steps[step].probability
                    probability = 0.5 if declared is None else declared
                value = accepted[0]
                hit = self.ctx.rng.random() < probability
                attributes[key] = value if hit else _other_value(value)
        return attributes

    def _op(self, endpoint: str) -> str:
        op = self._ops.get(endpoint)
        if op is None:
            edge = self.ctx.model.declared_edge(self.ctx.node_id, endpoint)
            ops = edge.operations if edge is not None else ("Deliver",)
            op = self._ops[endpoint] = "Deliver" if "Deliver" in ops else ops[0]
        return op

    def _deliver(self, delivery: _Delivery) -> None:
        sub = delivery.subscription
        self.ctx.call(
            delivery.publish,
            sub.endpoint,
            self._op(sub.endpoint),
            lambda done: self._delivered(delivery, done),
            step=delivery.step if delivery.attempt == 1 else None,
            payload=dict(delivery.attributes),
        )

    def _delivered(self, delivery: _Delivery, done: Call) -> None:
        sub = delivery.subscription
        channel = self.channels[sub.protocol.value]
        if done.error is None:
            channel["delivered"] += 1
            self.ctx.emit("NumberOfNotificationsDelivered", delivery.weight)
            return
        policy: RetryPolicy = RETRY_POLICIES.get(sub.protocol.value, RETRY_POLICIES["https"])
        delay = policy.delay_before(delivery.attempt)
        if delay is not None:
            channel["retries"] += 1
            delivery.attempt += 1
            self.ctx.after(delay * 1000, self._retry, delivery)
            return
        self.ctx.emit("NumberOfNotificationsFailed", delivery.weight)
        if sub.dead_letter_queue is not None:
            channel["dead_lettered"] += 1
            self.ctx.emit("NumberOfNotificationsRedrivenToDlq", delivery.weight)
            self.ctx.call(delivery.publish, sub.dead_letter_queue, "Redrive", _noop, payload=None)
        else:
            channel["lost"] += 1

    def _retry(self, delivery: _Delivery) -> None:
        self._deliver(delivery)

    def accounting(self) -> tuple[Books, ...]:
        figures = tuple((p, tuple(c.items())) for p, c in self.channels.items())
        return (ChannelBooks(figures),)

    def summary(self) -> dict[str, Any]:
        return {
            "topic": {"published": self.published},
            "notifications": {k: dict(v) for k, v in sorted(self.channels.items())},
        }
