"""The Behavior interface: how one kind of node acts during a simulated run.

One module per kind under ``archgen.runtime.behaviors`` defines a subclass of
:class:`Behavior` and registers it with ``@register("kind")``. The run builds one instance
per node, each with its own :class:`NodeContext`; a behavior sees only that context, never
the kernel, the other behaviors or the files being written.

Life of a behavior
------------------
1. ``__init__(ctx)``: read the node's params ONCE (``ctx.node.params``, a frozen pydantic
   object) into plain attributes; make samplers with ``ctx.sampler(duration)``. Capacities
   are given in real-system units: scale them through the context, which books each one
   for the summary (``ctx.scaled(n, name=…)`` for whole things such as instances,
   ``ctx.scaled_rate`` for rates, ``ctx.scaled_slots`` for concurrency; see
   :mod:`archgen.runtime.capacity`).
2. ``start()``: called once every behavior exists, at time 0: schedule timers
   (``ctx.after(delay_ms, fn, arg)``), e.g. health checks, polling, scaling evaluations.
3. ``handle(call)``: serve one call made to this node. The behavior MUST eventually end it
   with ``ctx.finish(call)`` (success, or the error a child left in ``call.error``) or
   ``ctx.fail(call, "ErrorCode")``; until then the call is in flight. To make the calls the
   flow declares under this step, use ``ctx.run_children(call, then)``; ``then(call)`` runs
   when the synchronous children are done (``call.error`` is set if one failed).
4. ``condition(name, call)``: decide a step's ``when`` for the children this node makes
   (e.g. CloudFront answers ``cache_miss``), or, asked about a call it answered, for its
   caller's later steps (ElastiCache's ``cache_miss``: cache-aside); ``None`` = undecided
   → the earlier answers, then ``probability`` or true.
5. Hooks, all optional: ``healthy()`` (Route 53 / ALB health checks), ``targets()`` (what a
   load balancer can pick among), ``screen(call)`` (WAF/Shield: block at the entry of the
   nodes they protect) and ``inspection_ms()`` (the time that takes),
   ``on_signal(signal)`` (alarm actions), ``on_fault(fault, active)``,
   ``stands_in(source, op)`` and ``note_stand_in(call)`` (flow steps that stand for calls
   the service makes for the caller),
   ``completed(call)`` (a call to this node ended: count it in the node's request
   metrics), ``on_period(t_s)`` (emit gauges before a metrics period closes), ``on_metrics(t_s)``
   (after it closed: CloudWatch evaluates alarms), ``summary()`` (extra summary fields),
   ``accounting()`` (typed books of messages and effects: see :mod:`archgen.runtime.accounting`).

Calls and edges
---------------
``ctx.call(parent, target, op, done)`` is the ONLY way to reach another node. It maps the
target to its replica in the session's region, checks that a declared edge (this node →
target) carries ``op`` (else: a ``violation`` span and ``done`` with status "violation"),
asks the IAM authorizer (``archgen.runtime.aws.iam.authorize(model, caller, target, op)``,
returning an object with ``allowed: bool`` and ``reason: str``; allow-all until that module
exists), applies faults (outage → ``ServiceUnavailable``, throttling, added latency) and the
protections (``screen``), then hands the call to the target's ``handle``. ``done(call)`` is
invoked exactly once, when the callee finishes; ``call.error`` is ``None`` on success.

Async consumers (SQS → Lambda): keep the :class:`Call` that brought the message (it carries
the trace: session, flow, region) and, when the consumer processes it, call
``ctx.run_triggered(origin, then, op="Invoke")``: it runs the steps this node makes as a
*triggered root* (steps from this node with no parent step, in the origin's flow, else in
the first flow declaring them) as children of a new span on this node, and calls
``then(work)``; finish ``work`` like any call. The steps in it that stand for calls the
service makes for the consumer (its event source mapping's ReceiveMessage and
DeleteMessage: ``stands_in``) are no requests: the run ends them at once, unbilled.

Determinism: draw randomness only from ``ctx.rng`` (a ``random.Random`` seeded from the run
seed and the node id); never iterate over sets; ids are sorted.

The whole runtime contract, for authors of kinds: site/docs/guide/how-a-model-runs.md.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from archgen.runtime.capacity import ScaledCapacity, SharedSlots, nearest
from archgen.runtime.fluid import FULL, Fidelity, FluidPool, shape_clock

if TYPE_CHECKING:
    from archgen.model.base import Duration
    from archgen.model.kind import KindParams
    from archgen.model.schema import AnyNode, Fault, Model
    from archgen.runtime.artefacts import SpanStatus
    from archgen.runtime.services import Services

Callback = Callable[["Call"], None]
"""Continuation of a call: receives the finished call."""

HEALTH_CHECK = "HealthCheck"
"""The operation of health checks (Route 53 → record target, load balancer → target): a
flow-less call (``step`` None) that CloudWatch request metrics leave out, as AWS does."""


class Session:
    """One user (or one attack source): where they are, where DNS sent them, and the values
    of its journey's entities (``keys``: entity name → value index)."""

    __slots__ = (
        "attack",
        "born",
        "client",
        "id",
        "journey",
        "keys",
        "location",
        "region",
        "region_expires",
        "source",
    )

    def __init__(
        self,
        session_id: int,
        journey: str | None,
        client: str | None,
        location: str | None,
        source: str,
        *,
        attack: bool = False,
    ) -> None:
        self.id = session_id
        self.journey = journey
        self.client = client
        self.location = location
        self.source = source  # the "IP" WAF keys on
        self.region: str | None = None  # region group chosen by Route 53
        self.region_expires = 0.0  # ms: when the client's cached DNS answer expires
        self.attack = attack
        self.keys: dict[str, int] = {}
        self.born: float | None = None  # ms: when a user's session started (pools' clocks)


