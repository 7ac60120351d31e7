"""How a call leaves a private subnet: the egress path a model declares.

A node in a private subnet (a ``subnet`` group without ``public``), or spread over the
subnets of a VPC none of whose subnets is public, has no route to the internet nor to
AWS's public service endpoints. A call from it to a regional AWS service outside the VPC
(S3, DynamoDB, SQS…: a kind with an ARN and no VPC group around it) or to a system
outside AWS goes through, in AWS's order of preference, a node of its VPC with the
``egress`` capability (``KindParams.egress_rank``):

1. a VPC endpoint for the target's service (a gateway endpoint before an interface one:
   route tables send the service's prefix list to the gateway; an interface endpoint with
   private DNS answers the service's name inside the VPC); systems outside AWS are reached
   through a NAT gateway only;
2. a NAT gateway, the one in the caller's availability zone first (AWS's advice: a NAT
   gateway serves its own zone; crossing zones costs data transfer and fails with that
   zone);
3. nothing: the call cannot leave the VPC (the ``no-egress`` lint rule; a run fails it).

Route tables are not modeled: a NAT gateway or endpoint serves every private subnet of its
VPC. An event source a function consumes is polled by the service, from outside the VPC.
"""

from __future__ import annotations

from dataclasses import dataclass

from archgen.model.kind import Capability
from archgen.model.registry import has, kinds
from archgen.model.schema import AnyNode, Group, GroupKind, Model

INTERNET = "internet"
"""What a call to a system outside AWS must reach."""


@dataclass(frozen=True)
class Egress:
    """The way out of a call from a private subnet: ``via`` (a NAT gateway or VPC endpoint
    node) or None when the model declares none; ``subnet`` (the private subnet, or the VPC
    of a node spread over its subnets) and ``vpc`` say where it starts, ``service`` what it
    reaches (an ARN service name, or ``internet``)."""

    via: str | None
    subnet: str
    vpc: str | None
    service: str


def _chain(model: Model, group_id: str | None) -> list[Group]:
    """The groups enclosing ``group_id``, innermost first."""
    out: list[Group] = []
    index = model.groups_by_id
    while group_id is not None and group_id in index and len(out) < len(index):
        group = index[group_id]
        out.append(group)
        group_id = group.parent
    return out


def _of_kind(model: Model, node: AnyNode, kind: GroupKind) -> str | None:
    return next((g.id for g in _chain(model, node.group) if g.kind is kind), None)


def private_place(model: Model, node: AnyNode) -> Group | None:
    """Where ``node`` runs without a route out: a private subnet, a public one when the
    node gets no public address there (``KindParams.public_address``: a VPC-attached
    function), or its VPC when it spans several subnets and either gets no public address
    or the VPC has no public subnet; None outside any VPC, with a public address in a
    public subnet, or in a VPC whose subnets the model does not draw."""
    chain = _chain(model, node.group)
    subnet = next((g for g in chain if g.kind is GroupKind.subnet), None)
    vpc = next((g for g in chain if g.kind is GroupKind.vpc), None)
    if vpc is None:
        return None
    addressed = node.params.public_address()
    if subnet is not None:
        return None if subnet.public and addressed else subnet
    if not addressed:
        return vpc
    subnets = [
        g
        for g in model.groups
        if g.kind is GroupKind.subnet and any(p.id == vpc.id for p in _chain(model, g.parent))
    ]
    return vpc if subnets and not any(g.public for g in subnets) else None


def outside_service(model: Model, target: AnyNode) -> str | None:
    """What a call to ``target`` from a private subnet must reach outside the VPC: its ARN
    service (a regional AWS service outside any VPC), ``internet`` (a system outside AWS),
    or None (the target is inside a VPC, is an egress itself, or is no service)."""
    if has(target.kind, Capability.egress) or has(target.kind, Capability.traffic_source):
        return None
    if any(g.kind in (GroupKind.vpc, GroupKind.subnet) for g in _chain(model, target.group)):
        return None
    if has(target.kind, Capability.outside_aws):
        return INTERNET
    arn = kinds()[target.kind].arn
    return None if arn is None else arn.service


def egress(model: Model, source: AnyNode, target: AnyNode) -> Egress | None:
    """The egress a call from ``source`` to ``target`` takes, or None when it needs none
    (``source`` is not in a private place, or ``target`` is inside a VPC)."""
    if has(source.kind, Capability.egress) or source.params.consumed_queue() == target.id:
        return None
    place = private_place(model, source)
    service = None if place is None else outside_service(model, target)
    if place is None or service is None:
        return None
    vpc = _of_kind(model, source, GroupKind.vpc)
    zone = _of_kind(model, source, GroupKind.availability_zone)
    ranked = []
    for node in model.nodes:
        rank = node.params.egress_rank(service) if has(node.kind, Capability.egress) else None
        if rank is None or vpc is None or _of_kind(model, node, GroupKind.vpc) != vpc:
            continue
        elsewhere = _of_kind(model, node, GroupKind.availability_zone) not in (None, zone)
        ranked.append((rank, elsewhere, node.id))
    return Egress(min(ranked)[2] if ranked else None, place.id, vpc, service)


def egress_zones(model: Model, way: Egress) -> set[str] | None:
    """The zones of ``way``'s VPC that have an egress for its service (the NAT gateways'
    zones), or None when one of them belongs to no zone (a VPC endpoint serves them all)."""
    zones: set[str] = set()
    for node in model.nodes:
        if not has(node.kind, Capability.egress) or _of_kind(model, node, GroupKind.vpc) != way.vpc:
            continue
        if node.params.egress_rank(way.service) is None:
            continue
        zone = _of_kind(model, node, GroupKind.availability_zone)
        if zone is None:
            return None
        zones.add(zone)
    return zones
