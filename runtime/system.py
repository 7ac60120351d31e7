"""The simulated system: one context per node, and the one path every call takes.

``Simulation.dispatch`` is where the rules common to all kinds live: edges are the law
(undeclared edge or operation → violation), IAM authorization, faults (outage, throttling,
added latency) of the target and of the KMS keys it uses on the caller's behalf (SSE-KMS),
protections at the door of protected nodes, client round trips, flow steps that only
stand for a call the service makes for the caller (``stands_in``: spans, no requests),
reads a caching client answers from its memory (``client_cached``: nothing of the path
applies), and the way out of a private subnet (``_kept_in``: the egress of the zone the
call is made in; a call nothing carries fails after the SDK's connect timeout).
Behaviors see only their :class:`NodeContext`. Health checks (op ``HealthCheck``, no flow
step) are spans and node counts like any call, but stay out of CloudWatch request metrics
(AWS leaves them out of ELB and target metrics too).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import Any

from archgen.model.base import Duration
from archgen.model.egress import egress, private_place, zones_of
from archgen.model.flows import Continuations, FlowPlan, StepPlan, compile_flows
from archgen.model.kind import (
    CONNECT_TIMEOUT_S,
    Capability,
    Protects,
    SseKms,
    UserLocations,
    moves_object,
    object_kb,
)
from archgen.model.registry import has, kinds
from archgen.model.schema import AnyNode, Edge, Fault, FaultType, GroupKind, Model, Scenario
from archgen.runtime.behavior import (
    HEALTH_CHECK,
    Behavior,
    Call,
    Callback,
    FaultState,
    NodeContext,
    Session,
    Signal,
    Target,
    Trace,
)
from archgen.runtime.dists import make_sampler
from archgen.runtime.egress import UNREACHABLE, EgressPath
from archgen.runtime.engine import Kernel, stream
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.metrics import MetricStore
from archgen.runtime.services import Services
from archgen.runtime.trace import SpanSink

OUTAGES = frozenset({FaultType.node_outage, FaultType.region_outage, FaultType.az_outage})
"""Faults that take a node out (as a whole, or a zone of it)."""

Authorizer = Callable[[Model, AnyNode, AnyNode, str], Any]

_Screen = tuple[Behavior, Callable[[], float] | None]
"""A protection at a node's door, with its ``inspection_ms`` when its kind has one."""


class _SseKey:
    """A KMS key a service uses on a caller's behalf (SSE-KMS) for one (caller, target,
    operation): what the service answers when the key fails it (``codes``), the KMS
    requests one renewal of the key makes (``requests``: a producer's GenerateDataKey and
    Decrypt are two), and how long the service keeps what it got (``reuse_ms``, 0: it
    asks KMS on every call) in the cache ``slot`` it shares with the principal's other
    calls of the same kind (target, key, principal, KMS actions)."""

    __slots__ = ("codes", "ctx", "requests", "reuse_ms", "slot")

    def __init__(
        self,
        ctx: _Context,
        codes: SseKms,
        requests: int,
        reuse_ms: float,
        slot: tuple[str, str, str, tuple[str, ...]],
    ) -> None:
        self.ctx = ctx
        self.codes = codes
        self.requests = requests
        self.reuse_ms = reuse_ms
        self.slot = slot


_Door = tuple[
    tuple[str, str] | None,
    "_Context | None",
    tuple[_Screen, ...],
    bool,
    str | None,
    tuple[_SseKey, ...],
    "FaultState | None",
    "Callable[[Call], bool] | None",
]


class _ZonalWay:
    """The ways out of a caller spread over ``zones``: per zone, the NAT gateway or
    endpoint that carries its calls ("" when none)."""

    __slots__ = ("vias", "zones")

    def __init__(self, zones: tuple[str, ...], vias: dict[str, str]) -> None:
        self.zones = zones
        self.vias = vias


FIVE_XX = frozenset({"ServiceUnavailable", "InternalError", "InternalServerError"})


_new = object.__new__


def is_5xx(error: str) -> bool:
    return error[:1] == "5" or error in FIVE_XX


def _noop(_: Any) -> None:
    return None


def _metered(call: Call) -> bool:
    """Whether ``call`` counts in CloudWatch request metrics: health checks do not."""
    return call.op != HEALTH_CHECK or call.step is not None


