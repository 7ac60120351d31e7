"""One real request per flow, to draw beside the flow's declared sequence.

Per flow, among its executions whose trace is complete (every call it made finished within
the run) and went without an error, the one whose duration (first call's start to last
call's end) is closest to their median; ties go to the earliest trace. The spans are read
in two passes over ``spans.jsonl`` with a few bytes of state per span and per trace, so
a run of millions of spans costs seconds, not gigabytes.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path

from archgen.runtime.export.common import Span, read_spans, scan_spans


@dataclass(frozen=True)
class TracedCall:
    """One call of a traced request, times in ms since the request's first call."""

    source: str
    target: str
    op: str
    start_ms: float
    end_ms: float
    handoff: bool
    """Started by a message another trace sent (its parent lies in that trace)."""


@dataclass(frozen=True)
class TracedRequest:
    flow: str
    trace: str
    duration_ms: float
    candidates: int
    """Successful, complete executions it was chosen among."""
    calls: tuple[TracedCall, ...]


def _grow(values: array[int], size: int, fill: int) -> None:
    if size > len(values):
        values.extend([fill] * (size - len(values)))


def representative_requests(folder: Path) -> dict[str, TracedRequest]:
    """Flow id → its representative request in the run folder (flows with a successful,
    complete execution only)."""
    trace_of = array("q")  # span → trace
    lines = array("q")  # per line: span, parent (0: none), trace
    start = array("q")  # per trace: first start (µs)
    end = array("q")  # per trace: last end (µs)
    failed = array("b")  # per trace: an error or a mixed flow
    flow_of = array("q")  # per trace: flow index + 1 (0: none yet)
    flows: dict[str, int] = {}
    for span, parent, t, begin, finish, ok, flow in scan_spans(folder):
        _grow(trace_of, span + 1, 0)
        trace_of[span] = t
        lines.extend((span, parent, t))
        if t >= len(start):
            _grow(start, t + 1, -1)
            _grow(end, t + 1, -1)
            _grow(failed, t + 1, 0)
            _grow(flow_of, t + 1, 0)
        start[t] = begin if start[t] < 0 else min(start[t], begin)
        end[t] = max(end[t], finish)
        if not ok:
            failed[t] = 1
        if flow is not None:
            index = flows.setdefault(flow, len(flows)) + 1
            if flow_of[t] not in (0, index):
                failed[t] = 1  # two flows in one trace: not one flow's request
            flow_of[t] = index
    for i in range(0, len(lines), 3):
        parent = lines[i + 1]
        if parent and (parent >= len(trace_of) or trace_of[parent] == 0):
            failed[lines[i + 2]] = 1  # its parent call never finished: incomplete
    names = {index + 1: flow for flow, index in flows.items()}
    durations: dict[str, list[tuple[int, int]]] = {}
    for t in range(len(flow_of)):
        if flow_of[t] and not failed[t]:
            durations.setdefault(names[flow_of[t]], []).append((end[t] - start[t], t))
    chosen: dict[int, tuple[str, int]] = {}
    for flow, pairs in durations.items():
        values = sorted(duration for duration, _ in pairs)
        median = values[(len(values) - 1) // 2]
        _, t = min(pairs, key=lambda pair: (abs(pair[0] - median), pair[1]))
        chosen[t] = (flow, len(pairs))
    spans: dict[int, list[Span]] = {t: [] for t in chosen}
    for record in read_spans(folder, only=set(chosen)):
        spans[record.trace].append(record)
    requests = {}
    for t, (flow, candidates) in chosen.items():
        own = sorted(spans[t], key=lambda s: (s.start_us, s.span))
        origin = start[t]
        calls = tuple(
            TracedCall(
                s.source,
                s.node,
                s.op,
                (s.start_us - origin) / 1000,
                (s.end_us - origin) / 1000,
                s.parent is not None and trace_of[s.parent] != t,
            )
            for s in own
        )
        requests[flow] = TracedRequest(
            flow, f"t{t:08d}", (end[t] - start[t]) / 1000, candidates, calls
        )
    return dict(sorted(requests.items()))
