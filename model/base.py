"""Building blocks shared by every part of the schema.

Every schema class is frozen and rejects unknown fields, so a typo in a model is an error
with a position rather than a silently ignored key.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="Stable identifier: letters, digits, '-', '_' and '.', at most 64 characters.",
    ),
]
"""A stable id written in the YAML; ids are never generated."""

# Every number of a model has a range a run can honour: finite (NaN and infinities are
# refused), and bounded above by what AWS allows or, where AWS sets no limit, by what a
# simulation on one machine can carry out. The bounds appear in the JSON Schema too.

MAX_SECONDS = 7 * 86_400
"""A week: the longest run, and the bound of every time written in seconds."""
MAX_MS = 86_400_000
"""A day in milliseconds: the bound of every latency, pause or timeout written in ms."""
YEAR_S = 31_536_000
"""CloudFront's default maximum TTL; the bound of every cache lifetime."""
MAX_INSTANCES = 10_000
"""Bound of instances in one fleet or endpoint (each is simulated)."""
MAX_FACTOR = 1_000
"""Bound of traffic multipliers (shapes, the scenario's scale)."""
MAX_WEIGHT = 1_000_000
"""Bound of relative weights (journey mix, client locations)."""
MAX_LABEL_CHARS = 200
"""Labels, names and titles: what a diagram or a heading can show."""
MAX_TEXT_CHARS = 10_000
"""Descriptions and notes."""

Percent = Annotated[float, Field(ge=0, le=100)]
Probability = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS)]
PositiveSeconds = Annotated[float, Field(gt=0, le=MAX_SECONDS)]
Millis = Annotated[float, Field(ge=0, le=MAX_MS)]
PositiveMillis = Annotated[float, Field(gt=0, le=MAX_MS)]
Factor = Annotated[float, Field(ge=0, le=MAX_FACTOR)]
PositiveFactor = Annotated[float, Field(gt=0, le=MAX_FACTOR)]
Weight = Annotated[float, Field(gt=0, le=MAX_WEIGHT)]
Label = Annotated[str, Field(max_length=MAX_LABEL_CHARS)]

DAY_S = 86_400
TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _time_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            'a time of day is text: quote it, e.g. "23:50" (unquoted, YAML reads 23:50 as '
            "the number 1430)"
        )
    if isinstance(value, str) and not re.match(TIME_OF_DAY, value):
        raise ValueError(
            f'not a time of day: {value!r} (write "HH:MM" or "HH:MM:SS", from 00:00 to 23:59:59)'
        )
    return value


TimeOfDay = Annotated[
    str,
    Field(
        pattern=TIME_OF_DAY,
        description='A time of day in UTC, "HH:MM" or "HH:MM:SS" (24-hour; quoted in YAML).',
    ),
    BeforeValidator(_time_text),
]
"""A wall-clock time of day; a scenario's ``start_at`` places it in the run."""


def seconds_of_day(text: str) -> int:
    """Seconds since midnight of a :data:`TimeOfDay`."""
    parts = [int(part) for part in text.split(":")]
    return parts[0] * 3_600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def since_start(start_at: str | None, at: str) -> int:
    """Seconds from the run's start (``start_at``, midnight without one) to the next time
    the clock shows ``at`` (0 when it is the start itself)."""
    return (seconds_of_day(at) - seconds_of_day(start_at or "00:00")) % DAY_S


Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]


class Strict(BaseModel):
    """Base of every schema class: immutable, closed to unknown fields."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        use_enum_values=False,
        validate_default=False,
        allow_inf_nan=False,
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

    distribution: DistributionKind = Field(
        DistributionKind.lognormal, description="Shape of the distribution."
    )
    mean_ms: Millis = Field(description="Mean duration in milliseconds (at most a day).")
    cv: float = Field(0.5, ge=0, le=10, description="Coefficient of variation (0 to 10).")


def ms(mean: float, cv: float = 0.5, distribution: str = "lognormal") -> Duration:
    """Shorthand used for defaults: ``ms(40)`` is a lognormal of mean 40 ms, cv 0.5."""
    return Duration(distribution=DistributionKind(distribution), mean_ms=mean, cv=cv)


class Classification(StrEnum):
    """Sensitivity of the data an edge carries; drives the security rules."""

    public = "public"
    internal = "internal"
    pii = "pii"
    card = "card"
