"""Flows compiled into call trees, once per run.

Nesting rule (runtime contract): a step belongs to the most recent earlier step whose
target is the step's source. Steps without a parent are *top-level* calls when their source
is a client, and *triggered roots* of their source otherwise (they run when that node is
triggered asynchronously, e.g. a Lambda consuming a queue).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archgen.model.kind import Capability
from archgen.model.registry import has
from archgen.model.schema import Flow, Mode, Model


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


@dataclass(frozen=True, slots=True)
class FlowPlan:
    id: str
    user_facing: bool
    steps: tuple[StepPlan, ...]
    top: tuple[int, ...]
    triggered: dict[str, tuple[int, ...]] = field(default_factory=dict)


def compile_flow(model: Model, flow: Flow) -> FlowPlan:
    clients = {node.id for node in model.nodes if has(node.kind, Capability.traffic_source)}
    parents: list[int | None] = []
    for index, step in enumerate(flow.steps):
        parent = None
        for earlier in range(index - 1, -1, -1):
            if flow.steps[earlier].target == step.source:
                parent = earlier
                break
        parents.append(parent)
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
    steps = []
    for index, step in enumerate(flow.steps):
        edge = model.edge(step.source, step.target)
        is_async = (
            step.is_async
            if step.is_async is not None
            else (edge is not None and edge.mode is Mode.async_)
        )
        steps.append(
            StepPlan(
                index,
                step.source,
                step.target,
                step.op,
                step.when,
                step.probability,
                is_async,
                tuple(children[index]),
                step.key,
            )
        )
    return FlowPlan(
        flow.id,
        flow.user_facing,
        tuple(steps),
        tuple(top),
        {node: tuple(indexes) for node, indexes in sorted(triggered.items())},
    )


def compile_flows(model: Model) -> dict[str, FlowPlan]:
    return {flow.id: compile_flow(model, flow) for flow in model.flows}
