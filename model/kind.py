"""The contract of a node kind: what one declaration tells the rest of archgen.

A kind is one :class:`KindSpec` (built with :func:`kind`) plus, optionally, a behavior
module. The spec lives in the model layer, so it names its behavior lazily
(``"package.module:Class"``); the runtime imports it only for a run. Kinds are found
through the entry-point group ``archgen.kinds`` (see :mod:`archgen.model.registry`).

Capabilities come in two forms:

- *field capabilities* are mixins of the params class (:class:`EncryptableAtRest`,
  :class:`Protects`, :class:`Zonal`): they add the field with its description, and code
  asks ``isinstance(node.params, EncryptableAtRest)`` instead of ``getattr(params,
  "kms_key")``; mypy sees the field.
- *flag capabilities* (:class:`Capability`) say what a kind is for the generic rules (a
  traffic source, a queue, runs its own code, is monitored…).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Protocol, TypeVar

from pydantic import Field

from archgen.model.base import Id, Label, Strict, Text

if TYPE_CHECKING:
    from archgen.model.base import Duration
    from archgen.model.cost import Bill, CostRule, Unpriced
    from archgen.model.iam import PolicyDocument
    from archgen.model.importers.context import ImportContext
    from archgen.model.loader import PathKey
    from archgen.model.schema import Edge, GroupKind, Model


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class Ref:
    """Annotation of a params field that names other nodes (``Annotated[Id, Ref(...)]``).

    ``kinds`` restricts the kinds it may name (the "'x' is an ec2 node, expected kms"
    error); ``role`` says how the lint's flow-participation rule counts it.
    """

    kinds: tuple[str, ...] = ()
    role: str = "supports"  # "supports" | "watches"
    edge: str | None = None
    """When set, the node needs a declared edge to the target; the text names why."""
    dead_letter: bool = False
    """The target keeps what this node could not deliver (a dead-letter queue): moving a
    message there is a ``Redrive`` call on a declared edge (the ``dlq`` lint)."""


@dataclass(frozen=True)
class Reference:
    path: tuple[str | int, ...]
    target: str
    ref: Ref


# --------------------------------------------------------------------------- params


class KindParams(Strict):
    """Base of every kind's ``params`` model. Every field must have a description (tested)."""

    def references(self) -> Iterator[Reference]:
        """Node ids this node relies on or watches, each with its role and YAML path.

        The default walks fields annotated with :class:`Ref`; a kind overrides it only for
        references the annotations cannot express.
        """
        yield from _walk_refs(self, ())

    def call_timeout_ms(self) -> float | None:
        """The longest a call made by or through this node may run before it gives up
        (a client's or a function's timeout); none when the kind sets no such limit.
        ``check`` waits this long before holding a call to completeness."""
        return None

    def metric_period_s(self) -> float | None:
        """The period of the metrics this node collects (a CloudWatch-like kind); the run
        samples metrics at the shortest such period."""
        return None

    def alarm_ids(self) -> tuple[str, ...]:
        """Ids of the alarms this node defines, which other nodes' params may name (a DNS
        record's ``health_alarm``)."""
        return ()

    def icon(self) -> tuple[str, str] | None:
        """The diagrams class (module, name) that draws this node when its params call for
        another icon than its kind's (an Aurora engine, an external's declared look)."""
        return None

    def served_object_kb(self) -> float | None:
        """Size of one object this node serves (a store's objects), in KB: what a CDN in
        front of it sends out per request, which its cost rule prices; none when the kind
        does not say."""
        return None

    def objects_from(self) -> str | None:
        """The node whose objects this node hands on to its callers (a CDN's primary
        origin): its objects are this node's too (:func:`object_kb`); none for a node that
        serves its own or none."""
        return None

    def request_mbps(self) -> float | None:
        """Throughput one request gets from this service, in megabits per second (S3's
        per-connection guidance): what moving one of its objects over one connection is
        held to; none when the service sets no limit of its own."""
        return None

    def link_mbps(self, upload: bool) -> float | None:
        """Bandwidth of this node's own network for one transfer, in megabits per second
        (a client's uplink when it sends an object, its downlink when it receives one);
        none when the node's network does not limit it."""
        return None

    def pools_targets(self) -> bool | None:
        """How this node spreads requests over its targets' workers: True when each goes
        to the least busy (so the targets pool like one queue), False when it spreads them
        blindly (round robin); none for a node that does not balance."""
        return None

    def consumed_queue(self) -> str | None:
        """The queue node this node polls and takes messages off (a Lambda event source);
        none for a node that is only called."""
        return None

    def sse_kms_key(self) -> str | None:
        """The KMS key node the service encrypts this node's data with on its callers'
        behalf (SSE-KMS), so that callers need permission on it (:class:`SseKms`); by
        default the node's ``kms_key``."""
        return self.kms_key if isinstance(self, EncryptableAtRest) else None

    def sse_kms_reuse_s(self) -> float | None:
        """How long the service keeps using a key it got from KMS for one principal's
        SSE-KMS calls before it asks KMS again (SQS's data key reuse period, DynamoDB's
        table key cache), in seconds; none when it asks KMS on every call that needs the
        key (an S3 object without a Bucket Key, a Secrets Manager secret)."""
        return None

    def replica_write_error(self) -> str | None:
        """The error a replica of this kind (a node with ``replica_of``) answers a write
        with, because AWS keeps it read-only (an Aurora global database's secondary);
        none: its replicas take writes (DynamoDB global tables, S3 replication)."""
        return None

    def name_targets(self) -> tuple[str, ...]:
        """For a DNS kind: the nodes its name answers with (its records' targets); a client
        looks the name up before calling one of them."""
        return ()

    def public_address(self) -> bool:
        """Whether the node gets a public IP address in a public subnet, and so a route out
        of it (a Lambda function attached to a VPC never does)."""
        return True

    def egress_rank(self, service: str) -> int | None:
        """For an egress kind: how much a call from a private subnet to ``service`` (an ARN
        service name, or ``internet``) prefers this node (lower first), None if it cannot
        carry it."""
        return None

    def unpublished_metrics(self) -> str | None:
        """Why this node publishes none of its kind's metrics (its settings choose a variant
        AWS reports nothing for: a gateway VPC endpoint), or None when it publishes them:
        the ``monitored`` lint asks no metric of it and validation refuses one."""
        return None

    def log_group(self, node_id: str) -> str | None:
        """The CloudWatch Logs group AWS writes this node's logs to with the node's role
        (Lambda: ``/aws/lambda/<name>``), or None: the role needs the logs actions on it."""
        return None

    def required_calls(self) -> tuple[RequiredCall, ...]:
        """Calls AWS makes with this node's role because of how it is configured rather
        than along a flow (a Lambda event source polling its queue): the role must allow
        them, or AWS refuses the configuration."""
        return ()


