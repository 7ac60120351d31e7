"""OTLP/JSON, as the OpenTelemetry Collector's ``otlpjsonfile`` receiver and ``file``
exporter read and write it: one ``TracesData`` / ``MetricsData`` object per line.

The OTLP/JSON rules that differ from plain proto3 JSON are kept: trace and span ids in hex
(32 and 16 digits), enums as integers, 64-bit integers as decimal strings, camelCase keys.
Each node is a resource (``service.name`` its id; ``cloud.provider``, ``cloud.region`` and
``cloud.resource_id``, its ARN, for AWS kinds). A span is the call as the node served it;
a span whose parent lies in another trace (a queue's consumer, started by a message) has
no parent there but a link to the span that sent it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from archgen.model.files import write_atomic
from archgen.model.kind import Shape, Unit
from archgen.runtime.export.common import (
    EPOCH_UNIX_S,
    EPOCH_US,
    ExportRun,
    Span,
    Traces,
    published,
    read_metric_lines,
    read_spans,
    span_id,
)

BATCH = 1000
"""Spans per line (one export request, as the Collector batches them)."""

SCOPE = {"name": "archgen"}

SPAN_KIND_SERVER = 2
SPAN_KIND_PRODUCER = 4
SPAN_KIND_CONSUMER = 5
STATUS_OK = 1
STATUS_ERROR = 2
DELTA = 1  # AGGREGATION_TEMPORALITY_DELTA: each point counts one period

UCUM = {
    Unit.count: "1",
    Unit.percent: "%",
    Unit.seconds: "s",
    Unit.milliseconds: "ms",
    Unit.microseconds: "us",
    Unit.bytes: "By",
    Unit.none: "",
}


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def any_value(value: Any) -> dict[str, Any]:
    """An ``AnyValue``: 64-bit integers as strings, non-finite doubles by name."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return {"doubleValue": value}
        return {
            "doubleValue": "NaN"
            if math.isnan(value)
            else ("Infinity" if value > 0 else "-Infinity")
        }
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": attributes(value)}}
    return {"stringValue": str(value)}


_PAIRS: dict[tuple[str, type, object], dict[str, Any]] = {}


def attributes(values: dict[str, Any]) -> list[dict[str, Any]]:
    """``KeyValue``s in key order; None values are left out (OTLP has no null). Pairs of a
    key and a plain value recur on most spans (flow, caller, journey): built once."""
    pairs = []
    for key in sorted(values):
        value = values[key]
        if value is None:
            continue
        if isinstance(value, str | bool):
            cached = _PAIRS.get((key, type(value), value))
            if cached is None:
                cached = {"key": key, "value": any_value(value)}
                if len(_PAIRS) < 100_000:
                    _PAIRS[(key, type(value), value)] = cached
            pairs.append(cached)
        else:
            pairs.append({"key": key, "value": any_value(value)})
    return pairs


def resource(run: ExportRun, node_id: str) -> dict[str, Any]:
    """A node as an OpenTelemetry resource (semantic-convention keys where they exist)."""
    node = run.nodes[node_id]
    values: dict[str, Any] = {
        "service.name": node.id,
        "service.namespace": run.model.system.id,
        "archgen.kind": node.kind,
        "archgen.scenario": run.scenario,
        "archgen.seed": run.seed,
    }
    if node.aws:
        values["cloud.provider"] = "aws"
        values["cloud.account.id"] = run.model.system.account_id
        if node.region:
            values["cloud.region"] = node.region
        values["cloud.resource_id"] = node.arn
    return {"attributes": attributes(values)}


def _nanos(us: int) -> str:
    return str((EPOCH_US + us) * 1000)


def span_json(run: ExportRun, traces: Traces, span: Span) -> dict[str, Any]:
    """One ``Span``; a hand-off from another trace becomes a link, not a parent."""
    handoff = traces.handoff(span)
    edge = run.model.edge(span.source, span.node)
    if handoff is not None:
        kind = SPAN_KIND_CONSUMER
    elif edge is not None and edge.is_async:
        kind = SPAN_KIND_PRODUCER
    else:
        kind = SPAN_KIND_SERVER
    values: dict[str, Any] = dict(span.attrs)
    values.update(
        {
            "peer.service": span.source,
            "archgen.flow": span.flow,
            "archgen.journey": span.journey,
            "archgen.session": span.session,
            "archgen.step": span.step,
            "archgen.span": f"s{span.span:09d}",
            "archgen.trace": f"t{span.trace:08d}",
            "error.type": span.error,
        }
    )
    record: dict[str, Any] = {
        "traceId": run.trace_id(span.trace),
        "spanId": span_id(span.span),
    }
    if span.parent is not None and handoff is None:
        record["parentSpanId"] = span_id(span.parent)
    record.update(
        {
            "name": span.op,
            "kind": kind,
            "startTimeUnixNano": _nanos(span.start_us),
            "endTimeUnixNano": _nanos(span.end_us),
            "attributes": attributes(values),
        }
    )
    if handoff is not None and span.parent is not None:
        record["links"] = [
            {
                "traceId": run.trace_id(handoff),
                "spanId": span_id(span.parent),
                "attributes": attributes({"archgen.link": "hand-off"}),
            }
        ]
    if span.status == "ok":
        record["status"] = {"code": STATUS_OK}
    else:
        record["status"] = {"code": STATUS_ERROR, "message": span.error or span.status}
    return record


