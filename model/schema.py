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
    TimeOfDay,
    Weight,
    since_start,
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
    """The system the model describes: its name and the account its ARNs use."""

    id: Id
    name: Label = Field(min_length=1, description="Name of the system: the site's title.")
    description: Text = Field("", description="What the system does, shown on the home page.")
    version: str = Field(
        "0.1.0", max_length=64, description="Version of this model, shown by `validate`."
    )
    account_id: str = Field("123456789012", pattern=r"^\d{12}$", description="For ARNs.")
    default_scenario: Id | None = Field(
        None,
        description="The scenario `archgen run` simulates when --scenario is omitted; "
        "default: the first of `scenarios`.",
    )


class GroupKind(StrEnum):
    """What a group stands for; AWS's nesting decides which may contain which."""

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
    """A box that holds nodes: a region, a VPC, an availability zone, a subnet, a cluster."""

    id: Id
    kind: GroupKind = Field(description="What the group stands for; it decides the nesting.")
    label: Label = Field("", description="Title shown in diagrams and pages; the id if empty.")
    parent: Id | None = Field(
        None, description="Enclosing group (region ⊃ VPC ⊃ zone ⊃ subnet); none at the top."
    )
    code: str | None = Field(
        None,
        max_length=64,
        description="AWS name of a region or zone (us-east-1, use1-az1); defaults to id.",
    )
    description: Text = Field("", description="What the group holds, shown on its page.")
    public: bool = Field(
        False,
        description="Subnets only: routes to an internet gateway. Diagrams draw a public "
        "subnet green and a private one teal, as AWS does.",
    )

    @model_validator(mode="after")
    def _public_subnet(self) -> Group:
        if self.public and self.kind is not GroupKind.subnet:
            raise ValueError(f"public applies to subnets, not to a {self.kind.value} group")
        return self

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
    """How an edge's calls travel; ``https``, ``tls`` and ``aws-api`` use TLS."""

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

PRESIGNED_PROTOCOLS = (Protocol.https, Protocol.http, Protocol.aws_api)
"""How a presigned URL can travel: it is an HTTP request to the service's API."""


class Mode(StrEnum):
    """``sync``: the caller waits for the answer; ``async``: it is accepted and handled later."""

    sync = "sync"
    async_ = "async"


def operation_matches(declared: str, op: str) -> bool:
    """Whether an edge's declared operation ``declared`` covers the call ``op``: equal, or
    ``declared`` holds a ``*`` and matches as a glob (then ``?`` and ``[...]`` are glob
    characters too). Case-sensitive, like HTTP paths and AWS API names. IAM's action
    matching is not this: actions match case-insensitively, with ``*`` and ``?`` only
    (``archgen.model.iam.wildcard``)."""
    return op == declared or ("*" in declared and fnmatch.fnmatchcase(op, declared))


class Edge(Strict):
    """A declared interaction: the only way one node may reach another."""

    source: Id = Field(alias="from", description="Node that makes the calls.")
    target: Id = Field(alias="to", description="Node that answers them.")
    operations: Annotated[
        tuple[Operation, ...],
        Field(
            min_length=1,
            description="Operations the source may call on the target (``GET /items``, "
            "``PutItem``); flow steps and the run may use no other.",
        ),
    ]
    protocol: Protocol = Field(Protocol.https, description="How the calls travel.")
    mode: Mode = Field(
        Mode.sync, description="Whether the caller waits for the answer (``async``: it does not)."
    )
    data: Classification = Field(
        Classification.internal,
        description="Most sensitive data the calls carry; above ``internal`` the lint "
        "wants TLS and, where it is stored, a KMS key.",
    )
    tls: bool | None = Field(None, description="Defaults to what the protocol implies.")
    encrypted_with: Id | None = Field(
        None, description="KMS key node that encrypts what this edge stores."
    )
    presigned_by: Id | None = Field(
        None,
        description="Node whose IAM role signed the URL the source calls with (an S3 "
        "presigned URL, e.g. from a function that hands upload URLs to clients): the calls "
        "are authorised as that role, and an SSE-KMS target's key use with it, not as the "
        "source. The node needs a role; the target's kind must accept presigned requests.",
    )
    description: Text = Field("", description="What the calls are for.")

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

    source: Id = Field(alias="from", description="Node that makes the call.")
    target: Id = Field(alias="to", description="Node called; a declared edge must join them.")
    op: Operation = Field(description="Operation called; one the edge declares.")
    when: Label | None = Field(
        None,
        description="Condition under which the step happens (one the source's kind decides, "
        "such as ``cache_miss``, or any label with a ``probability``); always without it.",
    )
    probability: Probability | None = Field(
        None, description="Chance (0 to 1) that the step happens when no behavior decides it."
    )
    is_async: bool | None = Field(None, alias="async", description="Defaults to the edge's mode.")
    key: Id | None = Field(
        None,
        description="What the call is keyed by: an entity of the journey (e.g. 'city'), or "
        "'session', 'trace' or 'item'. It names the S3 object and the data record the call "
        "writes or reads and the SQS message group of a message it sends (an SNS delivery "
        "takes its publish's). Without it: S3 objects are the scenario's items "
        "(Zipf-popular), records are per trace, FIFO groups are per session, and a standard "
        "queue's messages have no group.",
    )
    note: Text = Field("", description="A remark shown under the flow's steps.")


