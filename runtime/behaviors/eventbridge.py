"""EventBridge event bus: rules match events by pattern and deliver them to their
targets asynchronously, retrying with backoff, then to a dead-letter queue or nowhere.

Rules (EventBridge User Guide: event patterns, "How EventBridge retries delivering
events", "Using dead-letter queues", quotas):
- ``PutEvents`` takes a token from a bucket refilled at ``put_events_rate_per_s``
  (scaled) and holding one second's worth; an empty bucket answers
  ``ThrottlingException`` and the event is not put. An accepted event is answered after
  ``latency``; the caller does not wait for any delivery.
- The event's fields (``source``, ``detail-type``, ``detail.…``) are the publishing call's
  payload when it is a mapping; each field a rule's pattern names and the payload lacks
  is set from the trace, as SNS message attributes are: a value the pattern accepts with
  the probability of the flow step nested under the put that targets one of the rule's
  targets (1 when that step declares none), 0.5 when no step does, else one it refuses.
  Matching is SNS's filter-policy matching (:func:`archgen.runtime.aws.sns_filter.matches`)
  on the pattern's leaves at their dotted paths: fields AND, values OR, ``prefix``,
  ``anything-but``, ``numeric``, ``exists``.
- Every enabled rule that matches delivers the event to each of its targets (at most 5)
  after ``delivery_latency`` (one draw per event, so targets are invoked rule after
  rule; a scheduled firing at once), through the declared edge, with the step's operation (else
  the edge's first). A rule with a ``schedule`` fires on its own: ``rate(N unit)`` every
  N units from the start, ``cron(…)`` at its minutes and hours (UTC, the scenario's
  ``start_at``; a run has no date, so day, month, weekday and year are not read). While an
  outage takes the bus down its schedules do not fire (``missed_schedules``).
- Each invocation takes a token of the invocations quota (``invocations_rate_per_s``,
  scaled); without one it is throttled (``ThrottledRules``) and retried like a failure.
- A failed delivery is retried by the target's ``retry_policy`` (defaults: 185 retries,
  24 hours) with exponential backoff and jitter: before retry n, a wait of d/2 plus a
  uniform draw up to d/2, d = min(2^(n−1) s, 600 s) (AWS publishes neither base nor cap;
  these make the 185 retries last about 22 hours, inside the 24). An ``AccessDenied…`` or
  ``ResourceNotFound…`` error is not retried. When the retries or the event's age run
  out, the event goes to the target's ``dead_letter_queue`` (a ``Redrive`` call) or is
  dropped. While an outage takes the bus itself down, its pending deliveries wait (checked
  every second) with their attempts unspent, and deliver or give up once it is back.
- Metrics (``AWS/Events``): ``MatchedEvents`` per event matching a rule,
  ``TriggeredRules`` per event and matching rule (scheduled firings too), ``Invocations``
  per delivery that succeeded or failed for good without a dead-letter queue,
  ``FailedInvocations`` per such drop, ``ThrottledRules`` per throttled invocation,
  ``DeadLetterInvocations`` per event moved to a dead-letter queue.
- Books: every (event, target) delivery ends delivered, dead-lettered, still being
  retried, or dropped; ``no_lost_messages`` counts the dropped ones as lost.
Left out: PutEvents batches (one entry per call), the 256 KB event size, input
transformers, archives and replays, API destinations, cross-account buses, the
``suffix``, ``equals-ignore-case``, ``wildcard`` and ``cidr`` operators, and metrics per
rule (the node publishes them per bus).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from archgen.model.kinds import EventBridgeParams, EventRule, EventTarget
from archgen.model.kinds.ec2 import Recurrence
from archgen.model.kinds.eventbridge import flatten_pattern
from archgen.runtime.aws.sns_filter import matches
from archgen.runtime.aws.token_bucket import TokenBucket
from archgen.runtime.behavior import Behavior, Call, DeliveryBooks, NodeContext, register

THROTTLED = "ThrottlingException"
"""PutEvents' answer over the quota."""
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 600.0
NOT_RETRIED = ("AccessDenied", "ResourceNotFound")
OUT_WAIT_MS = 1000.0
"""How often a bus that is out looks again at its pending deliveries."""
"""Errors EventBridge sends to the dead-letter queue without retrying (prefixes)."""
_ABSENT = object()
_UNITS_S = {"minute": 60, "hour": 3_600, "day": 86_400}