def trace_lines(run: ExportRun) -> Iterator[str]:
    """``TracesData`` lines of up to :data:`BATCH` spans, each grouped by node."""
    traces = Traces(run.folder)
    order = {node: index for index, node in enumerate(run.nodes)}
    resources = {node: resource(run, node) for node in run.nodes}
    batch: list[Span] = []

    def line() -> str:
        by_node: dict[str, list[dict[str, Any]]] = {}
        for span in batch:
            by_node.setdefault(span.node, []).append(span_json(run, traces, span))
        return (
            _dumps(
                {
                    "resourceSpans": [
                        {
                            "resource": resources[node],
                            "scopeSpans": [{"scope": SCOPE, "spans": by_node[node]}],
                        }
                        for node in sorted(by_node, key=order.__getitem__)
                    ]
                }
            )
            + "\n"
        )

    for span in read_spans(run.folder):
        batch.append(span)
        if len(batch) == BATCH:
            yield line()
            batch.clear()
    if batch:
        yield line()


def _number(value: float) -> dict[str, Any]:
    if isinstance(value, int):
        return {"asInt": str(value)}
    return {"asDouble": value}


def metric_lines(run: ExportRun) -> Iterator[str]:
    """One ``MetricsData`` line per node that published: its CloudWatch metrics, counts as
    delta sums, levels as gauges, per-call figures (latencies) as summaries."""
    by_node: dict[str, list[dict[str, Any]]] = {}
    for line in read_metric_lines(run.folder):
        by_node.setdefault(line["node"], []).append(line)
    period_us = round(run.period_s * 1_000_000)
    for node_id, info in run.nodes.items():
        lines = by_node.get(node_id)
        if not lines:
            continue
        metrics = []
        for spec in published(info.metrics, lines):
            points = []
            for line in lines:
                end_us = round(line["t_s"] * 1_000_000)
                times = {
                    "startTimeUnixNano": _nanos(max(end_us - period_us, 0)),
                    "timeUnixNano": _nanos(end_us),
                }
                value = line.get(spec.name)
                if spec.shape is Shape.count:
                    points.append({**times, **_number(value or 0)})
                elif value is None:
                    continue
                elif spec.shape is Shape.gauge:
                    points.append({**times, **_number(value)})
                else:
                    points.append(
                        {
                            **times,
                            "count": str(value["n"]),
                            "sum": round(value["avg"] * value["n"], 6),
                            "quantileValues": [
                                {"quantile": 0.99, "value": value["p99"]},
                                {"quantile": 1.0, "value": value["max"]},
                            ],
                        }
                    )
            if not points:
                continue
            data: dict[str, Any]
            if spec.shape is Shape.count:
                field = "sum"
                data = {"dataPoints": points, "aggregationTemporality": DELTA, "isMonotonic": True}
            elif spec.shape is Shape.gauge:
                field, data = "gauge", {"dataPoints": points}
            else:
                field, data = "summary", {"dataPoints": points}
            metrics.append(
                {
                    "name": spec.name,
                    "description": spec.counts,
                    "unit": UCUM[spec.unit],
                    field: data,
                }
            )
        if not metrics:
            continue
        scope = {"name": info.metrics.namespace or SCOPE["name"]}
        yield (
            _dumps(
                {
                    "resourceMetrics": [
                        {
                            "resource": resource(run, node_id),
                            "scopeMetrics": [{"scope": scope, "metrics": metrics}],
                        }
                    ]
                }
            )
            + "\n"
        )


def write(run: ExportRun) -> None:
    write_atomic(run.folder / "traces.otlp.jsonl", trace_lines(run))
    write_atomic(run.folder / "metrics.otlp.jsonl", metric_lines(run))


__all__ = ["EPOCH_UNIX_S", "metric_lines", "trace_lines", "write"]