class Trace:
    """One execution of one flow (or a flow-less call such as a health check)."""

    __slots__ = ("flow", "id", "item", "session", "text")

    def __init__(self, trace_id: int, session: Session, flow: Any, item: int) -> None:
        self.id = trace_id
        self.session = session
        self.flow = flow  # archgen.runtime.plan.FlowPlan | None
        self.item = item  # the scenario's item this flow is about (default cache/object key)
        self.text: tuple[str, str, str, str] | None = None  # span fields, formatted once

    @property
    def flow_id(self) -> str | None:
        """The id of the flow this trace runs; None for a flow-less call."""
        flow = self.flow
        return None if flow is None else str(flow.id)


class Call:
    """One request from one node to another; becomes one span when it finishes."""

    __slots__ = (
        "attrs",
        "done",
        "error",
        "node",
        "op",
        "origin",
        "parent",
        "payload",
        "route",
        "source",
        "span",
        "start",
        "status",
        "step",
        "trace",
    )

    def __init__(
        self,
        trace: Trace,
        span: int,
        parent: Call | None,
        source: str,
        node: str,
        op: str,
        step: int | None,
        start: float,
        done: Callback,
    ) -> None:
        self.trace = trace
        self.span = span
        self.parent = parent
        self.source = source  # caller node id
        self.node = node  # callee node id (after replica mapping)
        self.op = op
        self.step = step  # index of the flow step, None for retries/health checks/…
        self.start = start  # ms
        self.done = done
        self.status: SpanStatus = "ok"
        self.error: str | None = None
        self.origin: str | None = None  # node where the error was raised
        self.attrs: dict[str, Any] | None = None  # behavior's decisions, into the span
        self.route: Any = None  # set by a load balancer: the target chosen
        self.payload: Any = None  # free for behaviors (message body, data key…)

    def key(self) -> str | None:
        """The value of the step's key expression (``Step.key``) for this call, e.g.
        ``city-17``; None when the step declares none (each behavior has its default)."""
        plan = self.trace.flow
        if plan is None or self.step is None:
            return None
        name: str | None = plan.steps[self.step].key
        if name is None:
            return None
        if name == "session":
            return f"session-{self.trace.session.id}"
        if name == "trace":
            return f"trace-{self.trace.id}"
        if name == "item":
            return f"item-{self.trace.item}"
        value = self.trace.session.keys.get(name)
        return f"{name}-{value}" if value is not None else f"{name}-none"

    def object_key(self) -> int | str:
        """What a store or a cache keys this call by: the step's declared key, else the
        flow's item (the scenario's Zipf-popular items)."""
        declared = self.key()
        return self.trace.item if declared is None else declared

    def note(self, key: str, value: Any) -> None:
        """Record a decision in the span's ``attrs`` (e.g. ``cache="hit"``)."""
        if self.attrs is None:
            self.attrs = {key: value}
        else:
            self.attrs[key] = value


