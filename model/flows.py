"""Flows compiled into call trees: the one reading of a flow's steps.

The runtime runs these plans, check compares spans with them, the step views and the site
number and nest steps by them, and the run budget counts their calls; so the rules below
live here once (runtime contract):

- *Nesting*: a step belongs to the most recent earlier step whose target is the step's
  source. Steps without a parent are *top-level* calls when their source is a traffic
  source (a client), and *triggered roots* of their source otherwise: they run when that
  node is triggered asynchronously (a Lambda consuming a queue).
- *Async*: a step is asynchronous when it says so (``async:``), else when its edge is
  (``mode: async``); see :func:`step_is_async`.
- *Continuation*: a node triggered asynchronously runs its triggered roots in the flow that
  triggered it when that flow declares some, else in the first flow (model order) that
  does; see :class:`Continuations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from archgen.model.kind import Capability
from archgen.model.registry import has
from archgen.model.schema import Flow, Model, Step


@dataclass(frozen=True, slots=True)
class StepPlan:
    index: int
    source: str
    target: str
    op: str
    when: str | None
    probability: float | None
    is_async: bool
    children: tuple[int, ...]
    key: str | None = None  # the step's key expression (``Step.key``), None: the default
    parent: int | None = None  # index of the step it nests under; None: a root


@dataclass(frozen=True, slots=True)
class FlowPlan:
    id: str
    user_facing: bool
    steps: tuple[StepPlan, ...]
    top: tuple[int, ...]
    triggered: dict[str, tuple[int, ...]] = field(default_factory=dict)


def step_parents(flow: Flow) -> tuple[int | None, ...]:
    """For each step, the index of the step it nests under (None: a root)."""
    parents: list[int | None] = []
    for index, step in enumerate(flow.steps):
        parent = None
        for earlier in range(index - 1, -1, -1):
            if flow.steps[earlier].target == step.source:
                parent = earlier
                break
        parents.append(parent)
    return tuple(parents)


def step_is_async(model: Model, step: Step) -> bool:
    """The step's own ``async:``, else its edge's mode (a step on no edge: sync)."""
    if step.is_async is not None:
        return step.is_async
    edge = model.declared_edge(step.source, step.target)
    return edge is not None and edge.is_async


def compile_flow(model: Model, flow: Flow) -> FlowPlan:
    clients = {node.id for node in model.nodes if has(node.kind, Capability.traffic_source)}
    parents = step_parents(flow)
    children: dict[int, list[int]] = {index: [] for index in range(len(flow.steps))}
    top: list[int] = []
    triggered: dict[str, list[int]] = {}
    for index, (step, parent) in enumerate(zip(flow.steps, parents, strict=True)):
        if parent is not None:
            children[parent].append(index)
        elif step.source in clients:
            top.append(index)
        else:
            triggered.setdefault(step.source, []).append(index)
    steps = tuple(
        StepPlan(
            index,
            step.source,
            step.target,
            step.op,
            step.when,
            step.probability,
            step_is_async(model, step),
            tuple(children[index]),
            step.key,
            parents[index],
        )
        for index, step in enumerate(flow.steps)
    )
    return FlowPlan(
        flow.id,
        flow.user_facing,
        steps,
        tuple(top),
        {node: tuple(indexes) for node, indexes in sorted(triggered.items())},
    )


def compile_flows(model: Model) -> dict[str, FlowPlan]:
    return {flow.id: compile_flow(model, flow) for flow in model.flows}


class Continuations:
    """Which flow a node triggered asynchronously goes on with: the triggering flow when it
    declares triggered roots from the node, else the first flow (model order) that does;
    None when no flow does. ``node`` is an original (flows name originals)."""

    __slots__ = ("_first",)

    def __init__(self, plans: Mapping[str, FlowPlan]) -> None:
        self._first: dict[str, FlowPlan] = {}
        for plan in plans.values():
            for node in plan.triggered:
                self._first.setdefault(node, plan)

    def __call__(self, origin: FlowPlan | None, node: str) -> FlowPlan | None:
        if origin is not None and node in origin.triggered:
            return origin
        return self._first.get(node)


@dataclass(frozen=True)
class SloScope:
    """The SLOs that judge one scenario's run, and those that do not (declared for other
    scenarios only): a reader must never take "no finding" for "every SLO met"."""

    in_scope: tuple[Flow, ...]
    out_of_scope: tuple[Flow, ...]


def slo_scope(model: Model, scenario_id: str) -> SloScope:
    """Flows whose SLO the scenario's check evaluates, and the others with an SLO (model order)."""
    with_slo = [flow for flow in model.flows if flow.slo is not None]
    return SloScope(
        tuple(
            flow for flow in with_slo if flow.slo is not None and flow.slo.applies_to(scenario_id)
        ),
        tuple(
            flow
            for flow in with_slo
            if flow.slo is not None and not flow.slo.applies_to(scenario_id)
        ),
    )