class Latency(Strict):
    """A latency objective: the ``percentile`` of executions finishes within the threshold."""

    percentile: float = Field(
        99, gt=0, lt=100, description="Which percentile of executions (above 0, below 100)."
    )
    threshold_ms: float = Field(
        gt=0, le=MAX_MS, description="Longest time allowed, in milliseconds (at most a day)."
    )


class EndToEnd(Latency):
    """An objective over an asynchronous flow: the ``percentile`` of its requests reach
    their last effect (e.g. a notification delivered) within the threshold, measured per
    request from its start to the end of the effect's last call, across the hand-offs
    (queues, topics, event buses) the request set off. A request whose effect never
    happened counts against the objective."""

    until: Id = Field(
        description="Node whose call is the last effect (e.g. the phones an SMS is "
        "delivered to), reached through the request's hand-offs."
    )
    op: Operation | None = Field(
        None, description="The effect's operation on ``until``; any operation without it."
    )


class Slo(Strict):
    """What a flow must achieve in a run: a latency objective, an availability one, an
    end-to-end one, or several."""

    latency: Latency | None = Field(
        None, description="Latency objective of the flow's own calls (one execution)."
    )
    end_to_end: EndToEnd | None = Field(
        None,
        description="Latency objective from a request's start to its last asynchronous "
        "effect (``until``), measured from the run's traces.",
    )
    availability_percent: Percent | None = Field(
        None, description="Least share of executions that must succeed, in percent."
    )
    scenarios: tuple[Id, ...] = Field(
        (),
        description="Scenarios the SLO is evaluated in (after their warm-up); empty: all. "
        "Failure drills state their own expectations instead of the everyday SLO.",
    )

    @model_validator(mode="after")
    def _something(self) -> Slo:
        if self.latency is None and self.availability_percent is None and self.end_to_end is None:
            raise ValueError(
                "an SLO needs a latency objective, an availability one, an end-to-end one, "
                "or several"
            )
        return self

    def applies_to(self, scenario_id: str | None) -> bool:
        """Whether a run of the scenario is judged by this SLO (no ``scenarios``: every one)."""
        return not self.scenarios or scenario_id in self.scenarios


class Flow(Strict):
    """A sequence of calls that does one thing for a user or for the system."""

    id: Id
    title: Label = Field(min_length=1, description="Title of the flow's page and diagram.")
    story_step: int | None = Field(
        None,
        ge=1,
        le=1_000,
        description="Chapter of the model's story this flow tells (1, 2, …): the site and "
        "the step views present flows by it; flows sharing a number form one chapter.",
    )
    description: Text = Field("", description="What the flow does, shown on its page.")
    user_facing: bool = Field(
        True, description="A user waits for it: it then needs an SLO (the slo-declared lint)."
    )
    steps: Annotated[
        tuple[Step, ...],
        Field(min_length=1, description="Its calls, one after the other as they happen."),
    ]
    slo: Slo | None = Field(None, description="What the flow must achieve in a run.")