@dataclass(frozen=True)
class Signal:
    """A control message sent through a declared edge, e.g. a CloudWatch alarm action."""

    type: str  # "scale" | "failover" | "notify" | …
    source: str  # node that sent it
    alarm: str | None = None
    state: str = "ALARM"  # "ALARM" | "OK"
    adjustment: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    call: Call | None = None  # the span that carried it, set on arrival: parent of follow-ups


class Target:
    """Something a load balancer can send to (an instance, or a whole node)."""

    __slots__ = ("healthy", "id", "lb_healthy", "outstanding")

    def __init__(self, target_id: str) -> None:
        self.id = target_id
        self.outstanding = 0
        self.healthy = True
        self.lb_healthy = True  # False while a load balancer's health checks fail it


class FaultState:
    """Faults currently applied to a node; the kernel updates it, behaviors read it."""

    __slots__ = ("crash_rate", "down", "latency_ms", "poison_rate", "throttle_rate", "zones_down")

    def __init__(self) -> None:
        self.down = False  # node, AZ (for single-zone nodes) or region outage
        self.latency_ms = 0.0  # added to every response
        self.throttle_rate = 0.0  # share of calls failing with ThrottlingException
        self.crash_rate = 0.0  # consumer_crash: share of invocations that crash
        self.poison_rate = 0.0  # poison_message (a queue): share of the messages sent poisoned
        self.zones_down: frozenset[str] = frozenset()  # AZ groups out (multi-zone nodes)


