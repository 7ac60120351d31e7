"""Semantic rules: everything the schema alone cannot say, all problems at once.

Each rule appends positioned problems; none stops at the first one, so a user fixes a model
in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable

import pydantic

from archgen.model.base import DAY_S
from archgen.model.errors import Problem, did_you_mean
from archgen.model.flows import step_parents
from archgen.model.graph import ancestors
from archgen.model.kind import (
    Capability,
    EncryptableAtRest,
    KindParams,
    Protects,
    UserLocations,
    Zonal,
)
from archgen.model.loader import Document, PathKey, format_path
from archgen.model.registry import has, kinds, with_capability
from archgen.model.schema import (
    ALLOWED_PARENTS,
    BUILTIN_KEYS,
    PRESIGNED_PROTOCOLS,
    AnyNode,
    Edge,
    Fault,
    FaultType,
    Flow,
    GroupKind,
    InvariantRule,
    Mode,
    Model,
    RampShape,
    Scenario,
    SpikeShape,
)


def semantic_problems(
    document: Document,
    model: Model,
    kept: dict[str, list[int]] | None = None,
    dropped: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every semantic problem of ``model``.

    ``kept`` and ``dropped`` describe a salvaged model (see ``structure.salvage``): the
    original index of each remaining item, and ids whose items failed already.
    """
    checker = _Checker(document, model, kept or {}, dropped)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(
        self,
        document: Document,
        model: Model,
        kept: dict[str, list[int]],
        dropped: frozenset[str],
    ) -> None:
        self.document = document
        self.model = model
        self.kept = kept
        self.dropped = dropped
        self.problems: list[Problem] = []
        self.nodes = model.nodes_by_id
        self.groups = model.groups_by_id

    # -- helpers

    def report(self, path: PathKey, message: str) -> None:
        if len(path) > 1 and isinstance(path[1], int) and str(path[0]) in self.kept:
            path = (path[0], self.kept[str(path[0])][path[1]], *path[2:])
        mark = self.document.positions.value(path)
        self.problems.append(
            Problem(self.document.source, mark.line, mark.column, format_path(path), message)
        )

    def ref(
        self,
        path: PathKey,
        value: str | None,
        table: Iterable[str],
        what: str,
        kinds: Iterable[str] = (),
    ) -> bool:
        """Check that ``value`` names an existing ``what`` (of one of ``kinds``)."""
        if value is None:
            return False
        choices = list(table)
        if value in self.dropped:
            return False
        if value not in choices:
            self.report(path, f"unknown {what} '{value}'{did_you_mean(value, choices)}")
            return False
        wanted = tuple(kinds)
        if wanted and value in self.nodes and self.nodes[value].kind not in wanted:
            expected = " or ".join(wanted)
            self.report(
                path, f"'{value}' is {_a(self.nodes[value].kind)} node, expected {expected}"
            )
            return False
        return True

    def node_ref(self, path: PathKey, value: str | None, *kinds: str) -> bool:
        return self.ref(path, value, self.nodes, "node", kinds)

    def group_ref(self, path: PathKey, value: str | None, *kinds: GroupKind) -> bool:
        if not self.ref(path, value, self.groups, "group"):
            return False
        assert value is not None
        if kinds and self.groups[value].kind not in kinds:
            expected = " or ".join(kind.value for kind in kinds)
            self.report(
                path, f"'{value}' is {_a(self.groups[value].kind.value)} group, expected {expected}"
            )
            return False
        return True

    def edge_ref(self, path: PathKey, source: str, target: str, why: str) -> None:
        if source in self.nodes and target in self.nodes and not self.model.edge(source, target):
            self.report(path, f"{why} needs a declared edge {source} -> {target}")

    # -- rules

    def run(self) -> None:
        self.unique_ids()
        self.group_rules()
        self.node_rules()
        self.edge_rules()
        self.sync_cycles()
        self.flow_rules()
        self.journey_rules()
        self.scenario_rules()
        self.invariant_rules()
        self.view_rules()

    def unique_ids(self) -> None:
        # Nodes and groups share one namespace: views select by id from both.
        sections: list[tuple[str, Iterable[str]]] = [
            ("groups", (group.id for group in self.model.groups)),
            ("nodes", (node.id for node in self.model.nodes)),
        ]
        seen: dict[str, PathKey] = {}
        for section, ids in sections:
            for index, item_id in enumerate(ids):
                self._unique(seen, (section, index, "id"), item_id)
        for section in ("flows", "journeys", "scenarios", "invariants", "views"):
            seen = {}
            for index, item in enumerate(getattr(self.model, section)):
                self._unique(seen, (section, index, "id"), item.id)
        for index, node in enumerate(self.model.nodes):
            self._unique_within(("nodes", index, "params"), node.params)

    def _unique_within(self, path: PathKey, value: object) -> None:
        """Lists of things with ids inside a node's params (a client's locations, CloudWatch
        metrics and alarms…) are looked up by id: two items with one id would shadow each
        other silently."""
        if not isinstance(value, pydantic.BaseModel):
            return
        for name in type(value).model_fields:
            field = getattr(value, name)
            if isinstance(field, tuple) and field and isinstance(field[0], pydantic.BaseModel):
                seen: dict[str, PathKey] = {}
                for index, item in enumerate(field):
                    item_id = getattr(item, "id", None)
                    if isinstance(item_id, str):
                        self._unique(seen, (*path, name, index, "id"), item_id)
                    self._unique_within((*path, name, index), item)
            else:
                self._unique_within((*path, name), field)

    def _unique(self, seen: dict[str, PathKey], path: PathKey, item_id: str) -> None:
        if item_id in seen:
            first = self.document.positions.value(seen[item_id])
            self.report(path, f"duplicate id '{item_id}' (first used at line {first.line})")
        else:
            seen[item_id] = path

    def group_rules(self) -> None:
        for index, group in enumerate(self.model.groups):
            path: PathKey = ("groups", index)
            if group.parent is not None and self.group_ref((*path, "parent"), group.parent):
                parent_kind = self.groups[group.parent].kind
                if parent_kind not in ALLOWED_PARENTS[group.kind]:
                    self.report(
                        (*path, "parent"),
                        f"a {group.kind.value} cannot sit inside a "
                        f"{parent_kind.value} ('{group.parent}')",
                    )
            elif group.parent is None and None not in ALLOWED_PARENTS[group.kind]:
                allowed = sorted(kind.value for kind in ALLOWED_PARENTS[group.kind] if kind)
                self.report(path, f"a {group.kind.value} needs a parent ({' or '.join(allowed)})")
        reported: set[str] = set()
        for index, group in enumerate(self.model.groups):
            chain = [group.id]
            current = group.parent
            while current is not None and current in self.groups:
                if current in chain:
                    cycle = [*chain[chain.index(current) :], current]
                    if not reported & set(cycle):
                        reported.update(cycle)
                        self.report(
                            ("groups", index, "parent"),
                            f"groups form a cycle: {' -> '.join(cycle)}",
                        )
                    break
                chain.append(current)
                current = self.groups[current].parent

    def node_rules(self) -> None:
        for index, node in enumerate(self.model.nodes):
            path: PathKey = ("nodes", index)
            if node.group is not None:
                self.group_ref((*path, "group"), node.group)
            self.node_ref((*path, "role"), node.role, *with_capability(Capability.role))
            if node.replica_of is not None and self.node_ref(
                (*path, "replica_of"), node.replica_of
            ):
                original = self.nodes[node.replica_of]
                if original.kind != node.kind:
                    self.report(
                        (*path, "replica_of"),
                        f"a replica must have the kind of its "
                        f"original: '{node.replica_of}' is a {original.kind}",
                    )
                elif original.replica_of is not None:
                    self.report(
                        (*path, "replica_of"),
                        f"'{node.replica_of}' is itself a "
                        f"replica of '{original.replica_of}'; point at the original",
                    )
                else:
                    self._one_replica_per_region(path, node)
            self.params_rules((*path, "params"), node)
        self._one_place_per_location()

    def _one_place_per_location(self) -> None:
        """A location id names one place: CloudFront serves it from the same edges and
        Route 53 measures the same round trips whichever client declares it, so two
        clients that declare it must agree on its round trips."""
        first: dict[str, tuple[str, dict[str, float]]] = {}
        for index, node in enumerate(self.model.nodes):
            if not isinstance(node.params, UserLocations):
                continue
            for i, location in enumerate(node.params.locations):
                latencies = dict(location.latency_ms)
                seen = first.setdefault(location.id, (node.id, latencies))
                if seen[0] != node.id and seen[1] != latencies:
                    self.report(
                        ("nodes", index, "params", "locations", i, "latency_ms"),
                        f"location '{location.id}' has other round trips here than in "
                        f"client '{seen[0]}': a location id names one place (the same "
                        "edges, the same round trips); give a different place its own id",
                    )

    def _one_replica_per_region(self, path: PathKey, node: AnyNode) -> None:
        """Calls made in a region go to the original's replica there: only one may be."""
        region = self.model.region_of(node.group)
        if region is None or node.replica_of is None:
            return
        first = self.model.replica_in(node.replica_of, region.id)
        if first != node.id:
            self.report(
                (*path, "replica_of"),
                f"'{node.replica_of}' already has a replica in region '{region.id}': '{first}'",
            )

    def params_of(self, node_id: str) -> KindParams:
        return self.nodes[node_id].params

    def kind_of(self, node_id: str) -> str | None:
        node = self.nodes.get(node_id)
        return None if node is None else node.kind

    def params_rules(self, path: PathKey, node: AnyNode) -> None:
        if isinstance(node.params, EncryptableAtRest):
            key = node.params.kms_key
            if self.node_ref((*path, "kms_key"), key, *with_capability(Capability.key)):
                assert key is not None
                self.key_in_region((*path, "kms_key"), node.id, key)
        if isinstance(node.params, Zonal):
            self.zones_within_group(path, node, node.params.zones)
        if isinstance(node.params, Protects):
            shield = has(node.kind, Capability.ddos_protection)
            for i, protected in enumerate(node.params.protects):
                if self.node_ref((*path, "protects", i), protected) and shield:
                    self.shield_protectable((*path, "protects", i), protected)
        hook = kinds()[node.kind].validate
        if hook is not None:
            hook(self, path, node)

    def key_in_region(self, path: PathKey, node_id: str, key: str) -> None:
        """KMS keys are regional: a service encrypts at rest (SSE-KMS) only with a key of
        its own Region (a multi-Region key's replica there, for a global table's replica).
        Encryption by code (an edge's ``encrypted_with``) may call any Region."""
        from archgen.model.regions import region_code

        home, where = region_code(self.model, node_id), region_code(self.model, key)
        if home is not None and where is not None and home != where:
            self.report(
                path,
                f"'{node_id}' is in {home} but its KMS key '{key}' is in {where}: a service "
                f"encrypts at rest only with a key of its own Region (give it a key in "
                f"{home}, e.g. a replica of a multi-Region key)",
            )

    def shield_protectable(self, path: PathKey, protected: str) -> None:
        """AWS::Shield::Protection takes only a few resource types (AWS Shield docs,
        "Resources that AWS Shield Advanced protects"): a protection of a bucket, queue or
        regional API would not deploy, and the ``entry-shield`` lint would be satisfied by
        it."""
        kind = self.nodes[protected].kind
        if has(kind, Capability.shield_protectable):
            return
        self.report(
            path,
            f"Shield cannot protect {kind} node '{protected}': Shield Advanced protects "
            "only CloudFront distributions, Route 53 hosted zones, Global Accelerator "
            "accelerators, Elastic IPs and Application or Classic Load Balancers (kinds "
            f"{', '.join(with_capability(Capability.shield_protectable))}); put CloudFront "
            "in front of it",
        )

    def zones_within_group(self, path: PathKey, node: AnyNode, zones: tuple[str, ...]) -> None:
        """A node's zones lie within its group: one zone's subnet cannot hold tasks in
        another zone (diagrams would draw them inside it, and that zone's outage would take
        them all). A node spanning zones sits in the group that holds them, the VPC (or a
        cluster of it); its zones are the VPC's, or its region's outside any VPC."""
        if node.group is None or node.group not in self.groups:
            return
        where = ancestors(self.model, node.group)
        kind_of = {g: self.groups[g].kind for g in where}
        az = GroupKind.availability_zone
        known = [z for z in zones if z in self.groups and self.groups[z].kind is az]
        zone_of = next((g for g in where if kind_of[g] is az), None)
        scope = next((g for g in where if kind_of[g] in (GroupKind.vpc, GroupKind.region)), None)
        holder = next(
            (
                g
                for g in where
                if g != zone_of and all(g in ancestors(self.model, z) for z in known)
            ),
            None,
        )
        for i, zone in enumerate(zones):
            if zone not in known or zone == zone_of:
                continue
            if zone_of is None and (scope is None or scope in ancestors(self.model, zone)):
                continue
            inside = f" (in zone '{zone_of}')" if zone_of not in (None, node.group) else ""
            listed = f"group: {holder}, zones: [{', '.join(known)}]"
            if zone_of is None or holder is None:
                fix = ""
            elif len(known) > 1:
                fix = f": a node in several zones sits in the group that holds them ({listed})"
            else:
                fix = f": put it in a subnet of '{zone}', or write {listed}"
            self.report(
                (*path, "zones", i),
                f"zone '{zone}' lies outside the node's group '{node.group}'{inside}{fix}",
            )

    def alarm_ids(self) -> list[str]:
        return [alarm for node in self.model.nodes for alarm in node.params.alarm_ids()]

    def edge_rules(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for index, edge in enumerate(self.model.edges):
            path: PathKey = ("edges", index)
            ok_source = self.node_ref((*path, "from"), edge.source)
            ok_target = self.node_ref((*path, "to"), edge.target)
            if ok_source and ok_target and edge.source == edge.target:
                self.report((*path, "to"), f"an edge from '{edge.source}' to itself")
            if edge.key in seen:
                first = self.document.positions.value(("edges", seen[edge.key])).line
                self.report(
                    path,
                    f"duplicate edge {edge.source} -> {edge.target} (first "
                    f"declared at line {first}); list every operation on one edge",
                )
            else:
                seen[edge.key] = index
            self.node_ref(
                (*path, "encrypted_with"), edge.encrypted_with, *with_capability(Capability.key)
            )
            self.presigned(path, edge, ok_target)
            if len(set(edge.operations)) != len(edge.operations):
                self.report((*path, "operations"), "an operation is listed twice")
            for i, op in enumerate(edge.operations if ok_target else ()):
                self.known_operation((*path, "operations", i), edge.target, op)

    def presigned(self, path: PathKey, edge: Edge, ok_target: bool) -> None:
        """A presigned URL carries its signer's credentials: the signer must have a role to
        sign with, the target must be a service that takes such URLs (S3; a queue or a
        table does not), and the URL is an HTTP request."""
        signer = edge.presigned_by
        where = (*path, "presigned_by")
        if signer is None or not self.node_ref(where, signer):
            return
        if signer == edge.source:
            self.report(
                where,
                f"'{signer}' is the edge's own source: a node calls with its own role "
                "anyway; presigned_by names the node whose role signed the URL the source uses",
            )
        elif self.nodes[signer].role is None:
            self.report(
                where,
                f"{self.nodes[signer].kind} '{signer}' has no IAM role: a presigned URL is "
                "authorised as the role of the node that signed it (give it a role)",
            )
        target = self.nodes.get(edge.target)
        if ok_target and target is not None and not has(target.kind, Capability.presigned_requests):
            takes = ", ".join(with_capability(Capability.presigned_requests))
            self.report(
                where,
                f"{target.kind} '{target.id}' takes no presigned URLs (kinds that do: {takes})",
            )
        if edge.protocol not in PRESIGNED_PROTOCOLS:
            self.report(
                (*path, "protocol"),
                "a presigned URL is an HTTP request to the service: use protocol "
                f"{', '.join(p.value for p in PRESIGNED_PROTOCOLS[:-1])} or "
                f"{PRESIGNED_PROTOCOLS[-1].value}, not {edge.protocol.value}",
            )

    def known_operation(self, path: PathKey, target: str, op: str) -> None:
        """An AWS service answers only its own operations: a made-up one (``PutItems``) on
        an edge (maybe a ``*`` pattern), a step or an objective would run as if it existed."""
        known = kinds()[self.nodes[target].kind].operations
        if known is not None and not known.covers_some(op):
            self.report(path, known.unknown(op))

    def sync_cycles(self) -> None:
        """Report every cycle of synchronous calls: find one, break it, look again."""
        from graphlib import CycleError, TopologicalSorter

        first_index: dict[tuple[str, str], int] = {}
        callees: dict[str, set[str]] = {node: set() for node in self.nodes}
        for index, edge in enumerate(self.model.edges):
            if edge.mode is Mode.sync and edge.source in self.nodes and edge.target in self.nodes:
                callees[edge.source].add(edge.target)
                first_index.setdefault(edge.key, index)
        while True:
            # graphlib orders predecessors first; callees as predecessors is the same graph.
            try:
                TopologicalSorter(callees).prepare()
                return
            except CycleError as error:
                found: list[str] = error.args[1]
            ring = found[:-1]
            start = ring.index(min(ring))
            ring = ring[start:] + ring[:start]
            # graphlib walks predecessor links, so the ring runs against the call direction.
            calls = [ring[0], *reversed(ring[1:])]
            pairs = list(zip(calls, [*calls[1:], calls[0]], strict=True))
            names = " -> ".join([*calls, calls[0]])
            self.report(
                ("edges", min(first_index[pair] for pair in pairs)),
                f"synchronous calls form a cycle: {names} (a request could wait on "
                "itself; make one edge async)",
            )
            callees[pairs[0][0]].discard(pairs[0][1])

    def flow_rules(self) -> None:
        scenarios = [scenario.id for scenario in self.model.scenarios]
        for index, flow in enumerate(self.model.flows):
            if flow.slo is not None:
                for i, scenario in enumerate(flow.slo.scenarios):
                    self.ref(
                        ("flows", index, "slo", "scenarios", i), scenario, scenarios, "scenario"
                    )
                end_to_end = flow.slo.end_to_end
                where: PathKey = ("flows", index, "slo", "end_to_end")
                if (
                    end_to_end is not None
                    and self.node_ref((*where, "until"), end_to_end.until)
                    and end_to_end.op is not None
                ):
                    self.known_operation((*where, "op"), end_to_end.until, end_to_end.op)
            parents = step_parents(flow)
            for i, step in enumerate(flow.steps):
                path: PathKey = ("flows", index, "steps", i)
                if step.key is not None:
                    self.ref((*path, "key"), step.key, self._keys(), "key")
                ok = self.node_ref((*path, "from"), step.source)
                ok = self.node_ref((*path, "to"), step.target) and ok
                if not ok:
                    continue
                edge = self.model.edge(step.source, step.target)
                if edge is None:
                    self.report(
                        path,
                        f"step {step.source} -> {step.target} follows no declared "
                        f"edge{self._edge_hint(step.source, step.target)}",
                    )
                    continue
                if not edge.carries(step.op):
                    hint = did_you_mean(step.op, edge.operations)
                    self.report(
                        (*path, "op"),
                        f"operation '{step.op}' is not declared on edge "
                        f"{step.source} -> {step.target}{hint}; declared: "
                        f"{', '.join(edge.operations)}",
                    )
                else:
                    self.known_operation((*path, "op"), step.target, step.op)
                if step.is_async is False and edge.mode is Mode.async_:
                    self.report(
                        (*path, "async"),
                        "the edge is asynchronous; a step on it cannot be synchronous",
                    )
                if step.when is not None and step.probability is None:
                    self._decidable(path, flow, i, parents)

    def _decidable(
        self, path: PathKey, flow: Flow, index: int, parents: tuple[int | None, ...]
    ) -> None:
        """A ``when`` is a condition its source's kind decides, or that the answer of an
        earlier step of the same source and parent decides (a cache's ``cache_miss``)."""
        step = flow.steps[index]
        source_kind = self.nodes[step.source].kind
        conditions = kinds()[source_kind].conditions
        if step.when in conditions:
            return
        answers: list[str] = []
        for earlier in range(index):
            other = flow.steps[earlier]
            if parents[earlier] != parents[index] or other.source != step.source:
                continue
            target = self.nodes.get(other.target)
            if target is not None:
                answers += [c for c in kinds()[target.kind].conditions if c not in answers]
        if step.when in answers:
            return
        known = [*conditions, *(c for c in answers if c not in conditions)]
        listed = f" ({', '.join(known)})" if known else ""
        who = f"a {source_kind} or an earlier step's answer" if answers else f"a {source_kind}"
        self.report(
            (*path, "when"),
            f"'{step.when}' is not a condition that {who} decides{listed}; give its probability",
        )

    def _keys(self) -> list[str]:
        """What a step's ``key`` may name: the built-in keys and every journey's entities."""
        declared = {name for journey in self.model.journeys for name in journey.entities}
        return [*BUILTIN_KEYS, *sorted(declared - set(BUILTIN_KEYS))]

    def _edge_hint(self, source: str, target: str) -> str:
        if self.model.edge(target, source):
            return f" (an edge {target} -> {source} exists: reversed?)"
        targets = [edge.target for edge in self.model.edges if edge.source == source]
        hint = did_you_mean(target, targets)
        return hint.replace("did you mean", f"{source} calls") if hint else ""

    def journey_rules(self) -> None:
        flows = self.model.flows_by_id
        for index, journey in enumerate(self.model.journeys):
            self.node_ref(
                ("journeys", index, "client"),
                journey.client,
                *with_capability(Capability.traffic_source),
            )
            for i, step in enumerate(journey.flows):
                self.ref(("journeys", index, "flows", i, "flow"), step.flow, flows, "flow")

    def scenario_rules(self) -> None:
        journeys = [journey.id for journey in self.model.journeys]
        self.ref(
            ("system", "default_scenario"),
            self.model.system.default_scenario,
            [scenario.id for scenario in self.model.scenarios],
            "scenario",
        )
        for index, scenario in enumerate(self.model.scenarios):
            path: PathKey = ("scenarios", index)
            for journey in scenario.traffic.mix:
                self.ref((*path, "traffic", "mix", journey), journey, journeys, "journey")
            attack = scenario.traffic.attack
            if attack is not None:
                self.node_ref((*path, "traffic", "attack", "target"), attack.target)
            if scenario.warmup_s >= scenario.duration_s:
                self.report(
                    (*path, "warmup_s"),
                    f"warm-up must end before the run does "
                    f"({scenario.warmup_s:g} s >= duration_s {scenario.duration_s:g} s)",
                )
            self.time_rules(path, scenario)
            self.alarm_expectations(path, scenario)
            for i, fault in enumerate(scenario.faults):
                fault_path = (*path, "faults", i)
                target_path = (*fault_path, "target")
                if fault.type is FaultType.az_outage:
                    found = self.group_ref(target_path, fault.target, GroupKind.availability_zone)
                elif fault.type is FaultType.region_outage:
                    found = self.group_ref(target_path, fault.target, GroupKind.region)
                elif fault.type is FaultType.consumer_crash:
                    found = self.node_ref(
                        target_path, fault.target, *with_capability(Capability.consumer)
                    )
                elif fault.type is FaultType.poison_message:
                    found = self.node_ref(
                        target_path, fault.target, *with_capability(Capability.queue)
                    )
                else:
                    found = self.node_ref(target_path, fault.target)
                if found:
                    self.fault_acts(target_path, fault)
                if fault.start_s >= scenario.duration_s and fault.at is not None:
                    self.report(
                        (*fault_path, "at"),
                        f"at {fault.at} falls outside the run, which starts at "
                        f"{clock(scenario, 0)} and ends at "
                        f"{clock(scenario, scenario.duration_s)} (the clock shows {fault.at} "
                        f"{fault.start_s:g} s after the start >= duration_s "
                        f"{scenario.duration_s:g} s)",
                    )
                elif fault.start_s >= scenario.duration_s:
                    self.report(
                        (*fault_path, "start_s"),
                        f"the fault starts after the run ends "
                        f"({fault.start_s} s >= duration_s {scenario.duration_s} s)",
                    )

    def alarm_expectations(self, path: PathKey, scenario: Scenario) -> None:
        """Expected alarms exist, and none is expected both to fire and to stay quiet."""
        alarms = self.alarm_ids()
        expect = scenario.alarms
        base = (*path, "alarms")
        for i, alarm in enumerate(expect.must_not_fire):
            known = self.ref((*base, "must_not_fire", i), alarm, alarms, "alarm")
            if known and alarm in expect.must_fire_within_s:
                self.report(
                    (*base, "must_not_fire", i),
                    f"alarm '{alarm}' is also in must_fire_within_s: it cannot both fire "
                    "and stay quiet",
                )
        for alarm in expect.must_fire_within_s:
            self.ref((*base, "must_fire_within_s", alarm), alarm, alarms, "alarm")

    def takes_calls(self, node_id: str) -> bool:
        """Whether calls reach ``node_id`` in a run: an edge to it (a replica is called
        through its original's), a queue it consumes (its deliveries), or another node or
        edge naming it (a key used through ``kms_key`` or ``encrypted_with``)."""
        callee = {node_id, self.model.original_of(node_id)}
        if any(edge.target in callee or edge.encrypted_with in callee for edge in self.model.edges):
            return True
        if self.nodes[node_id].params.consumed_queue() is not None:
            return True
        if has(self.nodes[node_id].kind, Capability.key):
            return bool(self._keeps_at_rest(callee)[0])
        return any(
            ref.target in callee for node in self.model.nodes for ref in node.params.references()
        )

    def _keeps_at_rest(self, keys: set[str]) -> tuple[list[str], list[str]]:
        """The nodes that encrypt at rest with one of ``keys`` and call it on their callers'
        behalf (SSE-KMS: the key's faults fail those calls), and those that name it as their
        ``kms_key`` but whose kind makes no such call in a run (an RDS instance)."""
        acting: list[str] = []
        silent: list[str] = []
        for node in self.model.nodes:
            if not isinstance(node.params, EncryptableAtRest) or node.params.kms_key not in keys:
                continue
            sse = kinds()[node.kind].sse_kms is not None
            (acting if sse and node.params.sse_kms_key() in keys else silent).append(node.id)
        return acting, silent

    def fault_acts(self, path: PathKey, fault: Fault) -> None:
        """A fault that cannot act on its target would leave the scenario's story untold
        without a word: a crash, latency or throttling on a node no call reaches, poison
        in a queue nothing consumes, an outage of a zone or region that holds no node."""
        target = fault.target
        what = f"the {fault.type.value} fault on '{target}'"
        nodes = self.model.nodes
        why = None
        unreached = (
            f"no call reaches '{target}' (no edge leads to it, it consumes no queue and no "
            "node names it)"
        )
        key = target in self.nodes and has(self.nodes[target].kind, Capability.key)
        if key:
            unreached = self._unreached_key(target)
        if fault.type is FaultType.consumer_crash:
            if not self.takes_calls(target):
                why = f"would crash nothing: {unreached}"
        elif fault.type is FaultType.poison_message:
            queue = self.model.original_of(target)
            if not any(node.params.consumed_queue() == queue for node in nodes):
                why = f"would fail nothing: no node consumes '{target}' (no event_source names it)"
        elif fault.type in (FaultType.latency, FaultType.throttling):
            if not self.takes_calls(target):
                why = f"would act on nothing: {unreached}"
        elif fault.type is FaultType.node_outage:
            if key and not self.takes_calls(target):
                why = f"would take nothing down: {unreached}"
        elif fault.type is FaultType.region_outage:
            region = self.groups[target]
            if not any(self.model.region_of(node.group) is region for node in nodes):
                why = f"would take nothing down: no node is in region '{target}'"
        elif fault.type is FaultType.az_outage and not any(
            target in ancestors(self.model, node.group)
            or (isinstance(node.params, Zonal) and target in node.params.zones)
            for node in nodes
        ):
            why = f"would take nothing down: no node is in zone '{target}' or spans it"
        if why is not None:
            self.report(path, f"{what} {why}")

    def _unreached_key(self, key: str) -> str:
        """Why no call reaches a key: nothing calls it, and what names it keeps data at rest
        without the service calling it in a run."""
        _, silent = self._keeps_at_rest({key, self.model.original_of(key)})
        sse = " or ".join(name for name, spec in kinds().items() if spec.sse_kms is not None)
        named = ", ".join(f"'{node}' ({self.nodes[node].kind})" for node in silent)
        verb = "encrypts" if len(silent) == 1 else "encrypt"
        holders = f"; {named} {verb} at rest with it without calling it" if named else ""
        return (
            f"no call reaches '{key}' (no edge leads to it{holders}; only the SSE-KMS of "
            f"{sse} calls a key on its callers' behalf)"
        )

    def time_rules(self, path: PathKey, scenario: Scenario) -> None:
        """Windows (attack, ramp, spike, faults) lie in the run and end after they start."""
        duration = scenario.duration_s
        traffic = scenario.traffic
        items = traffic.items
        if items.categories > items.count:
            self.report(
                (*path, "traffic", "items", "categories"),
                f"more categories ({items.categories}) than items ({items.count})",
            )
        attack = traffic.attack
        if attack is not None:
            where = (*path, "traffic", "attack")
            self.window(where, "the attack", duration, attack.start_s, attack.end_s, True)
        shape = traffic.shape
        if isinstance(shape, RampShape):
            where = (*path, "traffic", "shape")
            self.window(where, "the ramp", duration, shape.start_s, shape.end_s, False)
        elif isinstance(shape, SpikeShape):
            where = (*path, "traffic", "shape")
            self.window(where, "the spike", duration, shape.at_s, None, False, "at_s")
        for i, fault in enumerate(scenario.faults):
            # Its start (after the run) and its order are reported elsewhere.
            if fault.start_s >= duration:
                continue
            end = fault.end_s
            if fault.until is not None and end is not None:
                if end <= fault.start_s or end > duration:
                    self.report(
                        (*path, "faults", i, "until"),
                        f"until {fault.until} must fall after the fault starts "
                        f"({clock(scenario, fault.start_s)}) and no later than the run ends "
                        f"({clock(scenario, duration)}); leave until out to last until the end",
                    )
            elif fault.at is not None and end is not None and end <= fault.start_s:
                self.report(
                    (*path, "faults", i, "end_s"),
                    f"the fault must end after it starts ({end:g} s <= {fault.start_s:g} s, "
                    f"at {fault.at})",
                )
            elif end is not None and end > duration:
                self.window((*path, "faults", i), "the fault", duration, 0, fault.end_s, True)

    def window(
        self,
        path: PathKey,
        what: str,
        duration: float,
        start: float,
        end: float | None,
        inside: bool,
        start_key: str = "start_s",
    ) -> None:
        if start >= duration:
            self.report(
                (*path, start_key),
                f"{what} starts after the run ends ({start:g} s >= duration_s {duration:g} s)",
            )
        elif end is not None and end <= start:
            self.report(
                (*path, "end_s"), f"{what} must end after it starts ({end:g} s <= {start:g} s)"
            )
        elif inside and end is not None and end > duration:
            self.report(
                (*path, "end_s"),
                f"{what} ends after the run ({end:g} s > duration_s {duration:g} s); leave "
                "end_s out to last until the end",
            )

    def invariant_rules(self) -> None:
        """Each target names a node of a kind its rule can judge: a run would otherwise
        only say so after it ran (``summary.json keeps no books for …``)."""
        for index, invariant in enumerate(self.model.invariants):
            for i, target in enumerate(invariant.targets):
                path: PathKey = ("invariants", index, "targets", i)
                if self.node_ref(path, target):
                    self._invariant_target(path, invariant.rule, target)

    def _invariant_target(self, path: PathKey, rule: InvariantRule, target: str) -> None:
        node = self.nodes[target]
        if rule is InvariantRule.exactly_once:
            if node.params.consumed_queue() is not None:
                return
            if has(node.kind, Capability.consumer):
                self.report(
                    path,
                    f"'{target}' consumes no queue; exactly_once judges the effects of the "
                    "messages a queue consumer processes (give it an event_source)",
                )
            else:
                self.report(
                    path,
                    f"'{target}' is {_a(node.kind)} node; exactly_once judges queue consumers "
                    f"({' or '.join(with_capability(Capability.consumer))} with an event_source)",
                )
            return
        judged = _INVARIANT_TARGETS.get(rule)
        if judged is None or any(has(node.kind, capability) for capability in judged[0]):
            return
        capabilities, what = judged
        accepted = [kind for capability in capabilities for kind in with_capability(capability)]
        self.report(
            path,
            f"'{target}' is {_a(node.kind)} node; {rule.value} judges {what} "
            f"({' or '.join(accepted)})",
        )

    def view_rules(self) -> None:
        everything = {**self.nodes, **self.groups}
        for index, view in enumerate(self.model.views):
            path: PathKey = ("views", index)
            for field in ("include_ids", "exclude_ids"):
                for i, item in enumerate(getattr(view, field)):
                    self.ref((*path, field, i), item, everything, "node or group")
            for i, group in enumerate(view.include_groups):
                self.group_ref((*path, "include_groups", i), group)
            for field in ("include_kinds", "exclude_kinds"):
                for i, kind in enumerate(getattr(view, field)):
                    self.ref((*path, field, i), kind, kinds(), "kind")


_INVARIANT_TARGETS: dict[InvariantRule, tuple[tuple[Capability, ...], str]] = {
    InvariantRule.no_lost_messages: (
        (Capability.queue, Capability.event_router),
        "where the messages of a queue or an event bus ended",
    ),
    InvariantRule.ordered_per_group: ((Capability.queue,), "the messages of a queue"),
    InvariantRule.encrypted_at_rest: ((Capability.data_store,), "what a store keeps at rest"),
}
"""The kinds (by capability) whose nodes each invariant rule can judge, and what it judges
(``no_access_denied`` is judged on every call, whatever its targets)."""


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def clock(scenario: Scenario, t_s: float) -> str:
    """The wall-clock time ``t_s`` seconds into ``scenario`` (HH:MM, or HH:MM:SS)."""
    total = int(scenario.start_of_day_s + t_s) % DAY_S
    hours, rest = divmod(total, 3_600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