@dataclass(frozen=True)
class RequiredCall:
    """A call AWS makes with a node's role, required by a setting at ``path`` (relative
    to the node's params): ``operation`` on node ``target``, for the reason ``why``."""

    path: tuple[str | int, ...]
    target: str
    operation: str
    why: str


class EncryptableAtRest:
    """Field capability: stores data at rest; ``kms_key`` names the KMS key node.

    A marker mixin (``class S3Params(KindParams, EncryptableAtRest)``): the kind declares
    the field itself, where it wants it in its field order (error texts list fields in
    that order); the registry checks the field exists.
    """

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("kms_key",)
    if TYPE_CHECKING:

        @property
        def kms_key(self) -> str | None: ...


class Protects:
    """Field capability: a protection (Shield, WAF) screening calls to ``protects``."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("protects",)
    if TYPE_CHECKING:

        @property
        def protects(self) -> tuple[str, ...]: ...


CONNECT_TIMEOUT_S = 2.0
"""How long an SDK waits for a connection nothing carries (a private subnet without a way
out, a NAT gateway that is down or drops it) before ``ConnectTimeoutError``: the AWS SDK for
Java 2.x's default connection timeout (2 s). Other SDKs wait longer by default (boto3 60 s;
the JavaScript SDK v3 none, only the operating system's TCP retries), which is why AWS's
guidance for Lambda functions is to set a short one (a few seconds) explicitly: 2 s is such
a setting. The egress kinds declare it as ``connect_timeout_s``."""


def connect_timeout_field() -> Any:
    """The ``connect_timeout_s`` parameter of a node that carries calls out of a VPC (NAT
    gateway, VPC endpoint): what its callers' SDK waits for a call it drops."""
    return Field(
        CONNECT_TIMEOUT_S,
        gt=0,
        le=600,
        description="The callers' SDK connect timeout (s): a call this node drops (it is "
        "down, or over its bandwidth) fails with ConnectTimeoutError that long after it was "
        "made, holding its caller meanwhile. Default 2 s, the AWS SDK for Java 2.x's "
        "(boto3 waits 60 s; functions usually set 1-5 s).",
    )


