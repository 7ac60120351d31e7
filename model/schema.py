"""The model: one declarative description of a whole cloud system.

Structure only; cross-references (ids that must exist, edges that flows must follow) are
checked by :mod:`archgen.model.validate`, which reports every problem at once.
"""

from __future__ import annotations

import fnmatch
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from archgen.model.base import (
    MAX_MS,
    Classification,
    Id,
    Label,
    Percent,
    PositiveFactor,
    PositiveSeconds,
    Probability,
    Seconds,
    Strict,
    Text,
    Weight,
)
from archgen.model.kind import Node, NodeBase
from archgen.model.registry import KindUnion
from archgen.model.shapes import (
    AnyShape,
    ConstantShape,
    DiurnalShape,
    RampShape,
    Shape,
    SpikeShape,
)

SCHEMA_VERSION = 1
"""Written as ``archgen: 1`` at the top of a model file."""

MAX_SESSIONS_PER_S = 1_000_000
MAX_RATE_PER_S = 10_000_000
MAX_ATTACK_SOURCES = 100_000
MAX_SEED = 2**63 - 1
MAX_OPERATION_CHARS = 200

# --------------------------------------------------------------------------- system & groups


class System(Strict):
    id: Id
    name: Label = Field(min_length=1)
    description: Text = ""
    version: str = Field("0.1.0", max_length=64)
    account_id: str = Field("123456789012", pattern=r"^\d{12}$", description="For ARNs.")
    default_scenario: Id | None = Field(
        None,
        description="The scenario `archgen run` simulates when --scenario is omitted; "
        "default: the first of `scenarios`.",
    )


class GroupKind(StrEnum):
    region = "region"
    availability_zone = "availability_zone"
    vpc = "vpc"
    subnet = "subnet"
    cluster = "cluster"


ALLOWED_PARENTS: dict[GroupKind, frozenset[GroupKind | None]] = {
    GroupKind.region: frozenset({None}),
    GroupKind.vpc: frozenset({GroupKind.region}),
    GroupKind.availability_zone: frozenset({GroupKind.region, GroupKind.vpc}),
    GroupKind.subnet: frozenset({GroupKind.vpc, GroupKind.availability_zone}),
    GroupKind.cluster: frozenset({None, *GroupKind}),
}
"""AWS's nesting, as architecture diagrams draw it: region ⊃ VPC ⊃ AZ ⊃ subnet."""


class Group(Strict):
    id: Id
    kind: GroupKind
    label: Label = ""
    parent: Id | None = None
    code: str | None = Field(
        None,
        max_length=64,
        description="AWS name of a region or zone (us-east-1, use1-az1); defaults to id.",
    )
    description: Text = ""

    @property
    def title(self) -> str:
        return self.label or self.id


# --------------------------------------------------------------------------- nodes


__all__ = [
    "AnyNode",
    "AnyShape",
    "ConstantShape",
    "DiurnalShape",
    "Node",
    "NodeBase",
    "RampShape",
    "Shape",
    "SpikeShape",
]

AnyNode = Node
"""Any node; ``kind`` tells which (statically: narrow ``params`` with ``isinstance``)."""

NodeField = Annotated[Node, KindUnion()]
"""A node of any registered kind: pydantic's tagged union on ``kind``, built from the
registry when ``Model`` is built (and again by ``registry.refresh()``)."""

# --------------------------------------------------------------------------- edges


Operation = Annotated[str, Field(min_length=1, max_length=MAX_OPERATION_CHARS)]
"""An operation name as an edge declares it (``GET /items``, ``PutItem``)."""


class Protocol(StrEnum):
    https = "https"
    http = "http"
    dns = "dns"
    tcp = "tcp"
    tls = "tls"
    sql = "sql"
    aws_api = "aws-api"
    smtp = "smtp"
    sms = "sms"


TLS_PROTOCOLS = frozenset({Protocol.https, Protocol.tls, Protocol.aws_api})
"""AWS service APIs are HTTPS-only, so ``aws-api`` always uses TLS."""


class Mode(StrEnum):
    sync = "sync"
    async_ = "async"


