"""Static rules: what a model must say before any run, each finding at its YAML line.

Kinds exempt from ``flow-participation`` as flow steps, and why: IAM roles, KMS keys, DLQs,
failure destinations, subscribers, origins and DNS targets take part by supporting a node
that does (its ``role``, ``kms_key``, ``encrypted_with``, an edge's ``presigned_by`` signer,
any params field its kind marks ``Ref``); Shield, WAF and CloudWatch take part by protecting
or monitoring such a node (``Ref(role="watches")``); a replica takes part when its original
does (flows name only originals); a NAT gateway or VPC endpoint takes part when a call
between two nodes that do leaves the VPC through it (``archgen.model.egress``). Anything
else outside every flow is dead weight or a flow that was never written.
"""

from __future__ import annotations

from collections.abc import Iterator

from archgen.model import LoadedModel
from archgen.model.base import Classification
from archgen.model.egress import egress, egress_zones, zones_of
from archgen.model.errors import did_you_mean
from archgen.model.iam import PolicyDocument, Statement
from archgen.model.kind import (
    Capability,
    EncryptableAtRest,
    GrantsPolicies,
    Protects,
    Reference,
    ResourcePolicy,
)
from archgen.model.registry import has, kinds
from archgen.model.schema import AnyNode, Edge, GroupKind, Model, Protocol
from archgen.runtime.aws.iam import Decision, KeyUse
from archgen.runtime.aws.operations import is_read
from archgen.runtime.check import access
from archgen.runtime.check.report import FindingSink, Scope
from archgen.runtime.check.rules import STATIC_RULES

SENSITIVE = frozenset({Classification.card, Classification.pii})


def _why(decision: Decision) -> str:
    """Why IAM refuses a call, as the findings say it."""
    if decision.statement:
        return f"denied by statement {decision.statement}"
    return "no statement allows it"


def lint(loaded: LoadedModel) -> Scope:
    """Run every static rule on ``loaded``; findings carry file:line:col."""
    linter = _Linter(loaded)
    linter.run()
    return linter.sink.scope_result()