class Zonal:
    """Field capability: spreads over the availability zones of ``zones``."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("zones",)
    if TYPE_CHECKING:

        @property
        def zones(self) -> tuple[str, ...]: ...


class UserLocation(Protocol):
    """A place users sit: its id and its round trip (ms) to each region group."""

    @property
    def id(self) -> str: ...

    @property
    def latency_ms(self) -> Mapping[str, float]: ...


class UserLocations:
    """Field capability: users spread over ``locations`` (edge caches and DNS latency
    routing place them, the network adds their round trips)."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("locations",)
    if TYPE_CHECKING:

        @property
        def locations(self) -> Sequence[UserLocation]: ...


class SessionLocation(UserLocation, Protocol):
    """A place users sit, with its share of the sessions."""

    @property
    def weight(self) -> float: ...


class StartsSessions(UserLocations):
    """Field capability: users' sessions start here, from weighted ``locations``, pausing
    ``think_time`` between two flows of a journey and waiting at most ``timeout_ms`` for a
    call. Every ``traffic_source`` kind has it (the registry checks)."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("locations", "think_time", "timeout_ms")
    if TYPE_CHECKING:

        @property
        def locations(self) -> Sequence[SessionLocation]: ...

        @property
        def think_time(self) -> Duration: ...

        @property
        def timeout_ms(self) -> float: ...


class OrderedQueue:
    """Field capability: a queue that can be FIFO (``fifo``), ordered per message group, so
    a consumer takes batches of at most 10 and stops a batch at its first failure."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("fifo",)
    if TYPE_CHECKING:

        @property
        def fifo(self) -> bool: ...


class CacheControl:
    """Field capability: sends ``Cache-Control: max-age`` (``cache_max_age_s``) with what it
    serves, which a CDN in front of it honours within its own TTL bounds."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("cache_max_age_s",)
    if TYPE_CHECKING:

        @property
        def cache_max_age_s(self) -> int | None: ...


class DrainsTargets:
    """Field capability: a load balancer that lets a target leaving its fleet finish its
    in-flight requests for ``deregistration_delay_s``."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("deregistration_delay_s",)
    if TYPE_CHECKING:

        @property
        def deregistration_delay_s(self) -> int: ...


class GrantsPolicies:
    """Field capability: an identity whose ``policies`` authorize the calls of the nodes
    that name it as their ``role``."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("policies",)
    if TYPE_CHECKING:

        @property
        def policies(self) -> tuple[PolicyDocument, ...]: ...


class ResourcePolicy:
    """Field capability: a resource policy (``key_policy``) that also decides who may call."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ("key_policy",)
    if TYPE_CHECKING:

        @property
        def key_policy(self) -> PolicyDocument | None: ...


FIELD_CAPABILITIES: tuple[type, ...] = (
    EncryptableAtRest,
    Protects,
    Zonal,
    UserLocations,
    StartsSessions,
    OrderedQueue,
    CacheControl,
    DrainsTargets,
    GrantsPolicies,
    ResourcePolicy,
)


