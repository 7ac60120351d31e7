"""Metrics per node per period, the way CloudWatch aggregates them.

Every call contributes ``RequestCount``, ``Latency``, ``Errors``, ``HTTPCode_5XX_Count`` and
``Throttles`` to its node; behaviors add their own datapoints (``CPUUtilization``,
``HealthyHostCount``…) with ``ctx.emit``. When a period closes, each statistic (Average,
Sum, Minimum, Maximum, SampleCount, p99) becomes readable by CloudWatch alarms and one line
per node goes to ``metrics.jsonl``.
"""

from __future__ import annotations

import json
from typing import Any

from archgen.model.stats import percentile

_FIVE_XX = frozenset({"ServiceUnavailable", "InternalError", "InternalServerError"})


class _Period:
    __slots__ = ("custom", "e5xx", "errors", "latencies", "requests", "throttles")

    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.e5xx = 0
        self.throttles = 0
        self.latencies: list[float] = []
        self.custom: dict[str, list[float]] = {}


class MetricStore:
    """The current period's datapoints, the last closed period's statistics, the lines."""

    def __init__(self, period_s: float) -> None:
        self.period_s = period_s
        self.current: dict[str, _Period] = {}
        self.last: dict[str, dict[str, dict[str, float]]] = {}
        self.lines: list[str] = []
        self.violations = 0

    def _period(self, node: str) -> _Period:
        period = self.current.get(node)
        if period is None:
            period = self.current[node] = _Period()
        return period

    def request(self, node: str) -> None:
        period = self.current.get(node)
        if period is None:
            period = self.current[node] = _Period()
        period.requests += 1

    def done(self, node: str, latency: float, error: str | None) -> None:
        period = self.current.get(node)
        if period is None:
            period = self.current[node] = _Period()
        period.latencies.append(latency)
        if error is not None:
            period.errors += 1
            if error[:1] == "5" or error in _FIVE_XX:
                period.e5xx += 1
            elif error == "ThrottlingException":
                period.throttles += 1

    def emit(self, node: str, name: str, value: float) -> None:
        custom = self._period(node).custom
        point = custom.get(name)
        if point is None:
            custom[name] = [value, 1.0, value, value]
        else:
            point[0] += value
            point[1] += 1
            point[2] = min(point[2], value)
            point[3] = max(point[3], value)

    def count_violation(self) -> None:
        self.violations += 1

    def close(self, t_s: float) -> None:
        """Close the period ending at ``t_s``: statistics for alarms, lines for the file."""
        snapshot: dict[str, dict[str, dict[str, float]]] = {}
        for node in sorted(self.current):
            period = self.current[node]
            stats: dict[str, dict[str, float]] = {}
            for name, value in (
                ("RequestCount", period.requests),
                ("Errors", period.errors),
                ("HTTPCode_5XX_Count", period.e5xx),
                ("Throttles", period.throttles),
            ):
                stats[name] = {
                    "Sum": value,
                    "SampleCount": 1,
                    "Average": value,
                    "Minimum": value,
                    "Maximum": value,
                    "p99": value,
                }
            p99 = percentile(period.latencies, 99)
            if p99 is not None:  # a period with calls
                values = sorted(period.latencies)
                stats["Latency"] = {
                    "Average": sum(values) / len(values),
                    "Minimum": values[0],
                    "Maximum": values[-1],
                    "p99": p99,
                    "Sum": sum(values),
                    "SampleCount": len(values),
                }
            for name, point in sorted(period.custom.items()):
                total, count, low, high = point
                if name in ("Throttles", "Errors", "HTTPCode_5XX_Count"):
                    # Counts the behavior adds to the ones every call contributes.
                    summed = total + stats[name]["Sum"]
                    total, count, low, high = summed, 1.0, summed, summed
                stats[name] = {
                    "Sum": total,
                    "SampleCount": count,
                    "Average": total / count,
                    "Minimum": low,
                    "Maximum": high,
                    "p99": high,
                }
            snapshot[node] = stats
            line: dict[str, Any] = {"node": node, "t_s": round(t_s, 3)}
            for name, stat in stats.items():
                if name == "Latency":
                    line["Latency"] = {
                        "avg_ms": round(stat["Average"], 3),
                        "p99_ms": round(stat["p99"], 3),
                        "max_ms": round(stat["Maximum"], 3),
                    }
                elif name in ("RequestCount", "Errors", "HTTPCode_5XX_Count", "Throttles"):
                    if stat["Sum"]:
                        line[name] = stat["Sum"]
                else:
                    line[name] = round(stat["Average"], 6)
            self.lines.append(json.dumps(line, sort_keys=True))
        self.last = snapshot
        self.current = {}

    def value(self, node: str, name: str, statistic: str) -> float | None:
        """Statistic of the last closed period; None when the node published nothing."""
        stats = self.last.get(node)
        if stats is None:
            return None
        values = stats.get(name)
        if values is None:
            return None
        return values.get(statistic)
