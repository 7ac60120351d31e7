"""Capacities at the run's scale, and how far the simulated system is from the real one.

A run simulates ``scale`` of the real system: traffic and every capacity are multiplied by
it. Nothing is rounded away silently:

- **rates** (DynamoDB capacity units, the KMS request quota) stay fractional: a token bucket
  holds 2.5 units per second as well as 250;
- **slots** (Lambda concurrency, database connections, model-serving slots) are time-shared:
  2.5 slots are 2 all the time plus a third busy at most half of the time (it earns credit
  while idle, see :class:`SharedSlots`), so the time-averaged capacity is exact;
- **whole things** (instances: they boot, sit in a zone and fail one by one) are rounded to
  the nearest count (at least one when there is any); when that moves the capacity more than
  ``TOLERANCE`` from its scaled value, or leaves zones of the real fleet empty, the run warns
  and names the nearest scale that keeps the count whole.

Every capacity a behavior scales is booked (real, scaled, simulated): the summary lists
them and ``check`` repeats the warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

TIME_SHARE_MS = 1_000.0
"""Most time credit a fractional slot banks while idle (its share of this many ms)."""

TOLERANCE = 0.05
"""Largest relative difference between a scaled capacity and the simulated one that the run
accepts without a warning."""

How = Literal["exact", "time-shared", "whole"]


@dataclass(frozen=True)
class ScaledCapacity:
    """One capacity of one node: in the real system, times the scale, and as simulated
    (time-averaged for time-shared slots)."""

    name: str
    real: float
    scaled: float
    simulated: float
    how: How
    zones: int = 0  # zones the real capacity spreads over (whole counts only)
    member: str = "instance"  # what one of a whole count is (an ECS service's: a task)

    @property
    def deviation(self) -> float:
        """simulated / scaled − 1 (0 when both are 0; 1 when only the simulation has any)."""
        if self.scaled == 0:
            return 0.0 if self.simulated == 0 else 1.0
        return self.simulated / self.scaled - 1

    def warning(self, node: str, scale: float) -> str | None:
        """Why the simulated capacity is not the real one at ``scale``, or None."""
        problems = []
        arithmetic = f"{_num(self.real)} × {scale:g} = {_num(self.scaled)}"
        if abs(self.deviation) > TOLERANCE:
            problems.append(
                f"{arithmetic}, simulated {_num(self.simulated)} ({100 * self.deviation:+.0f} %)"
            )
        if self.zones > 1 and self.real >= self.zones and self.simulated < self.zones:
            noun = f"{self.member}{'s' if self.simulated != 1 else ''}"
            count = f"{_num(self.simulated)} {noun}"
            within = f"in {_num(self.simulated)} of its {self.zones} zones"
            # Alone, the zones need the arithmetic that left them empty (2 × 0.5 = 1 task).
            if problems:
                problems.append(f"{count} {within}")
            elif self.simulated == self.scaled:
                problems.append(f"{arithmetic} {noun}, {within}")
            else:
                problems.append(f"{arithmetic}, simulated {count}, {within}")
        if not problems:
            return None
        whole = whole_scale(self.real, scale, self.zones)
        hint = f"; whole at scale {whole:g}" if whole is not None else ""
        return f"{node}: {self.name} " + "; ".join(problems) + hint

    def as_json(self, node: str, scale: float) -> dict[str, float | str | None]:
        return {
            "warning": self.warning(node, scale),
            "real": _plain(self.real),
            "scaled": _plain(round(self.scaled, 6)),
            "simulated": _plain(round(self.simulated, 6)),
            "how": self.how,
        }


def whole_scale(real: float, scale: float, zones: int = 0) -> float | None:
    """The scale nearest ``scale`` (rounded up to a count of at least one per zone) at which
    ``real`` becomes a whole count; None when ``real`` is not a positive number."""
    if real <= 0:
        return None
    count = max(nearest(real * scale), 1, min(zones, int(real)))
    return float(f"{count / real:.4g}")


class SharedSlots:
    """A fractional number of concurrent slots, time-shared: ``floor`` slots always, and
    one more while it has time credit. The extra slot earns its fraction of every
    millisecond (banking at most ``TIME_SHARE_MS`` worth) and spends one per millisecond it
    is busy, so over a run it is busy for its share of the time, however long one use lasts
    (2.5 slots serve 2.5 one-second requests per second, not 2 or 3).

    The owner counts its users: :meth:`take` before a use, :meth:`give` after it."""

    __slots__ = ("active", "at_ms", "ceiling", "credit", "floor", "fraction")

    def __init__(self, exact: float) -> None:
        self.floor = math.floor(exact + 1e-9)
        self.fraction = max(0.0, exact - self.floor)
        if self.fraction < 1e-9:
            self.fraction = 0.0
        self.ceiling = self.floor + (1 if self.fraction else 0)
        self.active = 0
        self.at_ms = 0.0
        self.credit = self.fraction * TIME_SHARE_MS

    def _settle(self, now_ms: float) -> None:
        elapsed = now_ms - self.at_ms
        if elapsed > 0 and self.fraction:
            spent = elapsed if self.active > self.floor else 0.0
            bank = self.fraction * TIME_SHARE_MS
            self.credit = min(bank, self.credit + self.fraction * elapsed - spent)
        self.at_ms = now_ms

    def free(self, now_ms: float) -> bool:
        """Whether one more use may start now."""
        self._settle(now_ms)
        if self.active < self.floor:
            return True
        return self.active < self.ceiling and self.credit > 0

    def take(self, now_ms: float) -> bool:
        """Start one use if a slot is free; False (nothing taken) otherwise."""
        if not self.free(now_ms):
            return False
        self.active += 1
        return True

    def give(self, now_ms: float) -> None:
        """End one use."""
        self._settle(now_ms)
        self.active -= 1

    def free_at_ms(self, now_ms: float) -> float:
        """When one more use may start: ``now_ms`` if it may now, inf if only a use ending
        frees a slot, else when the extra slot has earned credit again."""
        if self.free(now_ms):
            return now_ms
        if not self.fraction or self.active >= self.ceiling:
            return math.inf
        return now_ms + max(0.0, -self.credit) / self.fraction + 1e-6


def nearest(value: float) -> int:
    """The nearest whole number, halves up (2.5 instances → 3: no capacity lost)."""
    return math.floor(value + 0.5)


def _num(value: float) -> str:
    return f"{value:,.4g}" if value != int(value) else f"{int(value):,}"


def _plain(value: float) -> int | float:
    return int(value) if value == int(value) else value
