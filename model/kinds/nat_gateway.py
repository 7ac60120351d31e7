"""NAT gateway: the way out of a VPC's private subnets to the internet and to AWS's public
service endpoints, for the calls that no VPC endpoint carries (:mod:`archgen.model.egress`).

A node, not a group: it has a place (one public subnet, so one availability zone, whose
failure takes it down), capacities (connections per destination, bandwidth), metrics
(``AWS/NATGateway``) and a bill (per hour and per GB processed), none of which a group
carries. The whole declaration of the kind: its parameters, how it is drawn, its ARN, its
metrics, what it costs and the CloudFormation type it reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Metrics,
    Node,
    Shape,
    Unit,
    connect_timeout_field,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext

CONNECTIONS_PER_ADDRESS = 55_000
"""Simultaneous connections a NAT gateway keeps to one destination per IP address it has
(AWS: 55,000; ``ErrorPortAllocation`` beyond)."""
MAX_BANDWIDTH_GBPS = 100
"""A NAT gateway scales to 100 Gbps (it starts at 5 Gbps and scales up automatically)."""


class NatGatewayParams(KindParams):
    """Settings of a NAT gateway and the traffic it carries."""

    ip_addresses: int = Field(
        1,
        ge=1,
        le=8,
        description=(
            "Private IP addresses it uses (1 primary + up to 7 secondary): each allows "
            "55,000 simultaneous connections to one destination."
        ),
    )
    bandwidth_gbps: float = Field(
        MAX_BANDWIDTH_GBPS,
        gt=0,
        le=MAX_BANDWIDTH_GBPS,
        description="Bandwidth it carries at most (AWS: up to 100 Gbps); beyond, packets drop.",
    )
    request_bytes: int = Field(
        2_000,
        ge=0,
        le=1_000_000_000,
        description="Bytes one call sends to its destination (an assumption: calls have no size).",
    )
    response_bytes: int = Field(
        8_000,
        ge=0,
        le=1_000_000_000,
        description="Bytes one call receives back (an assumption: calls have no size).",
    )
    connect_timeout_s: float = connect_timeout_field()

    def egress_rank(self, service: str) -> int | None:
        """A NAT gateway carries calls to anything outside the VPC, after any endpoint."""
        return NAT_RANK


NAT_RANK = 2
"""After any VPC endpoint of the service (gateway 0, interface 1)."""


def _validate(checks: Checks, path: PathKey, node: Node, params: NatGatewayParams) -> None:
    """A (public) NAT gateway lives in a public subnet: its group is one."""
    from archgen.model.schema import GroupKind

    group = checks.model.groups_by_id.get(node.group or "")
    if group is None or group.kind is not GroupKind.subnet or not group.public:
        checks.report(
            (*path[:-1], "group") if path and path[-1] == "params" else path,
            "a NAT gateway sits in a public subnet: its group must be a subnet with public: true",
        )


def _import(ctx: ImportContext) -> dict[str, object]:
    """``AWS::EC2::NatGateway``: its subnet (made public: a public NAT gateway needs the
    subnet's route to an internet gateway) and its secondary addresses."""
    ctx.in_subnets([ctx.prop("SubnetId")])
    this = ctx.this
    for group in ctx.graph.groups.values():
        if this is not None and group.id == this.group and group.kind == "subnet":
            group.public = True
    params: dict[str, object] = {}
    private = ctx.text(ctx.prop("ConnectivityType", default="public")) == "private"
    if private and this is not None:
        this.notes.append("private NAT gateway simulated as a public one")
    secondary = ctx.number("SecondaryPrivateIpAddressCount")
    addresses = ctx.prop("SecondaryPrivateIpAddresses")
    extra = int(secondary) if secondary else len(addresses) if isinstance(addresses, list) else 0
    if extra:
        params["ip_addresses"] = min(8, 1 + extra)
    return params


def _cost(bill: Bill, node: Node, params: NatGatewayParams) -> None:
    """Hours provisioned and GB processed (both directions)."""
    bill.charge("natgateway.hour", bill.hours, "NAT gateway hours")
    processed = bill.real(bill.value("egress", "bytes")) / 1e9
    bill.charge("natgateway.gb", processed, "GB processed (request + response bytes assumed)")
    bill.leave_out("data transfer out to the internet, cross-AZ data transfer")


SPEC = kind(
    "nat_gateway",
    NatGatewayParams,
    title="NAT gateway",
    order=57,
    category="network",
    summary="Egress of private subnets: connections per destination, bandwidth, zone.",
    icon=("diagrams.aws.network", "NATGateway"),
    arn=Arn("ec2", "natgateway/{id}"),
    iam_service=None,
    capabilities={Capability.emits_metrics, Capability.egress},
    validate=_validate,
    behavior="archgen.runtime.behaviors.nat_gateway:NatGateway",
    metrics=Metrics(
        "AWS/NATGateway",
        ("NatGatewayId",),
        (
            metric(
                "BytesOutToDestination",
                Unit.bytes,
                "Bytes the gateway sent to destinations (request_bytes per call carried).",
                shape=Shape.count,
            ),
            metric(
                "BytesInFromDestination",
                Unit.bytes,
                "Bytes the gateway received from destinations (response_bytes per call).",
                shape=Shape.count,
            ),
            metric(
                "ActiveConnectionCount",
                Unit.count,
                "Concurrent connections through the gateway (one per call in flight).",
                shape=Shape.gauge,
                statistic="Maximum",
            ),
            metric(
                "ErrorPortAllocation",
                Unit.count,
                "Connections refused: 55,000 per address to one destination already open.",
            ),
            metric(
                "PacketsDropCount",
                Unit.count,
                "Calls dropped: over the bandwidth, or while the gateway (its zone) is down.",
            ),
        ),
    ),
    imports=(CfnImport("AWS::EC2::NatGateway", _import),),
    cost=_cost,
)
