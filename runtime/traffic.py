"""Users: sessions arriving with the scenario's shape, following the model's journeys.

A session picks a journey by the mix weights, a client location by weight, and runs the
journey's flows in order, going on to each with its probability (the funnel) after the
client's think time. A flow's top-level calls are made one after the other; a failed call
does not stop the page (a browser loads the other resources), but fails the flow. Arrivals
are a non-homogeneous Poisson process, drawn by thinning against the shape's peak.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable
from functools import partial
from itertools import accumulate
from typing import Any, NamedTuple

from archgen.model.flows import FlowPlan, StepPlan
from archgen.model.kind import Capability, StartsSessions
from archgen.model.registry import has
from archgen.model.schema import Journey, Scenario
from archgen.runtime.behavior import Call, Session, Trace
from archgen.runtime.dists import make_sampler
from archgen.runtime.engine import stream
from archgen.runtime.flow_runs import FlowRuns
from archgen.runtime.system import Simulation, _Context


class FlowStats:
    """Outcomes of one flow: latencies of successful runs, failures by cause, per period."""

    __slots__ = ("causes", "failed", "latencies", "ok", "periods")

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0
        self.latencies = array("d")
        self.causes: dict[str, int] = {}
        self.periods: dict[int, list[Any]] = {}  # period → [ok, failed, latencies]


class _Resolver(NamedTuple):
    """A client's DNS: the name server node, the operation that asks it, and the nodes its
    records answer with (originals: flows name them)."""

    dns: str
    op: str
    names: frozenset[str]


class _FlowRun:
    """One flow of one session: top-level calls in order."""

    __slots__ = ("error", "index", "plan", "run", "start", "trace")

    def __init__(self, run: _SessionRun, plan: FlowPlan, trace: Trace) -> None:
        self.run = run
        self.plan = plan
        self.trace = trace
        self.index = 0
        self.start = run.traffic.kernel.now
        self.error: str | None = None


class _SessionRun:
    __slots__ = ("client", "flows", "position", "session", "traffic")

    def __init__(
        self,
        traffic: Traffic,
        session: Session,
        client: _Context,
        flows: tuple[tuple[FlowPlan, float], ...],
    ) -> None:
        self.traffic = traffic
        self.session = session
        self.client = client
        self.flows = flows
        self.position = 0


class Traffic:
    """Generates sessions (and attack requests) and records what users experienced."""

    def __init__(
        self,
        sim: Simulation,
        scenario: Scenario,
        *,
        scale: float,
        duration_s: float,
        warmup_s: float,
    ) -> None:
        self.sim = sim
        self.kernel = sim.kernel
        self.scenario = scenario
        self.rng = stream(sim.seed, "traffic")
        self.entity_rng = stream(sim.seed, "entities")
        self.entity_cdfs: dict[tuple[str, str], list[float]] = {}
        self.scale = scale
        self.duration_ms = duration_s * 1000
        self.warmup_ms = warmup_s * 1000
        self.period_ms = sim.metrics.period_s * 1000
        model = sim.model
        traffic = scenario.traffic
        self.shape = traffic.shape
        self.base_rate = traffic.sessions_per_s * scale / 1000  # sessions per ms
        self.peak = self.shape.peak_factor
        self.tally = sim.services.sessions
        if self.shape.type == "constant":  # an attack is counted apart (tally.attack_rate)
            self.tally.rate = self.base_rate * self.shape.factor_at(0.0)
        journeys = [model_journey(model, journey_id) for journey_id in sorted(traffic.mix)]
        self.journeys = journeys
        self.journey_cdf = list(accumulate(traffic.mix[j.id] for j in journeys))
        clients = [node.id for node in model.nodes if has(node.kind, Capability.traffic_source)]
        self.journey_client = {j.id: j.client or (clients[0] if clients else "") for j in journeys}
        self.journey_flows = {
            j.id: tuple((sim.plans[step.flow], step.probability) for step in j.flows)
            for j in journeys
        }
        self.flow_runs = self.tally.flows = self._flow_runs() if sim.fidelity.hybrid else None
        """Hybrid fidelity under a constant shape: each flow's runs, which the pools' load
        rests on."""
        self.locations: dict[str, tuple[list[str], list[float]]] = {}
        self.think: dict[str, Callable[[], float]] = {}
        self.timeout: dict[str, float] = {}
        self.resolver: dict[str, _Resolver | None] = {}
        for client in clients:
            self._add_client(client)
        items = traffic.items
        weights = [1.0 / (rank**items.zipf_exponent) for rank in range(1, items.count + 1)]
        self.item_cdf: list[float] = list(accumulate(weights))
        sim.services.item_share = self.item_share
        self.flow_stats: dict[str, FlowStats] = {plan: FlowStats() for plan in sim.plans}
        self.triggered_stats: dict[str, FlowStats] = {}
        """Flows started asynchronously by a node (not by users), kept apart: the run's
        summary counts the flows users start."""
        sim.triggered_done = self._triggered_done
        self.attack_blocked = 0
        self.flows_started = 0
        self.flows_done = 0
        self.entry_calls: dict[int, int] = {}
        """Metric period → calls clients sent into the system (users' and attackers'): the
        summary's peak request rate."""

    def _add_client(self, client: str) -> None:
        """A node that starts sessions: its locations, think time, timeout and resolver."""
        node = self.sim.model.nodes_by_id[client]
        assert isinstance(node.params, StartsSessions)  # the registry requires it
        locations = node.params.locations
        self.locations[client] = (
            [loc.id for loc in locations],
            list(accumulate(loc.weight for loc in locations)),
        )
        self.think[client] = make_sampler(node.params.think_time, self.rng)
        self.timeout[client] = node.params.timeout_ms
        self.resolver[client] = self._dns_edge(client)

    def _flow_runs(self) -> FlowRuns | None:
        """The runs of each flow, when the pools derive their load from the declared
        session rate (a constant shape)."""
        if self.tally.rate is None or not self.journeys:
            return None
        mix = self.scenario.traffic.mix
        total = self.journey_cdf[-1]
        return FlowRuns(
            [
                (
                    mix[j.id] / total,
                    [(plan.id, probability) for plan, probability in self.journey_flows[j.id]],
                )
                for j in self.journeys
            ]
        )

    def item_share(self, item: int) -> float:
        """The share of the flows that draw ``item`` (0-based rank of the Zipf law)."""
        cdf = self.item_cdf
        if not 0 <= item < len(cdf):
            return 0.0
        return float((cdf[item] - (cdf[item - 1] if item else 0.0)) / cdf[-1])

    def _dns_edge(self, client: str) -> _Resolver | None:
        """The client's DNS name server, the operation its flows use to resolve, and the
        nodes its name stands for."""
        model = self.sim.model
        for edge in model.edges:
            dns = model.nodes_by_id[edge.target]
            if edge.source == client and has(dns.kind, Capability.dns):
                # Flows name originals: a record answering with a replica stands for it.
                names = frozenset(model.original_of(t) for t in dns.params.name_targets())
                for flow in model.flows:
                    for step in flow.steps:
                        if step.source == client and step.target == edge.target:
                            return _Resolver(edge.target, step.op, names)
                return _Resolver(edge.target, edge.operations[0], names)
        return None

    # -- arrivals

    def start(self) -> None:
        self._schedule_next(0.0)
        attack = self.scenario.traffic.attack
        if attack is not None:
            self._start_attack()

    def _schedule_next(self, now: float) -> None:
        peak_rate = self.base_rate * self.peak
        if peak_rate <= 0:
            return
        rng = self.rng
        t = now
        while True:
            t += rng.expovariate(peak_rate)
            if t >= self.duration_ms:
                return
            if rng.random() * self.peak <= self.shape.factor_at(t / 1000):
                self.kernel.at(t, self._arrive)
                return

    def _arrive(self, _: Any) -> None:
        now = self.kernel.now
        self._schedule_next(now)
        self.start_session(self._pick_journey())

    def _pick_journey(self) -> Journey:
        total = self.journey_cdf[-1]
        index = bisect.bisect_right(self.journey_cdf, self.rng.random() * total)
        return self.journeys[min(index, len(self.journeys) - 1)]

    @property
    def sessions(self) -> int:
        """User sessions started (the pools' tally counts them)."""
        return self.tally.count

    @property
    def attack_requests(self) -> int:
        """Attack requests sent (the pools' tally counts them)."""
        return self.tally.attack_sent

    def start_session(self, journey: Journey) -> Session:
        self.tally.count += 1
        client_id = self.journey_client[journey.id]
        names, cdf = self.locations.get(client_id, ([], []))
        location = None
        if names:
            index = bisect.bisect_right(cdf, self.rng.random() * cdf[-1])
            location = names[min(index, len(names) - 1)]
        session = Session(self.sessions, journey.id, client_id, location, f"u{self.sessions}")
        session.born = self.kernel.now
        if journey.entities:
            session.keys = self._entity_values(journey)
        run = _SessionRun(
            self, session, self.sim.contexts[client_id], self.journey_flows[journey.id]
        )
        self._next_flow(run)
        return session

    def _entity_values(self, journey: Journey) -> dict[str, int]:
        """A new session's value of each entity of its journey, from a stream of their own
        (so that declaring entities leaves every other draw of the run unchanged)."""
        values = {}
        for name, entity in sorted(journey.entities.items()):
            cdf = self.entity_cdfs.get((journey.id, name))
            if cdf is None:
                weights = (1.0 / rank**entity.zipf_exponent for rank in range(1, entity.values + 1))
                cdf = self.entity_cdfs[(journey.id, name)] = list(accumulate(weights))
            index = bisect.bisect_right(cdf, self.entity_rng.random() * cdf[-1])
            values[name] = min(index, len(cdf) - 1)
        return values

    # -- a session's flows

    def _next_flow(self, run: _SessionRun) -> None:
        rng = self.rng
        while run.position < len(run.flows):
            plan, probability = run.flows[run.position]
            run.position += 1
            if probability < 1.0 and rng.random() >= probability:
                return  # the user leaves (funnel)
            if self.flow_runs is not None:
                self.flow_runs.started[plan.id] += 1
            self._start_flow(run, plan)
            return

    def _start_flow(self, run: _SessionRun, plan: FlowPlan) -> None:
        sim = self.sim
        sim.trace_seq += 1
        item = bisect.bisect_right(self.item_cdf, self.rng.random() * self.item_cdf[-1])
        trace = Trace(sim.trace_seq, run.session, plan, item)
        flow = _FlowRun(run, plan, trace)
        self.flows_started += 1
        self._flow_step(flow)

    def _flow_step(self, flow: _FlowRun) -> None:
        plan = flow.plan
        while flow.index < len(plan.top):
            step = plan.steps[plan.top[flow.index]]
            flow.index += 1
            if step.probability is not None and self.rng.random() >= step.probability:
                continue
            resolver = self._lookup_before(flow, step)
            if resolver is not None:
                # The client's DNS cache expired: look the name up again before calling it.
                self.count_entry()
                flow.run.client.call(
                    None,
                    resolver.dns,
                    resolver.op,
                    partial(self._resolved, flow, step),
                    trace=flow.trace,
                )
                return
            if not self._top_call(flow, step):
                return
        self._flow_done(flow)

    def _lookup_before(self, flow: _FlowRun, step: StepPlan) -> _Resolver | None:
        """The resolver to ask before the top-level call ``step``: only when the step calls
        a name the client's DNS answers for, the session's answer has expired, and the
        flow does not ask the resolver itself. A client resolves the names it is about to
        call: a CloudFront distribution or an API with a name of its own needs no lookup
        of the DNS node's name."""
        session = flow.run.session
        resolver = self.resolver.get(session.client or "")
        if (
            resolver is None
            or step.target not in resolver.names
            or session.region is None
            or self.kernel.now < session.region_expires
        ):
            return None
        plan = flow.plan
        if any(plan.steps[i].target == resolver.dns for i in plan.top):
            return None
        return resolver

    def _top_call(self, flow: _FlowRun, step: StepPlan) -> bool:
        """Make the top-level call ``step``; whether the flow goes on at once (the call is
        asynchronous)."""
        self.count_entry()
        flow.run.client.call(
            None,
            step.target,
            step.op,
            _Continue(self, flow) if not step.is_async else _ignore,
            trace=flow.trace,
            step=step.index,
        )
        return step.is_async

    def _resolved(self, flow: _FlowRun, step: StepPlan, _lookup: Call) -> None:
        """The lookup before ``step`` answered: make the call, and go on if it is async."""
        if self._top_call(flow, step):
            self._flow_step(flow)

    def top_done(self, flow: _FlowRun, call: Call) -> None:
        timeout = self.timeout.get(call.source, math.inf)
        # The timeout is a wait for the answer: the time its object took to move (bytes
        # flowing keep the connection alive) does not count.
        moved = call.attrs.get("transfer_ms", 0.0) if call.attrs else 0.0
        if call.error is None and self.kernel.now - call.start - moved > timeout:
            call.error = "Timeout"
            call.origin = call.node
        if call.error is not None and flow.error is None:
            flow.error = f"{call.origin or call.node}:{call.error}"
        self._flow_step(flow)

    def _triggered_done(self, flow_id: str, call: Call) -> None:
        start = call.start
        if start < self.warmup_ms:
            return
        stats = self.triggered_stats.get(flow_id)
        if stats is None:
            stats = self.triggered_stats[flow_id] = FlowStats()
        period = int(start // self.period_ms)
        bucket = stats.periods.get(period)
        if bucket is None:
            bucket = stats.periods[period] = [0, 0, []]
        if call.error is None:
            latency = self.kernel.now - start
            stats.ok += 1
            stats.latencies.append(latency)
            bucket[0] += 1
            bucket[2].append(latency)
        else:
            cause = f"{call.origin or call.node}:{call.error}"
            stats.failed += 1
            stats.causes[cause] = stats.causes.get(cause, 0) + 1
            bucket[1] += 1

    def _flow_done(self, flow: _FlowRun) -> None:
        now = self.kernel.now
        self.flows_done += 1
        if flow.start >= self.warmup_ms:
            stats = self.flow_stats[flow.plan.id]
            bucket = stats.periods.get(int(flow.start // self.period_ms))
            if bucket is None:
                bucket = stats.periods[int(flow.start // self.period_ms)] = [0, 0, []]
            if flow.error is None:
                stats.ok += 1
                stats.latencies.append(now - flow.start)
                bucket[0] += 1
                bucket[2].append(now - flow.start)
            else:
                stats.failed += 1
                stats.causes[flow.error] = stats.causes.get(flow.error, 0) + 1
                bucket[1] += 1
        run = flow.run
        if run.position < len(run.flows):
            think = self.think[run.client.node_id]()
            self.kernel.after(think, self._resume, run)

    def _resume(self, run: _SessionRun) -> None:
        if self.kernel.now < self.duration_ms:
            self._next_flow(run)

    # -- attack

    def _start_attack(self) -> None:
        attack = self.scenario.traffic.attack
        assert attack is not None
        sim = self.sim
        sources = max(1, round(attack.sources * self.scale))
        per_source = attack.requests_per_s / attack.sources / 1000  # per ms, per source
        system = sources  # the sources attacking the simulated system
        if sim.fidelity.hybrid:  # sampled by source, each whole (a per-source limit holds)
            system = max(1, round(attack.sources * self.scale / sim.fidelity.sample))
            sources = min(sources, system)
            self.tally.attack_traced = sources / system
        client = next(
            (n.id for n in sim.model.nodes if has(n.kind, Capability.traffic_source)), None
        )
        plan, step = self._attack_step(attack.target, attack.operation)
        self.attack_plan = plan
        self.attack_step = step
        self.attack_client = client
        end_ms = (attack.end_s or self.duration_ms / 1000) * 1000
        if sim.fidelity.hybrid:  # the pools count the attack's load apart from the users'
            self.kernel.at(attack.start_s * 1000, self._attack_rate, system * per_source)
            self.kernel.at(end_ms, self._attack_rate, 0.0)
        for index in range(sources):
            session = Session(
                -(index + 1), None, client, None, f"attacker-{index + 1}", attack=True
            )
            rng = stream(sim.seed, f"attack-{index}")
            first = attack.start_s * 1000 + rng.expovariate(per_source)
            self.kernel.at(
                first,
                _AttackSource(
                    self, session, rng, per_source, end_ms, attack.target, attack.operation
                ).fire,
            )

    def _attack_rate(self, rate: float) -> None:
        """The attack's requests per ms on the simulated system from now on (traced or
        not), for the pools' load."""
        self.tally.attack_rate = rate

    def _attack_step(self, target: str, op: str) -> tuple[FlowPlan | None, int | None]:
        for plan in self.sim.plans.values():
            for step in plan.steps:
                if step.target == target and step.op == op:
                    return plan, step.index
        return None, None

    def attack_done(self, call: Call) -> None:
        if call.error is not None and call.attrs and "blocked_by" in call.attrs:
            self.attack_blocked += 1

    def count_entry(self) -> None:
        """A client sends a call into the system now."""
        period = int(self.kernel.now // self.period_ms)
        calls = self.entry_calls
        calls[period] = calls.get(period, 0) + 1

    # -- results

    def in_flight_flows(self) -> int:
        return self.flows_started - self.flows_done

    def peak_entry(self) -> tuple[float, float] | None:
        """The busiest metric period's start (ms) and the calls per ms clients sent in it;
        None when they sent none. A period cut short by the run's end counts only when no
        period is whole (a short tail would be mostly noise). Ties: the earliest."""
        calls = self.entry_calls
        if not calls:
            return None
        period_ms = self.period_ms
        whole = [p for p in calls if (p + 1) * period_ms <= self.duration_ms + 1e-6]
        chosen = min(whole or calls, key=lambda p: (-calls[p], p))
        start = chosen * period_ms
        return start, calls[chosen] / min(period_ms, self.duration_ms - start)


def _ignore(_: Call) -> None:
    return None


class _Continue:
    """Continuation of a top-level call (a callable object: cheaper than a closure chain)."""

    __slots__ = ("flow", "traffic")

    def __init__(self, traffic: Traffic, flow: _FlowRun) -> None:
        self.traffic = traffic
        self.flow = flow

    def __call__(self, call: Call) -> None:
        self.traffic.top_done(self.flow, call)


class _AttackSource:
    __slots__ = ("end_ms", "op", "rate", "rng", "session", "target", "traffic")

    def __init__(
        self,
        traffic: Traffic,
        session: Session,
        rng: Any,
        rate: float,
        end_ms: float,
        target: str,
        op: str,
    ) -> None:
        self.traffic = traffic
        self.session = session
        self.rng = rng
        self.rate = rate
        self.end_ms = end_ms
        self.target = target
        self.op = op

    def fire(self, _: Any = None) -> None:
        traffic = self.traffic
        sim = traffic.sim
        now = traffic.kernel.now
        if now >= self.end_ms or now >= traffic.duration_ms:
            return
        traffic.tally.attack_sent += 1
        traffic.count_entry()
        sim.trace_seq += 1
        trace = Trace(sim.trace_seq, self.session, traffic.attack_plan, 0)
        client = traffic.attack_client
        if client is not None:
            sim.contexts[client].call(
                None,
                self.target,
                self.op,
                traffic.attack_done,
                trace=trace,
                step=traffic.attack_step,
            )
        traffic.kernel.after(self.rng.expovariate(self.rate), self.fire)


def model_journey(model: Any, journey_id: str) -> Journey:
    for journey in model.journeys:
        if journey.id == journey_id:
            return journey  # type: ignore[no-any-return]
    raise KeyError(journey_id)
