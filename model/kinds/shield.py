"""Shield: DDoS protection of the nodes it protects."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from archgen.model.base import (
    Id,
)
from archgen.model.kind import (
    Arn,
    Capability,
    KindParams,
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
        (), description="Nodes this protection is attached to."
    )


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
)