class _Triggered:
    """Reports an asynchronously started flow execution when its steps are done."""

    __slots__ = ("flow", "report", "then")

    def __init__(self, report: Callable[[str, Call], None], flow: str, then: Callback) -> None:
        self.report = report
        self.flow = flow
        self.then = then

    def __call__(self, call: Call) -> None:
        self.report(self.flow, call)
        self.then(call)


class _Steps:
    """Runs a list of flow steps in order on behalf of one call (sync steps wait).

    A step's ``when`` is decided by its source's behavior; left undecided there, by the
    answers of the calls the earlier steps made, the latest first (cache-aside: the
    application reads its store after the cache answered a miss)."""

    __slots__ = ("answered", "call", "ctx", "index", "plan", "route", "steps", "then")

    def __init__(
        self,
        ctx: _Context,
        call: Call,
        plan: FlowPlan,
        steps: tuple[int, ...],
        then: Callback,
        route: Callable[[Call], str | None] | None,
    ) -> None:
        self.ctx = ctx
        self.call = call
        self.plan = plan
        self.steps = steps
        self.index = 0
        self.then = then
        self.route = route
        self.answered: list[Call] = []

    def _decided_by_answers(self, name: str) -> bool | None:
        contexts = self.ctx.sim.contexts
        for child in reversed(self.answered):
            answerer = contexts.get(child.node)
            decided = None if answerer is None else answerer.behavior.condition(name, child)
            if decided is not None:
                return decided
        return None

    def next(self) -> None:
        ctx = self.ctx
        sim = ctx.sim
        call = self.call
        plan_steps = self.plan.steps
        steps = self.steps
        while self.index < len(steps):
            step: StepPlan = plan_steps[steps[self.index]]
            self.index += 1
            if step.when is not None:
                decided = ctx.behavior.condition(step.when, call)
                if decided is None and self.answered:
                    decided = self._decided_by_answers(step.when)
                if decided is None:
                    decided = step.probability is None or ctx.rng.random() < step.probability
                if not decided:
                    continue
            elif step.probability is not None and ctx.rng.random() >= step.probability:
                continue
            child = sim.new_call(
                call.trace,
                call,
                ctx.node_id,
                step.target,
                step.op,
                _noop if step.is_async else self.child_done,
                step.index,
            )
            if self.route is not None:
                refused = self.route(child)
                if refused is not None:  # e.g. no target to send to: this node answers
                    if step.is_async:
                        continue
                    call.error = refused
                    call.origin = ctx.node_id
                    self.then(call)
                    return
            sim.dispatch(child)
            if not step.is_async:
                return
        self.then(call)

    def child_done(self, child: Call) -> None:
        if child.error is not None:
            call = self.call
            call.error = child.error
            call.origin = child.origin
            self.then(call)
            return
        self.answered.append(child)
        self.next()


class NodeStats:
    """Counters of one node: arrived = ok + failed + in flight, always; and the finished
    calls by (caller, operation): how many and the milliseconds they took (what a bill
    counts)."""

    __slots__ = ("arrived", "calls", "errors", "failed", "inflight", "ok")

    def __init__(self) -> None:
        self.arrived = 0
        self.ok = 0
        self.failed = 0
        self.inflight = 0
        self.errors: dict[str, int] = {}
        self.calls: dict[tuple[str, str], list[float]] = {}