class JourneyStep(Strict):
    """One flow of a journey and the chance the user gets that far."""

    flow: Id = Field(description="Flow the user runs at this point of the journey.")
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
    title: Label = Field(min_length=1, description="Title shown in scenario pages.")
    description: Text = Field("", description="What the users do.")
    client: Id | None = Field(None, description="Client node the users come from.")
    flows: Annotated[
        tuple[JourneyStep, ...],
        Field(min_length=1, description="Flows one after the other; a user may stop early."),
    ]
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
    zipf_exponent: float = Field(
        1.1, gt=0, le=10, description="Popularity skew: the higher, the more a few items dominate."
    )
    categories: int = Field(
        40,
        ge=1,
        le=1_000_000,
        description="Groups of related items (at most count), which the recommender learns.",
    )


class Attack(Strict):
    """Hostile traffic from a few sources, for DDoS scenarios."""

    target: Id = Field(description="Node the hostile requests are sent to.")
    sources: int = Field(
        20,
        ge=1,
        le=MAX_ATTACK_SOURCES,
        description="Hostile clients (at most 100,000), scaled by the run; each is simulated "
        "(in hybrid fidelity a sample of them, each whole).",
    )
    requests_per_s: float = Field(
        gt=0, le=MAX_RATE_PER_S, description="All sources together (at most 10 million)."
    )
    start_s: Seconds = Field(0, description="When the attack starts, in seconds.")
    end_s: PositiveSeconds | None = Field(
        None, description="When it stops, in seconds; none: at the end of the run."
    )
    operation: Operation = Field("GET /", description="Operation the hostile requests call.")


class Traffic(Strict):
    """Who comes, how many and when: the sessions of a scenario."""

    sessions_per_s: float = Field(
        gt=0,
        le=MAX_SESSIONS_PER_S,
        description="Mean arrival rate of user sessions, in the real system (at most a "
        "million per second; the scenario's scale says how much of it is simulated).",
    )
    shape: Shape = Field(
        default_factory=lambda: ConstantShape(type="constant"),
        description="How the rate changes over the run (constant, ramp, spike, diurnal).",
    )
    mix: dict[Id, Weight] = Field(description="Journey id → relative weight.")
    items: Items = Field(
        default_factory=Items, description="The items the flows are about, and their popularity."
    )
    attack: Attack | None = Field(None, description="Hostile traffic on top of the users'.")


class FaultType(StrEnum):
    """What breaks: a node, a zone, a region, latency, a consumer, a throttle, or the
    messages sent to a queue (poison messages, which fail every attempt to process them)."""

    node_outage = "node_outage"
    az_outage = "az_outage"
    region_outage = "region_outage"
    latency = "latency"
    consumer_crash = "consumer_crash"
    throttling = "throttling"
    poison_message = "poison_message"


class Fault(Strict):
    """Something that breaks during a scenario, from ``start_s`` to ``end_s`` (or from ``at``
    to ``until``, times of day placed by the scenario's ``start_at``)."""

    type: FaultType = Field(description="What breaks.")
    target: Id = Field(description="Node or group it hits (a zone or a region for those).")
    start_s: Seconds = Field(
        0, description="When it starts, in seconds since the run started (or give at)."
    )
    end_s: PositiveSeconds | None = Field(
        None, description="When it ends, in seconds; none: until the end of the run."
    )
    # Placed into start_s/end_s by the scenario; a dump keeps those (the seconds) only.
    at: TimeOfDay | None = Field(
        None,
        exclude=True,
        description="When it starts, as a time of day: the first time the clock shows it "
        'after the scenario\'s start_at (00:00 without one), e.g. "00:05".',
    )
    until: TimeOfDay | None = Field(
        None,
        exclude=True,
        description="When it ends, as a time of day (after at); none: with end_s.",
    )
    added_latency_ms: float = Field(
        0, ge=0, le=MAX_MS, description="For latency faults (at most a day)."
    )
    rate: Probability = Field(
        1.0,
        description="Share of requests or batches affected (poison_message: of the messages "
        "sent to the queue while the fault lasts).",
    )
    description: Text = Field("", description="What the fault stands for, shown on the page.")

    @model_validator(mode="after")
    def _window(self) -> Fault:
        given = self.model_fields_set
        if self.at is not None and "start_s" in given:
            raise ValueError("give start_s or at, not both")
        if self.until is not None and self.end_s is not None:
            raise ValueError("give end_s or until, not both")
        clock = self.at is not None or self.until is not None
        if not clock and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError(f"end_s ({self.end_s}) must be after start_s ({self.start_s})")
        if self.type is FaultType.latency and self.added_latency_ms == 0:
            raise ValueError("a latency fault needs added_latency_ms > 0")
        return self

    def placed(self, start_at: str | None) -> Fault:
        """This fault with its times of day (``at``, ``until``) as seconds since the run's
        start at ``start_at``; checked against the run by the model's validation."""
        update: dict[str, float] = {}
        if self.at is not None:
            update["start_s"] = since_start(start_at, self.at)
        if self.until is not None:
            update["end_s"] = since_start(start_at, self.until)
        return self.model_copy(update=update) if update else self


