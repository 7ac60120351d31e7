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
2. a NAT gateway, the one in the zone the call runs in first (AWS's advice: a NAT
   gateway serves its own zone, each zone's private subnets route to it; crossing zones
   costs data transfer and fails with that zone);
3. nothing: the call cannot leave the VPC (the ``no-egress`` lint rule; a run fails it).

Route tables are not modeled: a NAT gateway or endpoint serves every private subnet of its
VPC. An event source a function consumes is polled by the service, from outside the VPC.

A node spread over several zones (:func:`zones_of`: an ECS service or EC2 group with
``zones``, a VPC-attached Lambda function) makes each call from one of them: the egress is
chosen per zone (:attr:`Egress.zonal`), so each zone's NAT gateway carries its share, and
the run moves a zone's share to the zones still up while it is out
(:meth:`archgen.runtime.behavior.Behavior.work_zone`).
"""

from __future__ import annotations

from dataclasses import dataclass

from archgen.model.kind import Capability, Zonal
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
    zonal: tuple[tuple[str, str | None], ...] = ()
    """For a source spread over several zones: (zone, the egress a call made there takes),
    in the source's zone order; ``via`` is then its first zone's. Empty otherwise."""

    @property
    def vias(self) -> tuple[str, ...]:
        """Every node that carries some of these calls (one per zone at most)."""
        found = [via for _, via in self.zonal] or [self.via]
        return tuple(dict.fromkeys(via for via in found if via is not None))


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


def zones_of(model: Model, node: AnyNode) -> tuple[str, ...]:
    """The availability zones ``node``'s work runs in, so the zones its calls leave from:

    - its ``zones`` (:class:`~archgen.model.kind.Zonal`: an ECS service's or EC2 group's
      subnets), when it declares some;
    - the zone its group is in (a subnet's, a zone's);
    - for a node placed in a VPC group without a route out of its own (a VPC-attached
      Lambda function, which gets no public address): the VPC's zones that hold a private
      subnet, in the order the model lists the zones. Such a function is configured with
      one private subnet per zone (AWS's advice for availability); the model draws the
      VPC's subnets, not the function's ``SubnetIds``, so it spans every zone that has one
      (place it in one subnet to pin it to that zone);
    - none otherwise (outside a VPC, or a VPC whose zones the model does not draw).
    """
    if isinstance(node.params, Zonal) and node.params.zones:
        return tuple(node.params.zones)
    chain = _chain(model, node.group)
    zone = next((g.id for g in chain if g.kind is GroupKind.availability_zone), None)
    if zone is not None:
        return (zone,)
    place = private_place(model, node)
    if place is None or place.kind is not GroupKind.vpc:
        return ()
    private: set[str] = set()
    for group in model.groups:
        if group.kind is not GroupKind.subnet or group.public:
            continue
        above = _chain(model, group.parent)
        if any(g.id == place.id for g in above):
            private.update(g.id for g in above if g.kind is GroupKind.availability_zone)
    return tuple(
        g.id for g in model.groups if g.kind is GroupKind.availability_zone and g.id in private
    )


def egress(
    model: Model, source: AnyNode, target: AnyNode, zone: str | None = None
) -> Egress | None:
    """The egress a call from ``source`` to ``target`` takes, or None when it needs none
    (``source`` is not in a private place, or ``target`` is inside a VPC). With ``zone``,
    the way of a call made in that zone; without, the way of each zone ``source`` spans
    (:func:`zones_of`), in :attr:`Egress.zonal` when it spans several."""
    if has(source.kind, Capability.egress) or source.params.consumed_queue() == target.id:
        return None
    place = private_place(model, source)
    service = None if place is None else outside_service(model, target)
    if place is None or service is None:
        return None
    vpc = _of_kind(model, source, GroupKind.vpc)
    ranked = _ways_out(model, vpc, service)

    def way_from(zone: str | None) -> str | None:
        """The best way out from ``zone``: by rank, then in that zone (or in none) first."""
        best = min(((r, z not in (None, zone), n) for r, z, n in ranked), default=None)
        return None if best is None else best[2]

    zones = (zone,) if zone is not None else zones_of(model, source)
    if len(zones) < 2:
        return Egress(way_from(zones[0] if zones else None), place.id, vpc, service)
    zonal = tuple((z, way_from(z)) for z in zones)
    return Egress(zonal[0][1], place.id, vpc, service, zonal)


def _ways_out(model: Model, vpc: str | None, service: str) -> list[tuple[int, str | None, str]]:
    """The nodes of ``vpc`` that carry calls to ``service`` out of it: (rank, their zone or
    None, id)."""
    if vpc is None:
        return []
    ranked = []
    for node in model.nodes:
        rank = node.params.egress_rank(service) if has(node.kind, Capability.egress) else None
        if rank is not None and _of_kind(model, node, GroupKind.vpc) == vpc:
            ranked.append((rank, _of_kind(model, node, GroupKind.availability_zone), node.id))
    return ranked


def egress_zones(model: Model, way: Egress) -> set[str] | None:
    """The zones of ``way``'s VPC that have an egress for its service (the NAT gateways'
    zones), or None when one of them belongs to no zone (a VPC endpoint serves them all)."""
    zones = {zone for _, zone, _ in _ways_out(model, way.vpc, way.service)}
    return None if None in zones else {zone for zone in zones if zone is not None}
