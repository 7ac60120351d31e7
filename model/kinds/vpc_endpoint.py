"""VPC endpoint: a private path from a VPC to one AWS service, which calls from its
private subnets take instead of a NAT gateway (:mod:`archgen.model.egress`).

A node, not a group, for the same reasons as the NAT gateway: an interface endpoint has
network interfaces in zones, metrics (``AWS/PrivateLinkEndpoints``) and an hourly and
per-GB price; a gateway endpoint (S3, DynamoDB) is free and publishes nothing, but it is
still what the call goes through, and it is drawn. The whole declaration of the kind.
"""

from __future__ import annotations

from enum import StrEnum
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

ARN_SERVICES = {"monitoring": "cloudwatch", "sagemaker.runtime": "sagemaker"}
"""Endpoint service names (``com.amazonaws.<region>.<name>``) whose ARN service differs."""
GATEWAY_SERVICES = ("s3", "dynamodb")
"""The services AWS offers gateway endpoints for."""


class EndpointType(StrEnum):
    """Gateway (route-table based, S3 and DynamoDB, free) or interface (PrivateLink)."""

    gateway = "gateway"
    interface = "interface"


class VpcEndpointParams(KindParams):
    """Settings of a VPC endpoint and the traffic it carries."""

    service: str = Field(
        "s3",
        pattern=r"^[a-z0-9][a-z0-9.-]*$",
        max_length=64,
        description=(
            "The AWS service it reaches, as its endpoint service name ends "
            "(com.amazonaws.<region>.s3 → s3; sqs, dynamodb, monitoring…)."
        ),
    )
    endpoint_type: EndpointType = Field(
        EndpointType.gateway,
        description="gateway (S3, DynamoDB: route tables, free) or interface (PrivateLink).",
    )
    zones: int = Field(
        2,
        ge=1,
        le=6,
        description="Interface endpoints: availability zones it has a network interface in "
        "(each is billed by the hour).",
    )
    request_bytes: int = Field(
        2_000,
        ge=0,
        le=1_000_000_000,
        description="Bytes one call sends to the service (an assumption: calls have no size).",
    )
    response_bytes: int = Field(
        8_000,
        ge=0,
        le=1_000_000_000,
        description="Bytes one call receives back (an assumption: calls have no size).",
    )
    connect_timeout_s: float = connect_timeout_field()

    def egress_rank(self, service: str) -> int | None:
        """The endpoint carries calls to its own service only, a gateway endpoint before an
        interface one (route tables send the service's prefix list to the gateway)."""
        if ARN_SERVICES.get(self.service, self.service) != service:
            return None
        return 0 if self.endpoint_type is EndpointType.gateway else 1

    def unpublished_metrics(self) -> str | None:
        """AWS publishes ``AWS/PrivateLinkEndpoints`` metrics for interface endpoints only."""
        if self.endpoint_type is EndpointType.gateway:
            return "a gateway endpoint publishes none (interface endpoints do)"
        return None


def _validate(checks: Checks, path: PathKey, node: Node, params: VpcEndpointParams) -> None:
    """AWS offers gateway endpoints for S3 and DynamoDB only; an endpoint belongs to a VPC."""
    from archgen.model.schema import GroupKind

    if params.endpoint_type is EndpointType.gateway and params.service not in GATEWAY_SERVICES:
        checks.report(
            (*path, "endpoint_type"),
            f"AWS offers gateway endpoints for s3 and dynamodb only, not {params.service} "
            "(use an interface endpoint)",
        )
    groups = checks.model.groups_by_id
    group_id, inside = node.group, False
    while group_id is not None and group_id in groups and not inside:
        inside = groups[group_id].kind is GroupKind.vpc
        group_id = groups[group_id].parent
    if not inside:
        checks.report(
            (*path[:-1], "group") if path and path[-1] == "params" else path,
            "a VPC endpoint belongs to a VPC: its group must be a VPC or a group inside one",
        )


def _import(ctx: ImportContext) -> dict[str, object]:
    """``AWS::EC2::VPCEndpoint``: its service, type, VPC (or subnets) and zones."""
    name = ctx.text(ctx.prop("ServiceName", default=""))
    service = name.rsplit(".", 1)[-1] if name.startswith("com.amazonaws.") else name
    if name.startswith("com.amazonaws.") and name.count(".") > 3:
        service = name.split(".", 3)[3]  # sagemaker.runtime
    type_ = ctx.text(ctx.prop("VpcEndpointType", default="Gateway")).lower()
    params: dict[str, object] = {"service": service}
    this = ctx.this
    if type_ == "interface":
        params["endpoint_type"] = "interface"
        subnets = ctx.prop("SubnetIds", default=[])
        if isinstance(subnets, list) and subnets:
            params["zones"] = max(1, min(6, len(subnets)))
            ctx.in_subnets(subnets)
    elif type_ != "gateway" and this is not None:
        this.notes.append(f"{type_} endpoint simulated as a gateway endpoint")
    from archgen.model.importers.intrinsics import ResourceRef

    vpc = ctx.prop("VpcId")
    placed = this is not None and any(g.id == this.group for g in ctx.graph.groups.values())
    if this is not None and not placed and isinstance(vpc, ResourceRef):
        for group in ctx.graph.groups.values():
            if vpc.logical_id == group.logical_id:
                this.group = group.id
    return params


def _cost(bill: Bill, node: Node, params: VpcEndpointParams) -> None:
    """Interface endpoints: hours per zone and GB processed; gateway endpoints are free."""
    if params.endpoint_type is EndpointType.gateway:
        return  # AWS charges nothing for gateway endpoints
    bill.charge(
        "vpce.interface.hour", bill.hours * params.zones, f"endpoint hours in {params.zones} zones"
    )
    processed = bill.real(bill.value("egress", "bytes")) / 1e9
    bill.charge("vpce.interface.gb", processed, "GB processed (request + response bytes assumed)")


SPEC = kind(
    "vpc_endpoint",
    VpcEndpointParams,
    title="VPC endpoint",
    order=58,
    category="network",
    summary="Private path from a VPC to one AWS service (gateway or interface).",
    icon=("diagrams.aws.network", "Endpoint"),
    arn=Arn("ec2", "vpc-endpoint/{id}"),
    iam_service=None,
    capabilities={Capability.emits_metrics, Capability.egress},
    validate=_validate,
    behavior="archgen.runtime.behaviors.vpc_endpoint:VpcEndpoint",
    metrics=Metrics(
        "AWS/PrivateLinkEndpoints",
        ("VPC Endpoint Id",),
        (
            metric(
                "BytesProcessed",
                Unit.bytes,
                "Bytes the interface endpoint carried, both ways (gateway endpoints publish "
                "nothing).",
                shape=Shape.count,
                sparse=True,
            ),
            metric(
                "ActiveConnections",
                Unit.count,
                "Concurrent connections through the interface endpoint (one per call).",
                shape=Shape.gauge,
                statistic="Maximum",
                sparse=True,
            ),
            metric(
                "NewConnections",
                Unit.count,
                "Connections opened through the interface endpoint (one per call).",
                sparse=True,
            ),
            metric(
                "PacketsDropped",
                Unit.count,
                "Calls the endpoint dropped (down: its zones failed).",
                sparse=True,
            ),
        ),
    ),
    imports=(CfnImport("AWS::EC2::VPCEndpoint", _import),),
    cost=_cost,
)