class AlarmExpectations(Strict):
    """What a scenario's alarms must do, judged from the run's alarm history (the
    ``alarms`` rule of ``archgen check``)."""

    must_not_fire: tuple[Id, ...] = Field(
        (), description="Alarms that must never enter ALARM during the run."
    )
    must_fire_within_s: dict[Id, PositiveSeconds] = Field(
        default_factory=dict,
        description="Alarm → seconds after the scenario's first fault starts (after the "
        "run starts, without a fault) by which it must have entered ALARM.",
    )


class Scenario(Strict):
    """A simulated period: traffic, faults, duration and seed."""

    id: Id
    title: Label = Field(min_length=1, description="Title of the scenario's page.")
    description: Text = Field("", description="What the scenario tests, shown on its page.")
    duration_s: PositiveSeconds = Field(description="Simulated seconds (at most a week).")
    warmup_s: Seconds = Field(
        0, description="Excluded from SLO evaluation; ends before the run does."
    )
    seed: int = Field(
        1, ge=0, le=MAX_SEED, description="Random seed: the same seed gives the same run."
    )
    scale: PositiveFactor = Field(
        1.0,
        description="Traffic and capacity scale factor (above 0, at most 1,000): the share "
        "of the real system that is simulated.",
    )
    fidelity: Literal["auto", "full", "hybrid"] = Field(
        "auto",
        description="How the run simulates the system: full (every session request by "
        "request, pools shrunk with scale), hybrid (a sample of the sessions traced, pools "
        "of servers at their real size loaded by the rest as a fluid), or auto: full when "
        "the whole run fits the events a run traces (about 3 million), else hybrid with the "
        "sample that fits. --fidelity overrides it.",
    )
    sample: float | None = Field(
        None,
        gt=0,
        le=1,
        description="With fidelity hybrid: the share of the sessions traced (above 0, at "
        "most 1); none: the share that keeps the traced part under about 3 million events. "
        "--sample overrides it.",
    )
    start_at: TimeOfDay | None = Field(
        None,
        description='Wall-clock time (UTC) at which the run starts, e.g. "23:50": times of '
        "day in faults and in scheduled actions count from it, and daily quotas reset at "
        "midnight; none: the run starts at 00:00.",
    )
    traffic: Traffic = Field(description="The users' sessions and how their rate changes.")
    faults: tuple[Fault, ...] = Field((), description="What breaks during the run.")
    alarms: AlarmExpectations = Field(
        default_factory=AlarmExpectations,
        description="Alarms that must stay quiet, and alarms that must fire and how soon.",
    )

    @model_validator(mode="after")
    def _sample_is_hybrid(self) -> Scenario:
        if self.sample is not None and self.fidelity != "hybrid":
            raise ValueError(
                "sample is the share a hybrid run traces: set fidelity: hybrid, or drop sample"
            )
        return self

    @model_validator(mode="after")
    def _place_times(self) -> Scenario:
        placed = tuple(fault.placed(self.start_at) for fault in self.faults)
        if placed != self.faults:
            object.__setattr__(self, "faults", placed)  # resolved once, at validation
        return self

    @property
    def start_of_day_s(self) -> int:
        """Seconds since midnight (UTC) when the run starts."""
        return since_start(None, self.start_at) if self.start_at else 0

    @property
    def first_fault_s(self) -> float:
        """When the first fault starts: alarm deadlines count from it (0 without one)."""
        return min((fault.start_s for fault in self.faults), default=0.0)


