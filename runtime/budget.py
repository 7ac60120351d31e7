"""What a run will cost, estimated before it starts, and the budget it must fit in.

A run's time is its kernel events, and its memory grows with them, so one budget in events
(``--max-events``) bounds both: a run whose estimate is over it is refused at once, with the
numbers and the ways out, instead of running for hours or dying of ``MemoryError``.

The estimate is an upper bound of the mean, built from the model alone (measured against the
reference and test scenarios, whose real counts it exceeds by 2 to 5 times):

- sessions: the scenario's rate × scale × the exact integral of its traffic shape;
- calls per session: each journey's flows weighted by the funnel, a flow counting all its
  steps (a conditional one at its probability, else as always taken), and each asynchronous
  step setting off the largest triggered work of any flow (a queue consumer's steps);
- attack requests: the rate × scale × the attack window, each making the calls below the
  attacked step;
- events: calls × ``EVENTS_PER_CALL`` (measured 1.4 to 1.9 events per call, the rest is
  margin for retries and timeouts) plus background work (metric periods, health checks,
  idle pollers) per simulated second;
- memory: a base, ``BYTES_PER_EVENT`` per event (measured about 50), and the objects a run
  creates whatever its traffic: attack sources (an RNG stream each), EC2 instances (the
  fleets' scaled maximum), the items and edge caches.

Memory is priced against the same budget: a run may use what ``max_events`` events would.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archgen.model.base import MAX_FACTOR, MAX_SECONDS
from archgen.model.flows import FlowPlan
from archgen.model.schema import MAX_SEED, Model, Scenario
from archgen.runtime.run import RunError

DEFAULT_MAX_EVENTS = 20_000_000
"""A few minutes of simulation and about 2 GiB: ten times the reference model's biggest
scenario (the busiest, about a million events) and far above every test model's."""
EVENTS_PER_CALL = 3
BACKGROUND_EVENTS_PER_NODE_PER_S = 1.0
BACKGROUND_EVENTS_PER_WORKER_PER_S = 0.5
"""Health checks of one EC2 instance (at most every 5 s), idle long polls of one Lambda
poller (every 20 s): a few events each."""
BASE_BYTES = 128 * 2**20
BYTES_PER_EVENT = 100
BYTES_PER_ATTACK_SOURCE = 4 * 2**10
BYTES_PER_INSTANCE = 2 * 2**10
BYTES_PER_ITEM = 64
BYTES_PER_CACHED_OBJECT = 256


class OverBudgetError(RunError):
    """The run's estimated cost is over the budget; nothing was simulated or written (bad
    input, wherever it surfaces: a run, a check, a site build)."""


@dataclass(frozen=True)
class Estimate:
    """Upper-bound estimate of a run's cost."""

    sessions: float
    calls: float
    events: int
    memory_bytes: int
    fixed_objects: int
    """Attack sources and instances: created whatever the traffic."""


def memory_allowed(max_events: int) -> int:
    """The memory a budget of ``max_events`` events allows."""
    return BASE_BYTES + max_events * BYTES_PER_EVENT


def check_inputs(
    scale: float | None = None, duration_s: float | None = None, seed: int | None = None
) -> None:
    """Refuse ``--scale``, ``--duration`` or ``--seed`` outside the schema's ranges (NaN and
    infinities included), with the same bounds as a model's scenario."""
    if scale is not None and not 0 < scale <= MAX_FACTOR:
        raise RunError(f"--scale: must be above 0 and at most {MAX_FACTOR:,} (got {scale:g})")
    if duration_s is not None and not 0 < duration_s <= MAX_SECONDS:
        raise RunError(
            f"--duration: must be above 0 and at most {MAX_SECONDS:,} s, a week "
            f"(got {duration_s:g})"
        )
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise RunError(f"--seed: must be between 0 and 2**63 - 1 (got {seed})")


