"""What a kind's import hook sees of one resource: its resolved properties and the graph
being built (nodes by logical id, edges with the reason they exist)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from archgen.model.iam import wildcard
from archgen.model.importers.intrinsics import Resolver, ResourceRef
from archgen.model.importers.template import Pos


def kebab(logical_id: str) -> str:
    """A logical id as a node id: ``JobQueue`` → ``job-queue``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", logical_id)
    return re.sub(r"[^a-z0-9-]+", "-", spaced.lower()).strip("-")[:64] or "resource"


@dataclass
class ImportedNode:
    """A node being built from a resource; ``params`` is what the YAML will say."""

    id: str
    kind: str
    type: str
    logical_id: str
    arn: str
    group: str | None
    params: dict[str, object] = field(default_factory=dict)
    role: str | None = None
    notes: list[str] = field(default_factory=list)
    ref_is_arn: bool = False
    also: list[str] = field(default_factory=list)
    """Logical ids of the other resources of a shared node (``CfnImport.shared_node``)."""
    physical: str | None = None
    """Its name in AWS when the template writes it (``QueueName``…, ``CfnImport.physical_name``):
    the name its ARN uses, so policies naming it find it; the model's node carries that ARN."""


@dataclass
class ImportedGroup:
    """A VPC or subnet of the template, as a group of the model."""

    id: str
    kind: str
    parent: str
    type: str
    logical_id: str
    detail: str = ""
    public: bool = False
    """A subnet with a route to an internet gateway (a NAT gateway sits in it)."""


@dataclass
class ImportedEdge:
    source: str
    target: str
    operations: list[str]
    why: str
    mode: Literal["sync", "async"] = "sync"
    grant: bool = False
    """Inferred from an IAM grant only: the caller may call, nothing says it does first."""
    protocol: str = "aws-api"


@dataclass(frozen=True)
class Unmodeled:
    """A resource the model does not hold, and why (the report: never dropped silently)."""

    type: str
    logical_id: str
    why: str

    @property
    def what(self) -> str:
        """How the report names it: type and logical id, or the address alone (Terraform's
        address says its type)."""
        return f"{self.type} {self.logical_id}" if self.type else self.logical_id


class Graph:
    """Nodes by logical id and the inferred edges, shared by every hook of one import."""

    def __init__(self) -> None:
        self.nodes: dict[str, ImportedNode] = {}
        """By logical id; the resources of a shared node all name the same node."""
        self.edges: list[ImportedEdge] = []
        self.skipped: list[Unmodeled] = []
        self.unresolved: list[Unmodeled] = []
        """Modeled resources missing something the import could not read (an AWS managed
        policy archgen does not ship): reported, never guessed."""
        self.groups: dict[str, ImportedGroup] = {}
        """By logical id: the VPCs and subnets."""
        self.outside: dict[str, ImportedNode] = {}
        """Nodes outside AWS that resources name, by address (``email:ops@example.com``)."""
        self.names: dict[str, str] = {}
        """Preferred ids by logical id (a Terraform resource's name)."""

    def name(self, logical_id: str) -> str:
        """The id a resource's node (or alarm) prefers."""
        return self.names.get(logical_id) or kebab(logical_id)

    def unique(self) -> list[ImportedNode]:
        """Each node once, in template order."""
        seen: dict[str, ImportedNode] = {}
        for node in self.nodes.values():
            seen.setdefault(node.id, node)
        return list(seen.values())

    def by_id(self, node_id: str) -> ImportedNode:
        return next(node for node in self.nodes.values() if node.id == node_id)

    def add_edge(
        self,
        source: str,
        target: str,
        operations: list[str],
        why: str,
        mode: Literal["sync", "async"] = "sync",
        grant: bool = False,
        protocol: str = "aws-api",
    ) -> None:
        """Add an edge, or merge the operations into the edge that joins them already."""
        for edge in self.edges:
            if edge.source == source and edge.target == target:
                edge.operations += [op for op in operations if op not in edge.operations]
                if why not in edge.why:
                    edge.why += f"; {why}"
                edge.grant = edge.grant and grant
                return
        edge = ImportedEdge(source, target, list(operations), why, mode, grant, protocol)
        self.edges.append(edge)

    def node_of_arn(self, arn: str) -> ImportedNode | None:
        """The node whose ARN ``arn`` is, or whose objects it names (``<arn>/*``)."""
        for node in self.unique():
            if arn == node.arn or arn.startswith(node.arn + "/"):
                return node
        return None

    def nodes_matching(self, pattern: str) -> list[ImportedNode]:
        """Nodes an IAM ``Resource`` pattern covers, matched as IAM matches (``*``, ``?``),
        the node's ARN or its objects' (``<arn>/…``); a bare ``*`` infers nothing."""
        if pattern == "*":
            return []
        compiled = wildcard(pattern)
        return [
            node
            for node in self.unique()
            if compiled.fullmatch(node.arn) or compiled.fullmatch(node.arn + "/x")
        ]