def _noop(_: Any) -> None:
    return None


def backoff_s(retry: int, draw: float) -> float:
    """The wait before retry number ``retry`` (1-based) for a uniform ``draw`` in [0, 1)."""
    ceiling: float = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2.0 ** (retry - 1))
    return ceiling / 2 + draw * ceiling / 2


def _candidates(rule: Any, hit: bool) -> list[Any]:
    """Values that should (``hit``) or should not match one pattern value."""
    if isinstance(rule, Mapping):
        if "exists" in rule:
            present = bool(rule["exists"]) == hit
            return ["present"] if present else [_ABSENT]
        if "prefix" in rule:
            prefix = str(rule["prefix"])
            return [prefix + "-x"] if hit else [f"not-{prefix}", _ABSENT]
        if "anything-but" in rule:
            banned = rule["anything-but"]
            banned = list(banned) if isinstance(banned, list | tuple) else [banned]
            return ["anything-else", 0] if hit else [*banned, _ABSENT]
        if "numeric" in rule:
            bounds = [float(b) for b in rule["numeric"][1::2]]
            near = [b + d for b in bounds for d in (0.0, 0.5, -0.5, 1.0, -1.0)]
            return [*near, _ABSENT] if not hit else near
        return []
    if hit:
        return [rule]
    if isinstance(rule, bool):
        return [not rule, _ABSENT]
    if isinstance(rule, int | float):
        return [rule + 1, _ABSENT]
    return [f"not-{rule}", _ABSENT]


def witness(path: str, rules: list[Any], hit: bool) -> Any:
    """A value for field ``path`` that the pattern's ``rules`` accept (``hit``) or refuse;
    ``_ABSENT`` for a field better left out."""
    for rule in rules:
        for value in _candidates(rule, hit):
            event = {} if value is _ABSENT else {path: value}
            if matches({path: rules}, event) == hit:
                return value
    return _ABSENT


class _Delivery:
    __slots__ = (
        "attempt",
        "event",
        "id",
        "in_flight",
        "op",
        "origin",
        "put_at",
        "rule",
        "step",
        "target",
        "trace",
        "weight",
    )

    def __init__(
        self,
        delivery_id: str,
        origin: Call | None,
        rule: EventRule,
        target: EventTarget,
        event: dict[str, Any],
        step: int | None,
        op: str,
        put_at: float,
        weight: float = 1.0,
    ) -> None:
        self.id = delivery_id
        self.origin = origin
        self.rule = rule
        self.target = target
        self.event = event
        self.step = step
        self.op = op
        self.put_at = put_at
        self.attempt = 0
        self.in_flight = False
        self.trace: Any = None
        self.weight = weight
        """What its metrics count it as: 1 for traffic (the store divides it by the traced
        scale), the traced scale for a scheduled firing's (it happens at its real rate)."""