# --------------------------------------------------------------------------- checks & views


class InvariantRule(StrEnum):
    """Properties a run is checked for (each a rule of ``archgen check``)."""

    no_lost_messages = "no_lost_messages"
    exactly_once = "exactly_once"
    encrypted_at_rest = "encrypted_at_rest"
    no_access_denied = "no_access_denied"
    ordered_per_group = "ordered_per_group"


class Invariant(Strict):
    """A property every run must keep, about the ``targets`` nodes."""

    id: Id
    rule: InvariantRule = Field(
        description="Which property: no_lost_messages (target queues), exactly_once (target "
        "consumers), encrypted_at_rest (target stores), no_access_denied, or "
        "ordered_per_group: the consumers of a target queue process the messages of each "
        "message group (a sending step's ``key``) in the sequence they were sent, none "
        "before an earlier one of its group was processed or moved to the dead-letter queue."
    )
    targets: tuple[Id, ...] = Field((), description="Nodes the invariant is about.")
    description: Text = Field("", description="Why the property matters here.")


class ViewSpec(Strict):
    """A diagram declared in the model: start from everything or from ``include``, then
    drop what ``exclude`` names."""

    id: Id
    title: Label = Field(min_length=1, description="Title of the diagram.")
    description: Text = Field("", description="What the diagram shows, under it.")
    include_ids: tuple[Id, ...] = Field(
        (), description="Nodes to include, or groups whose nodes to include."
    )
    include_tags: tuple[str, ...] = Field((), description="Include the nodes with these tags.")
    include_groups: tuple[Id, ...] = Field(
        (), description="Include the nodes in these groups (nested groups too)."
    )
    include_kinds: tuple[str, ...] = Field((), description="Include the nodes of these kinds.")
    exclude_ids: tuple[Id, ...] = Field(
        (), description="Nodes to drop, or groups whose nodes to drop."
    )
    exclude_tags: tuple[str, ...] = Field((), description="Drop the nodes with these tags.")
    exclude_kinds: tuple[str, ...] = Field((), description="Drop the nodes of these kinds.")


class Model(Strict):
    """A model file: the system, its parts, how they call each other, and what to simulate."""

    # The node union is built from the kind registry on first use, not at import: a
    # plug-in kind's module may then import this module without a cycle.
    model_config = ConfigDict(defer_build=True)

    archgen: Literal[1] = Field(1, description="Schema version of this file.")
    system: System = Field(description="The system described: name, account, default scenario.")
    groups: tuple[Group, ...] = Field(
        (), description="Regions, VPCs, zones, subnets and clusters that hold the nodes."
    )
    nodes: Annotated[
        tuple[NodeField, ...],
        Field(min_length=1, description="The services and actors; ``kind`` says which."),
    ]
    edges: tuple[Edge, ...] = Field(
        (), description="Who may call whom, with which operations: the only allowed calls."
    )
    flows: tuple[Flow, ...] = Field((), description="Sequences of calls along the edges.")
    journeys: tuple[Journey, ...] = Field(
        (), description="Users' sessions: flows one after the other."
    )
    scenarios: tuple[Scenario, ...] = Field(
        (), description="Simulated periods: traffic, faults, duration."
    )
    invariants: tuple[Invariant, ...] = Field(
        (), description="Properties every run is checked for."
    )
    views: tuple[ViewSpec, ...] = Field((), description="Extra diagrams, each a subset of nodes.")

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

    def presigner(self, source: str, target: str) -> AnyNode | None:
        """The node whose role signed the URL a call ``source`` → ``target`` uses (its
        edge's ``presigned_by``): IAM authorises the call as that node's role. None when
        the source calls with its own credentials."""
        edge = self.declared_edge(source, target)
        signer = None if edge is None else edge.presigned_by
        return None if signer is None else self.nodes_by_id.get(signer)

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