class _Linter:
    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.model: Model = loaded.model
        self.sink = FindingSink(loaded, "lint", STATIC_RULES)
        self.node_index = {node.id: i for i, node in enumerate(self.model.nodes)}

    def run(self) -> None:
        self.entry_protection()
        self.monitored()
        self.sensitive_edges()
        self.iam_edges_allowed()
        self.iam_required_calls()
        self.kms_key_access()
        self.iam_least_privilege()
        self.iam_known_actions()
        self.dead_letters()
        self.replica_writes()
        self.egress()
        self.egress_per_zone()
        self.kind_rules()
        self.participation()
        self.flow_triggers()
        self.slos()
        self.lint_ignores()

    def node_path(self, node_id: str, *rest: str | int) -> tuple[str | int, ...]:
        return ("nodes", self.node_index[node_id], *rest)

    # -- what a kind's lint hook uses (``archgen.model.kind.Lints``)

    def add(self, rule: str, path: tuple[str | int, ...], message: str, *, node: str) -> None:
        self.sink.add(rule, path, message, node=node)

    def async_callers(self, node_id: str) -> Iterator[tuple[int, Edge]]:
        nodes = self.model.nodes_by_id
        for index, edge in enumerate(self.model.edges):
            if (
                edge.target == node_id
                and edge.is_async
                and not has(nodes[edge.source].kind, Capability.async_fanout)
            ):
                yield index, edge

    def kind_rules(self) -> None:
        """The static rules a kind declares (``KindSpec.lint``)."""
        specs = kinds()
        for node in self.model.nodes:
            hook = specs[node.kind].lint
            if hook is not None:
                hook(self, self.node_path(node.id, "params"), node)

    # -- perimeter

    def entry_points(self) -> list[str]:
        nodes = self.model.nodes_by_id
        entries = {
            edge.target
            for edge in self.model.edges
            if kinds()[nodes[edge.source].kind].has(Capability.traffic_source)
        }
        return [node.id for node in self.model.nodes if node.id in entries]

    def entry_protection(self) -> None:
        shielded: set[str] = set()
        firewalled: set[str] = set()
        for node in self.model.nodes:
            if not isinstance(node.params, Protects):
                continue
            if has(node.kind, Capability.ddos_protection):
                shielded.update(node.params.protects)
            if has(node.kind, Capability.web_acl):
                firewalled.update(node.params.protects)
        for entry in self.entry_points():
            kind = self.model.nodes_by_id[entry].kind
            if kinds()[kind].has(Capability.shield_protectable) and entry not in shielded:
                self.sink.add(
                    "entry-shield",
                    self.node_path(entry),
                    f"'{entry}' is called by a client but no Shield node "
                    "protects it (add it to a shield's params.protects)",
                    node=entry,
                )
            if kinds()[kind].has(Capability.waf_attachable) and entry not in firewalled:
                self.sink.add(
                    "entry-waf",
                    self.node_path(entry),
                    f"'{entry}' ({kind}) is called by a client but no WAF node "
                    "protects it (add it to a waf's params.protects)",
                    node=entry,
                )

    # -- observability

    def monitored(self) -> None:
        metrics = {
            ref.target
            for node in self.model.nodes
            if has(node.kind, Capability.collects_metrics)
            for ref in node.params.references()
            if ref.ref.role == "watches"
        }
        for node in self.model.nodes:
            if not kinds()[node.kind].has(Capability.emits_metrics):
                continue
            if node.params.unpublished_metrics() is not None:
                continue  # AWS publishes nothing to watch (a gateway VPC endpoint)
            if node.id not in metrics:
                self.sink.add(
                    "monitored",
                    self.node_path(node.id),
                    f"{node.kind} node '{node.id}' reports no metric to CloudWatch "
                    "(add a metric with node: "
                    f"{node.id} to a cloudwatch node's params.metrics)",
                    node=node.id,
                )

    # -- data protection

    def sensitive_edges(self) -> None:
        nodes = self.model.nodes_by_id
        for index, edge in enumerate(self.model.edges):
            if edge.data not in SENSITIVE:
                continue
            label = f"{edge.source} -> {edge.target}"
            if not edge.uses_tls:
                field = "tls" if edge.tls is not None else "protocol"
                self.sink.add(
                    "tls-sensitive",
                    ("edges", index, field),
                    f"edge {label} carries {edge.data.value} data without TLS "
                    f"(protocol {edge.protocol.value}"
                    f"{', tls: false' if edge.tls is False else ''})",
                    node=edge.key,
                )
            target = nodes[edge.target]
            if not kinds()[target.kind].has(Capability.data_store):
                continue
            key = target.params.kms_key if isinstance(target.params, EncryptableAtRest) else None
            if edge.encrypted_with is None and key is None:
                self.sink.add(
                    "kms-at-rest",
                    ("edges", index),
                    f"edge {label} stores {edge.data.value} data in {target.kind} "
                    f"'{target.id}' without a KMS key (set the edge's "
                    "encrypted_with or the store's params.kms_key)",
                    node=edge.key,
                )

    # -- IAM

    def iam_edges_allowed(self) -> None:
        """Every aws-api edge's operations, allowed by its caller's role; an edge with a
        presigned URL (``presigned_by``), whatever its protocol, by the signer's role."""
        nodes = self.model.nodes_by_id
        for index, edge in enumerate(self.model.edges):
            signer = self.model.presigner(edge.source, edge.target)
            if edge.protocol is not Protocol.aws_api and signer is None:
                continue
            caller, target = nodes[edge.source], nodes[edge.target]
            service = kinds()[target.kind].iam_service
            if service is None:
                continue
            who = signer or caller
            via = "" if signer is None else f", presigned by '{signer.id}'"
            if who.role is None:
                if access.needs_role(caller):
                    self.sink.add(
                        "iam-edge-allowed",
                        ("edges", index),
                        f"{caller.kind} '{caller.id}' calls '{target.id}' over "
                        "aws-api but has no IAM role",
                        node=caller.id,
                    )
                continue
            for op_index, op in enumerate(edge.operations):
                decision = access.authorized(self.model, caller, target, op)
                if not decision.allowed:
                    self.sink.add(
                        "iam-edge-allowed",
                        ("edges", index, "operations", op_index),
                        f"role '{who.role}' of '{who.id}' does not allow "
                        f"{decision.action} on {decision.resource} (edge "
                        f"{edge.source} -> {edge.target}{via}; {_why(decision)})",
                        node=who.id,
                    )
                elif signer is None:
                    self.replica_calls_allowed(index, op_index, edge, op)

    def replica_calls_allowed(self, index: int, op_index: int, edge: Edge, op: str) -> None:
        """A replica of the caller takes its original's edge in its own region, to the
        target's replica there (else the target): its role must allow that call too, or
        the region's first call is denied (a role that names one region's ARNs only)."""
        model = self.model
        nodes = model.nodes_by_id
        for replica_id in model.replicas_of(edge.source):
            replica = nodes[replica_id]
            region = model.region_of(replica.group)
            if replica.role is None or region is None:
                continue
            target = nodes[model.replica_in(edge.target, region.id)]
            decision = access.authorized(model, replica, target, op)
            if decision.allowed:
                continue
            self.sink.add(
                "iam-edge-allowed",
                ("edges", index, "operations", op_index),
                f"role '{replica.role}' of '{replica.id}' (the replica of '{edge.source}' "
                f"in {region.code or region.id}) does not allow {decision.action} on "
                f"{decision.resource} (edge {edge.source} -> {edge.target}, as it runs "
                f"there; {_why(decision)})",
                node=replica.id,
            )

    def iam_required_calls(self) -> None:
        """What AWS itself calls with a node's role because of its settings (a Lambda SQS
        event source's ReceiveMessage, DeleteMessage, GetQueueAttributes): AWS refuses the
        configuration unless the role allows each one."""
        nodes = self.model.nodes_by_id
        for node in self.model.nodes:
            if node.role is None:
                continue
            for call in node.params.required_calls():
                target = nodes.get(call.target)
                if target is None:
                    continue
                decision = access.required(self.model, node, target, call.operation)
                if decision.allowed:
                    continue
                self.sink.add(
                    "iam-required-calls",
                    self.node_path(node.id, "params", *call.path),
                    f"role '{node.role}' of '{node.id}' does not allow {decision.action} on "
                    f"{decision.resource}, which AWS requires of {call.why} "
                    f"({_why(decision)}): AWS refuses the configuration",
                    node=node.id,
                )

    def kms_key_access(self) -> None:
        """SSE-KMS: a call to a queue, topic, bucket or table encrypted with a customer
        managed key needs KMS actions on that key for the caller's principal (its role,
        or a managed service's service principal in the key policy)."""
        nodes = self.model.nodes_by_id
        for index, edge in enumerate(self.model.edges):
            signer = self.model.presigner(edge.source, edge.target)
            if edge.protocol is not Protocol.aws_api and signer is None:
                continue
            caller, target = nodes[edge.source], nodes[edge.target]
            who = signer or caller
            via = "" if signer is None else f", presigned by '{signer.id}'"
            title = kinds()[target.kind].title
            for op_index, op in enumerate(edge.operations):
                refused: dict[str, list[KeyUse]] = {}
                for use in access.key_uses(self.model, caller, target, op):
                    if not use.decision.allowed:
                        refused.setdefault(use.key, []).append(use)
                for key, uses in refused.items():
                    first = uses[0]
                    decision = first.decision
                    if decision.statement:
                        why = f"denied by statement {decision.statement}"
                    elif who.role is not None:
                        why = "no statement of the key policy or of the role allows it"
                    else:
                        why = (
                            "the key policy has no statement allowing Principal "
                            f"{{Service: {first.principal}}}"
                        )
                    name = (
                        f"role '{who.role}' of '{who.id}'"
                        if who.role is not None
                        else f"'{who.id}' (as {first.principal})"
                    )
                    actions = " and ".join(use.action for use in uses)
                    self.sink.add(
                        "kms-key-access",
                        ("edges", index, "operations", op_index),
                        f"{name} may not use KMS key '{key}' ({decision.resource}) for "
                        f"{actions}, which {op} on {title} '{target.id}' needs: it encrypts "
                        f"with that key (SSE-KMS) and AWS answers {decision.code} (edge "
                        f"{edge.source} -> {edge.target}{via}; {why})",
                        node=who.id,
                    )

    def iam_least_privilege(self) -> None:
        for role in self.model.nodes:
            if not isinstance(role.params, GrantsPolicies):
                continue
            users = [node for node in self.model.nodes if node.role == role.id]
            needed = access.needed_requests(self.model, users)
            universe = access.resource_universe(self.model)
            names = ", ".join(node.id for node in users) or "no node"
            for p_index, policy in enumerate(role.params.policies):
                for s_index, statement in enumerate(policy.Statement):
                    base = self.node_path(
                        role.id, "params", "policies", p_index, "Statement", s_index
                    )
                    for problem in access.over_grants(statement, needed, universe):
                        self.sink.add(
                            "iam-least-privilege",
                            (*base, *problem.path),
                            f"role '{role.id}' (used by {names}): {problem.message}",
                            node=role.id,
                        )

    def iam_known_actions(self) -> None:
        """A policy's action names are checked nowhere else: a misspelt one
        (``dynamodb:GetItme``) simply matches no call, and the edge it was for is denied
        with no hint why. Wildcards are left alone (AWS's lists grow)."""
        services: dict[str, tuple[str, list[str]]] = {}
        for spec in kinds().values():
            if spec.iam_service is not None and spec.operations is not None:
                title, names = services.setdefault(
                    spec.iam_service.lower(), (spec.operations.service, [])
                )
                names.extend(spec.operations.names)
        lowered = {service: {n.lower() for n in names} for service, (_, names) in services.items()}
        for node in self.model.nodes:
            for where, statement in _statements(node):
                field = "Action" if statement.Action is not None else "NotAction"
                path = self.node_path(node.id, "params", *where, field)
                one = isinstance(getattr(statement, field), str)
                for a_index, action in enumerate(statement.actions()):
                    service, colon, name = action.lower().partition(":")
                    if not colon or service not in services or "*" in name or "?" in name:
                        continue
                    if name in lowered[service]:
                        continue
                    title, names = services[service]
                    self.sink.add(
                        "iam-known-action",
                        path if one else (*path, a_index),
                        f"'{node.id}': {action} is no {title} action archgen knows"
                        f"{did_you_mean(action.partition(':')[2], names)}; it matches no call",
                        node=node.id,
                    )

    # -- reliability

    def dead_letters(self) -> None:
        nodes = self.model.nodes_by_id
        dlqs = {ref.target for node in self.model.nodes for ref in _dead_letters(node)}
        reported: set[str] = set()

        def queue_needs_dlq(queue: AnyNode, why: str) -> None:
            has_own = next(_dead_letters(queue), None) is not None
            if has_own or queue.id in dlqs or queue.id in reported:
                return
            reported.add(queue.id)
            self.sink.add(
                "dlq",
                self.node_path(queue.id, "params"),
                f"{kinds()[queue.kind].title} '{queue.id}' {why} but has no dead_letter_queue: a "
                "message that keeps failing is retried until retention drops it",
                node=queue.id,
            )

        for queue in self.model.nodes:
            if has(queue.kind, Capability.queue):
                for _, edge in self.async_callers(queue.id):
                    queue_needs_dlq(queue, f"receives async edge {edge.source} -> {edge.target}")
        for node in self.model.nodes:
            consumed = node.params.consumed_queue()
            if consumed is not None and has(nodes[consumed].kind, Capability.queue):
                title = kinds()[node.kind].title
                queue_needs_dlq(nodes[consumed], f"is consumed by {title} '{node.id}'")
        self.redrive_edges()

    def redrive_edges(self) -> None:
        """Moving a message to a dead-letter queue is a call like any other: without a
        declared edge carrying ``Redrive`` the run refuses it and the message is lost."""
        for node in self.model.nodes:
            what = kinds()[node.kind].title
            for ref in _dead_letters(node):
                path, dlq = ("params", *ref.path), ref.target
                edge = self.model.declared_edge(node.id, dlq)  # as the run finds it
                if edge is not None and edge.carries("Redrive"):
                    continue
                self.sink.add(
                    "dlq",
                    self.node_path(node.id, *path),
                    f"{what} '{node.id}' dead-letters to '{dlq}' but no edge {node.id} -> "
                    f"{dlq} declares 'Redrive': the run refuses the move and the message is "
                    "lost",
                    node=node.id,
                )

    def egress(self) -> None:
        """A call from a private subnet to an AWS service outside the VPC, or to an external
        system, needs a VPC endpoint or NAT gateway of the VPC (``archgen.model.egress``)."""
        model = self.model
        nodes = model.nodes_by_id
        for index, edge in enumerate(model.edges):
            source, target = nodes[edge.source], nodes[edge.target]
            way = egress(model, source, target)
            if way is None or way.via is not None:
                continue
            place = model.groups_by_id[way.subnet]
            where = (
                f"private subnet '{place.id}'"
                if place.kind is GroupKind.subnet
                else f"VPC '{place.id}' (in no public subnet)"
            )
            if way.service == "internet":
                what, fix = f"external '{target.id}'", "no NAT gateway"
            else:
                title = kinds()[target.kind].title
                what = f"{title} '{target.id}'"
                fix = f"neither a NAT gateway nor a VPC endpoint for {way.service}"
            self.sink.add(
                "no-egress",
                ("edges", index),
                f"'{source.id}' runs in {where} and calls {what}, but VPC '{way.vpc}' has "
                f"{fix}: the call cannot leave the VPC (a run fails it with "
                "ConnectTimeoutError)",
                node=source.id,
            )

    def egress_per_zone(self) -> None:
        """A node spread over zones (``zones``, or a VPC-attached function over the VPC's
        zones with private subnets: :func:`~archgen.model.egress.zones_of`) whose calls
        leave through an egress in only some of them (a single NAT gateway) loses its way
        out in every zone when that one fails: AWS advises a NAT gateway per zone. A VPC
        endpoint serves every zone. Once per node and service, on the first edge that
        shows it."""
        model = self.model
        nodes = model.nodes_by_id
        seen: set[tuple[str, str]] = set()
        for index, edge in enumerate(model.edges):
            source, target = nodes[edge.source], nodes[edge.target]
            zones = zones_of(model, source)
            way = egress(model, source, target)
            if len(zones) < 2 or way is None or way.via is None:
                continue
            if (source.id, way.service) in seen:
                continue
            seen.add((source.id, way.service))
            covered = egress_zones(model, way)
            if covered is None:
                continue  # an egress of no zone (an endpoint) serves them all
            missing = [zone for zone in zones if zone not in covered]
            if not missing:
                continue
            served = ", ".join(sorted(covered)) or "none"
            via = dict(way.zonal).get(missing[0]) or way.via
            self.sink.add(
                "egress-per-zone",
                ("edges", index),
                f"'{source.id}' runs in zones {', '.join(zones)}, but its calls to "
                f"'{target.id}' leave VPC '{way.vpc}' through '{via}', and the VPC has "
                f"such a way out only in {served}: when that zone fails, '{source.id}' "
                f"loses it in {', '.join(missing)} too (put a NAT gateway in each zone)",
                node=source.id,
            )

    def replica_writes(self) -> None:
        """A write edge into a read-only replica (an Aurora global database's secondary
        without write forwarding) fails every write. A replica caller that takes its
        original's edge writes to the replica in its own Region, so that counts too."""
        model = self.model
        nodes = model.nodes_by_id
        for index, edge in enumerate(model.edges):
            writes = [(i, op) for i, op in enumerate(edge.operations) if not is_read(op)]
            if not writes:
                continue
            pairs = [(edge.source, edge.target)]
            for replica in model.replicas_of(edge.source):
                region = model.region_of(nodes[replica].group)
                mapped = model.replica_in(edge.target, region.id if region else None)
                if model.edge(replica, mapped) is None:
                    pairs.append((replica, mapped))
            for caller, target_id in pairs:
                target = nodes[target_id]
                original = model.original_of(target_id)
                error = target.params.replica_write_error()
                if original == target_id or error is None:
                    continue
                for op_index, op in writes:
                    self.sink.add(
                        "replica-write",
                        ("edges", index, "operations", op_index),
                        f"'{caller}' writes ('{op}') to '{target_id}', a read-only replica of "
                        f"'{original}': AWS refuses every write there ({error}); "
                        "write to the primary, or forward writes (params.write_forwarding)",
                        node=caller,
                    )

    # -- participation

    def participation(self) -> None:
        taking_part = participating_nodes(self.model)
        for node in self.model.nodes:
            if node.id in taking_part:
                continue
            if has(node.kind, Capability.egress):
                message = (
                    f"{node.kind} node '{node.id}' carries no call of a flow out of its VPC "
                    "(no node of a flow calls through it from a private subnet)"
                )
            else:
                message = (
                    f"{node.kind} node '{node.id}' takes part in no flow, directly "
                    "or as the support of a node that does"
                )
            self.sink.add("flow-participation", self.node_path(node.id), message, node=node.id)

    def flow_triggers(self) -> None:
        """A step no step leads to runs only when its node acts on its own (a function's
        event source, an alarm, a schedule…): from a node that only answers calls (an ECS
        service polling a queue, a table's stream) it never runs, and a run would pass
        with the flow's whole tail silently missing."""
        from archgen.model.flows import compile_flow

        nodes = self.model.nodes_by_id
        for f_index, flow in enumerate(self.model.flows):
            for source, steps in compile_flow(self.model, flow).triggered.items():
                node = nodes.get(self.model.original_of(source))
                if node is None or has(node.kind, Capability.triggered):
                    continue
                self.sink.add(
                    "flow-trigger",
                    ("flows", f_index, "steps", steps[0]),
                    f"flow '{flow.id}': {node.kind} node '{node.id}' starts this step, but no "
                    "step of the flow calls it, and in a run a node of that kind acts only "
                    "when called: the step never runs (a queue is consumed by a Lambda "
                    "function's event_source; a step from a node the flow calls goes after "
                    "that call)",
                    node=node.id,
                )

    # -- objectives

    def slos(self) -> None:
        for index, flow in enumerate(self.model.flows):
            if flow.user_facing and flow.slo is None:
                self.sink.add(
                    "slo-declared",
                    ("flows", index),
                    f"user-facing flow '{flow.id}' has no SLO (add slo: latency "
                    "and/or availability_percent, or set user_facing: false)",
                )

    def lint_ignores(self) -> None:
        for node in self.model.nodes:
            for rule, reason in node.lint_ignore.items():
                path = self.node_path(node.id, "lint_ignore", rule)
                if rule not in STATIC_RULES:
                    self.sink.add(
                        "lint-ignore",
                        path,
                        f"'{node.id}' switches off unknown rule '{rule}'"
                        f"{did_you_mean(rule, STATIC_RULES)}",
                        key=True,
                    )
                elif not reason.strip():
                    self.sink.add(
                        "lint-ignore",
                        path,
                        f"'{node.id}' switches off '{rule}' without a reason",
                        key=True,
                    )


