"""Building blocks shared by every part of the schema.

Every schema class is frozen and rejects unknown fields, so a typo in a model is an error
with a position rather than a silently ignored key.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="Stable identifier: letters, digits, '-', '_' and '.', at most 64 characters.",
    ),
]
"""A stable id written in the YAML; ids are never generated."""

Percent = Annotated[float, Field(ge=0, le=100)]
Probability = Annotated[float, Field(ge=0, le=1)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    """Base of every schema class: immutable, closed to unknown fields."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        use_enum_values=False,
        validate_default=False,
    )


class DistributionKind(StrEnum):
    """Shapes of latency and service-time distributions."""

    constant = "constant"
    exponential = "exponential"
    lognormal = "lognormal"
    uniform = "uniform"
    gamma = "gamma"


class Duration(Strict):
    """A time distribution, described by its mean and spread.

    ``cv`` (coefficient of variation = standard deviation / mean) is what operators can
    estimate from dashboards; it is ignored by ``constant`` and ``exponential`` (cv = 1).
    """

    distribution: DistributionKind = DistributionKind.lognormal
    mean_ms: NonNegativeFloat = Field(description="Mean duration in milliseconds.")
    cv: NonNegativeFloat = Field(0.5, le=10, description="Coefficient of variation.")

    @model_validator(mode="after")
    def _finite(self) -> Duration:
        if not math.isfinite(self.mean_ms):
            raise ValueError("mean_ms must be a finite number")
        return self


def ms(mean: float, cv: float = 0.5, distribution: str = "lognormal") -> Duration:
    """Shorthand used for defaults: ``ms(40)`` is a lognormal of mean 40 ms, cv 0.5."""
    return Duration(distribution=DistributionKind(distribution), mean_ms=mean, cv=cv)


class Classification(StrEnum):
    """Sensitivity of the data an edge carries; drives the security rules."""

    public = "public"
    internal = "internal"
    pii = "pii"
    card = "card"
