"""DynamoDB auto scaling as AWS runs it: Application Auto Scaling target tracking on
consumed / provisioned capacity, through the two CloudWatch alarms DynamoDB creates.

- Each minute the consumed units per second over the provisioned ones is one datapoint.
- Above the target for 2 consecutive minutes: scale out; 20 points or more below the
  target for 15 consecutive minutes: scale in. The new capacity is what puts the last
  minute's consumption at the target, ceil(consumed / target), within [min, max].
- After a change the alarms start counting afresh (the utilization moved).
- Decreases are limited as DynamoDB limits them: 4 per UTC calendar day at any time, then
  one more whenever an hour has passed since the last decrease (27 a day at most).
Left out: the few minutes an UpdateTable takes (the new capacity applies at once), cooldowns
(the alarms' consecutive minutes pace the policy), scheduled scaling of tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

SCALE_OUT_MINUTES = 2
SCALE_IN_MINUTES = 15
SCALE_IN_MARGIN = 20.0
"""Percentage points below the target that count towards scale-in."""
FREE_DECREASES_PER_DAY = 4
DECREASE_EVERY_S = 3_600
DAY_S = 86_400


@dataclass
class CapacityTracker:
    """Target tracking of one capacity of one table, in real-system units per second."""

    units: float
    min_units: float
    max_units: float
    target_percent: float
    high: int = 0
    low: int = 0
    decreases_today: int = 0
    day: int = 0
    last_decrease_s: float = -math.inf
    changes: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Registering the table clamps its capacity into [min, max], as AWS does.
        self.units = min(self.max_units, max(self.min_units, self.units))

    def minute(self, t_s: float, consumed_per_s: float, clock_s: float) -> float | None:
        """Take the datapoint of the minute ending at ``t_s`` (``clock_s``: seconds since
        midnight UTC of the run's first day); the new capacity if it changes."""
        utilization = 100.0 * consumed_per_s / self.units
        self.high = self.high + 1 if utilization > self.target_percent else 0
        below = utilization < self.target_percent - SCALE_IN_MARGIN
        self.low = self.low + 1 if below else 0
        goal = math.ceil(consumed_per_s * 100.0 / self.target_percent - 1e-9)
        wanted = min(self.max_units, max(self.min_units, float(goal)))
        if self.high >= SCALE_OUT_MINUTES and wanted > self.units:
            return self._change(t_s, wanted, utilization, "scale out")
        if (
            self.low >= SCALE_IN_MINUTES
            and wanted < self.units
            and self._may_decrease(t_s, clock_s)
        ):
            self.decreases_today += 1
            self.last_decrease_s = t_s
            return self._change(t_s, wanted, utilization, "scale in")
        return None

    def _may_decrease(self, t_s: float, clock_s: float) -> bool:
        day = int(clock_s // DAY_S)
        if day != self.day:
            self.day, self.decreases_today = day, 0
        if self.decreases_today < FREE_DECREASES_PER_DAY:
            return True
        return t_s - self.last_decrease_s >= DECREASE_EVERY_S

    def _change(self, t_s: float, units: float, utilization: float, why: str) -> float:
        self.changes.append(
            {
                "t_s": round(t_s, 3),
                "from": _plain(self.units),
                "to": _plain(units),
                "utilization_percent": round(utilization, 1),
                "why": why,
            }
        )
        self.units = units
        self.high = self.low = 0
        return units


def _plain(value: float) -> int | float:
    return int(value) if value == int(value) else value
