"""SageMaker real-time endpoint serving a real item-to-item recommender.

Rules (SageMaker Developer Guide: real-time inference, instance concurrency):
- ``instances`` × ``concurrency_per_instance`` requests (scaled, time-shared) run at once,
  each taking ``inference``; more wait in a queue of 8 per slot, beyond it ``ThrottlingException``.
- The model is real (:mod:`archgen.runtime.recommender`): trained at start on the history of
  past users (generated from the run's seed and the scenario's ``items``), retrained
  every 5 simulated minutes on the run's own sessions (four in five; the fifth is held out),
  and asked for ``top_k`` items for the session's clicks so far. Each answer records
  whether the user's next click is among them (online hit rate).
- Metrics (``AWS/SageMaker``): ``Invocations`` per request, ``Invocation4XXErrors`` (a
  throttle) and ``Invocation5XXErrors`` (an outage), ``ModelLatency`` (microseconds) of
  each inference.
- The summary reports hit-rate@k on the held-out sessions against the most-popular
  baseline, both trained on the same data.
- Hybrid fidelity (:mod:`archgen.runtime.fluid`): the slots (× the system's scale) are an
  M/M/c pool with 8 waiting places per slot, loaded by the whole traffic: a traced request
  waits what ErlangC (or the fluid backlog) says, or is throttled past the waiting room.
Left out: autoscaling of endpoint instances, multi-model endpoints.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

from archgen.model.kinds import SageMakerParams
from archgen.runtime.aws.operations import is_client_error
from archgen.runtime.behavior import Behavior, Call, NodeContext, register
from archgen.runtime.fluid import FluidPool

if TYPE_CHECKING:
    from archgen.runtime.recommender import CooccurrenceRecommender, Users
    from archgen.runtime.services import Services

HISTORY_SESSIONS = 4000
RETRAIN_MS = 300_000.0
QUEUE_PER_SLOT = 8
HOLD_OUT = 5  # every 5th session is held out for evaluation


def users_for(ctx: NodeContext) -> Users:
    """The run's items and users, shared by every endpoint (built once per run)."""
    return ctx.services.once(_build_users)


def _build_users(services: Services) -> Users:
    from archgen.runtime.recommender import Users, build_items

    seed = services.seed
    return Users(build_items(services.scenario.traffic.items, seed), seed)


