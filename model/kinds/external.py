"""External system: something outside the system that it calls (a partner, a recipient)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from archgen.model.base import (
    Duration,
    Probability,
    ms,
)
from archgen.model.kind import (
    KindParams,
    kind,
)


class ExternalRole(StrEnum):
    warehouse = "warehouse"
    delivery = "delivery"
    email = "email"
    sms = "sms"
    payment_processor = "payment_processor"
    operator = "operator"
    other = "other"


class ExternalParams(KindParams):
    role: ExternalRole = Field(
        ExternalRole.other,
        description="What the system is for the model (a partner, a recipient, an operator).",
    )
    latency: Duration = Field(
        default_factory=lambda: ms(120, 0.6), description="Round trip of one call to it."
    )
    error_rate: Probability = Field(0.0, description="Share of calls that fail (0 to 1).")


SPEC = kind(
    "external",
    ExternalParams,
    title="External system",
    category="external",
    order=180,
    summary="Something outside the system: warehouse, delivery partner, email or SMS recipients.",
    icon=("diagrams.aws.general", "GenericOfficeBuilding"),
    behavior="archgen.runtime.behaviors.external:External",
    mermaid_shape=('(["', '"])'),
)
