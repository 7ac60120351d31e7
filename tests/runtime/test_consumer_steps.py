"""A Lambda consumer's declared ReceiveMessage / DeleteMessage steps stand for its event
source mapping's calls: the pollers receive and delete (Lambda Developer Guide, "Using
Lambda with Amazon SQS"), the function's code does not. The steps stay in the trace (the
flow happens as declared) but are no second round trip and no second charge: the queue's
calls and bill count the pollers' requests and the producers' sends only.

Before the fix the tutorial's notifier doubled them: 290 messages, ReceiveMessage n=580,
DeleteMessage n=580, ``sqs.standard.request`` 1,450."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model
from archgen.runtime.session import run_scenario

ROOT = Path(__file__).parents[2]
TUTORIAL = ROOT / "site" / "docs" / "guide" / "tutorial" / "05-operations.yaml"
PHOTOS = ROOT / "tests" / "models" / "photo-sharing.yaml"
STEP_OPS = ("ReceiveMessage", "DeleteMessage")


def _run(path: Path, scenario: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    result = run_scenario(load_model(path).model, scenario, duration_s=120, keep_spans=True)
    return result.summary, [dict(span) for span in result.spans]


def _split(spans: list[dict[str, Any]], queue: str) -> tuple[list[Any], list[Any]]:
    """The queue's receive/delete spans: the flows' declared steps, the pollers' calls."""
    at_queue = [s for s in spans if s["node"] == queue and s["op"] in STEP_OPS]
    return [s for s in at_queue if s["step"] is not None], [
        s for s in at_queue if s["step"] is None
    ]


def test_the_tutorial_consumer_pays_one_receive_and_one_delete_per_batch() -> None:
    summary, _ = _run(TUTORIAL, "weekday")
    queue = summary["nodes"]["scan-events"]
    assert {op: c["n"] for op, c in queue["calls"].items()} == {
        "SendMessage": 290,
        "ReceiveMessage": 290,  # 580 before: the flow's step counted as a second receive
        "DeleteMessage": 290,  # 580 before
    }
    assert queue["callers"] == {"notifier": 580, "scan-api": 290}
    (line,) = summary["cost"]["nodes"]["scan-events"]["lines"]
    assert (line["item"], line["quantity"]) == ("sqs.standard.request", 870.0)  # was 1,450
    assert summary["nodes"]["notifier"]["consumer"]["batches"] == 290


@pytest.mark.parametrize(
    ("path", "scenario", "queue", "consumer"),
    [
        (TUTORIAL, "weekday", "scan-events", "notifier"),
        (PHOTOS, "quiet-evening", "thumbnail-jobs", "thumbnailer"),
    ],
)
def test_declared_steps_stay_in_the_trace_and_only_the_pollers_calls_count(
    path: Path, scenario: str, queue: str, consumer: str
) -> None:
    summary, spans = _run(path, scenario)
    steps, pollers = _split(spans, queue)
    processed = summary["nodes"][consumer]["consumer"]["processed"]
    assert processed > 0
    # Every processed message shows both declared steps, at no time, naming its message.
    for op in STEP_OPS:
        assert sum(1 for s in steps if s["op"] == op) == processed, op
    for span in steps:
        assert span["from"] == consumer
        assert span["status"] == "ok"
        assert span["end_ms"] == span["start_ms"]
        assert span["attrs"]["made_by"] == "event_source_mapping"
        assert span["attrs"]["message_id"].startswith(queue)
    # The queue's calls (what its bill counts) are the pollers' requests, not the steps.
    calls = summary["nodes"][queue]["calls"]
    for op in STEP_OPS:
        assert calls[op]["n"] == sum(1 for s in pollers if s["op"] == op), op
    assert summary["nodes"][queue]["callers"][consumer] == len(pollers)
    assert summary["violations"] == 0


@pytest.mark.parametrize(
    ("path", "scenario", "queue", "consumer"),
    [
        (TUTORIAL, "weekday", "scan-events", "notifier"),
        (PHOTOS, "quiet-evening", "thumbnail-jobs", "thumbnailer"),
    ],
)
def test_a_batch_is_the_functions_one_request_and_its_messages_are_parts_of_it(
    path: Path, scenario: str, queue: str, consumer: str
) -> None:
    """The function counts one request per batch invocation (Lambda's ``Invocations``),
    not one more per message: each message's span is part of its batch. Before the fix a
    consumer's ``arrived`` and ``calls`` were its batches plus its messages."""
    summary, spans = _run(path, scenario)
    node = summary["nodes"][consumer]
    invocations = node["function"]["invocations"]
    assert invocations == node["consumer"]["batches"] - node["consumer"]["throttled_batches"]
    assert node["arrived"] == invocations
    ended = invocations - node["in_flight"]  # a batch may still run when the run ends
    assert node["calls"]["Invoke"]["n"] == node["ok"] == ended
    assert node["callers"] == {queue: ended}
    # The messages' spans are still in the trace, each naming its batch.
    batches = {s["span"] for s in spans if s["node"] == consumer and "messages" in s["attrs"]}
    parts = [s for s in spans if s["node"] == consumer and "batch" in s["attrs"]]
    assert len(batches) == ended
    assert node["consumer"]["failed_messages"] == 0
    assert len(parts) == node["consumer"]["processed"] > ended / 2
    assert {s["attrs"]["batch"] for s in parts} <= batches
