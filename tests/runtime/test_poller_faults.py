"""Faults on a function fed by an SQS event source act on its pollers' batches, which no
call dispatches to it: a throttling fault refuses its share of them (throttles, throttled
batches, messages back after the visibility timeout), an outage stops the pollers. Shown on
the photo-sharing model (an unrelated architecture: a thumbnailer consumes a job queue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario

PHOTOS = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"
CRASH = "      - {type: consumer_crash, target: thumbnailer, start_s: 120, end_s: 240}\n"


def _run(fault: str, out: Path | None = None) -> RunResult:
    text = PHOTOS.read_text(encoding="utf-8")
    assert text.count(CRASH) == 1
    model = load_model_text(text.replace(CRASH, fault), "photo-sharing.yaml").model
    return run_scenario(model, "thumbnailer-down", duration_s=360, keep_spans=True, out=out)


def _function(result: RunResult) -> tuple[dict[str, Any], dict[str, Any]]:
    node = result.summary["nodes"]["thumbnailer"]
    return node["function"], node["consumer"]


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    fault = "      - {type: throttling, target: thumbnailer, rate: 0.9, start_s: 120, end_s: 240}\n"
    return _run(fault, tmp_path_factory.mktemp("throttled") / "run")


def test_a_throttling_fault_refuses_its_share_of_the_batches(throttled: RunResult) -> None:
    function, consumer = _function(throttled)
    assert function["throttles"] == consumer["throttled_batches"]
    # 90 % of the batches asked for in the two minutes (a refused poller asks again a
    # second later, and a refused batch's messages come back a minute later).
    assert consumer["throttled_batches"] > 100
    assert function["invocations"] == consumer["batches"] - consumer["throttled_batches"]
    assert throttled.out is not None
    with (throttled.out / "metrics.jsonl").open(encoding="utf-8") as stream:
        lines = [json.loads(line) for line in stream]
    mine = [line for line in lines if line["node"] == "thumbnailer"]
    assert sum(line.get("Throttles", 0) for line in mine) == function["throttles"]
    assert {line["t_s"] for line in mine if line.get("Throttles")} <= {120.0, 180.0, 240.0}
    queue = throttled.summary["nodes"]["thumbnail-jobs"]["queue"]
    assert queue["redelivered"] > 0  # the refused batches' messages came back
    books = throttled.summary["pipeline"]["queues"]["thumbnail-jobs"]
    assert books["lost"] == 0
    assert books["sent"] == books["processed"] + books["in_dlq"] + books["in_queue"]


def test_without_the_fault_nothing_is_throttled() -> None:
    fault = "      - {type: latency, target: thumbnail-jobs, start_s: 120, added_latency_ms: 1}\n"
    result = _run(fault)
    function, consumer = _function(result)
    assert (function["throttles"], consumer["throttled_batches"]) == (0, 0)
    assert result.summary["nodes"]["thumbnail-jobs"]["queue"]["redelivered"] == 0


def test_an_outage_stops_the_pollers_until_it_ends() -> None:
    result = _run("      - {type: node_outage, target: thumbnailer, start_s: 120, end_s: 240}\n")
    polls = [
        span["start_ms"]
        for span in result.spans
        if span["from"] == "thumbnailer" and span["op"] == "ReceiveMessage" and span["step"] is None
    ]  # the pollers' receives (the flow's own ReceiveMessage steps are the batch's work)
    # A long poll begun before the outage may still answer in its first 20 s; none starts
    # from then until the end (a waiting poller looks again every second).
    assert not [t for t in polls if 121_000 <= t < 240_000]
    assert [t for t in polls if 240_000 <= t < 242_000]
    books = result.summary["pipeline"]["queues"]["thumbnail-jobs"]
    assert (books["lost"], books["in_dlq"]) == (0, 0)
    # The messages whose work was in hand at 120 s make no more calls: their work fails,
    # and they come back once their visibility timeout has passed, to be processed then.
    cut = [
        span
        for span in result.spans
        if span["from"] == "thumbnailer"
        and span["error"] == "ServiceUnavailable"
        and span["start_ms"] >= 120_000
    ]
    assert len(cut) == 5
    assert all(span["start_ms"] < 240_000 for span in cut)
    assert result.summary["nodes"]["thumbnail-jobs"]["queue"]["redelivered"] == 5


def test_a_latency_fault_slows_the_batches_code() -> None:
    """A latency fault on a queue-fed function makes each batch's code slower: the batch
    holds its concurrency (and is billed) that much longer, so more run at once and the
    pollers scale out; each batch's span carries the delay once."""
    slow = (
        "      - {type: latency, target: thumbnailer, added_latency_ms: 5000,"
        " start_s: 120, end_s: 240}\n"
    )
    fast = slow.replace("5000", "1")
    result, calm = _run(slow), _run(fast)
    (function, consumer), (calm_function, calm_consumer) = _function(result), _function(calm)
    assert function["peak_concurrency"] >= 3 * calm_function["peak_concurrency"]
    assert consumer["peak_pollers"] > calm_consumer["peak_pollers"]
    assert function["billed_ms"] > calm_function["billed_ms"] + 100 * 5000
    assert result.spans is not None
    inside = [
        span["end_ms"] - span["start_ms"]
        for span in result.spans
        if span["node"] == "thumbnailer"
        and span["op"] == "Invoke"
        and 125_000 < span["start_ms"] < 235_000
    ]
    assert inside
    assert all(5000 < ms < 10_000 for ms in inside)  # the delay once, not twice
