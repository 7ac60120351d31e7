"""Metrics per node per period, the way CloudWatch aggregates them.

Each kind declares the metrics its nodes publish (:attr:`KindSpec.metrics`, AWS's names
and units); its behavior emits them with ``ctx.emit``, counting only what happened at its
own node. Nothing is published on a node's behalf: a Lambda's ``Throttles`` are its own
throttles, never those of the table it calls. When a period closes, each statistic
(Average, Sum, Minimum, Maximum, SampleCount, p99) becomes readable by CloudWatch alarms
and one line per node goes to ``metrics.jsonl``.

Real units. A run may simulate a share of the real system (``scale`` below 1) or trace a
sample of its sessions (hybrid fidelity), while alarm thresholds are written in AWS's real
units. Behaviors emit what they simulated; the store gives every statistic back in real
units when the period closes, after each metric's declared :class:`Extent`: a traffic
metric ÷ the traced scale (scale × sample in hybrid), a servers metric ÷ the system's
scale (what pools and fleets are simulated at), an intensive one as measured. Doing it
here, once, keeps alarms, ``metrics.jsonl`` and every export in the same units, and keeps
arithmetic out of the behaviors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from archgen.model.kind import Extent, Metrics, Shape
from archgen.model.stats import percentile

_COUNT = Shape.count


class UndeclaredMetricError(ValueError):
    """A behavior emitted a metric its kind does not declare (a programming error)."""


class _Period:
    __slots__ = ("counts", "samples")

    def __init__(self) -> None:
        self.counts: dict[str, float] = {}
        self.samples: dict[str, list[float]] = {}


def _flat(value: float) -> dict[str, float]:
    """A count's statistics: one datapoint, the period's sum."""
    return {
        "Sum": value,
        "SampleCount": 1,
        "Average": value,
        "Minimum": value,
        "Maximum": value,
        "p99": value,
    }


def _number(value: float) -> int | float:
    rounded = round(value, 6)  # a count ÷ the scale: 2273 ÷ 0.1 is 22730.000000000004
    return int(rounded) if float(rounded).is_integer() else rounded


def _divisor(extent: Extent, traced: float, servers: float) -> float:
    if extent is Extent.traffic:
        return traced
    if extent is Extent.servers:
        return servers
    return 1.0


class MetricStore:
    """The current period's datapoints, the last closed period's statistics, the lines."""

    def __init__(
        self,
        period_s: float,
        declared: Mapping[str, Metrics] | None = None,
        *,
        traced_scale: float = 1.0,
        system_scale: float | None = None,
    ) -> None:
        """``traced_scale``: the share of the real traffic the run simulates (scale ×
        sample in hybrid fidelity); ``system_scale``: the share of the real servers and
        instances it simulates (the scale; the traced scale when not given)."""
        self.period_s = period_s
        self.current: dict[str, _Period] = {}
        self.last: dict[str, dict[str, dict[str, float]]] = {}
        self.lines: list[str] = []
        self.violations = 0
        self.shapes: dict[str, dict[str, Shape]] = {}
        self.divisors: dict[str, dict[str, float]] = {}
        """Node → metric → what its simulated value is divided by to be in real units."""
        self._emitters: dict[str, Callable[[str, float], None]] = {}
        self.traced_scale = traced_scale
        servers = traced_scale if system_scale is None else system_scale
        for node, metrics in (declared or {}).items():
            self.shapes[node] = {m.name: m.shape for m in metrics.metrics}
            self.divisors[node] = {
                m.name: _divisor(m.extent, traced_scale, servers) for m in metrics.metrics
            }

    def emit(self, node: str, name: str, value: float) -> None:
        """One datapoint: added to the period's sum for a count, kept for the others."""
        emit = self._emitters.get(node)
        if emit is None:
            emit = self._emitters[node] = self.emitter(node)
        emit(name, value)

    def emitter(self, node: str) -> Callable[[str, float], None]:
        """:meth:`emit` for one node, its declared shapes looked up once: a behavior's
        context emits through it on every request."""
        shapes = self.shapes.get(node, {})

        def emit(name: str, value: float) -> None:
            shape = shapes.get(name)
            if shape is None:
                raise UndeclaredMetricError(f"{node}: metric '{name}' is not declared by its kind")
            current = self.current
            period = current.get(node)
            if period is None:
                period = current[node] = _Period()
            if shape is _COUNT:
                counts = period.counts
                counts[name] = counts.get(name, 0.0) + value
            else:
                samples = period.samples.get(name)
                if samples is None:
                    period.samples[name] = [value]
                else:
                    samples.append(value)

        return emit

    def count_violation(self) -> None:
        self.violations += 1

    def close(self, t_s: float) -> None:
        """Close the period ending at ``t_s``: statistics for alarms, lines for the file,
        in real units (each datapoint ÷ its metric's divisor)."""
        snapshot: dict[str, dict[str, dict[str, float]]] = {}
        for node in sorted(self.current):
            period = self.current[node]
            shapes = self.shapes[node]
            divisors = self.divisors[node]
            stats: dict[str, dict[str, float]] = {}
            line: dict[str, Any] = {"node": node, "t_s": round(t_s, 3)}
            for name, shape in shapes.items():
                divisor = divisors[name]
                if shape is Shape.count:
                    value = period.counts.get(name, 0.0) / divisor
                    stats[name] = _flat(value)  # a node that published anything: 0, not missing
                    if value:
                        line[name] = _number(value)
                    continue
                samples = period.samples.get(name)
                if not samples:
                    continue
                values = sorted(samples) if divisor == 1.0 else sorted(v / divisor for v in samples)
                total = sum(values)
                p99 = percentile(values, 99)
                events = 1.0 if shape is Shape.gauge else self.traced_scale
                stats[name] = {  # a distribution's datapoints are events: as many as the calls
                    "Sum": total / events,
                    "SampleCount": len(values) / events,
                    "Average": total / len(values),
                    "Minimum": values[0],
                    "Maximum": values[-1],
                    "p99": values[-1] if p99 is None else p99,
                }
                if shape is Shape.gauge:
                    line[name] = round(total / len(values), 6)
                else:
                    line[name] = {
                        "avg": round(total / len(values), 3),
                        "max": round(values[-1], 3),
                        "n": len(values),
                        "p99": round(stats[name]["p99"], 3),
                    }
            snapshot[node] = stats
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