def _statements(node: AnyNode) -> Iterator[tuple[tuple[str | int, ...], Statement]]:
    """The statements of the node's own policies (a role's, a key's), each with where it
    is under the node's params."""
    params = node.params
    documents: list[tuple[tuple[str | int, ...], PolicyDocument]] = []
    if isinstance(params, GrantsPolicies):
        documents += [(("policies", i), doc) for i, doc in enumerate(params.policies)]
    if isinstance(params, ResourcePolicy) and params.key_policy is not None:
        documents.append((("key_policy",), params.key_policy))
    for where, document in documents:
        for index, statement in enumerate(document.Statement):
            yield (*where, "Statement", index), statement


def participating_nodes(model: Model) -> set[str]:
    """Nodes in some flow step, plus, to a fixed point, the nodes that support them and the
    egress their calls leave the VPC through."""
    taking_part = {
        node for flow in model.flows for step in flow.steps for node in (step.source, step.target)
    }
    nodes = model.nodes_by_id
    exits = [
        (edge.source, edge.target, via)
        for edge in model.edges
        if (way := egress(model, nodes[edge.source], nodes[edge.target])) is not None
        for via in way.vias
    ]
    while True:
        before = len(taking_part)
        for node in model.nodes:
            if node.id in taking_part:
                taking_part.update(_supporters(node))
            elif model.original_of(node.id) in taking_part or set(_watched(node)) & taking_part:
                taking_part.add(node.id)
        for edge in model.edges:
            if edge.encrypted_with and {edge.source, edge.target} & taking_part:
                taking_part.add(edge.encrypted_with)
            if edge.presigned_by and {edge.source, edge.target} & taking_part:
                taking_part.add(edge.presigned_by)  # its role authorises the calls
        for source, target, via in exits:
            if source in taking_part and target in taking_part:
                taking_part.add(via)  # the call leaves the VPC through it
        if len(taking_part) == before:
            return taking_part


def _supporters(node: AnyNode) -> Iterator[str]:
    """Nodes this one relies on: its role, its key, and what its params reference (the
    fields its kind annotates with ``Ref``)."""
    params = node.params
    if node.role:
        yield node.role
    if isinstance(params, EncryptableAtRest) and params.kms_key:
        yield params.kms_key
    yield from (ref.target for ref in params.references() if ref.ref.role == "supports")


def _dead_letters(node: AnyNode) -> Iterator[Reference]:
    """The node's references to where it dead-letters (``Ref(dead_letter=True)``)."""
    return (ref for ref in node.params.references() if ref.ref.dead_letter)


def _watched(node: AnyNode) -> Iterator[str]:
    """Nodes that a protection or monitoring node is about (``Ref(role="watches")``)."""
    yield from (ref.target for ref in node.params.references() if ref.ref.role == "watches")