class Capability(StrEnum):
    """What a kind *is* for the generic rules, views and runtime (no field attached)."""

    traffic_source = "traffic_source"
    """Users' sessions start here (was ``kind == "client"``)."""
    dns = "dns"
    """Clients resolve through it before their first call (was ``kind == "route53"``)."""
    runs_code = "runs_code"
    """Runs the model's own code: its aws-api calls need an IAM role (was ``ROLE_KINDS``)."""
    queue = "queue"
    """Holds messages; its depth is charted, lost messages are counted (was ``"sqs"``)."""
    data_store = "data_store"
    """Keeps what edges write: sensitive data needs a KMS key (was ``STORE_CATEGORIES``)."""
    emits_metrics = "emits_metrics"
    """Publishes CloudWatch metrics: the ``monitored`` lint wants one alarmed metric."""
    collects_metrics = "collects_metrics"
    """CloudWatch-like: its ``period_s`` sets the run's metric period."""
    waf_attachable = "waf_attachable"
    """A web ACL can be attached to it (CloudFront, ALB)."""
    shield_protectable = "shield_protectable"
    """Shield Advanced can protect it (CloudFront, Route 53 hosted zones, ALB; AWS also
    protects Global Accelerator, Elastic IPs and Classic Load Balancers, which are no kinds):
    what a shield's ``protects`` may name and what the ``entry-shield`` lint asks about."""
    global_service = "global_service"
    """A global service (CloudFront, Route 53): no Region of its own; AWS keeps its metrics,
    and the web ACLs that protect it, in us-east-1 (:mod:`archgen.model.regions`)."""
    security = "security"
    """Shown in the security view (IAM, KMS, Shield, WAF)."""
    async_fanout = "async_fanout"
    """Its deliveries are asynchronous invocations (SNS → Lambda)."""
    ddos_protection = "ddos_protection"
    """Shields what it ``protects`` from network floods (only ``shield_protectable``
    kinds): the ``entry-shield`` lint."""
    web_acl = "web_acl"
    """Filters web requests to what it ``protects``: the ``entry-waf`` lint."""
    role = "role"
    """An identity other nodes name as their ``role`` (was ``"iam_role"``)."""
    key = "key"
    """An encryption key that ``kms_key`` and ``encrypted_with`` name (was ``"kms"``)."""
    outside_aws = "outside_aws"
    """Not an AWS resource (users' devices, partners, recipients): diagrams draw it outside
    the AWS Cloud box."""
    scaling_group = "scaling_group"
    """Runs as an Auto Scaling group: diagrams draw it in AWS's dashed orange group box."""
    egress = "egress"
    """Carries calls out of a VPC's private subnets (NAT gateway, VPC endpoint); its params
    say to what (``KindParams.egress_rank``): :mod:`archgen.model.egress`."""
    consumer = "consumer"
    """Takes work off others and can crash mid-task: the ``consumer_crash`` fault's target
    (was ``"lambda", "ec2"``)."""
    triggered = "triggered"
    """Acts on its own, not only in answer to a call (an event source, an asynchronous
    invocation, a schedule, an alarm, a health check, a delivery): a flow step from it that
    no step leads to (a *triggered root*) can run; from any other kind it never would (the
    ``flow-trigger`` lint)."""
    presigned_requests = "presigned_requests"
    """Takes requests authenticated by a URL another principal signed (an S3 presigned
    URL): an edge to it may name that signer in ``presigned_by``, and the request is then
    authorised as the signer's role."""
    event_router = "event_router"
    """Routes each event to the targets its rules match and keeps books of those deliveries
    (an event bus): like a queue, a ``no_lost_messages`` invariant can judge it."""


def _walk_refs(value: object, path: tuple[str | int, ...]) -> Iterator[Reference]:
    if isinstance(value, Strict):
        for name, info in type(value).model_fields.items():
            child = getattr(value, name)
            ref = next((m for m in info.metadata if isinstance(m, Ref)), None)
            if ref is not None and isinstance(child, str):
                yield Reference((*path, name), child, ref)
            elif ref is not None and isinstance(child, tuple):
                for i, item in enumerate(child):
                    yield Reference((*path, name, i), str(item), ref)
            elif ref is None:
                yield from _walk_refs(child, (*path, name))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _walk_refs(item, (*path, i))


# --------------------------------------------------------------------------- nodes


class NodeBase(Strict):
    id: Id
    label: Label = Field("", description="Title shown in diagrams and pages; the id if empty.")
    group: Id | None = Field(None, description="Innermost group; none for global services.")
    description: Text = Field("", description="What the node is for, shown on its page.")
    tags: tuple[Annotated[str, Field(max_length=64)], ...] = Field(
        (), description="Free labels (at most 64 characters each), listed on the node's page."
    )
    role: Id | None = Field(None, description="IAM role the node's calls are authorized by.")
    replica_of: Id | None = Field(
        None, description="Node this one stands in for in another region (same kind)."
    )
    arn: str | None = Field(
        None, max_length=2048, description="Resource ARN; derived from the model if absent."
    )
    lint_ignore: dict[str, Text] = Field(
        default_factory=dict, description="Lint rule id → the reason it does not apply here."
    )

    @property
    def title(self) -> str:
        return self.label or self.id


class Node(NodeBase):
    """Any node, as the rest of archgen sees it statically: narrow ``params`` with
    ``isinstance(node.params, SqsParams)`` or ``spec.params_of(node)``. At run time every
    node is an instance of its kind's :attr:`KindSpec.node_class`."""

    kind: str
    params: KindParams


# --------------------------------------------------------------------------- validation hook


class Checks(Protocol):
    """What a kind's validation hook may use (implemented by ``validate._Checker``)."""

    @property
    def model(self) -> Model: ...

    def report(self, path: PathKey, message: str) -> None: ...

    def ref(
        self,
        path: PathKey,
        value: str | None,
        table: Iterable[str],
        what: str,
        kinds: Iterable[str] = (),
    ) -> bool: ...

    def node_ref(self, path: PathKey, value: str | None, *kinds: str) -> bool: ...

    def group_ref(self, path: PathKey, value: str | None, *kinds: GroupKind) -> bool: ...

    def edge_ref(self, path: PathKey, source: str, target: str, why: str) -> None: ...

    def params_of(self, node_id: str) -> KindParams: ...

    def alarm_ids(self) -> list[str]: ...

    def kind_of(self, node_id: str) -> str | None: ...


