"""Views computed from the model: which nodes, edges, clusters and steps a diagram shows.

Computing a view is a pure function of the model; renderers consume views, never the YAML.
Everything is sorted by id (flow steps keep their order), so the same model always gives
the same views, whatever the order of its lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol, TypeVar

from archgen.model.errors import InputError, did_you_mean
from archgen.model.flows import compile_flow
from archgen.model.graph import ancestors
from archgen.model.kind import Capability, EncryptableAtRest, Protects
from archgen.model.kinds import KINDS
from archgen.model.registry import kinds
from archgen.model.schema import AnyNode, Edge, Flow, GroupKind, Model
from archgen.renderers.groups import aws_boxes

ViewKind = Literal["overview", "region", "flow", "story_step", "security", "custom"]
Relation = Literal["call", "protects", "assumes", "encrypts"]

KIND_ORDER: tuple[ViewKind, ...] = (
    "overview",
    "region",
    "security",
    "story_step",
    "flow",
    "custom",
)
"""Order of views in :func:`compute_views`: the big picture first, then the details."""

OVERVIEW_TEXT = "Every node and every declared edge, by region, VPC and AZ."
SECURITY_TEXT = (
    "IAM roles and who assumes them, KMS keys and what they encrypt, Shield and WAF and "
    "what they protect."
)


class UnknownView(InputError):  # noqa: N818 - the name callers know
    """A view id that the model does not have (bad input)."""


@dataclass(frozen=True)
class ViewNode:
    id: str
    kind: str
    label: str
    group: str | None
    tags: tuple[str, ...] = ()
    description: str = ""
    icon: str = ""
    """``module:Class`` of the diagrams icon when the node's params choose one (an Aurora
    engine, an external's ``appearance``); empty: its kind's icon."""


@dataclass(frozen=True)
class ViewEdge:
    """An arrow. In a flow view there is one per step, numbered; otherwise one per edge."""

    id: str
    source: str
    target: str
    label: str
    relation: Relation = "call"
    is_async: bool = False
    step: int | None = None
    condition: str | None = None
    pulled: bool = False
    """The call goes the other way (``target`` polls ``source``): drawn as the data flows."""
    story_steps: tuple[int, ...] = ()
    """The story steps (``Flow.story_step``) whose flows make this call."""


@dataclass(frozen=True)
class ViewCluster:
    """A group drawn as a box; ``parent`` is the enclosing cluster (also in the view)."""

    id: str
    kind: str
    label: str
    parent: str | None
    public: bool = False
    """A public subnet (drawn green; a private one teal)."""


@dataclass(frozen=True)
class ViewStep:
    """A numbered flow step; ``parent`` is the step it is made during (runtime contract)."""

    number: int
    flow: str
    source: str
    target: str
    op: str
    is_async: bool
    when: str | None = None
    probability: float | None = None
    note: str = ""
    parent: int | None = None

    @property
    def condition(self) -> str | None:
        return condition_text(self.when, self.probability)


@dataclass(frozen=True)
class ComputedView:
    id: str
    title: str
    kind: ViewKind
    description: str
    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    clusters: tuple[ViewCluster, ...]
    steps: tuple[ViewStep, ...] = ()
    chapters: tuple[tuple[int, str], ...] = ()
    """The story's steps, numbered, with their flows' titles (the overview's legend)."""

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(node.id for node in self.nodes)

    def children(self, cluster_id: str | None) -> tuple[ViewCluster, ...]:
        return tuple(cluster for cluster in self.clusters if cluster.parent == cluster_id)

    def nodes_in(self, cluster_id: str | None) -> tuple[ViewNode, ...]:
        return tuple(node for node in self.nodes if node.group == cluster_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for JSON goldens, content hashes and the site)."""
        return asdict(self)


def condition_text(when: str | None, probability: float | None) -> str | None:
    if when is None and probability is None:
        return None
    chance = None if probability is None else f"p={probability:g}"
    if when is None:
        return chance
    return when if chance is None else f"{when} ({chance})"


# --------------------------------------------------------------------------- public API


def compute_views(model: Model) -> list[ComputedView]:
    """Every view of the model: overview, regions, security, story steps, flows, custom."""
    views = [_overview(model)]
    views += [
        _region(model, group.id)
        for group in _sorted(model.groups)
        if group.kind is GroupKind.region
    ]
    security = _security(model)
    if security.nodes:
        views.append(security)
    steps = sorted({flow.story_step for flow in model.flows if flow.story_step is not None})
    views += [_story_step(model, number) for number in steps]
    views += [_flow(model, flow) for flow in _sorted(model.flows)]
    views += [_custom(model, spec.id) for spec in _sorted(model.views)]
    return views


def view_ids(model: Model) -> list[str]:
    return [view.id for view in compute_views(model)]


def compute_view(model: Model, view_id: str) -> ComputedView:
    """One view by id; :class:`UnknownView` (with a did-you-mean) if there is none."""
    for view in compute_views(model):
        if view.id == view_id:
            return view
    raise UnknownView(f"unknown view '{view_id}'{did_you_mean(view_id, view_ids(model))}")


# --------------------------------------------------------------------------- the views


def _overview(model: Model) -> ComputedView:
    view = _assemble(
        model,
        view_id="overview",
        title=model.system.name,
        kind="overview",
        description=model.system.description or OVERVIEW_TEXT,
        members=[node.id for node in model.nodes],
        edges=_call_edges(model, model.edges),
    )
    return replace(view, chapters=_chapters(model))


def _chapters(model: Model) -> tuple[tuple[int, str], ...]:
    """Each story step's flows' titles, in model order (the site's home page says the same)."""
    titles: dict[int, list[str]] = {}
    for flow in model.flows:
        if flow.story_step is not None:
            titles.setdefault(flow.story_step, []).append(flow.title)
    return tuple((number, "; ".join(titles[number])) for number in sorted(titles))


def _story_steps(model: Model) -> dict[tuple[str, str], tuple[int, ...]]:
    """Which story steps use each (caller, callee) pair."""
    found: dict[tuple[str, str], set[int]] = {}
    for flow in model.flows:
        if flow.story_step is not None:
            for step in flow.steps:
                found.setdefault((step.source, step.target), set()).add(flow.story_step)
    return {pair: tuple(sorted(numbers)) for pair, numbers in found.items()}


def _region(model: Model, region_id: str) -> ComputedView:
    region = model.groups_by_id[region_id]
    inside = {node.id for node in model.nodes if _region_id(model, node) == region_id}
    # Global services (no region) that talk to the region are its entry points: keep them.
    neighbours = {
        other
        for edge in model.edges
        for here, other in ((edge.source, edge.target), (edge.target, edge.source))
        if here in inside and _region_id(model, model.node(other)) is None
    }
    members = inside | neighbours
    edges = [edge for edge in model.edges if edge.source in members and edge.target in members]
    title = f"Region {region.title}" + (f" ({region.code})" if region.code else "")
    return _assemble(
        model,
        view_id=f"region-{region_id}",
        title=title,
        kind="region",
        description=f"What runs in {region.title}, with the global services that reach it.",
        members=members,
        edges=_call_edges(model, edges),
    )


def _security(model: Model) -> ComputedView:
    members: set[str] = set()
    edges: list[ViewEdge] = []

    def relate(relation: Relation, source: str, target: str, label: str) -> None:
        members.update((source, target))
        edges.append(ViewEdge(f"{relation}:{source}->{target}", source, target, label, relation))

    for node in model.nodes:
        if kinds()[node.kind].has(Capability.security):
            members.add(node.id)
        if isinstance(node.params, Protects):
            for protected in node.params.protects:
                relate("protects", node.id, protected, "protects")
        if node.role is not None:
            relate("assumes", node.id, node.role, "assumes")
        key = node.params.kms_key if isinstance(node.params, EncryptableAtRest) else None
        if key is not None:
            relate("encrypts", key, node.id, "encrypts")
    for edge in model.edges:
        if edge.encrypted_with is not None:
            relate("encrypts", edge.encrypted_with, edge.target, "encrypts")
    calls = [
        edge
        for edge in model.edges
        if any(
            kinds()[model.node(end).kind].has(Capability.security)
            for end in (edge.source, edge.target)
        )
    ]
    for edge in calls:
        members.update((edge.source, edge.target))
    unique = {edge.id: edge for edge in edges}
    return _assemble(
        model,
        view_id="security",
        title="Security",
        kind="security",
        description=SECURITY_TEXT,
        members=members,
        edges=[*_call_edges(model, calls), *unique.values()],
    )


def _flow(model: Model, flow: Flow) -> ComputedView:
    steps = _steps(model, flow)
    edges = [
        ViewEdge(
            f"step-{step.number}",
            *_data_direction(model, step.source, step.target),
            f"{step.number}. {step.op}" + (f" [if {step.condition}]" if step.condition else ""),
            "call",
            step.is_async,
            step.number,
            step.condition,
            _pulls(model, step.source, step.target),
        )
        for step in steps
    ]
    members = [node for step in steps for node in (step.source, step.target)]
    return _assemble(
        model,
        view_id=f"flow-{flow.id}",
        title=flow.title,
        kind="flow",
        description=flow.description or f"The {len(steps)} steps of '{flow.title}', in sequence.",
        members=members,
        edges=edges,
        steps=steps,
    )


def _story_step(model: Model, number: int) -> ComputedView:
    flows = [flow for flow in _sorted(model.flows) if flow.story_step == number]
    steps = [step for flow in flows for step in _steps(model, flow)]
    by_pair: dict[tuple[str, str], list[ViewStep]] = {}
    for step in steps:
        by_pair.setdefault((step.source, step.target), []).append(step)
    edges = [
        ViewEdge(
            f"{source}->{target}",
            *_data_direction(model, source, target),
            ", ".join(dict.fromkeys(step.op for step in pair_steps)),
            "call",
            all(step.is_async for step in pair_steps),
            pulled=_pulls(model, source, target),
        )
        for (source, target), pair_steps in by_pair.items()
    ]
    titles = "; ".join(flow.title for flow in flows)
    return _assemble(
        model,
        view_id=f"step-{number}",
        title=f"Step {number}: {titles}",
        kind="story_step",
        description=f"Step {number} of the story: {', '.join(flow.id for flow in flows)}.",
        members=[node for step in steps for node in (step.source, step.target)],
        edges=edges,
        steps=steps,
    )


def _custom(model: Model, spec_id: str) -> ComputedView:
    spec = next(spec for spec in model.views if spec.id == spec_id)

    def within(ids: Iterable[str]) -> set[str]:
        wanted = set(ids)
        return {
            node.id
            for node in model.nodes
            if node.id in wanted or wanted & set(ancestors(model, node.group))
        }

    everything = {node.id for node in model.nodes}
    criteria = (spec.include_ids, spec.include_tags, spec.include_groups, spec.include_kinds)
    if any(criteria):
        members = within(spec.include_ids) | within(spec.include_groups)
        members |= {n.id for n in model.nodes if set(n.tags) & set(spec.include_tags)}
        members |= {n.id for n in model.nodes if n.kind in spec.include_kinds}
    else:
        members = set(everything)
    members -= within(spec.exclude_ids)
    members -= {n.id for n in model.nodes if set(n.tags) & set(spec.exclude_tags)}
    members -= {n.id for n in model.nodes if n.kind in spec.exclude_kinds}
    edges = [edge for edge in model.edges if edge.source in members and edge.target in members]
    return _assemble(
        model,
        view_id=f"view-{spec.id}",
        title=spec.title,
        kind="custom",
        description=spec.description,
        members=members,
        edges=_call_edges(model, edges),
    )


# --------------------------------------------------------------------------- helpers


def _steps(model: Model, flow: Flow) -> list[ViewStep]:
    """Number the steps; each one's parent and mode are the runtime's (``model.flows``)."""
    plans = compile_flow(model, flow).steps
    return [
        ViewStep(
            index + 1,
            flow.id,
            step.source,
            step.target,
            step.op,
            plan.is_async,
            step.when,
            step.probability,
            step.note,
            None if plan.parent is None else plan.parent + 1,
        )
        for index, (step, plan) in enumerate(zip(flow.steps, plans, strict=True))
    ]


def _call_edges(model: Model, edges: Iterable[Edge]) -> list[ViewEdge]:
    story = _story_steps(model)
    return [
        ViewEdge(
            f"{edge.source}->{edge.target}",
            *_data_direction(model, edge.source, edge.target),
            ", ".join(edge.operations),
            "call",
            edge.is_async,
            pulled=_pulls(model, edge.source, edge.target),
            story_steps=story.get((edge.source, edge.target), ()),
        )
        for edge in edges
    ]


def _pulls(model: Model, source: str, target: str) -> bool:
    return model.node(source).params.consumed_queue() == target


def _data_direction(model: Model, source: str, target: str) -> tuple[str, str]:
    """A poller calls its queue, but the messages flow from the queue to it: the arrow is
    drawn queue → consumer (``SQS → Lambda → SNS`` reads forwards)."""
    return (target, source) if _pulls(model, source, target) else (source, target)


def _region_id(model: Model, node: AnyNode) -> str | None:
    region = model.region_of(node.group)
    return None if region is None else region.id


def _assemble(
    model: Model,
    *,
    view_id: str,
    title: str,
    kind: ViewKind,
    description: str,
    members: Iterable[str],
    edges: Iterable[ViewEdge],
    steps: Iterable[ViewStep] = (),
) -> ComputedView:
    """Sort everything and add the clusters (groups and their ancestors) the nodes sit in."""
    ids = sorted(set(members))
    nodes = tuple(
        ViewNode(
            node.id,
            node.kind,
            node.title,
            node.group,
            tuple(node.tags),
            node.description,
            ":".join(node.params.icon() or ()),
        )
        for node in (model.node(node_id) for node_id in ids)
    )
    cluster_ids = sorted({group for node in nodes for group in ancestors(model, node.group)})
    groups = tuple(
        ViewCluster(group.id, group.kind.value, group.title, group.parent, group.public)
        for group in (model.groups_by_id[group_id] for group_id in cluster_ids)
    )
    nodes, boxes, parents = aws_boxes(model, nodes, groups)
    clusters = tuple(
        sorted(
            (
                *(replace(group, parent=parents[group.id]) for group in groups),
                *(ViewCluster(box.id, box.kind, box.label, box.parent) for box in boxes),
            ),
            key=lambda cluster: cluster.id,
        )
    )
    ordered_edges = edges if kind == "flow" else sorted(edges, key=_edge_order)
    return ComputedView(
        view_id,
        title,
        kind,
        description,
        nodes,
        tuple(ordered_edges),
        clusters,
        tuple(steps),
    )


def _edge_order(edge: ViewEdge) -> tuple[str, str, str]:
    return (edge.source, edge.target, edge.relation)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _sorted(items: Iterable[_T]) -> list[_T]:
    return sorted(items, key=lambda item: item.id)


def kind_title(kind: str) -> str:
    info = KINDS.get(kind)
    return kind if info is None else info.title
