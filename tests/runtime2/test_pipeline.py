"""The order pipeline, simulated: crashes, redelivery, idempotency, DLQ, fan-out, throttling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import LoadedModel, load_model
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario
from tests.scales import QUICK_SCALE

ORDERS = Path(__file__).parent / "models" / "orders.yaml"


@pytest.fixture(scope="module")
def tiny() -> LoadedModel:
    return load_model(ORDERS)


def books(result: RunResult, queue: str) -> dict[str, Any]:
    entry: dict[str, Any] = result.summary["pipeline"]["queues"][queue]
    return entry


def assert_identity(entry: dict[str, Any]) -> None:
    parts = entry["processed"] + entry["in_dlq"] + entry["in_queue"] + entry["lost"]
    assert entry["sent"] == parts
    assert entry["lost"] == 0
    assert entry["applied_twice"] == 0


def test_reference_consumer_crash_loses_nothing_and_ships_nothing_twice(
    reference: LoadedModel,
) -> None:
    result = run_scenario(reference.model, "consumer-crash", scale=QUICK_SCALE, keep_spans=False)
    for queue in ("orders-queue", "orders-queue-usw2"):
        assert_identity(books(result, queue))
    main = books(result, "orders-queue")
    assert main["sent"] > 400
    consumer = result.summary["nodes"]["order-processor"]["consumer"]
    assert consumer["crashes"] > 50  # the fault did bite
    assert main["processed"] + main["in_dlq"] + main["in_queue"] == main["sent"]
    channels = result.summary["pipeline"]["notifications"]
    assert channels["email"]["delivered"] > 0
    assert channels["sms"]["filtered_out"] > 0  # sms_opt_in is a real filter policy


def test_mid_batch_crash_redelivers_and_idempotency_suppresses_duplicates(
    tiny: LoadedModel,
) -> None:
    result = run_scenario(tiny.model, "crash", keep_spans=True)
    entry = books(result, "orders")
    assert_identity(entry)
    consumer = result.summary["nodes"]["worker"]["consumer"]
    assert consumer["crashes"] > 10
    # Crashes hit after some messages of a batch were processed: those come back and are
    # acknowledged without shipping again.
    assert entry["duplicates_suppressed"] > 0
    assert entry["in_dlq"] > 0  # 0.7 crash rate for 300 s: some exhaust maxReceiveCount
    assert entry["processed"] > 0.8 * entry["sent"]
    queue = result.summary["nodes"]["orders"]["queue"]
    assert queue["redelivered"] > 0
    assert queue["moved_to_dlq"] == entry["in_dlq"] + entry["processed_and_in_dlq"]
    assert (
        result.summary["nodes"]["orders-dlq"]["queue"]["arrived_from_source"]
        == (queue["moved_to_dlq"])
    )
    # From the trace: every shipment's parent is the consumer's work on one message.
    work = {
        s["span"]: s["attrs"]["message_id"]
        for s in result.spans
        if s["node"] == "worker" and s["op"] == "Invoke" and "message_id" in s["attrs"]
    }
    shipped = [
        work.get(s["parent"])
        for s in result.spans
        if s["node"] == "warehouse" and s["status"] == "ok"
    ]
    done = [m for m in shipped if m is not None]
    assert len(done) == len(set(done)) == entry["processed"]  # none applied twice
    # Shipped by work still running when the run ended: at most the running batches.
    assert len(shipped) - len(done) <= 3 * 10


def test_without_crashes_everything_is_fulfilled_and_fanned_out(tiny: LoadedModel) -> None:
    result = run_scenario(tiny.model, "steady", keep_spans=True)
    entry = books(result, "orders")
    assert_identity(entry)
    assert entry["in_dlq"] == 0
    assert entry["duplicates_suppressed"] == 0
    notes = result.summary["pipeline"]["notifications"]
    published = result.summary["nodes"]["events"]["topic"]["published"]
    assert published == entry["processed"]  # one event per processed message
    # Every event is mailed (no filter); the last few may still be on their way.
    assert published - 5 <= notes["email"]["delivered"] <= published
    opted_in = notes["sms"]["delivered"] / max(
        1, notes["sms"]["delivered"] + notes["sms"]["filtered_out"]
    )
    assert 0.15 < opted_in < 0.35  # the step's probability 0.25 sets the opt_in attribute
    spans = result.spans
    assert all(s["status"] != "violation" for s in spans)
    batches = [
        s
        for s in spans
        if s["node"] == "orders"
        and s["op"] == "ReceiveMessage"
        and s["step"] is None
        and (s["attrs"] or {}).get("messages")
    ]
    assert max(s["attrs"]["messages"] for s in batches) > 1  # the batching window fills batches


def test_lambda_throttles_at_its_reserved_concurrency(tiny: LoadedModel) -> None:
    result = run_scenario(tiny.model, "rush", keep_spans=True)
    api = result.summary["nodes"]["api"]
    assert api["function"]["concurrency_limit"] == 2
    assert api["function"]["peak_concurrency"] == 2
    throttled = api["errors"].get("TooManyRequestsException", 0)
    # 8 orders/s × 0.5 s each need 4 environments; 2 are allowed: about half are refused.
    assert throttled > 100
    assert api["function"]["throttles"] == throttled
    assert api["ok"] > 100


def test_iam_denial_fails_the_call_and_is_counted(tiny: LoadedModel) -> None:
    from archgen.runtime.aws.iam import authorize

    model = tiny.model
    nodes = model.nodes_by_id
    assert authorize(model, nodes["worker"], nodes["orders"], "PurgeQueue").reason == (
        "explicit_deny"
    )
    assert authorize(model, nodes["api"], nodes["orders"], "ReceiveMessage").reason == (
        "implicit_deny"
    )
    assert authorize(model, nodes["worker"], nodes["events"], "Publish").allowed
