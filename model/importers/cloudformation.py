"""``archgen import cloudformation``: a CloudFormation template → a model's YAML text.

Each resource goes to the kind that claims its type (``KindSpec.imports``); the others are
reported with the reason. Edges come from what the hooks infer (event sources,
subscriptions, redrive policies, notifications) and from the IAM grants of the roles the
nodes run as. Flows cannot be inferred: a starter flow, journey and scenario make the
model run as it comes out, marked TODO.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import yaml

from archgen.model.iam import api_operation
from archgen.model.importers.cdk import construct_name, is_cdk, prepare
from archgen.model.importers.context import (
    Graph,
    ImportContext,
    ImportedGroup,
    ImportedNode,
    Unmodeled,
    kebab,
)
from archgen.model.importers.intrinsics import Resolver, ResourceRef
from archgen.model.importers.sam import expand, is_sam, label
from archgen.model.importers.template import Map, Pos, fail, read_template
from archgen.model.kind import CfnImport, KindSpec

ACCOUNT = "123456789012"
CLIENT_ID = "caller"

ROUTES = (
    "route tables are read into which subnets are public (a 0.0.0.0/0 route to an internet "
    "gateway); a NAT gateway or VPC endpoint serves every private subnet of its VPC"
)
WHY_NOT = {
    "AWS::Lambda::Permission": "a function's resource policy: the model has the caller's edge",
    "AWS::ApiGateway::Deployment": "a snapshot of the API for its stages: the stage is read",
    "AWS::ApiGatewayV2::Deployment": "a snapshot of the API for its stages: the stage is read",
    "AWS::SQS::QueuePolicy": "a queue's resource policy is not modeled (identity policies are)",
    "AWS::SNS::TopicPolicy": "a topic's resource policy is not modeled (identity policies are)",
    "AWS::S3::BucketPolicy": "a bucket's resource policy is not modeled (identity policies are)",
    "AWS::IAM::Policy": "a policy attached outside a role is not modeled: inline it in the role",
    "AWS::IAM::ManagedPolicy": "managed policies are not modeled: inline them in the role",
    "AWS::KMS::Alias": "an alias names a key; the model names the key itself",
    "AWS::Logs::LogGroup": "log groups are not modeled",
    "AWS::EC2::LaunchTemplate": "read into the Auto Scaling groups launched from it",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "read into the load balancer forwarding to it",
    "AWS::EC2::SecurityGroup": "security groups are not modeled: the edges say who calls whom",
    "AWS::ECS::Cluster": "a Fargate cluster holds no capacity: its services are the nodes",
    "AWS::EC2::InternetGateway": "read into the subnets whose routes lead to it (public: true)",
    "AWS::EC2::VPCGatewayAttachment": "attaches the internet gateway: read with the routes",
    "AWS::EC2::RouteTable": ROUTES,
    "AWS::EC2::Route": ROUTES,
    "AWS::EC2::SubnetRouteTableAssociation": ROUTES,
    "AWS::EC2::EIP": "an Elastic IP address is not modeled (a NAT gateway's is implied)",
}


@dataclass(frozen=True)
class Imported:
    """The model's YAML text, what it holds, and the resources it does not."""

    text: str
    resources: int
    nodes: int
    edges: int
    unmodeled: tuple[Unmodeled, ...]
    origins: tuple[Origin, ...] = ()
    """Where each node came from, for ``archgen check --against`` (drift)."""
    unresolved: tuple[Unmodeled, ...] = ()
    """Modeled resources lacking what the import could not read (an AWS managed policy
    archgen does not ship), and why."""


@dataclass(frozen=True)
class Origin:
    """The resource a node of the imported model came from, and where the input says it."""

    node: str
    """The node's id in the imported model."""
    label: str
    """The logical id, or the Terraform address."""
    names: tuple[str, ...]
    """What a node of the user's model may be called to stand for it (drift matching)."""
    line: int
    column: int
    values: tuple[tuple[str, int, int], ...] = ()
    """Each plain value of the resource's properties (as text, lower case) that the input
    writes nowhere else, with the position of its key: where a param read from it sits."""
    aws_names: tuple[str, ...] = ()
    """Its names in AWS, when the input says them: the physical name its properties give
    (``TableName``, a Terraform ``name`` or ``bucket``) and the last part of the ARN a
    state records. A node whose id or ``arn`` ends in one of them stands for it too."""