def check_budget(
    model: Model,
    scenario: Scenario,
    *,
    seed: int,
    scale: float,
    duration_s: float,
    max_events: int | None = None,
    lower: str = "--scale or --duration",
    can_override: bool = True,
) -> Estimate:
    """The run's estimate; raise :class:`OverBudgetError` when it is over ``max_events``
    (default :data:`DEFAULT_MAX_EVENTS`) or needs more memory than that budget allows.

    ``lower`` names what the user can lower; ``can_override`` says whether the command takes
    ``--max-events``."""
    check_inputs(scale, duration_s, seed)
    budget = DEFAULT_MAX_EVENTS if max_events is None else max_events
    cost = estimate(model, scenario, scale=scale, duration_s=duration_s)
    # The budget a run needs: its events, or the events its memory is worth if more.
    needed = max(cost.events, math.ceil((cost.memory_bytes - BASE_BYTES) / BYTES_PER_EVENT))
    if needed <= budget:
        return cost
    ways_out = f"lower {lower}"
    if can_override:
        ways_out += f", or pass --max-events {_round_up(needed)} to run it anyway"
    if cost.events > budget:
        raise OverBudgetError(
            f"scenario '{scenario.id}' would take about {cost.events:,} events "
            f"(≈ {_size(cost.memory_bytes)} of memory), over the budget of {budget:,} events: "
            f"{ways_out}"
        )
    raise OverBudgetError(
        f"scenario '{scenario.id}' would need about {_size(cost.memory_bytes)} of memory "
        f"for {cost.events:,} events, {cost.fixed_objects:,} simulated instances and attack "
        f"sources and {scenario.traffic.items.count:,} items, over the "
        f"{_size(memory_allowed(budget))} that the budget of {budget:,} events allows: "
        f"{ways_out}"
    )


def check_scenarios(
    model: Model,
    scenario_ids: Iterable[str],
    max_events: int | None = None,
    *,
    can_override: bool = True,
    sample: Callable[[Scenario], float] | None = None,
    scale: float | None = None,
    duration_s: float | None = None,
    lower: str = "the scenario's scale or duration_s",
) -> None:
    """Refuse, before anything runs, when one of the scenarios is over the budget (for
    commands that run several: ``check``, the site), each at ``scale`` and ``duration_s``
    when given, else as written; a hybrid run is priced at the share of it that is traced,
    ``sample(scenario)``."""
    check_inputs(scale, duration_s)
    for scenario_id in scenario_ids:
        scenario = model.scenario(scenario_id)
        share = 1.0 if sample is None else sample(scenario)
        check_budget(
            model,
            scenario,
            seed=scenario.seed,
            scale=(scenario.scale if scale is None else scale) * share,
            duration_s=scenario.duration_s if duration_s is None else duration_s,
            max_events=max_events,
            lower=lower,
            can_override=can_override,
        )


def estimate(model: Model, scenario: Scenario, *, scale: float, duration_s: float) -> Estimate:
    """Upper-bound estimate of a run of ``scenario`` (see the module's docstring)."""
    traffic = scenario.traffic
    sessions = traffic.sessions_per_s * scale * traffic.shape.integral(duration_s)
    per_journey = journey_calls(model)
    total_weight = sum(traffic.mix.values())
    per_session = sum(
        weight * per_journey.get(journey, 0.0) for journey, weight in traffic.mix.items()
    ) / max(total_weight, 1e-300)
    calls = sessions * per_session
    attack = traffic.attack
    sources = 0
    if attack is not None:
        window = max(0.0, min(attack.end_s or duration_s, duration_s) - attack.start_s)
        calls += attack.requests_per_s * scale * window * attack_calls(model, attack.target)
        sources = max(1, round(attack.sources * scale))
    instances = 0
    workers = 0
    cached = 0
    from archgen.runtime.behaviors import load_registry

    behaviors = load_registry()
    for node in model.nodes:
        behavior = behaviors.get(node.kind)
        if behavior is None:
            continue
        footprint = behavior.footprint(node.params, scale, traffic.items.count)
        instances += footprint.instances
        workers += footprint.workers
        cached += footprint.cached_objects
    background = duration_s * (
        len(model.nodes) * BACKGROUND_EVENTS_PER_NODE_PER_S
        + workers * BACKGROUND_EVENTS_PER_WORKER_PER_S
    )
    events = math.ceil(calls * EVENTS_PER_CALL + background)
    memory = (
        BASE_BYTES
        + events * BYTES_PER_EVENT
        + sources * BYTES_PER_ATTACK_SOURCE
        + instances * BYTES_PER_INSTANCE
        + traffic.items.count * BYTES_PER_ITEM
        + cached * BYTES_PER_CACHED_OBJECT
    )
    return Estimate(sessions, calls, events, memory, sources + instances)


