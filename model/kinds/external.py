"""External system: something outside the system that it calls (a partner, a recipient)."""

from __future__ import annotations

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


class ExternalParams(KindParams):
    role: str = Field(
        "other",
        min_length=1,
        max_length=64,
        description="What the outside system is, in the model's own words (e.g. 'email', "
        "'sms', 'partner'); shown on its page, no behavior depends on it.",
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
    summary="Something outside the system: a partner's API, email or SMS recipients, an operator.",
    icon=("diagrams.aws.general", "GenericOfficeBuilding"),
    behavior="archgen.runtime.behaviors.external:External",
    mermaid_shape=('(["', '"])'),
)