class Lints(Protocol):
    """What a kind's lint hook may use (implemented by the linter, ``runtime/check/lint.py``):
    the model and the finding sink; ``rule`` is a static rule id."""

    @property
    def model(self) -> Model: ...

    def add(self, rule: str, path: PathKey, message: str, *, node: str) -> None: ...

    def async_callers(self, node_id: str) -> Iterator[tuple[int, Edge]]:
        """Asynchronous edges into ``node_id``, with their index, except from
        :attr:`Capability.async_fanout` kinds: their own hooks check their deliveries."""
        ...


P = TypeVar("P", bound=KindParams)
Hook = Callable[[Checks, "PathKey", Node], None]
LintHook = Callable[[Lints, "PathKey", Node], None]


def check_zones(checks: Checks, path: PathKey, params: Zonal) -> None:
    """The :class:`Zonal` capability's rule: every zone names an availability-zone group."""
    from archgen.model.schema import GroupKind

    for i, zone in enumerate(params.zones):
        checks.group_ref((*path, "zones", i), zone, GroupKind.availability_zone)


def lint_fifo_name(lints: Lints, path: PathKey, node: Node, fifo: bool, what: str) -> None:
    """``fifo-name``: AWS names a FIFO queue or topic ``<name>.fifo`` and refuses that
    suffix on a standard one. The name is the last part of the node's ``arn`` when it has
    one, else its id; ``path`` is the node's params."""
    name = node.arn.rsplit(":", 1)[-1] if node.arn else node.id
    if fifo == name.endswith(".fifo"):
        return
    where = "its arn" if node.arn else "its id"
    rule = (
        "AWS requires the name of a FIFO one to end in '.fifo'"
        if fifo
        else "only a FIFO one may end in '.fifo' (set params.fifo: true or rename it)"
    )
    lints.add(
        "fifo-name",
        (*path[:-1], "arn" if node.arn else "id"),
        f"{'FIFO' if fifo else 'standard'} {what} '{node.id}' is named '{name}' ({where}): {rule}",
        node=node.id,
    )


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class Icon:
    """A diagrams (mingrammer) node class: module and class name; imported only to render."""

    module: str
    name: str


@dataclass(frozen=True)
class Arn:
    """``arn:aws:<service>:<region>:<account>:<resource>``; ``{id}`` is the node id."""

    service: str
    resource: str
    regional: bool = True
    with_account: bool = True
    object_ops: tuple[str, ...] = ()
    """Operations that act on ``<ARN>/*`` (S3 objects) rather than on the resource."""


class Unit(Enum):
    """CloudWatch units (the ones the simulated services publish)."""

    count = "Count"
    percent = "Percent"
    seconds = "Seconds"
    milliseconds = "Milliseconds"
    microseconds = "Microseconds"
    bytes = "Bytes"
    none = "None"


class Shape(Enum):
    """How the datapoints of one period become statistics (and a ``metrics.jsonl`` value)."""

    count = "count"
    """Events added up: one datapoint per period, its Sum (0 when the node published
    anything else that period; the file omits zeros)."""
    gauge = "gauge"
    """A level sampled by the behavior before the period closes; the file keeps the
    Average."""
    distribution = "distribution"
    """One datapoint per event (a latency); every statistic, p99 included; the file keeps
    ``{"avg", "max", "n", "p99"}``."""


class Extent(Enum):
    """What a metric's value grows with, so that a run of a share of the real system (a
    ``scale`` below 1, or a hybrid run tracing a sample of the sessions) publishes it in
    the real system's units, the units alarm thresholds are written in."""

    intensive = "intensive"
    """A ratio, a share or a time (a latency, a utilization, an age, a status): the same
    at any scale, published as measured."""
    traffic = "traffic"
    """Grows with the simulated traffic (requests, messages, bytes, connections in flight,
    a queue's depth): the run simulates it at its traced scale (scale × sample in hybrid
    fidelity), so the store divides it by that."""
    servers = "servers"
    """Counts servers of a pool or instances of a fleet (healthy hosts, running tasks, busy
    Lambda environments, database connections): they are simulated at the system's scale,
    pools keeping their real size in hybrid fidelity, so the store divides by that."""