def operation_matches(declared: str, op: str) -> bool:
    """Whether an edge's declared operation ``declared`` covers the call ``op``: equal, or
    ``declared`` holds a ``*`` and matches as a glob (then ``?`` and ``[...]`` are glob
    characters too). Case-sensitive, like HTTP paths and AWS API names. IAM's action
    matching is not this: actions match case-insensitively, with ``*`` and ``?`` only
    (``archgen.runtime.aws.iam.wildcard``)."""
    return op == declared or ("*" in declared and fnmatch.fnmatchcase(op, declared))


class Edge(Strict):
    """A declared interaction: the only way one node may reach another."""

    source: Id = Field(alias="from")
    target: Id = Field(alias="to")
    operations: Annotated[tuple[Operation, ...], Field(min_length=1)]
    protocol: Protocol = Protocol.https
    mode: Mode = Mode.sync
    data: Classification = Classification.internal
    tls: bool | None = Field(None, description="Defaults to what the protocol implies.")
    encrypted_with: Id | None = Field(
        None, description="KMS key node that encrypts what this edge stores."
    )
    description: Text = ""

    @property
    def uses_tls(self) -> bool:
        return self.protocol in TLS_PROTOCOLS if self.tls is None else self.tls

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.target)

    @property
    def is_async(self) -> bool:
        return self.mode is Mode.async_

    def carries(self, op: str) -> bool:
        """Whether a call of ``op`` may take this edge (:func:`operation_matches`)."""
        return any(operation_matches(declared, op) for declared in self.operations)


# --------------------------------------------------------------------------- flows


class Step(Strict):
    """One call of a flow. ``when`` makes it conditional; ``probability`` says how often
    the condition holds when no behavior decides it."""

    source: Id = Field(alias="from")
    target: Id = Field(alias="to")
    op: Operation
    when: Label | None = None
    probability: Probability | None = None
    is_async: bool | None = Field(None, alias="async", description="Defaults to the edge's mode.")
    key: Id | None = Field(
        None,
        description="What the call is keyed by: an entity of the journey (e.g. 'city'), or "
        "'session', 'trace' or 'item'. It names the S3 object and the data record the call "
        "writes or reads and the SQS FIFO message group of a message it sends. Without it: "
        "S3 objects are the scenario's items (Zipf-popular), records are per trace, and "
        "FIFO groups are per session.",
    )
    note: Text = ""


class Latency(Strict):
    percentile: float = Field(99, gt=0, lt=100)
    threshold_ms: float = Field(gt=0, le=MAX_MS, description="At most a day.")


class Slo(Strict):
    latency: Latency | None = None
    availability_percent: Percent | None = None
    scenarios: tuple[Id, ...] = Field(
        (),
        description="Scenarios the SLO is evaluated in (after their warm-up); empty: all. "
        "Failure drills state their own expectations instead of the everyday SLO.",
    )

    @model_validator(mode="after")
    def _something(self) -> Slo:
        if self.latency is None and self.availability_percent is None:
            raise ValueError("an SLO needs a latency objective, an availability one, or both")
        return self


class Flow(Strict):
    id: Id
    title: Label = Field(min_length=1)
    story_step: int | None = Field(
        None,
        ge=1,
        le=1_000,
        description="Chapter of the model's story this flow tells (1, 2, …): the site and "
        "the step views present flows by it; flows sharing a number form one chapter.",
    )
    description: Text = ""
    user_facing: bool = True
    steps: Annotated[tuple[Step, ...], Field(min_length=1)]
    slo: Slo | None = None


class JourneyStep(Strict):
    flow: Id
    probability: Probability = Field(1.0, description="Chance the user goes on to this flow.")


class Entity(Strict):
    """Something a session is about (a city, an account, a device): each session draws one
    of ``values`` values, the first ones more often when ``zipf_exponent`` is above 0."""

    values: int = Field(ge=1, le=1_000_000, description="How many distinct values it has.")
    zipf_exponent: float = Field(
        0.0, ge=0, le=10, description="Popularity skew of its values (0: all equally likely)."
    )


BUILTIN_KEYS = ("item", "session", "trace")
"""Keys every step may use without declaring them (see ``Step.key``)."""