@dataclass(frozen=True)
class Source:
    """Where a template came from: what the model's header and comments say of it, and the
    node names it prefers (another importer translates its input into a template first)."""

    file: str
    """For error lines."""
    name: str
    """The system's name (a file's stem)."""
    header: tuple[str, ...]
    region_note: str = "AWS::Region (the template's default)"
    labels: Mapping[str, str] = field(default_factory=dict)
    """Logical id → what a node's ``# from`` comment names (default: the logical id)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Logical id → preferred node id (default: the kebab-cased logical id)."""
    notes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Logical id → comments for its node."""
    order: tuple[str, ...] = ()
    """Every item of the input in order (the report's order); default: the resources."""
    unmodeled: tuple[Unmodeled, ...] = ()
    """Items of the input left out before translation."""
    resources: int | None = None
    """How many items the input had (default: the template's resources)."""
    account: str = ACCOUNT
    """The account of the nodes' ARNs (a state's own, so its policies' principals match)."""
    clusters: Mapping[str, str] = field(default_factory=dict)
    """Logical id → the group it belongs in with the others of that name, when several
    nodes do (a CDK construct's)."""
    addresses: bool = False
    """The logical ids are addresses that say their type (Terraform's): the report names
    the address alone."""
    aws_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Logical id → names in AWS the input knows beyond its properties (a state's ARN)."""


def import_cloudformation(path: Path, region: str = "us-east-1") -> Imported:
    """Read the template at ``path`` (YAML or JSON) and write the model it describes."""
    source = Source(
        file=str(path),
        name=path.stem,
        header=(
            f"# Imported by `archgen import cloudformation {path.name}`.",
            "# Nodes, params and edges come from the template; flows, journeys and scenarios",
            "# cannot be inferred from infrastructure: the starter ones below are TODOs.",
        ),
    )
    template = read_template(path)
    if is_sam(template):
        sam, (template, origins) = template, expand(str(path), template, region)
        labels = {lid: label(lid, origin, sam) for lid, origin in origins.items()}
        source = replace(source, labels=labels)
    if is_cdk(template):
        cdk = prepare(template)
        template = cdk.template
        source = replace(
            source,
            name=path.name.removesuffix(".json").removesuffix(".template"),
            names=cdk.names,
            labels=cdk.labels,
            clusters=cdk.constructs,
            order=cdk.order,
            resources=len(cdk.order),
            notes=cdk.notes,
        )
    return import_template(template, source, region)


def import_template(template: Map, source: Source, region: str) -> Imported:
    """The model a template (already read, with positions) describes: the shared engine of
    every importer."""
    from archgen.model.registry import kinds

    claims: dict[str, tuple[KindSpec, CfnImport]] = {}
    for spec in kinds().values():
        for entry in spec.imports:
            claims.setdefault(entry.type, (spec, entry))
    graph = Graph()
    graph.names.update(source.names)
    pseudo = _pseudo(source.name, region, source.account)
    resolver = Resolver(source.file, template, pseudo, partial(_stringify, graph))
    resources = resolver.resources
    unmodeled = list(source.unmodeled) + _place(resolver, graph, claims, region, source.account)
    for logical_id, notes in source.notes.items():
        if logical_id in graph.nodes:
            graph.nodes[logical_id].notes.extend(notes)
    contexts: list[tuple[CfnImport, ImportContext]] = []
    for logical_id, body in resources.items():
        assert isinstance(body, Map)
        type_ = str(body["Type"])
        where = f"Resources.{logical_id}"
        if any(u.logical_id == logical_id for u in unmodeled):
            continue
        _depends_on(resolver.file, body, resources, graph.nodes.get(logical_id), where)
        properties = resolver.resolve(body.get("Properties", Map()), f"{where}.Properties")
        assert isinstance(properties, dict)
        claim = claims.get(type_)
        if type_ in NETWORK_GROUPS:  # a group, or reported by _group
            continue
        if claim is None:
            why = WHY_NOT.get(type_, "no archgen kind imports this type yet")
            unmodeled.append(Unmodeled(type_, logical_id, why))
            continue
        ctx = ImportContext(resolver, graph, logical_id, type_, properties, body.pos)
        contexts.append((claim[1], ctx))
    # Nodes first, then the types that complete them (mappings, subscriptions).
    for entry, ctx in sorted(contexts, key=lambda pair: not pair[0].creates_node):
        params = entry.build(ctx)
        if params is not None and ctx.this is not None:
            ctx.this.params.update(params)
    _grant_edges(graph)
    _clusters(graph, source, claims, region)
    unmodeled += graph.skipped
    unresolved = list(graph.unresolved)
    if source.addresses:
        unmodeled = [Unmodeled("", u.logical_id, u.why) for u in unmodeled]
        unresolved = [Unmodeled("", u.logical_id, u.why) for u in unresolved]
    order = list(source.order or resources)
    unmodeled.sort(key=lambda u: order.index(u.logical_id))
    unresolved.sort(key=lambda u: order.index(u.logical_id))
    text = _write(source, region, graph, _entry(graph, claims), claims, unmodeled, unresolved)
    nodes = len(graph.unique())
    count = len(resources) if source.resources is None else source.resources
    written: list[tuple[str, int, int]] = []
    _values(resources, written)
    seen = Counter(value for value, _, _ in written)
    origins = tuple(_origin(source, resources, node, seen) for node in graph.unique())
    return Imported(
        text, count, nodes, len(graph.edges), tuple(unmodeled), origins, tuple(unresolved)
    )


def _origin(
    source: Source,
    resources: Map,
    node: ImportedNode,
    seen: Counter[str],
) -> Origin:
    """A node's resource: its label, the names it answers to (the node id, the logical id
    or address, and a Terraform resource's name), its names in AWS, and its position in
    the input."""
    label = source.labels.get(node.logical_id, node.logical_id)
    names = [node.id, node.logical_id, label]
    if source.addresses:  # module.a.aws_sqs_queue.jobs → jobs
        names.append(node.logical_id.split("[", 1)[0].rsplit(".", 1)[-1])
    pos = resources.keys_at.get(node.logical_id) or resources.pos
    body = resources.get(node.logical_id)
    properties = body.get("Properties") if isinstance(body, Map) else None
    values: list[tuple[str, int, int]] = []
    _values(properties, values)
    unique = tuple(v for v in values if seen[v[0]] == 1)  # a 10 written twice points nowhere
    aws_names = [node.physical] if node.physical else []  # read when the node was made
    aws_names += source.aws_names.get(node.logical_id, ())
    return Origin(
        node.id,
        label,
        tuple(dict.fromkeys(names)),
        pos.line,
        pos.column,
        unique,
        tuple(dict.fromkeys(aws_names)),
    )


def _values(value: object, out: list[tuple[str, int, int]]) -> None:
    """The plain values of a resource's properties with their keys' positions."""
    if isinstance(value, Map):
        for key, item in value.items():
            at = value.keys_at.get(key)
            if isinstance(item, bool | int | float | str) and at is not None:
                out.append((str(item).lower(), at.line, at.column))
            else:
                _values(item, out)
    elif isinstance(value, list):
        for item in value:
            _values(item, out)


def _place(
    resolver: Resolver,
    graph: Graph,
    claims: dict[str, tuple[KindSpec, CfnImport]],
    region: str,
    account: str,
) -> list[Unmodeled]:
    """A node (id, ARN, group) for each resource a kind claims, before any property is
    resolved (a reference needs the ARN of its target); the resources whose condition is
    false with the defaults are left out, and returned."""
    skipped: list[Unmodeled] = []
    ids: set[str] = {CLIENT_ID}
    # VPCs first: a subnet's group needs its VPC's (Terraform lists aws_subnet before aws_vpc).
    ordered = sorted(resolver.resources.items(), key=lambda item: not _is_vpc(item[1]))
    for logical_id, body in ordered:
        where = f"Resources.{logical_id}"
        if not isinstance(body, Map) or not isinstance(body.get("Type"), str):
            pos = body.pos if isinstance(body, Map) else resolver.resources.keys_at[logical_id]
            raise fail(resolver.file, pos, where, "a resource needs a Type")
        type_ = str(body["Type"])
        condition = body.get("Condition")
        if isinstance(condition, str) and not resolver.condition(
            condition, body.keys_at["Condition"], f"{where}.Condition"
        ):
            why = f"condition {condition} is false with the parameters' defaults"
            skipped.append(Unmodeled(type_, logical_id, why))
            continue
        if type_ in NETWORK_GROUPS:
            _group(resolver, graph, logical_id, body, ids, region)
            continue
        claim = claims.get(type_)
        if claim is None or not claim[1].creates_node:
            continue
        spec, entry = claim
        shared = next((n for n in graph.nodes.values() if n.id == entry.shared_node), None)
        if shared is not None:
            graph.nodes[logical_id] = shared
            shared.also.append(logical_id)
            continue
        node_id = _unique(entry.shared_node or graph.name(logical_id), ids, spec.name)
        physical = _physical_name(body, entry.physical_name)
        graph.nodes[logical_id] = ImportedNode(
            id=node_id,
            kind=spec.name,
            type=type_,
            logical_id=logical_id,
            arn=_arn(spec, physical or node_id, region, account),
            group=None if _global(spec) else region,
            ref_is_arn=entry.ref_is_arn,
            physical=physical,
        )
    _public_subnets(resolver, graph)
    return skipped


def _physical_name(body: Map, field_name: str | None) -> str | None:
    """The resource's name in AWS when its properties write it as plain text (not an
    intrinsic such as ``!Sub``, unknown here)."""
    properties = body.get("Properties")
    if field_name is None or not isinstance(properties, Map):
        return None
    value = properties.get(field_name)
    return value if isinstance(value, str) and value else None


def _public_subnets(resolver: Resolver, graph: Graph) -> None:
    """A subnet is public when its route table sends ``0.0.0.0/0`` to an internet gateway
    (AWS's definition); the importer reads the routes and associations into ``public``."""

    def properties(type_: str) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for logical_id, body in resolver.resources.items():
            if isinstance(body, Map) and body.get("Type") == type_:
                raw = body.get("Properties", Map())
                resolved = resolver.resolve(raw, f"Resources.{logical_id}.Properties")
                out.append(resolved if isinstance(resolved, dict) else {})
        return out

    gateways = {
        key
        for key, body in resolver.resources.items()
        if isinstance(body, Map) and body.get("Type") == "AWS::EC2::InternetGateway"
    }
    public_tables: set[str] = set()
    for route in properties("AWS::EC2::Route"):
        gateway, table = route.get("GatewayId"), route.get("RouteTableId")
        if (
            route.get("DestinationCidrBlock") == "0.0.0.0/0"
            and isinstance(gateway, ResourceRef)
            and gateway.logical_id in gateways
            and isinstance(table, ResourceRef)
        ):
            public_tables.add(table.logical_id)
    for association in properties("AWS::EC2::SubnetRouteTableAssociation"):
        table, subnet = association.get("RouteTableId"), association.get("SubnetId")
        if (
            isinstance(table, ResourceRef)
            and table.logical_id in public_tables
            and isinstance(subnet, ResourceRef)
            and subnet.logical_id in graph.groups
        ):
            graph.groups[subnet.logical_id].public = True


def _clusters(
    graph: Graph, source: Source, claims: dict[str, tuple[KindSpec, CfnImport]], region: str
) -> None:
    """A ``cluster`` group for each construct that holds several nodes (a function and its
    role); a node already in a VPC or subnet stays there."""
    members: dict[str, list[ImportedNode]] = {}
    for node in graph.unique():
        construct = source.clusters.get(node.logical_id)
        if construct is not None and claims[node.type][1].shared_node is None:
            members.setdefault(construct, []).append(node)
    taken = {CLIENT_ID, region} | {n.id for n in graph.unique()}
    taken |= {g.id for g in graph.groups.values()}
    for construct, nodes in members.items():
        if len(nodes) < 2:
            continue
        group = ImportedGroup(
            id=_unique(construct_name(construct), taken, "cluster"),
            kind="cluster",
            parent=region,
            type="CDK construct",
            logical_id=construct,
        )
        graph.groups[construct] = group
        for node in nodes:
            if node.group in (None, region):
                node.group = group.id


def _is_vpc(body: object) -> bool:
    return isinstance(body, Map) and body.get("Type") == "AWS::EC2::VPC"


NETWORK_GROUPS = {"AWS::EC2::VPC": "vpc", "AWS::EC2::Subnet": "subnet"}
"""The network resources that become groups (a subnet's parent is its VPC)."""


def _group(
    resolver: Resolver, graph: Graph, logical_id: str, body: Map, ids: set[str], region: str
) -> None:
    kind = NETWORK_GROUPS[str(body["Type"])]
    where = f"Resources.{logical_id}.Properties"
    properties = resolver.resolve(body.get("Properties", Map()), where)
    assert isinstance(properties, dict)
    parent = region
    if kind == "subnet":
        vpc = properties.get("VpcId")
        if not (isinstance(vpc, ResourceRef) and vpc.logical_id in graph.groups):
            why = "its VPC is not in the template: a subnet group needs its VPC"
            graph.skipped.append(Unmodeled(str(body["Type"]), logical_id, why))
            return
        parent = graph.groups[vpc.logical_id].id
    details = [resolver.text(properties[key]) for key in ("CidrBlock",) if key in properties]
    zone = properties.get("AvailabilityZone")
    if zone is not None:
        details.append(resolver.text(zone))
    graph.groups[logical_id] = ImportedGroup(
        id=_unique(graph.name(logical_id), ids, kind),
        kind=kind,
        parent=parent,
        type=str(body["Type"]),
        logical_id=logical_id,
        detail=", ".join(details),
        public=str(properties.get("MapPublicIpOnLaunch", "")).lower() == "true",
    )


def _stringify(graph: Graph, ref: ResourceRef) -> str:
    """What ``Ref``/``Fn::GetAtt`` of a resource returns, written with the node's names:
    its ARN for ``Arn`` (and a topic's ``Ref``), its id for a name."""
    node = graph.nodes.get(ref.logical_id)
    if node is None:
        return ref.logical_id if ref.attribute is None else f"{ref.logical_id}.{ref.attribute}"
    if ref.attribute in ("Arn", "TopicArn") or (ref.attribute is None and node.ref_is_arn):
        return node.arn
    if ref.attribute is None or ref.attribute in ("QueueName", "KeyId", "RoleId"):
        return node.id
    return f"{node.id}.{ref.attribute}"


def _pseudo(stem: str, region: str, account: str) -> dict[str, str]:
    return {
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::StackName": stem,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stem}/0",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": "",
    }


def _depends_on(
    file: str, body: Map, resources: Map, node: ImportedNode | None, where: str
) -> None:
    """``DependsOn`` orders a deployment, not calls: checked, and noted on the node."""
    if "DependsOn" not in body:
        return
    value = body["DependsOn"]
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    pos = body.keys_at["DependsOn"]
    if names is None:
        raise fail(file, pos, f"{where}.DependsOn", "takes a logical id or a list of them")
    for name in names:
        if name not in resources:
            raise fail(file, pos, f"{where}.DependsOn", f"unknown resource '{name}'")
    if node is not None:
        node.notes.append(f"deployed after {', '.join(map(str, names))} (DependsOn)")


def _global(spec: KindSpec) -> bool:
    """IAM, CloudFront, Route 53: an ARN with an account but no region. (S3's has neither,
    yet a bucket lives in a region.)"""
    return spec.arn is not None and not spec.arn.regional and spec.arn.with_account


def _unique(base: str, taken: set[str], kind: str = "") -> str:
    """``base``, else ``base-<kind>`` (a queue and a table both named ``orders``), else
    numbered."""
    alternative = f"{base}-{kebab(kind)}" if kind else base
    if base in taken and alternative not in taken:
        taken.add(alternative)
        return alternative
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _arn(spec: KindSpec, node_id: str, region: str, account: str) -> str:
    arn = spec.arn
    if arn is None:
        return f"arn:aws:{spec.name}:{region}:{account}:{node_id}"
    where = region if arn.regional else ""
    owner = account if arn.with_account else ""
    return f"arn:aws:{arn.service}:{where}:{owner}:{arn.resource.format(id=node_id)}"


def _grant_edges(graph: Graph) -> None:
    """An edge from each node to what its role's policies allow it to call."""
    for node in graph.unique():
        if node.role is None:
            continue
        role = graph.by_id(node.role)
        policies = role.params.get("policies", [])
        assert isinstance(policies, list)
        for document in policies:
            for statement in _statements(document):
                if statement.get("Effect") != "Allow":
                    continue
                actions = _listed(statement.get("Action"))
                for pattern in _listed(statement.get("Resource")):
                    targets = [t for t in graph.nodes_matching(pattern) if t not in (node, role)]
                    if len(targets) > 1:
                        # A wildcard grant says what may be called, not what is: no edges.
                        node.notes.append(
                            f"role {role.logical_id} allows {', '.join(actions)} on {pattern} "
                            f"({len(targets)} nodes): no edges inferred from a wildcard grant"
                        )
                        continue
                    for target in targets:
                        service = _service_of(target.arn)
                        matched = [
                            action
                            for action in actions
                            if action.split(":", 1)[0].lower() == service and ":" in action
                        ]
                        ops = [api_operation(action) for action in matched]
                        if ops:
                            allowed = ", ".join(
                                f"{service}:{action.split(':', 1)[1]}" for action in matched
                            )
                            why = f"IAM: role {role.logical_id} allows {allowed} on {pattern}"
                            graph.add_edge(node.id, target.id, ops, why, grant=True)


def _statements(document: object) -> list[dict[str, object]]:
    body = document.get("Statement") if isinstance(document, dict) else None
    items = [body] if isinstance(body, dict) else body if isinstance(body, list) else []
    return [item for item in items if isinstance(item, dict)]


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _service_of(arn: str) -> str:
    return arn.split(":")[2]


def _entry(graph: Graph, claims: dict[str, tuple[KindSpec, CfnImport]]) -> ImportedNode | None:
    """Where the starter flow enters: the first node outside traffic can call that nothing
    triggers (an IAM grant alone is no trigger) and that polls no queue (a queue being
    polled is still where messages come in), preferring one that triggers another (a
    notification, a subscription, a poller); else the first node outside traffic can
    call."""
    callable_ = [
        n
        for n in graph.unique()
        if claims[n.type][0].name == n.kind and claims[n.type][1].entry_operation
    ]
    polls = [e for e in graph.edges if "ReceiveMessage" in e.operations]
    called = {e.target for e in graph.edges if not e.grant and e not in polls}
    called |= {e.source for e in polls}
    fresh = [node for node in callable_ if node.id not in called]
    triggers = {e.source for e in graph.edges if not e.grant and e not in polls}
    triggers |= {e.target for e in polls}
    found = [n for n in fresh if n.id in triggers] or fresh or callable_
    return found[0] if found else None


def _builtin(value: object) -> object:
    """Plain dicts, lists and strs (the template's carry positions yaml cannot write)."""
    if isinstance(value, dict):
        return {str(key): _builtin(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_builtin(item) for item in value]
    if isinstance(value, str):
        return str.__str__(value)
    return value


def _dump(value: object, indent: int) -> str:
    text = yaml.safe_dump(_builtin(value), sort_keys=False, default_flow_style=False, width=88)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in text.splitlines())


def _report(unmodeled: list[Unmodeled], unresolved: list[Unmodeled]) -> list[str]:
    """The header's report: the resources not modeled, then what was not resolved."""
    out: list[str] = []
    if unmodeled:
        out.append("#")
        out.append(f"# Not modeled ({_count(len(unmodeled), 'resource')}):")
        out += [f"#   {u.what}: {u.why}" for u in unmodeled]
    if unresolved:
        out.append("#")
        out.append("# Not resolved (modeled, but missing what the import cannot read):")
        out += [f"#   {u.what}: {u.why}" for u in unresolved]
    return out


def _write(
    source: Source,
    region: str,
    graph: Graph,
    entry: ImportedNode | None,
    claims: dict[str, tuple[KindSpec, CfnImport]],
    unmodeled: list[Unmodeled],
    unresolved: list[Unmodeled],
) -> str:
    system = kebab(source.name)
    fields = [f"id: {system}", f"name: {_quote(source.name)}"]
    if source.account != ACCOUNT:
        fields.append(f"account_id: '{source.account}'")
    if entry is not None:
        fields.append("default_scenario: starter")
    out: list[str] = list(source.header)
    out += _report(unmodeled, unresolved)
    out += [
        "archgen: 1",
        f"system: {{{', '.join(fields)}}}",
        "",
        "groups:",
        f"  - {{id: {region}, kind: region}}  # {source.region_note}",
    ]
    for group in graph.groups.values():
        detail = f": {group.detail}" if group.detail else ""
        label = source.labels.get(group.logical_id, group.logical_id)
        out.append(f"  # from {label} ({group.type}){detail}")
        public = ", public: true" if group.public else ""
        out.append(f"  - {{id: {group.id}, kind: {group.kind}, parent: {group.parent}{public}}}")
    out += [
        "",
        "nodes:",
        "  # TODO: the client stands for whoever calls the system; set its locations.",
        f"  - id: {CLIENT_ID}",
        "    kind: client",
        f"    params: {{locations: [{{id: users, latency_ms: {{{region}: 30}}}}]}}",
    ]
    for node in graph.unique():
        labels = [source.labels.get(name, name) for name in [node.logical_id, *node.also]]
        out.append(f"  # from {', '.join(labels)} ({node.type})")
        out += [f"  # {note}" for note in node.notes]
        out.append(f"  - id: {node.id}")
        out.append(f"    kind: {node.kind}")
        if node.group:
            out.append(f"    group: {node.group}")
        if node.role:
            out.append(f"    role: {node.role}")
        if node.physical is not None and node.physical != node.id:
            out.append(f"    arn: {_scalar(node.arn)}  # its name in AWS: {node.physical}")
        if node.params:
            out.append("    params:")
            out.append(_dump(node.params, 6).rstrip("\n"))
    out += ["", "edges:"]
    if entry is not None:
        op = claims[entry.type][1].entry_operation
        out.append("  # TODO: who calls the system from outside, and how.")
        out.append(f"  - {{from: {CLIENT_ID}, to: {entry.id}, operations: [{_scalar(op)}]}}")
    for edge in graph.edges:
        out.append(f"  # {edge.why}")
        ops = ", ".join(_scalar(op) for op in edge.operations)
        line = f"  - {{from: {edge.source}, to: {edge.target}, operations: [{ops}]"
        line += f", protocol: {edge.protocol}"
        if edge.mode == "async":
            line += ", mode: async"
        out.append(line + "}")
    if out[-1] == "edges:":  # nothing outside traffic can call, nothing inferred
        out[-1] = "edges: []"
    if entry is not None:
        op = claims[entry.type][1].entry_operation
        out += [
            "",
            "# TODO: flows cannot be inferred from a template. The starter flow makes one call",
            "# so that the model runs as imported; write the real sequences of calls.",
            "flows:",
            "  - id: starter",
            "    title: Starter (TODO)",
            "    steps:",
            f"      - {{from: {CLIENT_ID}, to: {entry.id}, op: {_scalar(op)}}}",
            "    slo: {availability_percent: 99.9}  # TODO: the objective the flow really has",
            "",
            "journeys:",
            "  - id: starter",
            "    title: Starter (TODO)",
            f"    client: {CLIENT_ID}",
            "    flows: [{flow: starter}]",
            "",
            "# TODO: the traffic the system really sees.",
            "scenarios:",
            "  - id: starter",
            "    title: Starter (TODO)",
            "    duration_s: 60",
            "    traffic: {sessions_per_s: 1, mix: {starter: 1}}",
        ]
    return "\n".join(out) + "\n"


def _scalar(text: str | None) -> str:
    """``text`` as a YAML flow scalar: plain when it can be, else quoted (``"GET /"``)."""
    plain = text is not None and all(c.isalnum() or c in "_.:-" for c in text)
    return str(text) if plain else _quote(str(text))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _quote(text: str) -> str:
    return yaml.safe_dump(text, default_style='"').strip()


__all__ = ["Imported", "Origin", "Pos", "Source", "import_cloudformation", "import_template"]