def arn_name(arn: str) -> str:
    """The last part of an ARN, the resource's own name or id (``…:table/Readings`` →
    ``Readings``, ``arn:aws:s3:::media`` → ``media``, ``…:key/1234abcd…`` → the key id):
    what drift matches a node and a resource by."""
    return arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


@dataclass(frozen=True)
class MetricSpec:
    """One CloudWatch metric a kind publishes, as AWS names it: what one datapoint counts
    *at this node* (``counts``), its unit and the statistic alarms usually read."""

    name: str
    unit: Unit
    shape: Shape
    counts: str
    statistic: str = "Sum"
    sparse: bool = False
    """Published only by nodes that use a feature (Lambda's provisioned concurrency): a node
    none of whose periods reports it does not have it, even as zeros."""
    extent: Extent = Extent.intensive
    """How the run gives the value back in real units (:class:`Extent`)."""


def metric(
    name: str,
    unit: Unit,
    counts: str,
    *,
    shape: Shape | None = None,
    statistic: str = "",
    sparse: bool = False,
    extent: Extent | None = None,
) -> MetricSpec:
    """Declare a metric; counts default to the ``count`` shape and ``Sum``, other units to
    ``distribution`` and ``Average``. Counts and bytes grow with the traffic unless said
    otherwise (``extent``), other units are intensive."""
    if shape is None:
        shape = Shape.count if unit is Unit.count else Shape.distribution
    if not statistic:
        statistic = "Sum" if shape is Shape.count else "Average"
    if extent is None:
        extent = Extent.traffic if unit in (Unit.count, Unit.bytes) else Extent.intensive
    return MetricSpec(name, unit, shape, counts, statistic, sparse, extent)


@dataclass(frozen=True)
class Metrics:
    """A kind's CloudWatch namespace, its dimensions (the node is their value) and metrics."""

    namespace: str
    dimensions: tuple[str, ...]
    metrics: tuple[MetricSpec, ...]

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)

    def get(self, name: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.name == name), None)


NO_METRICS = Metrics("", (), ())


ImportHook = Callable[["ImportContext"], "dict[str, object] | None"]


@dataclass(frozen=True)
class CfnImport:
    """How a kind reads one CloudFormation resource type (``archgen import``).

    The mapping of a kind lives with the kind: ``build`` reads the resource through the
    importer's context and returns the node's params, or, for a type that only completes
    another node (an event source mapping, a subscription), updates that node and returns
    ``None`` (``creates_node=False``). ``entry_operation`` is the call a starter flow makes
    when a node of this type is where outside traffic enters.
    """

    type: str
    build: ImportHook
    creates_node: bool = True
    entry_operation: str | None = None
    ref_is_arn: bool = False
    """``Ref`` of the resource returns its ARN (a topic), not its name."""
    shared_node: str | None = None
    """Every resource of this type goes into one node of this id (CloudWatch's alarms)."""
    physical_name: str | None = None
    """The property that names the resource in AWS (``TableName``, ``QueueName``): drift
    (``check --against``) matches a node whose id or ``arn`` ends in that name."""


@dataclass(frozen=True)
class SseKms:
    """What server-side encryption with a customer managed key (the node's
    :meth:`KindParams.sse_kms_key`) asks of callers: the service uses the key on the
    caller's behalf, so AWS authorizes the KMS actions for the caller's own principal.

    ``actions`` maps operation patterns (``*`` wildcards; the first that matches wins) to
    the KMS actions a call needs; ``error`` is the code the service answers with when the
    key refuses (SQS ``KMS.AccessDeniedException``, SNS ``KMSAccessDenied``…);
    ``unavailable`` when the key cannot be used (disabled, or KMS out), ``throttled`` when
    KMS throttles the service's request on the caller's behalf (SQS ``KMS.DisabledException``
    and ``KMS.ThrottlingException``, SNS ``KMSDisabled`` and ``KMSThrottling``)."""

    actions: tuple[tuple[str, tuple[str, ...]], ...]
    error: str = "AccessDenied"
    unavailable: str = "KMS.DisabledException"
    throttled: str = "KMS.ThrottlingException"

    def needs(self, op: str) -> tuple[str, ...]:
        """The KMS actions a call of ``op`` needs on the key (none: it does not touch it)."""
        from archgen.model.schema import operation_matches

        for pattern, actions in self.actions:
            if operation_matches(pattern, op):
                return actions
        return ()


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "ANY"})
"""Methods an operation written as an HTTP request starts with (``ANY``: API Gateway's)."""


