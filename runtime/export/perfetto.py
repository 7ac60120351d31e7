"""Chrome trace-event JSON, which Perfetto UI (ui.perfetto.dev) and ``chrome://tracing``
open: a process per node, threads as lanes, a slice per call.

Calls a node serves at once overlap, and slices of one thread must nest, so each node's
calls are laid on lanes (the lowest lane free at the call's start). A hand-off from another
trace (a message and the consumer it started) is drawn as a flow arrow; each node's
CloudWatch counts and levels are counter tracks. Times are µs since the run started.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from archgen.model.files import write_atomic
from archgen.model.kind import Shape
from archgen.runtime.export.common import (
    ExportRun,
    Span,
    Traces,
    published,
    read_metric_lines,
    read_spans,
)

FILE = "trace.perfetto.json"


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def lanes(spans: list[Span]) -> dict[int, int]:
    """Span → lane (1, 2, …) on its node, so slices on one lane never overlap."""
    lane_of: dict[int, int] = {}
    free_at: dict[str, list[int]] = {}  # node → end of the last slice on each lane
    for span in sorted(spans, key=lambda s: (s.start_us, -s.end_us, s.span)):
        ends = free_at.setdefault(span.node, [])
        for index, end in enumerate(ends):
            if end <= span.start_us:
                ends[index] = span.end_us
                lane_of[span.span] = index + 1
                break
        else:
            ends.append(span.end_us)
            lane_of[span.span] = len(ends)
    return lane_of


def events(run: ExportRun) -> Iterator[dict[str, Any]]:
    """Metadata, then slices in start order, flows, and counters."""
    spans = list(read_spans(run.folder))
    metric_lines = read_metric_lines(run.folder)
    traces = Traces(run.folder)
    lane_of = lanes(spans)
    pid = {node: index + 1 for index, node in enumerate(run.nodes)}
    lanes_used: dict[str, int] = {line["node"]: 0 for line in metric_lines}
    for span in spans:
        lanes_used[span.node] = max(lanes_used.get(span.node, 0), lane_of[span.span])
    for node, info in run.nodes.items():
        if node not in lanes_used:
            continue  # nothing happened there: no empty process in the UI
        label = f"{node} ({info.kind}{', ' + info.region if info.region else ''})"
        yield {"ph": "M", "name": "process_name", "pid": pid[node], "args": {"name": label}}
        yield {
            "ph": "M",
            "name": "process_sort_index",
            "pid": pid[node],
            "args": {"sort_index": pid[node]},
        }
        for lane in range(1, lanes_used[node] + 1):
            yield {
                "ph": "M",
                "name": "thread_name",
                "pid": pid[node],
                "tid": lane,
                "args": {"name": f"lane {lane}"},
            }
    by_span = {span.span: span for span in spans}
    spans.sort(key=lambda s: (s.start_us, s.span))
    for span in spans:
        args: dict[str, Any] = {
            "trace": f"t{span.trace:08d}",
            "span": f"s{span.span:09d}",
            "parent": None if span.parent is None else f"s{span.parent:09d}",
            "from": span.source,
            "status": span.status,
            "error": span.error,
            "flow": span.flow,
            "step": span.step,
            "session": span.session,
        }
        if span.attrs:
            args["attrs"] = span.attrs
        yield {
            "ph": "X",
            "name": span.op,
            "cat": span.status,
            "pid": pid[span.node],
            "tid": lane_of[span.span],
            "ts": span.start_us,
            "dur": span.end_us - span.start_us,
            "args": args,
        }
    for span in spans:
        if traces.handoff(span) is None or span.parent is None:
            continue
        sender = by_span[span.parent]
        common = {"name": "hand-off", "cat": "hand-off", "id": span.span}
        yield {
            **common,
            "ph": "s",
            "pid": pid[sender.node],
            "tid": lane_of[sender.span],
            "ts": sender.start_us,
        }
        yield {
            **common,
            "ph": "f",
            "bp": "e",
            "pid": pid[span.node],
            "tid": lane_of[span.span],
            "ts": span.start_us,
        }
    by_node: dict[str, list[dict[str, Any]]] = {}
    for line in metric_lines:
        by_node.setdefault(line["node"], []).append(line)
    specs = {node: published(run.nodes[node].metrics, lines) for node, lines in by_node.items()}
    for line in metric_lines:
        info = run.nodes[line["node"]]
        ts = round(line["t_s"] * 1_000_000)
        for spec in specs[line["node"]]:
            value = line.get(spec.name)
            if spec.shape is Shape.count:
                value = value or 0
            elif spec.shape is not Shape.gauge or value is None:
                continue
            yield {
                "ph": "C",
                "name": spec.name,
                "pid": pid[info.id],
                "ts": ts,
                "args": {"value": value},
            }


def chunks(run: ExportRun) -> Iterator[str]:
    """The file, one event per line (readable, and streamed rather than built whole)."""
    header = {
        "displayTimeUnit": "ms",
        "otherData": {
            "model": run.model.system.id,
            "scenario": run.scenario,
            "seed": str(run.seed),
        },
    }
    yield _dumps(header)[:-1] + ',"traceEvents":[\n'
    first = True
    for event in events(run):
        yield ("" if first else ",\n") + _dumps(event)
        first = False
    yield "\n]}\n"


def write(run: ExportRun) -> None:
    write_atomic(run.folder / FILE, chunks(run))
