"""What every export shares: the run's clock on the wall clock, stable ids, the spans and
metric lines read back, cross-trace hand-offs, and what each node is."""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from archgen.model.kind import Metrics, MetricSpec
from archgen.model.registry import kinds
from archgen.model.schema import Model
from archgen.runtime.aws.arns import arn_of, region_code

EPOCH_UNIX_S = 1_767_225_600
"""Simulated time 0 on the wall clock (2026-01-01T00:00:00Z): tools want absolute times,
and a fixed anchor keeps exports byte-identical from one run to the next."""

EPOCH_US = EPOCH_UNIX_S * 1_000_000


@dataclass(frozen=True, slots=True)
class Span:
    """A line of ``spans.jsonl``; ids as numbers, times in µs since the run started."""

    trace: int
    span: int
    parent: int | None
    node: str
    source: str
    op: str
    start_us: int
    end_us: int
    status: str
    error: str | None
    flow: str | None
    journey: str | None
    session: int
    step: int | None
    attrs: dict[str, Any]


def _us(ms: float) -> int:
    return round(ms * 1000)


def read_spans(folder: Path, only: set[int] | None = None) -> Iterator[Span]:
    """The run's spans in file order (the order calls finished); with ``only``, those of
    these traces (the others are not parsed)."""
    with (folder / "spans.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            if only is not None and int(_field(line, '"trace": "t', '"')) not in only:
                continue
            record = json.loads(line)
            parent = record["parent"]
            yield Span(
                int(record["trace"][1:]),
                int(record["span"][1:]),
                None if parent is None else int(parent[1:]),
                record["node"],
                record["from"],
                record["op"],
                _us(record["start_ms"]),
                _us(record["end_ms"]),
                record["status"],
                record["error"],
                record["flow"],
                record["journey"],
                record["session"],
                record["step"],
                record["attrs"],
            )


def _field(line: str, key: str, stop: str) -> str:
    """The raw value of ``key``, one of the keys after ``op`` (span ids, numbers, status):
    their values are never free text, so the last occurrence is the key itself."""
    begin = line.rindex(key) + len(key)
    return line[begin : line.index(stop, begin)]


def scan_spans(folder: Path) -> Iterator[tuple[int, int, int, int, int, bool, str | None]]:
    """``(span, parent or 0, trace, start µs, end µs, ok, flow)`` of each span, read by
    slicing the line rather than parsing it: several times faster than :func:`read_spans`
    on runs of millions of spans. It relies on the layout :class:`~archgen.runtime.trace.
    SpanSink` writes (sorted keys; ``attrs`` first, free text only before ``parent``)."""
    with (folder / "spans.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            parent = _field(line, '"parent": ', ",")
            at = line.rindex('"end_ms": ')
            flow_at = line.index('"flow": ', at) + 8
            flow = (
                None
                if line.startswith("null", flow_at)
                else line[flow_at + 1 : line.index('"', flow_at + 1)]
            )
            yield (
                int(_field(line, '"span": "s', '"')),
                0 if parent == "null" else int(parent[2:-1]),
                int(_field(line, '"trace": "t', '"')),
                _us(float(_field(line, '"start_ms": ', ","))),
                _us(float(line[at + 10 : line.index(",", at)])),
                _field(line, '"status": "', '"') == "ok",
                flow,
            )


def published(metrics: Metrics, lines: list[dict[str, Any]]) -> list[MetricSpec]:
    """The metrics a node publishes: its kind's, less the sparse ones none of its periods
    reported (AWS publishes nothing for a feature the node does not use)."""
    seen = {name for line in lines for name in line}
    return [spec for spec in metrics.metrics if not spec.sparse or spec.name in seen]


def read_metric_lines(folder: Path) -> list[dict[str, Any]]:
    """The lines of ``metrics.jsonl``: one per node per closed period."""
    text = (folder / "metrics.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


class Traces:
    """Which trace each span belongs to, to tell a parent in the same trace from an
    asynchronous hand-off (a message whose consumer starts a trace of its own)."""

    def __init__(self, folder: Path) -> None:
        self._trace = array("q")
        for span, _, trace, *_ in scan_spans(folder):
            if span >= len(self._trace):
                self._trace.extend([0] * (span + 1 - len(self._trace)))
            self._trace[span] = trace

    def of(self, span: int) -> int:
        """The trace of ``span``; 0 when the run did not finish it."""
        return self._trace[span] if span < len(self._trace) else 0

    def handoff(self, span: Span) -> int | None:
        """The trace of ``span``'s parent when that is another trace (a hand-off), else None."""
        if span.parent is None:
            return None
        trace = self.of(span.parent)
        return trace if trace and trace != span.trace else None


@dataclass(frozen=True)
class NodeInfo:
    """What a node is, for resource attributes, process names and metric labels."""

    id: str
    kind: str
    region: str
    arn: str | None
    aws: bool
    metrics: Metrics


@dataclass(frozen=True)
class ExportRun:
    """A finished run folder and what the exports name it by."""

    model: Model
    scenario: str
    seed: int
    folder: Path
    period_s: float

    @cached_property
    def key(self) -> int:
        """64 bits naming the run (model, scenario, seed): the high half of its trace ids,
        so traces of different runs never collide in one backend."""
        text = f"{self.model.system.id}\0{self.scenario}\0{self.seed}".encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")

    def trace_id(self, trace: int) -> str:
        """32 hex digits: the run's key, then the trace number."""
        return f"{self.key:016x}{trace:016x}"

    @cached_property
    def nodes(self) -> dict[str, NodeInfo]:
        """Every node of the model, in model order."""
        registered = kinds()
        infos: dict[str, NodeInfo] = {}
        for node in self.model.nodes:
            spec = registered[node.kind]
            infos[node.id] = NodeInfo(
                node.id,
                node.kind,
                region_code(self.model, node),
                arn_of(self.model, node),
                spec.arn is not None,
                spec.metrics,
            )
        return infos


def span_id(span: int) -> str:
    """16 hex digits (span numbers start at 1, so never the invalid all-zero id)."""
    return f"{span:016x}"


def snake(name: str) -> str:
    """``NumberOfMessagesSent`` → ``number_of_messages_sent``, ``HTTPCode_ELB_4XX_Count`` →
    ``http_code_elb_4xx_count``: AWS's metric names as Prometheus spells names."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
