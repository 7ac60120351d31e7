"""Step Functions state machine: executions run the definition's states; Task states call
the model's nodes through the declared edges, with Retry and Catch.

Rules (Step Functions Developer Guide: standard vs express workflows, error handling,
quotas):
- ``StartExecution`` takes a token from a bucket (standard: 300 per second refilling
  1,300; express: 6,000; scaled); an empty bucket answers ``ThrottlingException``
  (``ExecutionThrottled``). ``StartExecution`` is answered after its ``latency`` (the
  execution has started by then);
  ``StartSyncExecution`` (express) when it ended, with its error if it failed.
- An execution starts at the first state. Each state takes ``transition`` and opens a
  span (``State <name>``) under the execution's call, so every state shows as a child.
  A Task calls its ``resource`` with its ``operation`` through the declared edge, as a
  child of the state's span (the first attempt as the flow step nested under the start
  that targets that node and operation); Choice takes a branch with its probability,
  else ``default`` (``States.NoChoiceMatched`` without one); Parallel runs its branches
  at once and goes on when all ended (the first error is the state's); Wait waits
  ``wait_s``; Pass goes on; Succeed ends the execution (or branch); Fail ends it with
  ``error``.
- A Task (or Parallel) error is matched against ``retry`` entry by entry: the first retrier
  whose ``error_equals`` names it (``States.ALL``: any; ``States.TaskFailed``: any but
  ``States.Timeout``) retries after ``interval_s × backoff_rate^(n−1)`` until its
  ``max_attempts``; then the first matching ``catch`` goes on with its ``next`` state;
  otherwise the execution fails with the error. A Task over its ``timeout_s`` fails with
  ``States.Timeout`` (the late answer is dropped).
- Standard executions run each Task call exactly once per attempt and may last a year
  (``timeout_s``); express ones stop at 300 s (``States.Timeout``) and are at-least-once:
  a share ``duplicate_rate`` of their Task calls is made twice.
- Metrics (``AWS/States``): ``ExecutionsStarted``, ``ExecutionsSucceeded``,
  ``ExecutionsFailed`` (timeouts included), ``ExecutionThrottled``, ``ExecutionTime``.
  The summary counts state transitions (retries included: what a standard workflow
  bills) and an express execution's billed time (rounded up to 100 ms).
Left out: input and output processing (paths, ResultSelector), Map states, activities,
``.sync`` and ``.waitForTaskToken`` patterns, the execution history quota, redrive.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from archgen.model.kinds.stepfunctions import (
    EXPRESS_MAX_S,
    STANDARD_MAX_S,
    State,
    StateType,
    StepFunctionsParams,
    WorkflowType,
)
from archgen.runtime.aws.token_bucket import TokenBucket
from archgen.runtime.behavior import Behavior, Call, NodeContext, register

THROTTLED = "ThrottlingException"
TIMEOUT = "States.Timeout"
BILLED_STEP_MS = 100.0
"""Express executions are billed in steps of 100 ms."""
QUOTAS = {WorkflowType.standard: (300.0, 1_300), WorkflowType.express: (6_000.0, 6_000)}
"""StartExecution (refill per second, bucket) in the largest Regions."""

End = Callable[[str | None], None]


def _noop(_: Any) -> None:
    return None


def matches(names: tuple[str, ...], error: str) -> bool:
    """Whether an ``ErrorEquals`` list names ``error``."""
    if error in names or "States.ALL" in names:
        return True
    return "States.TaskFailed" in names and error != TIMEOUT


class _Execution:
    __slots__ = ("call", "over", "started", "steps", "sync", "transitions")

    def __init__(self, call: Call, steps: dict[tuple[str, str], list[int]], sync: bool) -> None:
        self.call = call
        self.steps = steps
        self.sync = sync
        self.started = 0.0
        self.over = False
        self.transitions = 0


class _Run:
    """One run of one state: its span, and the attempts its retriers made."""

    __slots__ = ("attempts", "done", "execution", "span", "state")

    def __init__(self, execution: _Execution, state: State, span: Call, done: End) -> None:
        self.execution = execution
        self.state = state
        self.span = span
        self.done = done
        self.attempts = [0] * len(state.retry)


@register("stepfunctions")
class StepFunctions(Behavior):
    def __init__(self, ctx: NodeContext) -> None:
        super().__init__(ctx)
        params = ctx.node.params
        assert isinstance(params, StepFunctionsParams)
        self.params = params
        self.states = {state.id: state for state in params.states}
        self.first = params.states[0].id if params.states else None
        rate, burst = QUOTAS[params.workflow_type]
        rate = ctx.scaled_rate("start_rate_per_s", params.start_rate_per_s or rate)
        size = max(1.0, round((params.start_burst or burst) * ctx.scale))
        self.bucket = TokenBucket(rate, size)
        express = params.workflow_type is WorkflowType.express
        limit = EXPRESS_MAX_S if express else STANDARD_MAX_S
        self.max_ms = min(params.timeout_s or limit, limit) * 1000.0
        self.duplicate_rate = params.duplicate_rate if express else 0.0
        self.transition = ctx.sampler(params.transition)
        self.latency = ctx.sampler(params.latency)
        self.figures = dict.fromkeys(
            (
                "started",
                "succeeded",
                "failed",
                "timed_out",
                "throttled",
                "transitions",
                "retries",
                "caught",
                "duplicates",
                "billed_ms",
            ),
            0,
        )

    # ------------------------------------------------------------------ executions

    def handle(self, call: Call) -> None:
        if not self.bucket.take(self.ctx.now):
            self.figures["throttled"] += 1
            self.ctx.emit("ExecutionThrottled", 1)
            self.ctx.fail(call, THROTTLED)
            return
        sync = call.op == "StartSyncExecution"
        execution = _Execution(call, self._child_steps(call), sync)
        execution.started = self.ctx.now
        self.figures["started"] += 1
        self.ctx.emit("ExecutionsStarted", 1)
        self.ctx.after(self.max_ms, self._timeout, execution)
        if self.first is None:
            self._ended(execution, None)
            return
        self._chain(execution, self.first, lambda error: self._ended(execution, error))
        if not sync:
            self.ctx.after(self.latency(), self.ctx.finish, call)

    def _child_steps(self, call: Call) -> dict[tuple[str, str], list[int]]:
        plan = call.trace.flow
        if plan is None or call.step is None:
            return {}
        steps: dict[tuple[str, str], list[int]] = {}
        for index in plan.steps[call.step].children:
            child = plan.steps[index]
            steps.setdefault((child.target, child.op), []).append(index)
        return steps

    def _timeout(self, execution: _Execution) -> None:
        if not execution.over:
            self.figures["timed_out"] += 1
            self._ended(execution, TIMEOUT)

    def _ended(self, execution: _Execution, error: str | None) -> None:
        if execution.over:
            return
        execution.over = True
        took = self.ctx.now - execution.started
        self.ctx.emit("ExecutionTime", took)
        self.figures["billed_ms"] += int(math.ceil(took / BILLED_STEP_MS) * BILLED_STEP_MS)
        if error is None:
            self.figures["succeeded"] += 1
            self.ctx.emit("ExecutionsSucceeded", 1)
        else:
            self.figures["failed"] += 1
            self.ctx.emit("ExecutionsFailed", 1)
        if execution.sync:
            self.ctx.finish(execution.call, error)

    # ------------------------------------------------------------------ states

    def _chain(self, execution: _Execution, name: str, end: End) -> None:
        """Run from state ``name`` until a state without ``next`` (then ``end(None)``),
        a Succeed/Fail state or an uncaught error (``end(error)``)."""
        self.ctx.after(self.transition(), self._enter, (execution, name, end))

    def _enter(self, entry: tuple[_Execution, str, End]) -> None:
        execution, name, end = entry
        if execution.over:
            return
        state = self.states[name]
        execution.transitions += 1
        self.figures["transitions"] += 1
        span = self.ctx.open_span(execution.call, f"State {name}")
        span.note("type", state.type.value)

        def done(error: str | None, then: str | None = None) -> None:
            self.ctx.finish(span, error)
            if execution.over:
                return
            if error is not None and then is None:
                end(error)
            elif then is not None:
                self._chain(execution, then, end)
            elif state.next is not None and state.type is not StateType.succeed:
                self._chain(execution, state.next, end)
            else:
                end(None)

        run = _Run(execution, state, span, lambda error: self._settle(run, error, done))
        kind = state.type
        if kind is StateType.task:
            self._attempt(run, first=True)
        elif kind is StateType.choice:
            done(*self._choose(state))
        elif kind is StateType.parallel:
            self._parallel(run)
        elif kind is StateType.wait:
            self.ctx.after(state.wait_s * 1000.0, lambda _: done(None))
        else:
            done(state.error if kind is StateType.fail else None)

    def _choose(self, state: State) -> tuple[str | None, str | None]:
        draw = self.ctx.rng.random()
        total = 0.0
        for rule in state.choices:
            total += rule.probability
            if draw < total:
                return None, rule.next
        if state.default is not None:
            return None, state.default
        return "States.NoChoiceMatched", None

    def _settle(self, run: _Run, error: str | None, done: Callable[..., None]) -> None:
        """A Task or Parallel ended: go on, retry, catch, or fail."""
        if run.execution.over:
            self.ctx.finish(run.span, error)
            return
        if error is None:
            done(None)
            return
        state = run.state
        for index, retrier in enumerate(state.retry):
            if not matches(retrier.error_equals, error):
                continue
            if run.attempts[index] < retrier.max_attempts:
                run.attempts[index] += 1
                wait = retrier.interval_s * retrier.backoff_rate ** (run.attempts[index] - 1)
                self.figures["retries"] += 1
                self.figures["transitions"] += 1
                run.execution.transitions += 1
                run.span.note("retries", sum(run.attempts))
                self.ctx.after(wait * 1000.0, lambda _: self._again(run))
                return
            break  # the first matching retrier decides; it has run out
        for catcher in state.catch:
            if matches(catcher.error_equals, error):
                self.figures["caught"] += 1
                run.span.note("caught", error)
                done(error, catcher.next)
                return
        done(error)

    def _again(self, run: _Run) -> None:
        if run.execution.over:
            return
        if run.state.type is StateType.task:
            self._attempt(run, first=False)
        else:
            self._parallel(run)

    def _attempt(self, run: _Run, *, first: bool) -> None:
        state, execution = run.state, run.execution
        assert state.resource is not None
        op = state.operation or self._edge_op(state.resource)
        step = None
        if first:
            indexes = execution.steps.get((state.resource, op))
            step = indexes.pop(0) if indexes else None
        answered = [False]

        def answer(done_call: Call) -> None:
            if answered[0]:
                return
            answered[0] = True
            if done_call.error is None and self.ctx.rng.random() < self.duplicate_rate:
                self.figures["duplicates"] += 1
                self.ctx.call(run.span, state.resource or "", op, _noop, payload=None)
            run.done(done_call.error)

        if state.timeout_s is not None:

            def expire(_: Any) -> None:
                if not answered[0]:
                    answered[0] = True
                    run.done(TIMEOUT)

            self.ctx.after(state.timeout_s * 1000.0, expire)
        self.ctx.call(run.span, state.resource, op, answer, step=step)

    def _edge_op(self, target: str) -> str:
        edge = self.ctx.model.declared_edge(self.ctx.node_id, target)
        return edge.operations[0] if edge is not None else "Invoke"

    def _parallel(self, run: _Run) -> None:
        branches = run.state.branches
        left = [len(branches)]
        errors: list[str] = []

        def branch_end(error: str | None) -> None:
            if error is not None:
                errors.append(error)
            left[0] -= 1
            if left[0] == 0:
                run.done(errors[0] if errors else None)

        for start in branches:
            self._chain(run.execution, start, branch_end)

    # ------------------------------------------------------------------ reports

    def summary(self) -> dict[str, Any]:
        return {"executions": dict(self.figures)}
