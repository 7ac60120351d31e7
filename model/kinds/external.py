"""External system: something outside the system that it calls (a partner, a recipient)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from archgen.model.base import (
    Duration,
    Probability,
    ms,
)
from archgen.model.cost import not_priced
from archgen.model.kind import (
    Capability,
    KindParams,
    kind,
)


class ExternalParams(KindParams):
    """Settings of a system outside AWS: its latency and error rate."""

    role: str = Field(
        "other",
        min_length=1,
        max_length=64,
        description="What the outside system is, in the model's own words (e.g. 'email', "
        "'sms', 'partner'); shown on its page, no behavior depends on it.",
    )
    appearance: Literal[
        "organization", "service", "person", "people", "phone", "email", "datacenter", "internet"
    ] = Field(
        "organization",
        description="How diagrams draw it: organization (a partner company), service (a "
        "third-party API), person, people (a team, on-call engineers), phone (SMS, a mobile "
        "app), email (an inbox), datacenter, internet.",
    )
    latency: Duration = Field(
        default_factory=lambda: ms(120, 0.6), description="Round trip of one call to it."
    )
    error_rate: Probability = Field(0.0, description="Share of calls that fail (0 to 1).")

    def icon(self) -> tuple[str, str] | None:
        return ICONS[self.appearance]


ICONS: dict[str, tuple[str, str]] = {
    "organization": ("diagrams.aws.general", "GenericOfficeBuilding"),
    "service": ("diagrams.aws.general", "TraditionalServer"),
    "person": ("diagrams.onprem.client", "User"),
    "people": ("diagrams.onprem.client", "Users"),
    "phone": ("diagrams.generic.device", "Mobile"),
    "email": ("diagrams.aws.integration", "SimpleNotificationServiceSnsEmailNotification"),
    "datacenter": ("diagrams.generic.place", "Datacenter"),
    "internet": ("diagrams.aws.general", "InternetAlt1"),
}
"""diagrams' icon of each declared ``appearance`` (the email one is an envelope)."""


SPEC = kind(
    "external",
    ExternalParams,
    title="External system",
    category="external",
    order=180,
    summary="Something outside the system: a partner's API, email or SMS recipients, an operator.",
    icon=("diagrams.aws.general", "GenericOfficeBuilding"),
    capabilities={Capability.outside_aws},
    behavior="archgen.runtime.behaviors.external:External",
    mermaid_shape=('(["', '"])'),
    cost=not_priced("a system outside AWS: its own bill, not this one"),
)
