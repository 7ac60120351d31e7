"""Shield: DDoS protection of the nodes it protects."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from archgen.model.base import (
    Id,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    KindParams,
    Node,
    Protects,
    Ref,
    kind,
)


class ShieldTier(StrEnum):
    """Shield Standard (free, automatic) or Shield Advanced."""

    standard = "standard"
    advanced = "advanced"


class ShieldParams(KindParams, Protects):
    """Settings of AWS Shield: its tier and the nodes it protects."""

    tier: ShieldTier = Field(
        ShieldTier.standard,
        description="Standard (free, automatic) or Advanced (DDoS response, cost protection).",
    )
    protects: Annotated[tuple[Id, ...], Ref(role="watches")] = Field(
        (),
        description="Nodes this protection is attached to: CloudFront distributions, Route 53 "
        "hosted zones and load balancers (what Shield Advanced can protect).",
    )


def _cost(bill: Bill, node: Node, params: ShieldParams) -> None:
    """Shield Standard is free; Advanced is a monthly subscription."""
    if params.tier is ShieldTier.advanced:
        bill.charge("shield.advanced_month", bill.months, "Shield Advanced subscription")
        bill.leave_out("Shield Advanced data transfer out fees: bytes are not modelled")


SPEC = kind(
    "shield",
    ShieldParams,
    title="Shield",
    category="security",
    order=40,
    summary="DDoS protection of the nodes it protects.",
    icon=("diagrams.aws.security", "Shield"),
    arn=Arn("shield", "protection/{id}", regional=False),
    iam_service="shield",
    capabilities={Capability.security, Capability.ddos_protection},
    behavior="archgen.runtime.behaviors.shield:Shield",
    screen_order=0,
    cost=_cost,
)