class Journey(Strict):
    """A user session: flows one after the other, with a funnel of drop-offs."""

    id: Id
    title: Label = Field(min_length=1)
    description: Text = ""
    client: Id | None = Field(None, description="Client node the users come from.")
    flows: Annotated[tuple[JourneyStep, ...], Field(min_length=1)]
    entities: dict[Id, Entity] = Field(
        default_factory=dict,
        description="What its sessions are about, by name (e.g. city: {values: 40}); a "
        "step's ``key`` names one.",
    )


# --------------------------------------------------------------------------- scenarios


class Items(Strict):
    """The items a scenario's flows are about (the default cache and object keys, what a
    recommender learns from); their popularity is Zipf-skewed."""

    count: int = Field(2_000, ge=10, le=1_000_000, description="How many distinct items.")
    zipf_exponent: float = Field(1.1, gt=0, le=10)
    categories: int = Field(40, ge=1, le=1_000_000)


class Attack(Strict):
    """Hostile traffic from a few sources, for DDoS scenarios."""

    target: Id
    sources: int = Field(
        20,
        ge=1,
        le=MAX_ATTACK_SOURCES,
        description="Hostile clients (at most 100,000); each is simulated, scaled by the run.",
    )
    requests_per_s: float = Field(
        gt=0, le=MAX_RATE_PER_S, description="All sources together (at most 10 million)."
    )
    start_s: Seconds = 0
    end_s: PositiveSeconds | None = None
    operation: Operation = "GET /"


class Traffic(Strict):
    sessions_per_s: float = Field(
        gt=0,
        le=MAX_SESSIONS_PER_S,
        description="Mean arrival rate of user sessions, in the real system (at most a "
        "million per second; the scenario's scale says how much of it is simulated).",
    )
    shape: Shape = Field(default_factory=lambda: ConstantShape(type="constant"))
    mix: dict[Id, Weight] = Field(description="Journey id → relative weight.")
    items: Items = Field(default_factory=Items)
    attack: Attack | None = None


class FaultType(StrEnum):
    node_outage = "node_outage"
    az_outage = "az_outage"
    region_outage = "region_outage"
    latency = "latency"
    consumer_crash = "consumer_crash"
    throttling = "throttling"


class Fault(Strict):
    type: FaultType
    target: Id
    start_s: Seconds
    end_s: PositiveSeconds | None = Field(None, description="None: until the end of the run.")
    added_latency_ms: float = Field(
        0, ge=0, le=MAX_MS, description="For latency faults (at most a day)."
    )
    rate: Probability = Field(1.0, description="Share of requests or batches affected.")
    description: Text = ""

    @model_validator(mode="after")
    def _window(self) -> Fault:
        if self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        if self.type is FaultType.latency and self.added_latency_ms == 0:
            raise ValueError("a latency fault needs added_latency_ms > 0")
        return self


class Scenario(Strict):
    id: Id
    title: Label = Field(min_length=1)
    description: Text = ""
    duration_s: PositiveSeconds = Field(description="Simulated seconds (at most a week).")
    warmup_s: Seconds = Field(
        0, description="Excluded from SLO evaluation; ends before the run does."
    )
    seed: int = Field(1, ge=0, le=MAX_SEED)
    scale: PositiveFactor = Field(
        1.0,
        description="Traffic and capacity scale factor (above 0, at most 1,000): the share "
        "of the real system that is simulated.",
    )
    traffic: Traffic
    faults: tuple[Fault, ...] = ()


# --------------------------------------------------------------------------- checks & views


class InvariantRule(StrEnum):
    no_lost_messages = "no_lost_messages"
    exactly_once = "exactly_once"
    encrypted_at_rest = "encrypted_at_rest"
    no_access_denied = "no_access_denied"


class Invariant(Strict):
    id: Id
    rule: InvariantRule
    targets: tuple[Id, ...] = Field((), description="Nodes the invariant is about.")
    description: Text = ""