def is_http_request(op: str) -> bool:
    """Whether ``op`` is written as an HTTP request: a method alone or followed by a path
    (``GET``, ``POST /readings``), as a load balancer or an API forwards it."""
    method, space, rest = op.partition(" ")
    return method in HTTP_METHODS and (not space or rest.startswith(("/", "*")))


def object_kb(nodes: Mapping[str, Node], node: Node) -> float | None:
    """Size in KB of one object ``node`` serves: its own (``served_object_kb``), or that
    of the node it hands objects on from (``objects_from``, followed to the end); none
    when no node on the way says."""
    seen: set[str] = set()
    current: Node | None = node
    while current is not None and current.id not in seen:
        size = current.params.served_object_kb()
        if size is not None:
            return size
        seen.add(current.id)
        source = current.params.objects_from()
        current = None if source is None else nodes.get(source)
    return None


OBJECT_READS = ("GetObject", "GET")
"""Verbs of an operation that brings an object back (S3 ``GetObject``, HTTP ``GET …``)."""

OBJECT_WRITES = ("PutObject", "UploadPart", "PostObject", "PUT", "POST")
"""Verbs of an operation that sends an object (S3 ``PutObject``, HTTP ``PUT …``/``POST …``)."""


def moves_object(op: str) -> bool | None:
    """Whether ``op`` carries an object of the node it calls: True when it sends one
    (an upload), False when it brings one back (a download), None when it carries none
    (a delete, a list, a head, a copy inside the service)."""
    if op.startswith(OBJECT_WRITES):
        return True
    if op.startswith(OBJECT_READS):
        return False
    return None


@dataclass(frozen=True)
class Operations:
    """The operations an AWS service answers, as its API and its IAM actions name them
    (``PutItem``, ``ListBucket``): ``archgen validate`` refuses an edge, a step or an
    end-to-end objective that names another (``PutItems``), which the run would otherwise
    simulate as if it existed. A kind without it (``KindSpec.operations`` None) answers
    operations the model itself names: HTTP paths, SQL, cache commands.

    ``http``: it also answers HTTP requests (``GET /path``) that a load balancer, an API or
    a function URL forwards to it (Lambda), or its REST endpoint serves (S3). Extra names
    archgen's own edges use (``Redrive``: a move to a dead-letter queue) are listed too."""

    service: str
    names: frozenset[str]
    http: bool = False

    def __init__(self, service: str, names: str | Iterable[str], *, http: bool = False) -> None:
        """``names``: the operations, or one string of them separated by white space."""
        listed = names.split() if isinstance(names, str) else names
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "names", frozenset(listed))
        object.__setattr__(self, "http", http)

    def knows(self, op: str) -> bool:
        """Whether a call of ``op`` is one of these operations."""
        return op in self.names or (self.http and is_http_request(op))

    def covers_some(self, declared: str) -> bool:
        """Whether an edge's declared operation (maybe a ``*`` glob) names one of them."""
        from archgen.model.schema import operation_matches

        if self.knows(declared):
            return True
        return "*" in declared and any(operation_matches(declared, n) for n in self.names)

    def unknown(self, op: str) -> str:
        """What is wrong with ``op``, which :meth:`covers_some` refused."""
        from archgen.model.errors import did_you_mean

        if "*" in op:
            return f"operation pattern '{op}' matches no {self.service} operation"
        hint = did_you_mean(op, self.names)
        if not hint and self.http:
            hint = " (nor an HTTP request such as 'POST /path')"
        return f"unknown {self.service} operation '{op}'{hint}"