@register("eventbridge")
class EventBridge(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, EventBridgeParams)
        self.latency = ctx.sampler(params.latency)
        self.delivery_latency = ctx.sampler(params.delivery_latency)
        put_rate = ctx.scaled_rate("put_events_rate_per_s", params.put_events_rate_per_s)
        self.put_bucket = TokenBucket(put_rate, max(1.0, put_rate))
        invoke_rate = ctx.scaled_rate("invocations_rate_per_s", params.invocations_rate_per_s)
        self.invoke_bucket = TokenBucket(invoke_rate, max(1.0, invoke_rate))
        self.rules = [rule for rule in params.rules if rule.enabled]
        self.patterns = [
            (rule, dict(flatten_pattern(rule.event_pattern)))
            for rule in self.rules
            if rule.event_pattern is not None
        ]
        self.events = 0
        self.deliveries = 0
        self.pending: dict[str, _Delivery] = {}
        self.figures = dict.fromkeys(
            (
                "entries",
                "throttled_put_events",
                "matched_events",
                "triggered_rules",
                "scheduled",
                "delivered",
                "retries",
                "throttled_invocations",
                "dead_lettered",
                "dropped",
            ),
            0,
        )
        self._ops: dict[str, str] = {}
        self.missed_schedules = 0

    # ------------------------------------------------------------------ schedules

    def start(self) -> None:
        for rule in self.rules:
            if rule.schedule is not None:
                self._schedule_next(rule)

    def _schedule_next(self, rule: EventRule) -> None:
        assert rule.schedule is not None
        text = rule.schedule.strip()
        now_s = self.ctx.now / 1000
        if text.startswith("rate("):
            amount, unit = text[5:-1].split()
            period = int(amount) * _UNITS_S[unit.rstrip("s")]
            later = (now_s // period + 1) * period
        else:
            fields = text[5:-1].split()
            day = self.ctx.services.scenario.start_of_day_s
            recurrence = Recurrence(" ".join([fields[0], fields[1], "*", "*", "*"]))
            later = recurrence.next_at(day + now_s + 1) - day
        self.ctx.after(later * 1000 - self.ctx.now, self._fire, rule)

    def _fire(self, rule: EventRule) -> None:
        if self.ctx.faults.down:  # no call reaches a bus that is out; its schedules too
            self.missed_schedules += 1
            self._schedule_next(rule)
            return
        self.figures["scheduled"] += 1
        self.figures["triggered_rules"] += 1
        real = self.ctx.scale  # a schedule fires at its real rate, whatever the run's scale
        self.ctx.emit("TriggeredRules", real)
        self._event_id()
        for target in rule.targets:
            self._deliver(None, rule, target, {"source": "aws.events"}, None, 0.0, real)
        self._schedule_next(rule)

    # ------------------------------------------------------------------ PutEvents

    def handle(self, call: Call) -> None:
        if not self.put_bucket.take(self.ctx.now):
            self.figures["throttled_put_events"] += 1
            call.note("throttled", True)
            self.ctx.fail(call, THROTTLED)
            return
        self.ctx.after(self.latency(), self._put, call)

    def _put(self, call: Call) -> None:
        self.figures["entries"] += 1
        event_id = self._event_id()
        call.note("event_id", event_id)
        steps = self._child_steps(call)
        event = self._event(call, steps)
        matched = False
        wait = self.delivery_latency()  # one per event: its targets rule after rule
        for rule, pattern in self.patterns:
            if not matches(pattern, event):
                continue
            matched = True
            self.figures["triggered_rules"] += 1
            self.ctx.emit("TriggeredRules", 1)
            call.note(f"rule.{rule.id}", "matched")
            for target in rule.targets:
                self._deliver(call, rule, target, event, steps.get(target.target), wait)
        if matched:
            self.figures["matched_events"] += 1
            self.ctx.emit("MatchedEvents", 1)
        self.ctx.finish(call)

    def _event_id(self) -> str:
        self.events += 1
        return f"{self.ctx.node_id}:e{self.events}"

    def _child_steps(self, call: Call) -> dict[str, int]:
        plan = call.trace.flow
        if plan is None or call.step is None:
            return {}
        return {plan.steps[i].target: i for i in plan.steps[call.step].children}

    def _event(self, call: Call, steps: dict[str, int]) -> dict[str, Any]:
        """The event's fields at dotted paths: the payload's, then those the rules name."""
        payload = call.payload if isinstance(call.payload, Mapping) else {}
        event: dict[str, Any] = dict(flatten_pattern(payload))
        plan = call.trace.flow
        for rule, pattern in self.patterns:
            probability = 0.5
            for target in rule.targets:
                step = steps.get(target.target)
                if plan is not None and step is not None:
                    declared = plan.steps[step].probability
                    probability = 1.0 if declared is None else declared
                    break
            hit = self.ctx.rng.random() < probability
            for path, rules in pattern.items():
                if path in event:
                    continue
                value = witness(path, list(rules), hit)
                if value is not _ABSENT:
                    event[path] = value
        return event

    # ------------------------------------------------------------------ deliveries

    def _op(self, target: str, step: int | None, call: Call | None) -> str:
        if step is not None and call is not None and call.trace.flow is not None:
            op: str = call.trace.flow.steps[step].op
            return op
        found = self._ops.get(target)
        if found is None:
            edge = self.ctx.model.declared_edge(self.ctx.node_id, target)
            found = self._ops[target] = edge.operations[0] if edge is not None else "Deliver"
        return found

    def _deliver(
        self,
        origin: Call | None,
        rule: EventRule,
        target: EventTarget,
        event: dict[str, Any],
        step: int | None,
        wait_ms: float,
        weight: float = 1.0,
    ) -> None:
        self.deliveries += 1
        delivery = _Delivery(
            f"{self.ctx.node_id}:d{self.deliveries}",
            origin,
            rule,
            target,
            event,
            step,
            self._op(target.target, step, origin),
            self.ctx.now,
            weight,
        )
        if origin is None:
            delivery.trace = self.ctx.new_trace()
        self.pending[delivery.id] = delivery
        self.ctx.after(wait_ms, self._attempt, delivery)

    def _while_out(self, then: Callable[[_Delivery], None], delivery: _Delivery) -> bool:
        """A bus that is out delivers nothing: its pending deliveries wait for it, their
        retry attempts unspent (AWS keeps the events; their age still counts)."""
        if not self.ctx.faults.down:
            return False
        self.ctx.after(OUT_WAIT_MS, then, delivery)
        return True

    def _attempt(self, delivery: _Delivery) -> None:
        if self._while_out(self._attempt, delivery):
            return
        if not self.invoke_bucket.take(self.ctx.now):
            self.figures["throttled_invocations"] += 1
            self.ctx.emit("ThrottledRules", delivery.weight)
            self._retry(delivery)
            return
        delivery.in_flight = True
        payload = {"event": dict(delivery.event), "rule": delivery.rule.id}
        self.ctx.call(
            delivery.origin,
            delivery.target.target,
            delivery.op,
            lambda done: self._answered(delivery, done),
            trace=delivery.trace,
            step=delivery.step if delivery.attempt == 0 else None,
            payload=payload,
        )

    def _answered(self, delivery: _Delivery, done: Call) -> None:
        delivery.in_flight = False
        if done.error is None:
            self.pending.pop(delivery.id, None)
            self.figures["delivered"] += 1
            self.ctx.emit("Invocations", delivery.weight)
            return
        if done.error.startswith(NOT_RETRIED):
            self._give_up(delivery)
            return
        self._retry(delivery)

    def _retry(self, delivery: _Delivery) -> None:
        policy = delivery.target.retry_policy
        delivery.attempt += 1
        if delivery.attempt > policy.maximum_retry_attempts:
            self._give_up(delivery)
            return
        wait_ms = backoff_s(delivery.attempt, self.ctx.rng.random()) * 1000
        left_ms = delivery.put_at + policy.maximum_event_age_s * 1000 - self.ctx.now
        if wait_ms > left_ms:  # the event is too old by then: it expires first
            self.ctx.after(max(0.0, left_ms), self._give_up, delivery)
            return
        self.figures["retries"] += 1
        self.ctx.after(wait_ms, self._attempt, delivery)

    def _give_up(self, delivery: _Delivery) -> None:
        if self._while_out(self._give_up, delivery):
            return
        self.pending.pop(delivery.id, None)
        dlq = delivery.target.dead_letter_queue
        if dlq is not None:
            self.figures["dead_lettered"] += 1
            self.ctx.emit("DeadLetterInvocations", delivery.weight)
            self.ctx.call(
                delivery.origin, dlq, "Redrive", _noop, trace=delivery.trace, payload=None
            )
            return
        self.figures["dropped"] += 1
        self.ctx.emit("Invocations", delivery.weight)
        self.ctx.emit("FailedInvocations", delivery.weight)

    # ------------------------------------------------------------------ reports

    def accounting(self) -> tuple[DeliveryBooks, ...]:
        figures = self.figures
        in_flight = sum(1 for d in self.pending.values() if d.in_flight)
        targets = sorted({t.target for rule in self.rules for t in rule.targets})
        return (
            DeliveryBooks(
                source=self.ctx.node_id,
                sent=self.deliveries,
                delivered=figures["delivered"],
                dead_lettered=figures["dead_lettered"],
                pending=len(self.pending),
                in_flight=in_flight,
                lost=figures["dropped"],
                targets=tuple(targets),
            ),
        )

    def summary(self) -> dict[str, Any]:
        figures = self.figures
        return {
            "bus": {
                key: figures[key]
                for key in (
                    "entries",
                    "throttled_put_events",
                    "matched_events",
                    "triggered_rules",
                    "scheduled",
                )
            },
            **({"missed_schedules": self.missed_schedules} if self.missed_schedules else {}),
            "deliveries": {
                "sent": self.deliveries,
                "delivered": figures["delivered"],
                "retries": figures["retries"],
                "throttled": figures["throttled_invocations"],
                "dead_lettered": figures["dead_lettered"],
                "dropped": figures["dropped"],
                "pending": len(self.pending),
            },
        }