class ViewSpec(Strict):
    """A diagram declared in the model: start from everything or from ``include``, then
    drop what ``exclude`` names."""

    id: Id
    title: Label = Field(min_length=1)
    description: Text = ""
    include_ids: tuple[Id, ...] = ()
    include_tags: tuple[str, ...] = ()
    include_groups: tuple[Id, ...] = ()
    include_kinds: tuple[str, ...] = ()
    exclude_ids: tuple[Id, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()


class Model(Strict):
    # The node union is built from the kind registry on first use, not at import: a
    # plug-in kind's module may then import this module without a cycle.
    model_config = ConfigDict(defer_build=True)

    archgen: Literal[1] = Field(1, description="Schema version of this file.")
    system: System
    groups: tuple[Group, ...] = ()
    nodes: Annotated[tuple[NodeField, ...], Field(min_length=1)]
    edges: tuple[Edge, ...] = ()
    flows: tuple[Flow, ...] = ()
    journeys: tuple[Journey, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    views: tuple[ViewSpec, ...] = ()

    # Indexes; the model is frozen, so they are computed once and never stale.
    @cached_property
    def nodes_by_id(self) -> dict[str, AnyNode]:
        return {node.id: node for node in self.nodes}

    @cached_property
    def groups_by_id(self) -> dict[str, Group]:
        return {group.id: group for group in self.groups}

    @cached_property
    def edges_by_key(self) -> dict[tuple[str, str], Edge]:
        return {edge.key: edge for edge in self.edges}

    @cached_property
    def flows_by_id(self) -> dict[str, Flow]:
        return {flow.id: flow for flow in self.flows}

    @cached_property
    def scenarios_by_id(self) -> dict[str, Scenario]:
        return {scenario.id: scenario for scenario in self.scenarios}

    def node(self, node_id: str) -> AnyNode:
        return self.nodes_by_id[node_id]

    def group(self, group_id: str) -> Group:
        return self.groups_by_id[group_id]

    def flow(self, flow_id: str) -> Flow:
        return self.flows_by_id[flow_id]

    def scenario(self, scenario_id: str) -> Scenario:
        return self.scenarios_by_id[scenario_id]

    def edge(self, source: str, target: str) -> Edge | None:
        return self.edges_by_key.get((source, target))

    # Replicas: a node with ``replica_of`` stands in for its original in its own region.
    # Flows and edges name originals; a call made in a region goes to the replica there.

    @cached_property
    def originals(self) -> dict[str, str]:
        """Replica id → the id of its original (only replicas are keys)."""
        index = self.nodes_by_id
        return {
            node.id: node.replica_of
            for node in self.nodes
            if node.replica_of is not None and node.replica_of in index
        }

    @cached_property
    def replicas(self) -> dict[tuple[str, str], str]:
        """(original id, region group id) → the replica in that region; the first one in
        model order if a model (invalid) declares two."""
        found: dict[tuple[str, str], str] = {}
        for node in self.nodes:
            original = self.originals.get(node.id)
            region = self.region_of(node.group)
            if original is not None and region is not None:
                found.setdefault((original, region.id), node.id)
        return found

    def original_of(self, node_id: str) -> str:
        """The node ``node_id`` stands in for, or ``node_id`` itself if not a replica."""
        return self.originals.get(node_id, node_id)

    def replica_in(self, node_id: str, region: str | None) -> str:
        """Who answers for ``node_id`` in ``region``: its replica there, else itself."""
        if region is None:
            return node_id
        return self.replicas.get((node_id, region), node_id)

    def replicas_of(self, node_id: str) -> tuple[str, ...]:
        """The replicas of ``node_id``, in model order."""
        return tuple(node.id for node in self.nodes if self.originals.get(node.id) == node_id)

    def declared_edge(self, source: str, target: str) -> Edge | None:
        """The edge a call from ``source`` to ``target`` follows: their own, else the one
        between their originals (replicas use their originals' edges)."""
        return self.edge(source, target) or self.edge(
            self.original_of(source), self.original_of(target)
        )

    def region_of(self, group_id: str | None) -> Group | None:
        """The region group enclosing ``group_id`` (or the group itself)."""
        seen: set[str] = set()
        index = self.groups_by_id
        while group_id is not None and group_id in index and group_id not in seen:
            seen.add(group_id)
            group = index[group_id]
            if group.kind is GroupKind.region:
                return group
            group_id = group.parent
        return None