class NodeContext(ABC):
    """What a behavior may use. Times are milliseconds since the start of the run."""

    node_id: str
    node: AnyNode
    kind: str
    model: Model
    rng: random.Random
    scale: float  # traffic/capacity scale factor of the run (traced: × sample in hybrid)
    fidelity: Fidelity = FULL  # hybrid: pools keep scale / sample of their real servers
    capacities: dict[str, ScaledCapacity]  # what this node's capacities became at the scale
    region: str | None  # region group of this node
    faults: FaultState
    services: Services
    counters: dict[str, int]  # what :meth:`count` added, by name (also the run's, for the node)
    """Run-scoped services several behaviors use (the scenario and seed, data-at-rest
    stores, the KMS key ring); one object per run, never shared between runs."""

    @property
    @abstractmethod
    def now(self) -> float: ...

    @property
    def system_scale(self) -> float:
        """The share of the real system simulated: the run's scale, ÷ the sample in hybrid
        fidelity (where pools of servers are not thinned with the traced traffic)."""
        return self.scale / self.fidelity.sample if self.fidelity.hybrid else self.scale

    def scaled(
        self,
        count: float,
        minimum: int = 1,
        *,
        name: str | None = None,
        zones: int = 0,
        pooled: bool = False,
        member: str = "instance",
    ) -> int:
        """A real-system count of whole things (instances) at the run's scale: the nearest
        count (halves up), at least ``minimum``; a capacity of the model is booked as
        ``name`` (``member``s spread over ``zones``) for the summary and its warnings.
        ``pooled``: servers of a pool the behavior runs as a :meth:`pool` in hybrid
        fidelity, counted at the system's scale there."""
        scale = self.system_scale if pooled else self.scale
        simulated = max(minimum, nearest(count * scale))
        if name is not None:
            self.book(ScaledCapacity(name, count, count * scale, simulated, "whole", zones, member))
        return simulated

    def pool(
        self, name: str, count: float, *, loss: bool = False, queue_limit: float = math.inf
    ) -> FluidPool | None:
        """In hybrid fidelity, the real ``count`` servers (× the system's scale) as a
        :class:`~archgen.runtime.fluid.FluidPool` that decides the traced requests from
        the whole load (booked as ``name``); None in full fidelity."""
        if not self.fidelity.hybrid:
            return None
        scaled = count * self.system_scale
        servers = max(1, nearest(scaled)) if count > 0 else 0
        self.book(ScaledCapacity(name, count, scaled, servers, "whole"))
        return FluidPool(
            servers,
            self.fidelity.sample,
            self.rng,
            loss=loss,
            queue_limit=queue_limit,
            clock=shape_clock(self.services.scenario),
            tally=self.services.sessions,
        )

    def scaled_rate(self, name: str, rate: float) -> float:
        """A real-system rate (units or requests per second) at the run's scale, exactly."""
        scaled = rate * self.scale
        self.book(ScaledCapacity(name, rate, scaled, scaled, "exact"))
        return scaled

    def scaled_slots(self, name: str, count: float) -> SharedSlots:
        """A real-system number of concurrent slots at the run's scale, time-shared so that
        a fractional share is kept on average (2.5 = 2, and a third half of the time)."""
        scaled = count * self.scale
        self.book(ScaledCapacity(name, count, scaled, scaled, "time-shared"))
        return SharedSlots(scaled)

    def book(self, capacity: ScaledCapacity) -> None:
        """Record what a capacity became at the run's scale (the summary lists it)."""
        self.capacities[capacity.name] = capacity

    @abstractmethod
    def after(self, delay_ms: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Run ``fn(arg)`` ``delay_ms`` from now (ties: in scheduling order)."""

    @abstractmethod
    def sampler(self, duration: Duration) -> Callable[[], float]:
        """A function drawing milliseconds from ``duration`` with this node's RNG."""

    @abstractmethod
    def call(
        self,
        parent: Call | None,
        target: str,
        op: str,
        done: Callback,
        *,
        trace: Trace | None = None,
        step: int | None = None,
        route: Any = None,
        payload: Any = None,
    ) -> None:
        """Call ``target`` through the declared edge; ``done(call)`` when it finishes.
        ``trace`` defaults to the parent's (a flow-less one when there is no parent)."""

    @abstractmethod
    def run_children(
        self,
        call: Call,
        then: Callback,
        *,
        route: Callable[[Call], str | None] | None = None,
    ) -> None:
        """Make the calls the flow nests under ``call``'s step, in order (sync ones wait);
        ``route(child)`` may set ``child.route`` or return an error code to fail it."""

    @abstractmethod
    def run_triggered(
        self,
        origin: Call,
        then: Callback,
        *,
        op: str = "Invoke",
        start: float | None = None,
        route: Callable[[Call], str | None] | None = None,
        part: bool = False,
    ) -> Call:
        """Run this node's triggered-root steps for ``origin``'s flow as a new span, and
        return that span (its ``then`` may already have run). ``start`` backdates it (a
        message handed over when its batch began); ``route`` may refuse a step as in
        :meth:`run_children`. A ``part`` is work inside a call this node already counts
        (one message of a batch invocation): no request of its own, ended with
        :meth:`end_part`."""

    @abstractmethod
    def open_span(self, parent: Call, op: str, *, part: bool = False) -> Call:
        """A flow-less span on this node, from ``parent``'s node, starting now (work this
        node does on its own, e.g. one batch of a queue consumer); end it with
        :meth:`finish`, or, a ``part`` of a call the node already counts, with
        :meth:`end_part`."""

    @abstractmethod
    def finish(self, call: Call, error: str | None = None, *, slowed: bool = True) -> None:
        """End ``call`` now (with ``error``, or the error its children left): its answer
        reaches the caller once the node's object has moved, when the call carries one
        (an upload or a download of a node with an object size), and after any latency a
        fault adds, unless ``slowed`` is False (the behaviour has spent that time itself,
        as a function's code that runs slower)."""

    def fail(self, call: Call, error: str) -> None:
        self.finish(call, error)

    @abstractmethod
    def end_part(self, call: Call, error: str | None = None) -> None:
        """End a ``part`` span (:meth:`run_triggered`) now: its span and its continuation
        only, so the node's requests, calls and errors count the call it is part of once
        (a batch's ``Invoke``, as Lambda's ``Invocations`` does), not once per message."""

    @abstractmethod
    def count(self, name: str, n: int = 1) -> None:
        """Add to this node's counters in ``summary.json``."""

    @abstractmethod
    def emit(self, metric: str, value: float) -> None:
        """A CloudWatch datapoint for this node in the current period: one of the metrics
        its kind declares (:attr:`KindSpec.metrics`), counting what happened here."""

    @abstractmethod
    def metric(self, node: str, name: str, statistic: str) -> float | None:
        """A node's metric over the last closed period; ``None`` = missing data."""

    @abstractmethod
    def signal(self, target: str, signal: Signal) -> bool:
        """Deliver a control message through the declared edge to ``target``; False (and a
        violation) if there is none."""

    @abstractmethod
    def targets(self, node: str) -> list[Target]:
        """The targets of ``node`` a load balancer can pick (through a declared edge)."""

    @abstractmethod
    def healthy(self, node: str) -> bool:
        """Whether ``node`` answers a health check now (an internal check, no call)."""

    @abstractmethod
    def declares(self, target: str, op: str) -> bool:
        """Whether a declared edge from this node to ``target`` carries ``op`` (e.g. may
        a health check be a real call, see :data:`HEALTH_CHECK`)."""

    @abstractmethod
    def new_trace(self, parent: Call | None = None) -> Trace:
        """A flow-less trace (for work this node starts on its own)."""

    @abstractmethod
    def outages(self, node: str) -> tuple[tuple[float, float], ...]:
        """The (start, end) windows, in ms, merged and in order, in which the scenario's
        faults take ``node`` out whole: what a behavior asks of the past (could a request
        the run did not trace have reached ``node`` then?)."""


@dataclass(frozen=True)
class QueueBooks:
    """A queue's part of the message books, at the end of a run."""

    queue: str
    sent: tuple[str, ...]  # ids of the messages sent here (not moved here), in send order
    held: frozenset[str]  # ids still in the queue: visible, delayed or in flight
    in_flight: int
    dead_letter_queue: str | None


@dataclass(frozen=True)
class ConsumerBooks:
    """A queue consumer's part: which messages it processed to success, and how often an
    effect was applied more than once (must stay 0 for an idempotent consumer)."""

    consumer: str
    queue: str
    processed: frozenset[str]
    duplicates_suppressed: int
    applied_twice: int


@dataclass(frozen=True)
class ChannelBooks:
    """A topic's deliveries, per protocol (``email``, ``sqs``…): figures by outcome."""

    channels: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]