@register("sagemaker_endpoint")
class SageMakerEndpoint(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        node = ctx.node
        assert isinstance(node.params, SageMakerParams)
        params = node.params
        self.shared = ctx.scaled_slots("slots", params.instances * params.concurrency_per_instance)
        self.slots = max(1, self.shared.ceiling)  # most at once; sizes the queue
        real = params.instances * params.concurrency_per_instance
        self.fluid: FluidPool | None = ctx.pool("slots_pool", real)
        if self.fluid is not None:
            self.fluid.queue_limit = max(1, self.fluid.servers) * QUEUE_PER_SLOT
        self.waking = False
        self.inference = ctx.sampler(params.inference)
        self.top_k = params.top_k
        self.busy = 0
        self.waiting: deque[Call] = deque()
        self.requests = 0
        self.throttled = 0
        self.online_hits = 0
        self.online_cases = 0
        self.position: dict[int, int] = {}  # session -> clicks seen so far
        self.train_ids: list[int] = []
        self.test_ids: list[int] = []
        self.trained_on = 0
        self.users = users_for(ctx)
        self.model = self._fit([])

    def _fit(self, run_sessions: list[int]) -> CooccurrenceRecommender:
        from archgen.runtime.recommender import CooccurrenceRecommender

        users = self.users
        history = [users.clicks(-1 - i) for i in range(HISTORY_SESSIONS)]
        history.extend(users.clicks(s) for s in run_sessions)
        self.trained_on = len(history)
        return CooccurrenceRecommender(users.items.count).fit(history)

    def start(self) -> None:
        self.ctx.after(RETRAIN_MS, self._retrain)

    def _retrain(self, _: Any) -> None:
        if self.train_ids:
            self.model = self._fit(sorted(self.train_ids))
        self.ctx.after(RETRAIN_MS, self._retrain)

    def handle(self, call: Call) -> None:
        self.requests += 1
        if self.fluid is not None:
            trace = call.trace
            session = trace.session
            wait = self.fluid.offer(self.ctx.now, session.born, trace.flow_id, session.attack)
            if wait is None:
                self.throttled += 1
                self.ctx.fail(call, "ThrottlingException")
            elif wait > 0:
                self.ctx.after(wait, self._begin, call)
            else:
                self._begin(call)
            return
        if not self.waiting and self.shared.take(self.ctx.now):
            self._begin(call)
        elif len(self.waiting) < self.slots * QUEUE_PER_SLOT:
            self.waiting.append(call)
            self._wake_later()
        else:
            self.throttled += 1
            self.ctx.fail(call, "ThrottlingException")

    def _begin(self, call: Call) -> None:
        self.busy += 1
        inference = self.inference()
        self.ctx.emit("ModelLatency", inference * 1000.0)  # microseconds, as AWS publishes it
        if self.fluid is not None:
            # the slot is held for the inference alone
            self.fluid.release(inference, attack=call.trace.session.attack)
        self.ctx.after(inference, self._answer, call)

    def completed(self, call: Call) -> None:
        emit = self.ctx.emit
        emit("Invocations", 1)
        if call.error is not None:
            emit("Invocation4XXErrors" if is_client_error(call.error) else "Invocation5XXErrors", 1)

    def _wake_later(self) -> None:
        """A time-shared slot out of credit takes waiting calls once it has credit again."""
        if not self.waking and self.busy < self.shared.ceiling:
            now = self.ctx.now
            at = self.shared.free_at_ms(now)
            if at != math.inf:
                self.waking = True
                self.ctx.after(at - now, self._wake)

    def _wake(self, _: Any = None) -> None:
        self.waking = False
        while self.waiting and self.shared.take(self.ctx.now):
            self._begin(self.waiting.popleft())
        if self.waiting:
            self._wake_later()

    def _answer(self, call: Call) -> None:
        self.busy -= 1
        if self.fluid is None:
            self.shared.give(self.ctx.now)
            self._wake()
        self._recommend(call)
        self.ctx.run_children(call, self.ctx.finish)

    def _recommend(self, call: Call) -> None:
        session = call.trace.session.id
        if session not in self.position:
            self.position[session] = 0
            (self.test_ids if session % HOLD_OUT == 0 else self.train_ids).append(session)
        clicks = self.users.clicks(session)
        seen = min(self.position[session] + 1, len(clicks))
        self.position[session] = seen
        items = self.model.recommend(clicks[:seen], self.top_k)
        call.payload = items
        if seen < len(clicks):
            hit = clicks[seen] in items
            self.online_cases += 1
            self.online_hits += hit
            call.note("next_click_recommended", hit)

    def summary(self) -> dict[str, Any]:
        from archgen.runtime.recommender import evaluate

        users = self.users
        history = [users.clicks(-1 - i) for i in range(HISTORY_SESSIONS)]
        train = history + [users.clicks(s) for s in sorted(self.train_ids)]
        test = [users.clicks(s) for s in sorted(self.test_ids)]
        if len(test) < 200:  # too few users reached the endpoint: hold out past ones too
            extra = range(HISTORY_SESSIONS, HISTORY_SESSIONS + 1000)
            test += [users.clicks(-1 - i) for i in extra]
        evaluation = evaluate(train, test, users.items.count, self.top_k)
        cases = self.online_cases
        return {
            "endpoint": {
                "slots": self.slots,
                "requests": self.requests,
                "throttled": self.throttled,
                "queued_at_end": len(self.waiting),
            },
            "recommender": {
                **evaluation.as_dict(),
                "held_out_sessions": len(self.test_ids),
                "online_hit_rate": round(self.online_hits / cases, 6) if cases else None,
                "online_cases": cases,
            },
        }