class _Context(NodeContext):
    """The concrete context of one node."""

    def __init__(self, sim: Simulation, node: AnyNode) -> None:
        self.sim = sim
        self.kernel = sim.kernel
        self.node_id = node.id
        self.node = node
        self.kind = node.kind
        self.model = sim.model
        self.rng = stream(sim.seed, node.id)
        self.scale = sim.scale
        self.fidelity = sim.fidelity
        self.capacities = {}
        region = sim.model.region_of(node.group)
        self.region = None if region is None else region.id
        self.faults = FaultState()
        self.services = sim.services
        self.stats = NodeStats()
        self.counters: dict[str, int] = {}
        self.behavior: Behavior = Behavior(self)
        self.completed: Callback | None = None  # the behavior's own, if it has one
        self._reaches: dict[str, bool] = {}  # target → a declared edge leads there
        self.object_kb = object_kb(sim.model.nodes_by_id, node)
        self._transfers: dict[tuple[str, str], float] = {}  # (caller, op) → ms
        # The node's emitter and the kernel's ``after`` themselves, in place of the
        # methods: behaviors emit and wait on every request, and this saves a call frame.
        self.__dict__["emit"] = sim.metrics.emitter(node.id)
        self.__dict__["after"] = sim.kernel.after

    # Read several times per request: a getter in C, no Python frame.
    now = property(attrgetter("kernel.now"), doc="The simulated time (ms).")

    def after(self, delay_ms: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        self.kernel.after(delay_ms, fn, arg)  # shadowed: see __init__

    def sampler(self, duration: Duration) -> Callable[[], float]:
        return make_sampler(duration, self.rng)

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
        if trace is None:
            trace = parent.trace if parent is not None else self.new_trace()
        child = self.sim.new_call(trace, parent, self.node_id, target, op, done, step)
        child.route = route
        child.payload = payload
        self.sim.dispatch(child)

    def run_children(
        self,
        call: Call,
        then: Callback,
        *,
        route: Callable[[Call], str | None] | None = None,
    ) -> None:
        plan = call.trace.flow
        if plan is None or call.step is None:
            then(call)
            return
        children = plan.steps[call.step].children
        if not children:
            then(call)
            return
        _Steps(self, call, plan, children, then, route).next()

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
        sim = self.sim
        original = sim.model.original_of(self.node_id)
        trace = origin.trace
        plan = sim.continuation(trace.flow, original)
        if plan is not None and plan is not trace.flow:
            sim.trace_seq += 1
            trace = Trace(sim.trace_seq, trace.session, plan, trace.item)
        work = sim.new_call(trace, origin, origin.node, self.node_id, op, _noop, None)
        work.node = self.node_id
        if start is not None:
            work.start = start
        if not part:
            sim.arrive(self.node_id)
        if plan is None:
            then(work)
            return work
        if trace is not origin.trace and sim.triggered_done is not None:
            then = _Triggered(sim.triggered_done, plan.id, then)
        _Steps(self, work, plan, plan.triggered[original], then, route).next()
        return work

    def open_span(self, parent: Call, op: str, *, part: bool = False) -> Call:
        sim = self.sim
        span = sim.new_call(parent.trace, parent, parent.node, self.node_id, op, _noop, None)
        span.node = self.node_id
        if not part:
            sim.arrive(self.node_id)
        return span

    def finish(self, call: Call, error: str | None = None, *, slowed: bool = True) -> None:
        if error is not None:
            call.error = error
            if call.origin is None:
                call.origin = self.node_id
        added = self.faults.latency_ms if slowed else 0.0
        if self.object_kb is not None and call.error is None:
            moved = self._transfers.get((call.source, call.op))
            if moved is None:
                moved = self._transfers[(call.source, call.op)] = self.transfer_ms(call)
            if moved > 0:
                call.note("transfer_ms", moved)
                added += moved
        if added > 0:
            self.kernel.after(added, self.sim.complete_ok, call)
        else:
            self.sim.complete_ok(call)

    def end_part(self, call: Call, error: str | None = None) -> None:
        if error is not None:
            call.error = error
            if call.origin is None:
                call.origin = self.node_id
        if call.error is not None and call.status == "ok":
            call.status = "error"
        self.sim.sink.add(call, self.kernel.now)
        call.done(call)

    def transfer_ms(self, call: Call) -> float:
        """The time one of this node's objects takes to move over ``call``'s connection:
        its size ÷ the lower of what one request gets from this node (``request_mbps``)
        and the caller's own network that way (``link_mbps``); 0 when the operation moves
        no object or neither says a rate. The same for every such call: no contention
        (a connection's throughput does not drop because others share a link)."""
        upload = moves_object(call.op)
        size_kb = self.object_kb
        if upload is None or size_kb is None:
            return 0.0
        caller = self.model.nodes_by_id.get(call.source)
        rates = [
            rate
            for rate in (
                self.node.params.request_mbps(),
                None if caller is None else caller.params.link_mbps(upload),
            )
            if rate is not None
        ]
        if not rates:
            return 0.0
        # KB × 1,024 bytes × 8 bits ÷ (Mbit/s × 10^6) s, in ms: KB × 8.192 ÷ Mbit/s.
        return round(size_kb * 8.192 / min(rates), 3)

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + n

    def emit(self, metric: str, value: float) -> None:
        self.sim.metrics.emit(self.node_id, metric, value)  # shadowed: see __init__

    def metric(self, node: str, name: str, statistic: str) -> float | None:
        return self.sim.metrics.value(node, name, statistic)

    def signal(self, target: str, signal: Signal) -> bool:
        sim = self.sim
        edge = sim.edge_for(self.node_id, target)
        op = edge.operations[0] if edge is not None else f"signal:{signal.type}"
        call = sim.new_call(self.new_trace(), None, self.node_id, target, op, _noop, None)
        call.note("signal", signal.type)
        if signal.alarm is not None:
            call.note("alarm", signal.alarm)
            call.note("state", signal.state)
        if edge is None:
            sim.violation(call, "UndeclaredEdge")
            return False
        sim.arrive(call.node)
        if sim.contexts[call.node].faults.down:
            # An action on a service that is out fails (alarm history: "Failed to execute
            # action"); the alarm does not retry it, and its state stays what it became.
            sim.complete_ok_error(call, "ServiceUnavailable", call.node)
            return False
        sim.behaviors[call.node].on_signal(replace(signal, call=call))
        sim.complete_ok(call)
        return True

    def targets(self, node: str) -> list[Target]:
        sim = self.sim
        reaches = self._reaches.get(node)
        if reaches is None:  # a load balancer asks on every request: the edge, once
            reaches = self._reaches[node] = sim.edge_for(self.node_id, node) is not None
        if not reaches:
            return []
        return sim.behaviors[node].targets()

    def healthy(self, node: str) -> bool:
        return self.sim.behaviors[node].healthy()

    def declares(self, target: str, op: str) -> bool:
        edge = self.sim.edge_for(self.node_id, target)
        return edge is not None and target in self.sim.contexts and edge.carries(op)

    def outages(self, node: str) -> tuple[tuple[float, float], ...]:
        return self.sim.outages(node)

    def new_trace(self, parent: Call | None = None) -> Trace:
        sim = self.sim
        sim.trace_seq += 1
        if parent is not None:
            return Trace(sim.trace_seq, parent.trace.session, None, parent.trace.item)
        return Trace(sim.trace_seq, sim.system_session, None, 0)


class _SseCache:
    """What the services hold of their SSE-KMS keys: per cache slot (:class:`_SseKey`),
    when the key the service holds for it must be renewed (ms); and the stream that draws
    the age of a slot's key when the run first meets it (its own, so that caching moves
    no other node's draws)."""

    __slots__ = ("ages", "expires")

    def __init__(self, seed: int) -> None:
        self.expires: dict[tuple[str, str, str, tuple[str, ...]], float] = {}
        self.ages = stream(seed, "sse-kms-cache")


class Simulation:
    """Contexts, behaviors and the call path of one run."""

    def __init__(
        self,
        model: Model,
        scenario: Scenario,
        *,
        seed: int,
        scale: float,
        registry: dict[str, type[Behavior]],
        sink: SpanSink,
        period_s: float,
        authorizer: Authorizer | None = None,
        fidelity: Fidelity = FULL,
        duration_s: float | None = None,
    ) -> None:
        self.model = model
        self.scenario = scenario
        self.seed = seed
        self.scale = scale  # the traced factor (× the sample in hybrid fidelity)
        self.fidelity = fidelity
        self.kernel = Kernel()
        self.sink = sink
        self.plans = compile_flows(model)
        self.continuation = Continuations(self.plans)
        specs = kinds()
        self.metrics = MetricStore(
            period_s,
            {node.id: specs[node.kind].metrics for node in model.nodes},
            traced_scale=scale,  # published in real units, as the thresholds are written
            system_scale=scale / fidelity.sample if fidelity.hybrid else scale,
        )
        self.services = Services(model, scenario, seed, duration_s)
        self.authorizer = authorizer
        self.span_seq = 0
        self.trace_seq = 0
        self.violations = 0
        self.system_session = Session(0, None, None, None, "aws")
        self.replica = model.replicas  # the hot path reads the map itself
        self.contexts: dict[str, _Context] = {}
        self.behaviors: dict[str, Behavior] = {}
        self.protectors: dict[str, list[Behavior]] = {}
        self.client_ids = frozenset(
            n.id for n in model.nodes if has(n.kind, Capability.traffic_source)
        )
        self._doors: dict[tuple[str, str, str], _Door] = {}
        self._sse = _SseCache(seed)
        self._egress: dict[tuple[str, str], str | _ZonalWay | None] = {}
        """Per (caller, target): None when the call needs no egress, else the id of the
        NAT gateway or VPC endpoint that carries it ("" when the model declares none), or
        one per zone for a caller spread over several."""
        self.egress_paths: dict[str, EgressPath] = {}
        self._private = any(private_place(model, node) is not None for node in model.nodes)
        """Some node runs in a private subnet: calls are checked for their way out."""
        self.rtt: dict[tuple[str, str | None], float] = {}
        self.fault_log: list[dict[str, Any]] = []
        self.triggered_done: Callable[[str, Call], None] | None = None
        """Told of each finished execution of a flow that a node started asynchronously
        (a queue consumer's flow): the traffic counts them like the flows users start."""
        for node in model.nodes:
            self.contexts[node.id] = _Context(self, node)
        for node in model.nodes:
            if isinstance(node.params, UserLocations):
                for location in node.params.locations:
                    latencies = dict(location.latency_ms)
                    for region_id, value in latencies.items():
                        self.rtt[(location.id, region_id)] = float(value)
                    self.rtt[(location.id, None)] = min(latencies.values(), default=0.0)
        for node in model.nodes:
            ctx = self.contexts[node.id]
            behavior = registry[node.kind](ctx)
            ctx.behavior = behavior
            if type(behavior).completed is not Behavior.completed:
                ctx.completed = behavior.completed
            self.behaviors[node.id] = behavior
        for node_id, behavior in self.behaviors.items():
            if isinstance(behavior, EgressPath):
                self.egress_paths[node_id] = behavior
        # Protections screen in their kinds' order (Shield at the network edge, then WAF).
        for node in sorted(model.nodes, key=lambda n: (specs[n.kind].screen_order, n.id)):
            if not isinstance(node.params, Protects):
                continue
            for protected in node.params.protects:
                self.protectors.setdefault(protected, []).append(self.behaviors[node.id])

    # -- calls

    def new_call(
        self,
        trace: Trace,
        parent: Call | None,
        source: str,
        target: str,
        op: str,
        done: Callback,
        step: int | None,
    ) -> Call:
        region = trace.session.region
        if region is not None:
            target = self.replica.get((target, region), target)
        self.span_seq += 1
        # Call(...) field by field: the same object without the __init__ frame (one call per
        # request; a third of the cost of making it).
        call = _new(Call)
        call.trace = trace
        call.span = self.span_seq
        call.parent = parent
        call.source = source
        call.node = target
        call.op = op
        call.step = step
        call.start = self.kernel.now
        call.done = done
        call.status = "ok"
        call.error = None
        call.origin = None
        call.attrs = None
        call.route = None
        call.payload = None
        return call

    def _kept_in(self, call: Call) -> bool:
        """Whether ``call`` cannot leave its private subnet (no egress, or the NAT gateway
        or endpoint refuses it); it is then finished with the error. A call that needs no
        egress, or that its egress carries, goes on. A caller spread over several zones
        makes the call in one of them (:meth:`Behavior.work_zone`), whose way out takes
        it. A connection nothing carries (no route, or a way that is down or drops it:
        ``ConnectTimeoutError``) fails when the SDK's connect timeout ends, holding the
        caller meanwhile; a refusal the way answers (``ErrorPortAllocation``) fails now."""
        pair = (call.source, call.node)
        try:
            found = self._egress[pair]
        except KeyError:
            found = self._egress[pair] = self._egress_of(*pair)
        if found is None:
            return False
        if isinstance(found, _ZonalWay):
            source = self.behaviors.get(call.source)
            zones = found.zones
            zone = zones[0] if source is None else source.work_zone(call, zones)
            way = found.vias.get(zone, found.vias[zones[0]])
        else:
            way = found
        via = self.egress_paths.get(way) if way else None
        blocked = UNREACHABLE if via is None else via.carry(call)
        if blocked is None:
            return False
        if via is None:
            call.note("no_egress", call.source)
        block = (call, blocked, way or call.source)
        if blocked == UNREACHABLE:
            wait = CONNECT_TIMEOUT_S * 1000.0 if via is None else via.connect_timeout_ms
            self.kernel.after(wait, self._blocked, block)
        else:
            self._blocked(block)
        return True

    def _egress_of(self, source: str, target: str) -> str | _ZonalWay | None:
        """Which node carries calls from ``source`` out of its private subnet to ``target``
        (:func:`archgen.model.egress.egress`): None, none needed; "", none declared; per
        zone for a source spread over several."""
        nodes = self.model.nodes_by_id
        if source not in nodes or target not in nodes:
            return None
        way = egress(self.model, nodes[source], nodes[target])
        if way is None:
            return None
        if way.zonal:
            vias = {zone: via or "" for zone, via in way.zonal}
            return _ZonalWay(tuple(vias), vias)
        return way.via or ""

    def edge_for(self, source: str, target: str) -> Edge | None:
        """The declared edge a call from ``source`` to ``target`` takes (replicas use their
        originals' edges when they declare none of their own)."""
        return self.model.declared_edge(source, target)

    def verdict(self, source: str, target: str, op: str) -> tuple[str, str] | None:
        """None when the call may go; else (status, error)."""
        model = self.model
        edge = self.edge_for(source, target)
        if edge is None or target not in self.contexts:
            return ("violation", "UndeclaredEdge")
        if not edge.carries(op):
            return ("violation", "UndeclaredOperation")
        if self.authorizer is not None:
            decision = self.authorizer(
                model, model.nodes_by_id[source], model.nodes_by_id[target], op
            )
            if not getattr(decision, "allowed", bool(decision)):
                return ("error", getattr(decision, "error", None) or "AccessDenied")
        return None

    def _door(self, source: str, target: str, op: str) -> _Door:
        """What a call from ``source`` to ``target`` with ``op`` meets at the door, found
        once per (source, target, operation): the verdict (edges, IAM), the target's
        context, its protections, whether the caller is a client (round trip), and who
        makes the call when a flow step only stands for it (:meth:`Behavior.stands_in`)."""
        protectors = tuple(
            (p, p.inspection_ms if type(p).inspection_ms is not Behavior.inspection_ms else None)
            for p in self.protectors.get(target, ())
        )
        from_client = source in self.client_ids
        ctx = self.contexts.get(target)
        caller = self.contexts.get(source)
        return (
            self.verdict(source, target, op),
            ctx,
            protectors,
            from_client,
            None if ctx is None else ctx.behavior.stands_in(source, op),
            self._sse_keys(source, target, op),
            None if caller is None or from_client else caller.faults,
            None
            if ctx is None or type(ctx.behavior).client_cached is Behavior.client_cached
            else ctx.behavior.client_cached,
        )

    def _sse_keys(self, source: str, target: str, op: str) -> tuple[_SseKey, ...]:
        """The KMS keys the target uses on the caller's behalf for ``op`` (SSE-KMS, see
        :func:`archgen.runtime.aws.iam.sse_keys`), whose faults fail the call: none when
        the op needs no key, or when the target calls its key itself (a declared edge to
        it: Secrets Manager), where the fault acts on that call."""
        nodes = self.model.nodes_by_id
        caller, callee = nodes.get(source), nodes.get(target)
        spec = None if callee is None else kinds()[callee.kind].sse_kms
        if caller is None or callee is None or spec is None or not spec.needs(op):
            return ()
        from archgen.runtime.aws.iam import sse_keys

        actions = spec.needs(op)
        reuse_s = callee.params.sse_kms_reuse_s()
        principal = caller.role or caller.id
        found: list[_SseKey] = []
        for key in sse_keys(self.model, caller, callee):
            ctx = self.contexts.get(key)
            if ctx is not None and self.edge_for(target, key) is None:
                slot = (target, key, principal, actions)
                reuse_ms = 0.0 if reuse_s is None else reuse_s * 1000.0
                found.append(_SseKey(ctx, spec, len(actions), reuse_ms, slot))
        return tuple(found)

    def _key_fails(self, call: Call, keys: tuple[_SseKey, ...]) -> float | None:
        """Faults of the keys ``call`` needs, when the service must ask KMS for them: on
        every call, or, for a service that caches what KMS gave it (``reuse_ms``), when the
        principal's cached key has expired. Such a renewal meets the key's faults: an
        outage (KMS unavailable, the key unusable) fails the call with the service's
        ``unavailable`` code; under a throttling fault each KMS request of the renewal is
        throttled with its rate, and one throttled fails the call with ``throttled`` (the
        AWS SDKs do not retry these codes: they are neither in the standard retry mode's
        throttling codes nor modelled as retryable). A failed renewal leaves the cache
        empty, so the principal's next call tries again; a renewal that succeeds is kept
        for ``reuse_ms``. The key counts each request it refused (arrived, failed, the
        code, and its ``sse_kms.*`` counters). Returns the keys' added latency (a renewal
        only), or None when a key failed the call.

        The run starts warm: the first time a slot is met, its key is taken to have been
        renewed at a uniformly drawn moment of the last period, as in a system that was
        running before the run began."""
        added = 0.0
        now = self.kernel.now
        cache = self._sse.expires
        for key in keys:
            reuse_ms = key.reuse_ms
            if reuse_ms > 0:
                slot = key.slot
                expires = cache.get(slot)
                if expires is None:
                    expires = cache[slot] = now + self._sse.ages.random() * reuse_ms
                if now < expires:
                    continue  # the service still holds the principal's key: no KMS request
            ctx = key.ctx
            faults = ctx.faults
            codes = key.codes
            if faults.down:
                error = codes.unavailable
                counter = "sse_kms.unavailable"
            elif faults.throttle_rate > 0 and any(
                ctx.rng.random() < faults.throttle_rate for _ in range(max(1, key.requests))
            ):
                error = codes.throttled
                counter = "sse_kms.throttled"
            else:
                added += faults.latency_ms
                if reuse_ms > 0:
                    cache[key.slot] = now + reuse_ms
                continue
            stats = ctx.stats
            stats.arrived += 1
            stats.failed += 1
            stats.errors[error] = stats.errors.get(error, 0) + 1
            ctx.count(counter)
            call.note("kms_key", ctx.node_id)
            self.complete_ok_error(call, error, ctx.node_id)
            return None
        return added

    def dispatch(self, call: Call) -> None:
        key = (call.source, call.node, call.op)
        door = self._doors.get(key)
        if door is None:
            door = self._doors[key] = self._door(*key)
        verdict, ctx, protectors, from_client, made_by, keys, caller, cached = door
        if verdict is not None or ctx is None:
            if verdict is None or verdict[0] == "violation":
                self.violation(call, "UndeclaredEdge" if verdict is None else verdict[1])
            else:
                self.arrive(call.node, metered=_metered(call))
                self.complete_ok_error(call, verdict[1], call.node)
            return
        if made_by is not None and call.step is not None:
            self._stand_in(call, ctx, made_by)
            return
        stats = ctx.stats
        stats.arrived += 1
        stats.inflight += 1
        if cached is not None and (caller is None or not caller.down) and cached(call):
            return  # answered in the caller's memory: nothing of the path applies
        if self._private and self._kept_in(call):
            return
        faults = ctx.faults
        if faults.down or (caller is not None and caller.down):
            # A caller that is out (work it had in hand when its zone or region went)
            # makes no more calls: the call fails at once, so the work fails and its
            # message is delivered again, instead of reaching a partner from a dead region.
            self.complete_ok_error(
                call, "ServiceUnavailable", call.node if faults.down else call.source
            )
            return
        inspection = 0.0
        if protectors:
            for protector, inspects in protectors:
                if inspects is not None:
                    inspection += inspects()
                blocked = protector.screen(call)
                if blocked is not None:
                    call.note("blocked_by", protector.ctx.node_id)
                    block = (call, blocked, protector.ctx.node_id)
                    if inspection > 0:
                        self.kernel.after(inspection, self._blocked, block)
                    else:
                        self._blocked(block)
                    return
        if (
            faults.throttle_rate > 0
            and not getattr(ctx.behavior, "handles_throttling", False)
            and ctx.rng.random() < faults.throttle_rate
        ):
            self.complete_ok_error(call, "ThrottlingException", call.node)
            return
        delay = inspection
        if keys:
            added = self._key_fails(call, keys)
            if added is None:
                return
            delay += added
        if from_client:
            location = call.trace.session.location
            if location is not None:
                rtt = self.rtt.get((location, ctx.region))
                if rtt is None:
                    rtt = self.rtt.get((location, None), 0.0)
                delay += rtt
        if delay > 0:
            self.kernel.after(delay, ctx.behavior.handle, call)
            return
        ctx.behavior.handle(call)

    def _stand_in(self, call: Call, ctx: _Context, made_by: str) -> None:
        """A flow step that stands for a call ``made_by`` the service for its caller (an
        event source mapping's receive or delete), which the behaviors simulate as a call
        of its own: the step only shows it in the trace. It passed the edge and IAM checks;
        it ends now, a span and nothing else: no node count or call meter (so no bill),
        no request metric, no fault, no time."""
        call.note("made_by", made_by)
        ctx.behavior.note_stand_in(call)
        self.sink.add(call, self.kernel.now)
        call.done(call)

    def _blocked(self, block: tuple[Call, str, str]) -> None:
        call, error, protector = block
        self.complete_ok_error(call, error, protector)

    def violation(self, call: Call, error: str) -> None:
        self.violations += 1
        call.status = "violation"
        call.error = error
        call.origin = call.source
        call.note("violation", f"{call.source} -> {call.node}: {call.op}")
        self.metrics.count_violation()
        self.sink.add(call, self.kernel.now)
        call.done(call)

    def arrive(self, node: str, *, metered: bool = True) -> None:
        stats = self.contexts[node].stats
        stats.arrived += 1
        stats.inflight += 1

    def complete_ok_error(self, call: Call, error: str, origin: str) -> None:
        call.error = error
        call.origin = origin
        self.complete_ok(call)

    def complete_ok(self, call: Call) -> None:
        """Record the finished call (stats, metrics, span) and run its continuation."""
        now = self.kernel.now
        ctx = self.contexts[call.node]
        stats = ctx.stats
        stats.inflight -= 1
        error = call.error
        if error is None:
            stats.ok += 1
        else:
            if call.status == "ok":
                call.status = "error"
            stats.failed += 1
            stats.errors[error] = stats.errors.get(error, 0) + 1
        key = (call.source, call.op)
        meter = stats.calls.get(key)
        if meter is None:
            stats.calls[key] = [1, now - call.start]
        else:
            meter[0] += 1
            meter[1] += now - call.start
        completed = ctx.completed
        if completed is not None and (call.step is not None or call.op != HEALTH_CHECK):
            completed(call)  # the node's own request metrics
        self.sink.add(call, now)
        call.done(call)

    # -- faults

    def affected(self, fault: Fault) -> list[tuple[str, bool]]:
        """Nodes a fault touches, each with whether the whole node is hit (else a zone)."""
        model = self.model
        target = fault.target
        hits: list[tuple[str, bool]] = []
        if fault.type is FaultType.region_outage:
            for node in model.nodes:
                if self.contexts[node.id].region == target:
                    hits.append((node.id, True))
        elif fault.type is FaultType.az_outage:
            for node in model.nodes:
                inside = self._inside(node.group, target)
                zones = () if inside else zones_of(model, node)
                if inside:
                    hits.append((node.id, True))
                elif target in zones:
                    hits.append((node.id, False))
        elif target in self.contexts:
            hits.append((target, True))
        else:  # a group: every node inside it
            hits.extend((node.id, True) for node in model.nodes if self._inside(node.group, target))
        return hits

    def outages(self, node_id: str) -> tuple[tuple[float, float], ...]:
        """Windows (ms, merged, in order) in which the scenario's outages take ``node_id``
        out whole (see :meth:`NodeContext.outages`)."""
        windows = sorted(
            (fault.start_s * 1000.0, math.inf if fault.end_s is None else fault.end_s * 1000.0)
            for fault in self.scenario.faults
            if fault.type in OUTAGES and (node_id, True) in self.affected(fault)
        )
        merged: list[tuple[float, float]] = []
        for start, end in windows:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return tuple(merged)

    def _inside(self, group: str | None, target: str) -> bool:
        groups = self.model.groups_by_id
        seen: set[str] = set()
        while group is not None and group not in seen:
            if group == target:
                return True
            seen.add(group)
            parent = groups.get(group)
            group = None if parent is None else parent.parent
        return False

    def apply_fault(self, fault: Fault, active: bool) -> None:
        sign = 1 if active else -1
        for node_id, whole in self.affected(fault):
            ctx = self.contexts[node_id]
            state = ctx.faults
            kind = fault.type
            if kind in OUTAGES:
                if whole:
                    # A node that rides the outage out (fails over) stays up: its
                    # on_fault below makes it unavailable while it recovers.
                    if not ctx.behavior.rides_out(fault):
                        ctx.count("fault.outage_depth", sign)
                        state.down = ctx.counters["fault.outage_depth"] > 0
                elif active:
                    state.zones_down = state.zones_down | {fault.target}
                else:
                    state.zones_down = state.zones_down - {fault.target}
            elif kind is FaultType.latency:
                state.latency_ms = max(0.0, state.latency_ms + sign * fault.added_latency_ms)
            elif kind is FaultType.throttling:
                state.throttle_rate = fault.rate if active else 0.0
            elif kind is FaultType.consumer_crash:
                state.crash_rate = fault.rate if active else 0.0
            elif kind is FaultType.poison_message:
                state.poison_rate = fault.rate if active else 0.0
            ctx.behavior.on_fault(fault, active)
        self.fault_log.append(
            {
                "t_s": round(self.kernel.now / 1000, 3),
                "type": fault.type.value,
                "target": fault.target,
                "state": "start" if active else "end",
            }
        )

    def group_kind(self, group_id: str) -> GroupKind | None:
        group = self.model.groups_by_id.get(group_id)
        return None if group is None else group.kind