@dataclass(frozen=True)
class DeliveryBooks:
    """An event router's deliveries (each event to each target it matched): delivered,
    moved to a dead-letter queue, still being retried (``pending``, of which ``in_flight``
    await an answer) or dropped (``lost``): ``sent`` is their sum."""

    source: str
    sent: int
    delivered: int
    dead_lettered: int
    pending: int
    in_flight: int
    lost: int
    targets: tuple[str, ...]


Books = QueueBooks | ConsumerBooks | ChannelBooks | DeliveryBooks
"""What :meth:`Behavior.accounting` may report."""


@dataclass(frozen=True)
class Footprint:
    """What one node costs a run before any call is made (``runtime/budget.py``):
    simulated instances (memory), workers with idle background events (health checks,
    long polls) and objects a cache may hold."""

    instances: int = 0
    workers: int = 0
    cached_objects: int = 0


def scaled_count(count: int, scale: float) -> int:
    """``count`` at the run's ``scale``, at least one if there was any."""
    return max(1, math.ceil(count * scale)) if count else 0


class Behavior:
    """Base class: a node that answers after running the children its flow declares."""

    kind: ClassVar[str] = ""

    @classmethod
    def footprint(cls, params: KindParams, scale: float, items: int) -> Footprint:
        """What a node of this kind costs a run before any call, at ``scale`` with
        ``items`` distinct keys; most kinds cost only the calls they receive."""
        return Footprint()

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx

    def start(self) -> None:
        """Schedule timers; called once at time 0, after every behavior is built."""

    def handle(self, call: Call) -> None:
        self.ctx.run_children(call, self.ctx.finish)

    def condition(self, name: str, call: Call) -> bool | None:
        return None

    def healthy(self) -> bool:
        return not self.ctx.faults.down

    def targets(self) -> list[Target]:
        return []

    def screen(self, call: Call) -> str | None:
        """For protections: an error code to block ``call`` at the protected node's door."""
        return None

    def inspection_ms(self) -> float:
        """For protections: the time screening one request adds before it goes on (or is
        blocked)."""
        return 0.0

    def stands_in(self, source: str, op: str) -> str | None:
        """Who really makes the calls that flow steps from ``source`` with ``op`` declare,
        when the service does it for the caller rather than its code (an SQS event source
        mapping receives and deletes for its function): such a step only stands for that
        call, which the behaviors simulate on their own. The run ends it at once after its
        edge and IAM checks, a span with ``made_by`` but no request: no time, no node
        count, no bill, no fault. None (the default): the step is a real call. Asked once
        per (source, op)."""
        return None

    def note_stand_in(self, call: Call) -> None:
        """Note on a step that :meth:`stands_in` for a call what it stands for (the
        message it was about)."""

    def work_zone(self, call: Call, zones: tuple[str, ...]) -> str:
        """The availability zone, of ``zones`` (the node's, :func:`archgen.model.egress.
        zones_of`), in which this node makes ``call``: the zone its call leaves from, so
        the zone whose NAT gateway carries it. By default the service places each piece
        of work (the invocation ``call`` is part of) in one of the zones that are up, the
        same zone for all its calls, spreading the pieces evenly (Lambda runs an
        invocation in one of its subnets, in the zones that are up); a fleet answers its
        member's zone."""
        down = self.ctx.faults.zones_down
        up = tuple(z for z in zones if z not in down) or zones
        parent = call.parent
        work = call.span if parent is None else parent.span
        # Fibonacci hashing: consecutive (or evenly strided) span numbers spread evenly.
        return up[((work * 0x9E3779B1) & 0xFFFFFFFF) * len(up) >> 32]

    def client_cached(self, call: Call) -> bool:
        """Whether the caller's SDK answers ``call`` from its own memory (a caching client):
        then this method ends ``call`` itself and the call never leaves its caller: no
        egress, network round trip, fault or key of the path or of this node applies. Only
        asked of kinds that override it."""
        return False

    def on_signal(self, signal: Signal) -> None:
        self.ctx.count(f"signal.{signal.type}")

    def on_fault(self, fault: Fault, active: bool) -> None:
        """A fault on this node starts (``active``) or ends; ``ctx.faults`` is updated."""

    def rides_out(self, fault: Fault) -> bool:
        """Whether an outage that hits this node whole is one it recovers from by itself
        (a Multi-AZ database's primary instance fails and its standby takes over): the
        kernel then leaves the node up (``ctx.faults.down`` stays False, calls reach it)
        and :meth:`on_fault` makes it unavailable for as long as its recovery takes. The
        answer may depend on the node's settings only, not on the run's state, so that a
        fault's start and end agree."""
        return False

    def completed(self, call: Call) -> None:
        """A call to this node ended (health checks excepted), however it ended: at the
        door (outage, throttling fault, IAM, a protection: ``call.origin`` says which
        node), here, or with an error a child left. Count it in this node's request
        metrics; a kind without request metrics ignores it."""

    def on_period(self, t_s: float) -> None:
        """Emit gauges for the metrics period ending at ``t_s``."""

    def on_metrics(self, t_s: float) -> None:
        """The period ending at ``t_s`` has closed; ``ctx.metric`` now sees it."""

    def summary(self) -> dict[str, Any]:
        """Extra fields for this node in ``summary.json`` (JSON-serialisable, sorted)."""
        return {}

    def accounting(self) -> tuple[Books, ...]:
        """This node's typed books of messages and effects, read once after the run: the
        runtime adds them up without knowing what kind of node reported them."""
        return ()


B = TypeVar("B", bound=type[Behavior])

BEHAVIORS: dict[str, type[Behavior]] = {}
"""Kind → behavior class; filled by the modules of :mod:`archgen.runtime.behaviors`."""


def register(kind: str) -> Callable[[B], B]:
    """Class decorator: make ``cls`` the behavior of ``kind``."""

    def decorate(cls: B) -> B:
        cls.kind = kind
        BEHAVIORS[kind] = cls
        return cls

    return decorate
