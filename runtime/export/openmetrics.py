"""OpenMetrics text with timestamps, for ``promtool tsdb create-blocks-from openmetrics``
(backfilling Prometheus) or any OpenMetrics reader.

Each CloudWatch metric of a kind becomes families named after its namespace and name
(``AWS/Lambda`` ``Invocations`` → ``aws_lambda_invocations``), labelled by node. Counts are
counters, running totals over the periods; levels are gauges; per-call figures (latencies)
are, as the CloudWatch exporter spells statistics, gauges of the period's average, maximum
and p99 (``aws_lambda_duration_p99_seconds``) and a counter of the calls measured
(``…_samples_total``). Every point is one sample, so no reader has to regroup a summary's
samples by time. Times convert to seconds, as OpenMetrics wants a base unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from archgen.model.files import write_atomic
from archgen.model.kind import MetricSpec, Shape, Unit
from archgen.runtime.export.common import (
    EPOCH_UNIX_S,
    ExportRun,
    published,
    read_metric_lines,
    snake,
)

FILE = "metrics.openmetrics.txt"

SCALE = {Unit.seconds: 1.0, Unit.milliseconds: 1e-3, Unit.microseconds: 1e-6}
"""Units turned into seconds (the family gets the ``seconds`` unit)."""

STATISTICS = (("avg", "average"), ("max", "maximum"), ("p99", "p99"))
"""A distribution's figures in ``metrics.jsonl`` → the statistic in the family name."""
STATISTIC_TITLES = {"average": "Average", "maximum": "Maximum", "p99": "p99"}


@dataclass
class Family:
    name: str
    type: str
    unit: str
    help: str
    lines: list[str] = field(default_factory=list)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(round(value, 9))


def _unit(spec: MetricSpec) -> str:
    if spec.unit in SCALE:
        return "seconds"
    if spec.unit is Unit.bytes:
        return "bytes"
    return "percent" if spec.unit is Unit.percent else ""


class _Families:
    def __init__(self) -> None:
        self.found: dict[str, Family] = {}
        self.owner: dict[str, str] = {}

    def get(self, kind: str, namespace: str, spec: MetricSpec, statistic: str = "") -> Family:
        """The family of ``spec`` (and ``statistic``); two kinds that would share a name
        with different meanings are kept apart by the kind's name."""
        unit = "" if statistic == "samples" else _unit(spec)
        base = f"{snake(namespace) or 'archgen'}_{snake(spec.name)}"
        if self.owner.setdefault(base, kind) != kind:
            base = f"{base}_{snake(kind)}"
        name = "_".join(part for part in (base, statistic, unit) if part)
        if spec.shape is Shape.count or statistic == "samples":
            kind_of_family = "counter"
        else:
            kind_of_family = "gauge"
        described = spec.counts
        if statistic == "samples":
            described = f"How many were measured (running total) of: {spec.counts}"
        elif statistic:
            described = f"{STATISTIC_TITLES[statistic]} over each period of: {spec.counts}"
        return self.found.setdefault(name, Family(name, kind_of_family, unit, described))


def families(run: ExportRun) -> list[Family]:
    """Families in name order, each with its samples (node by node, in time order)."""
    table = _Families()
    by_node: dict[str, list[dict[str, Any]]] = {}
    for line in read_metric_lines(run.folder):
        by_node.setdefault(line["node"], []).append(line)
    for node_id, info in run.nodes.items():
        lines = by_node.get(node_id)
        if not lines:
            continue
        labels = f'node="{_label(node_id)}",kind="{_label(info.kind)}"'
        if info.region:
            labels += f',region="{_label(info.region)}"'
        namespace = info.metrics.namespace
        for spec in published(info.metrics, lines):
            scale = SCALE.get(spec.unit, 1.0)
            if spec.shape is Shape.count:
                family = table.get(info.kind, namespace, spec)
                total: float = 0
                for line in lines:
                    total += line.get(spec.name) or 0
                    family.lines.append(
                        f"{family.name}_total{{{labels}}} {_number(total)} {_at(line)}"
                    )
            elif spec.shape is Shape.gauge:
                family = table.get(info.kind, namespace, spec)
                for line in lines:
                    value = line.get(spec.name)
                    if value is not None:
                        family.lines.append(
                            f"{family.name}{{{labels}}} {_number(value * scale)} {_at(line)}"
                        )
            else:
                counted = table.get(info.kind, namespace, spec, "samples")
                measured = 0
                for line in lines:
                    figures = line.get(spec.name)
                    if figures is None:
                        continue
                    measured += figures["n"]
                    counted.lines.append(f"{counted.name}_total{{{labels}}} {measured} {_at(line)}")
                for key, statistic in STATISTICS:
                    family = table.get(info.kind, namespace, spec, statistic)
                    for line in lines:
                        figures = line.get(spec.name)
                        if figures is not None:
                            value = figures[key] * scale
                            family.lines.append(
                                f"{family.name}{{{labels}}} {_number(value)} {_at(line)}"
                            )
    return [table.found[name] for name in sorted(table.found)]


def _at(line: dict[str, Any]) -> str:
    return f"{EPOCH_UNIX_S + line['t_s']:.3f}"


def chunks(run: ExportRun) -> Iterator[str]:
    for family in families(run):
        if not family.lines:
            continue
        yield f"# TYPE {family.name} {family.type}\n"
        if family.unit:
            yield f"# UNIT {family.name} {family.unit}\n"
        yield f"# HELP {family.name} {family.help.replace(chr(92), chr(92) * 2)}\n"
        yield "".join(line + "\n" for line in family.lines)
    yield "# EOF\n"


def write(run: ExportRun) -> None:
    write_atomic(run.folder / FILE, chunks(run))