class ImportContext:
    """One resource as a kind's import hook reads it."""

    def __init__(
        self,
        resolver: Resolver,
        graph: Graph,
        logical_id: str,
        type_: str,
        properties: dict[str, object],
        pos: Pos,
    ) -> None:
        self.resolver = resolver
        self.graph = graph
        self.logical_id = logical_id
        self.type = type_
        self.properties = properties
        self.pos = pos

    @property
    def name(self) -> str:
        """The id this resource prefers for what it becomes (a node, an alarm)."""
        return self.graph.name(self.logical_id)

    @property
    def this(self) -> ImportedNode | None:
        """The node this resource became (none for a type that completes another)."""
        return self.graph.nodes.get(self.logical_id)

    def prop(self, *path: str, default: object = None) -> object:
        """A resolved property, following nested keys; ``default`` when absent."""
        value: object = self.properties
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return default
            value = value[key]
        return value

    def number(self, *path: str) -> float | None:
        value = self.prop(*path)
        if value is None or isinstance(value, ResourceRef):
            return None
        try:
            number = float(str(value))
        except ValueError:
            return None
        return int(number) if number.is_integer() else number

    def flag(self, *path: str) -> bool | None:
        value = self.prop(*path)
        if value is None:
            return None
        return str(value).lower() == "true" if not isinstance(value, bool) else value

    def text(self, value: object) -> str:
        return self.resolver.text(value)

    def properties_of(self, value: object) -> dict[str, object]:
        """The resolved properties of the resource a ``Ref``/``Fn::GetAtt`` names (a launch
        template read into the group that launches from it); empty for anything else."""
        if not isinstance(value, ResourceRef):
            return {}
        body = self.resolver.resources.get(value.logical_id)
        raw = body.get("Properties") if isinstance(body, dict) else None
        if raw is None:
            return {}
        resolved = self.resolver.resolve(raw, f"Resources.{value.logical_id}.Properties")
        return resolved if isinstance(resolved, dict) else {}

    def node(self, value: object) -> ImportedNode | None:
        """The node a ``Ref``/``Fn::GetAtt`` or an ARN names, if the model has it."""
        if isinstance(value, ResourceRef):
            return self.graph.nodes.get(value.logical_id)
        if isinstance(value, str):
            return self.graph.node_of_arn(value)
        return None

    def plain(self, value: object) -> object:
        """``value`` with every reference written as CloudFormation would (policies)."""
        if isinstance(value, dict):
            return {key: self.plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.plain(item) for item in value]
        if isinstance(value, ResourceRef):
            return self.text(value)
        return value

    def in_subnets(self, subnets: object) -> None:
        """Place this node in the subnet it runs in, or in the VPC of the several it spans
        (a node has one group), noting the subnets."""
        this = self.this
        refs = subnets if isinstance(subnets, list) else []
        found = [
            self.graph.groups[ref.logical_id]
            for ref in refs
            if isinstance(ref, ResourceRef) and ref.logical_id in self.graph.groups
        ]
        if this is None or not found:
            return
        parents = {group.parent for group in found}
        if len(found) == 1:
            this.group = found[0].id
        elif len(parents) == 1:
            this.group = parents.pop()
            this.notes.append(f"runs in subnets {', '.join(g.id for g in found)}")

    def registered_in(self, target_group: object) -> list[ImportedNode]:
        """The nodes whose resource registers its targets in ``target_group``: an Auto
        Scaling group listing it in ``TargetGroupARNs``, an ECS service in one of its
        ``LoadBalancers``."""
        if not isinstance(target_group, ResourceRef):
            return []
        found: list[ImportedNode] = []
        for node in self.graph.unique():
            props = self.properties_of(ResourceRef(node.logical_id))
            arns = props.get("TargetGroupARNs")
            balancers = props.get("LoadBalancers")
            if isinstance(balancers, list):
                arns = [b.get("TargetGroupArn") for b in balancers if isinstance(b, dict)]
            if isinstance(arns, list) and target_group in arns:
                found.append(node)
        return found

    def add_node(self, node_id: str, kind: str, service: str, resource: str) -> ImportedNode:
        """A node no resource of the template declares but this one implies (the default
        event bus a rule is on): made once per id, keyed by this resource as well; its ARN
        is ``arn:aws:<service>:<Region>:<account>:<resource>``."""
        taken = next((n for n in self.graph.unique() if n.id == node_id), None)
        if taken is not None and taken.kind == kind:
            self.graph.nodes.setdefault(self.logical_id, taken)
            if taken.logical_id != self.logical_id and self.logical_id not in taken.also:
                taken.also.append(self.logical_id)
            return taken
        ids = {n.id for n in self.graph.unique()}
        unique, n = node_id, 2
        while unique in ids:
            unique, n = f"{node_id}-{n}", n + 1
        region = self.resolver.pseudo["AWS::Region"]
        account = self.resolver.pseudo["AWS::AccountId"]
        node = ImportedNode(
            id=unique,
            kind=kind,
            type=self.type,
            logical_id=self.logical_id,
            arn=f"arn:aws:{service}:{region}:{account}:{resource}",
            group=region,
        )
        self.graph.nodes[self.logical_id] = node
        return node

    def add_outside(
        self, key: str, node_id: str, kind: str, params: dict[str, object]
    ) -> ImportedNode:
        """A node outside AWS that this resource names (the email address a topic delivers
        to): one per ``key`` (the address) in the whole template, kept apart from this
        resource's own node."""
        found = self.graph.outside.get(key)
        if found is not None:
            return found
        ids = {n.id for n in self.graph.unique()}
        unique, n = node_id, 2
        while unique in ids:
            unique, n = f"{node_id}-{n}", n + 1
        node = ImportedNode(
            id=unique,
            kind=kind,
            type=self.type,
            logical_id=self.logical_id,
            arn=key,
            group=None,
            params=params,
        )
        self.graph.outside[key] = node
        self.graph.nodes[f"{self.logical_id} -> {key}"] = node
        return node

    def skip(self, why: str) -> None:
        """Leave this resource out of the model, and say why in the report."""
        self.graph.skipped.append(Unmodeled(self.type, self.logical_id, why))

    def edge(
        self,
        source: ImportedNode,
        target: ImportedNode,
        operations: list[str],
        why: str,
        mode: Literal["sync", "async"] = "sync",
        protocol: str = "aws-api",
    ) -> None:
        self.graph.add_edge(source.id, target.id, operations, why, mode, protocol=protocol)