@dataclass(frozen=True)
class KindSpec:
    name: str
    params: type[KindParams]
    title: str
    category: str
    summary: str = ""
    icon: Icon = Icon("diagrams.aws.general", "General")
    arn: Arn | None = None
    iam_service: str | None = None
    conditions: tuple[str, ...] = ()
    capabilities: frozenset[Capability] = frozenset()
    validate: Hook | None = None
    lint: LintHook | None = None
    """Kind-specific static rules, run by ``archgen check`` (``lints.add``)."""
    behavior: str | None = None
    """``"module:Class"`` of its runtime behavior, imported by the runtime only."""
    node_class_name: str = ""
    order: int = 1000
    """Catalogue position (reference page, JSON Schema ``oneOf``); ties sort by name."""
    mermaid_shape: tuple[str, str] | None = None
    screen_order: int = 100
    """For :class:`Protects` kinds: protections screen a call in this order, lowest first
    (Shield at the network edge before WAF's rules)."""
    metrics: Metrics = NO_METRICS
    """The CloudWatch metrics its nodes publish (its behavior emits exactly these); alarms
    may watch only these names."""
    imports: tuple[CfnImport, ...] = ()
    """The CloudFormation resource types this kind imports, and how."""
    cost: CostRule | Unpriced | None = None
    """What a node of this kind costs (:mod:`archgen.model.cost`): a rule charging its run
    activity at list prices, or why it is free or not priced; every built-in kind says."""
    sse_kms: SseKms | None = None
    """The KMS actions its SSE-KMS asks of callers; none: callers never touch its key."""
    service_principal: str | None = None
    """The AWS service principal its own calls are made under (``sns.amazonaws.com``) when
    it is a managed service without a role: a key policy must name it for it to write to
    an SSE-KMS target (an SNS topic to an encrypted queue)."""
    operations: Operations | None = None
    """The AWS operations its nodes answer (:class:`Operations`); none: the model names
    them (HTTP paths, SQL…) and any name is accepted."""
    source: str = field(default="", compare=False)
    """Where it was found (the entry point's value), for error messages."""

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @cached_property
    def node_class(self) -> type[Node]:
        """The pydantic class of this kind's nodes (``kind: Literal[name]``)."""
        from typing import Literal

        from pydantic import create_model

        name = self.node_class_name or self.params.__name__.removesuffix("Params") + "Node"
        return create_model(
            name,
            __base__=Node,
            __module__=self.params.__module__,
            __doc__=self.summary or None,
            kind=(  # type: ignore[arg-type]
                Literal[self.name],
                Field(description=f"{self.title}: the kind of this node."),
            ),
            params=(
                self.params,
                Field(
                    default_factory=self.params,
                    description=f"Settings of the {self.title}; omitted ones take their defaults.",
                ),
            ),
        )

    def params_of(self, node: Node) -> KindParams:
        if node.kind != self.name:
            raise TypeError(f"{node.id} is a {node.kind} node, not {self.name}")
        return node.params


def kind(
    name: str,
    params: type[P],
    *,
    title: str,
    category: str,
    summary: str = "",
    icon: tuple[str, str] = ("diagrams.aws.general", "General"),
    arn: Arn | None = None,
    iam_service: str | None = None,
    conditions: tuple[str, ...] = (),
    capabilities: frozenset[Capability] | set[Capability] = frozenset(),
    validate: Callable[[Checks, PathKey, Node, P], None] | None = None,
    lint: Callable[[Lints, PathKey, Node, P], None] | None = None,
    behavior: str | None = None,
    node_class_name: str = "",
    order: int = 1000,
    mermaid_shape: tuple[str, str] | None = None,
    screen_order: int = 100,
    metrics: Metrics = NO_METRICS,
    imports: tuple[CfnImport, ...] = (),
    cost: Callable[[Bill, Node, P], None] | Unpriced | None = None,
    sse_kms: SseKms | None = None,
    service_principal: str | None = None,
    operations: Operations | None = None,
) -> KindSpec:
    """Declare a kind. ``validate``, ``lint`` and a ``cost`` rule receive the node's params
    already narrowed to ``P``."""
    hook: Hook | None = None
    if validate is not None:
        typed = validate

        def hook(checks: Checks, path: PathKey, node: Node) -> None:
            assert isinstance(node.params, params)
            typed(checks, path, node, node.params)

    lint_hook: LintHook | None = None
    if lint is not None:
        typed_lint = lint

        def lint_hook(lints: Lints, path: PathKey, node: Node) -> None:
            assert isinstance(node.params, params)
            typed_lint(lints, path, node, node.params)

    from archgen.model.cost import Unpriced

    cost_rule: CostRule | Unpriced | None = None
    if cost is None or isinstance(cost, Unpriced):
        cost_rule = cost
    else:
        typed_cost = cost

        def cost_rule(bill: Bill, node: Node) -> None:
            assert isinstance(node.params, params)
            typed_cost(bill, node, node.params)

        cost_rule.__doc__ = typed_cost.__doc__

    return KindSpec(
        name=name,
        params=params,
        title=title,
        category=category,
        summary=summary,
        icon=Icon(*icon),
        arn=arn,
        iam_service=iam_service,
        conditions=conditions,
        capabilities=frozenset(capabilities),
        validate=hook,
        lint=lint_hook,
        behavior=behavior,
        node_class_name=node_class_name,
        order=order,
        mermaid_shape=mermaid_shape,
        screen_order=screen_order,
        metrics=metrics,
        imports=imports,
        cost=cost_rule,
        sse_kms=sse_kms,
        service_principal=service_principal,
        operations=operations,
    )
