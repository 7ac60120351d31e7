"""``--export perfetto`` is Chrome trace-event JSON as Perfetto UI opens it, checked by its
structure: Perfetto's own loader (the ``perfetto`` package's trace processor) downloads a
binary when it starts, which tests may not do."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.export.conftest import handoffs


@pytest.fixture(scope="module")
def trace(run_folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_folder / "trace.perfetto.json").read_text())
    return data


def test_a_complete_event_per_span_on_lanes_that_never_overlap(
    trace: dict[str, Any], spans: list[dict[str, Any]]
) -> None:
    assert trace["displayTimeUnit"] == "ms"
    assert trace["otherData"] == {"model": "tiny-jobs", "scenario": "steady", "seed": "5"}
    events = trace["traceEvents"]
    assert {event["ph"] for event in events} == {"M", "X", "s", "f", "C"}
    slices = [event for event in events if event["ph"] == "X"]
    assert len(slices) == len(spans) == 2895
    names = {
        event["pid"]: event["args"]["name"]
        for event in events
        if event["ph"] == "M" and event["name"] == "process_name"
    }
    assert sorted(names.values()) == [
        "api (lambda, eu-west-1)",
        "events (sns, eu-west-1)",
        "jobs (sqs, eu-west-1)",
        "jobs-dlq (sqs, eu-west-1)",
        "mail (external)",
        "sms (external)",
        "store (external)",
        "worker (lambda, eu-west-1)",
    ]
    threads = {
        (event["pid"], event["tid"])
        for event in events
        if event["ph"] == "M" and event["name"] == "thread_name"
    }
    lanes: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    by_span = {span["span"]: span for span in spans}
    for event in slices:
        span = by_span[event["args"]["span"]]
        assert names[event["pid"]].split(" ")[0] == span["node"]
        assert event["name"] == span["op"]
        assert event["ts"] == round(span["start_ms"] * 1000)
        assert event["dur"] == round(span["end_ms"] * 1000) - event["ts"] >= 0
        assert isinstance(event["tid"], int)
        assert event["tid"] >= 1
        lanes[(event["pid"], event["tid"])].append((event["ts"], event["ts"] + event["dur"]))
    assert set(lanes) == threads
    for intervals in lanes.values():
        intervals.sort()
        for (_, end), (start, _) in pairwise(intervals):
            assert end <= start  # slices of one thread must nest; these never overlap


def test_hand_offs_are_flow_arrows_between_slices(
    trace: dict[str, Any], spans: list[dict[str, Any]]
) -> None:
    events = trace["traceEvents"]
    slices = [event for event in events if event["ph"] == "X"]
    starts = [event for event in events if event["ph"] == "s"]
    finishes = {event["id"]: event for event in events if event["ph"] == "f"}
    assert len(starts) == len(finishes) == len(handoffs(spans)) == 262

    def enclosing(event: dict[str, Any]) -> dict[str, Any]:
        (found,) = [
            s
            for s in slices
            if (s["pid"], s["tid"]) == (event["pid"], event["tid"])
            and s["ts"] <= event["ts"] <= s["ts"] + s["dur"]
        ]
        return found

    for start in starts[:40]:
        finish = finishes[start["id"]]
        assert finish["bp"] == "e"
        sender, consumer = enclosing(start), enclosing(finish)
        assert consumer["ts"] == finish["ts"]
        assert (sender["name"], consumer["name"]) == ("SendMessage", "Invoke")
        assert consumer["args"]["parent"] == sender["args"]["span"]
        assert consumer["args"]["trace"] != sender["args"]["trace"]


def test_counts_and_levels_are_counter_tracks(trace: dict[str, Any]) -> None:
    counters = [event for event in trace["traceEvents"] if event["ph"] == "C"]
    assert len(counters) == 58  # 29 per period: every count, every level
    assert all(set(event["args"]) == {"value"} for event in counters)
    assert {event["ts"] for event in counters} == {60_000_000, 120_000_000}