def hybrid_sample(model: Model, scenario: Scenario, *, scale: float, duration_s: float) -> float:
    """The share of sessions a hybrid run traces when ``--sample`` is not given: what keeps
    the traced part under :data:`~archgen.runtime.fluid.MAX_SAMPLE_EVENTS` events (all of
    them when the whole run is that small), rounded down to two significant digits."""
    return sample_for(estimate(model, scenario, scale=scale, duration_s=duration_s).events)


def sample_for(events: int, budget: int | None = None) -> float:
    """The share of a run of ``events`` estimated events that keeps under ``budget``
    (default :data:`~archgen.runtime.fluid.MAX_SAMPLE_EVENTS`; see :func:`hybrid_sample`)."""
    from archgen.runtime.fluid import MAX_SAMPLE_EVENTS

    budget = MAX_SAMPLE_EVENTS if budget is None else budget
    if events <= budget:
        return 1.0
    share = budget / events
    digits = 10 ** (math.floor(math.log10(share)) - 1)
    return max(float(f"{math.floor(share / digits) * digits:.2g}"), 1e-9)


def journey_calls(model: Model) -> dict[str, float]:
    """Calls one session of each journey makes, the funnel's drop-offs applied."""
    from archgen.model.flows import compile_flow

    plans = {flow.id: compile_flow(model, flow) for flow in model.flows}
    triggered = max(
        (
            sum(_subtree(plan, root) for roots in plan.triggered.values() for root in roots)
            for plan in plans.values()
        ),
        default=0,
    )
    result: dict[str, float] = {}
    for journey in model.journeys:
        reach = 1.0
        total = 0.0
        for step in journey.flows:
            reach *= step.probability
            plan = plans.get(step.flow)
            if plan is not None:
                total += reach * _flow_calls(plan, triggered)
        result[journey.id] = total
    return result


def _flow_calls(plan: FlowPlan, triggered: int) -> float:
    calls = 0.0
    for step in plan.steps:
        calls += 1.0 if step.probability is None else step.probability
        if step.is_async:
            calls += triggered
    return calls


def _subtree(plan: FlowPlan, index: int) -> int:
    return 1 + sum(_subtree(plan, child) for child in plan.steps[index].children)


def attack_calls(model: Model, target: str) -> int:
    """Calls one attack request makes: the attacked node's largest subtree in any flow."""
    from archgen.model.flows import compile_flow

    best = 1
    for flow in model.flows:
        plan = compile_flow(model, flow)
        for step in plan.steps:
            if step.target == target:
                best = max(best, _subtree(plan, step.index))
    return best


def _round_up(events: int) -> int:
    """``events`` rounded up to two significant digits, for a flag to copy."""
    if events < 100:
        return events
    step: int = 10 ** (len(str(events)) - 2)
    return -(-events // step) * step


def _size(count: int) -> str:
    for unit, factor in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if count >= factor:
            return f"{count / factor:,.1f} {unit}"
    return f"{count / 2**10:,.1f} KiB"
