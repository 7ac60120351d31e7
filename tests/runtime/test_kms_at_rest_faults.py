"""Faults on a KMS key act on the calls that need it for server-side encryption (SSE-KMS)
only when the service must ask KMS: a queue reuses a data key per principal for its
``kms_data_key_reuse_period_s``, a table caches its table key per caller for 5 minutes, a
topic reuses a data key for 5 minutes. A renewal that meets the fault fails that one call
with the service's own code (``KMS.ThrottlingException``, ``KMS.DisabledException``; SNS
``KMSThrottling``, ``KMSDisabled``), which the AWS SDKs do not retry; the principal's next
call tries again. Calls made to the key itself (envelope encryption by code) are retried by
the SDK when throttled (``ThrottlingException``, 3 attempts), so a 30 % throttle fails
about 0.3³ = 2.7 % of them. Shown on the ride-hailing model (an unrelated architecture),
whose trip key encrypts a DynamoDB table, a FIFO queue and an SNS topic, and which also
asks the key for data keys itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.runtime.fluid import Fidelity
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario

RIDES = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
CRASH = "      - {type: consumer_crash, target: matcher, start_s: 60, end_s: 120, rate: 0.5}\n"
QUEUE = "dead_letter_queue: ride-requests-dlq, kms_key: trip-key}"
STORES = ("trips", "ride-requests", "ride-requests-dlq", "driver-alerts")
THROTTLED = "      - {type: throttling, target: trip-key, start_s: 60, end_s: 180, rate: 0.3}\n"


def _run(fault: str, *, reuse_s: int | None = None, fidelity: Fidelity | None = None) -> RunResult:
    text = RIDES.read_text(encoding="utf-8")
    assert text.count(CRASH) == 1
    assert text.count(QUEUE) == 1
    text = text.replace(CRASH, fault)
    if reuse_s is not None:
        text = text.replace(QUEUE, QUEUE[:-1] + f", kms_data_key_reuse_period_s: {reuse_s}}}")
    model = load_model_text(text, "ride-hailing.yaml").model
    if fidelity is None:
        return run_scenario(model, "matcher-crash", keep_spans=True)
    return run_scenario(model, "matcher-crash", keep_spans=True, fidelity=fidelity)


def _errors(result: RunResult, node: str) -> dict[str, int]:
    errors: dict[str, int] = result.summary["nodes"][node]["errors"]
    return errors


def _node(result: RunResult, node: str) -> dict[str, Any]:
    found: dict[str, Any] = result.summary["nodes"][node]
    return found


def _refused(result: RunResult) -> list[tuple[str, str, float]]:
    """The SSE-KMS calls a key fault failed, where the refusal happened (the callers it
    propagated to carry the error too): (store, operation, start ms)."""
    return [
        (s["node"], s["op"], s["start_ms"])
        for s in result.spans
        if str(s["error"]).startswith("KMS") and s["node"] in STORES
    ]


@pytest.fixture(scope="module")
def throttled() -> RunResult:
    return _run(THROTTLED, reuse_s=60)


def test_a_throttled_key_fails_only_the_calls_that_renew_a_cached_key(
    throttled: RunResult,
) -> None:
    # Without caching a 30 % throttle failed about 30 % of the two minutes' PutItem,
    # SendMessage, ReceiveMessage and Publish calls (hundreds); with it only the calls that
    # found their principal's key expired meet the fault: at this seed two of the queue's
    # (its reuse period is 60 s, the table's and topic's caches 300 s).
    refused = _refused(throttled)
    assert [(node, op) for node, op, _ in refused] == [
        ("ride-requests", "ReceiveMessage"),
        ("ride-requests", "SendMessage"),
    ]
    assert all(60_000 <= start < 180_000 for _, _, start in refused)
    assert _errors(throttled, "ride-requests") == {"KMS.ThrottlingException": 2}
    assert _errors(throttled, "trips") == {}
    assert _errors(throttled, "driver-alerts") == {}
    spans = [s for s in throttled.spans if str(s["error"]).startswith("KMS")]
    assert {s["attrs"]["kms_key"] for s in spans if s["node"] in STORES} == {"trip-key"}


def test_calls_to_a_throttled_key_are_retried_by_the_sdk(throttled: RunResult) -> None:
    # dispatch asks the key for a data key itself: a throttled attempt is retried with
    # backoff (3 attempts), so about 0.3³ of the calls fail, not 0.3.
    asked = [
        s
        for s in throttled.spans
        if s["op"] == "GenerateDataKey" and 60_000 <= s["start_ms"] < 180_000
    ]
    failed = [s for s in asked if s["error"]]
    retried = [s for s in asked if (s["attrs"] or {}).get("retries")]
    assert (len(asked), len(failed), len(retried)) == (450, 14, 139)
    assert {s["error"] for s in failed} == {"ThrottlingException"}
    assert all(s["attrs"]["retries"] == 2 for s in failed)
    flow = throttled.summary["flows"]["request-ride"]
    assert flow["errors"] == {"trip-key:ThrottlingException": 14}


def test_the_key_summary_counts_every_request_it_throttled(throttled: RunResult) -> None:
    key = _node(throttled, "trip-key")
    figures = key["kms"]
    errors = key["errors"]
    assert errors == {"KMS.ThrottlingException": 2, "ThrottlingException": 14}
    # Every throttled attempt (retried or not) and every refused SSE-KMS renewal.
    assert figures["throttled"] == 198
    assert figures["throttled_requests"] == sum(errors.values()) == 16
    assert figures["sse_throttled"] == errors["KMS.ThrottlingException"] == 2
    assert figures["sse_unavailable"] == 0
    assert key["arrived"] == key["ok"] + key["failed"]


def test_hybrid_fidelity_caches_the_keys_the_same_way() -> None:
    result = _run(THROTTLED, reuse_s=60, fidelity=Fidelity("hybrid", 0.5))
    assert [(node, op) for node, op, _ in _refused(result)] == [
        ("ride-requests", "ReceiveMessage"),
        ("ride-requests", "ReceiveMessage"),
        ("ride-requests", "SendMessage"),
        ("ride-requests", "SendMessage"),
    ]
    figures = _node(result, "trip-key")["kms"]
    assert (figures["sse_throttled"], figures["throttled_requests"]) == (4, 9)


def test_a_key_outage_longer_than_the_cache_fails_calls_once_their_key_expires() -> None:
    out = _run("      - {type: node_outage, target: trip-key, start_s: 60}\n", reuse_s=60)
    receives = sorted(
        (s["start_ms"], s["error"])
        for s in out.spans
        if s["node"] == "ride-requests" and s["op"] == "ReceiveMessage"
    )
    # The consumer's cached data key serves it for up to a reuse period into the outage;
    # once it expires every receive needs KMS and fails, and none succeeds again.
    first_refused = next(t for t, error in receives if error == "KMS.DisabledException")
    last_served = max(t for t, error in receives if error is None)
    assert 60_000 < last_served < first_refused < 120_000
    assert (round(last_served), round(first_refused)) == (100_060, 118_949)
    refused = _refused(out)
    assert all(start >= 60_000 for _, _, start in refused)
    # Its deletes never need the key.
    assert not [s for s in out.spans if s["op"] == "DeleteMessage" and s["error"]]
    key = _node(out, "trip-key")
    assert key["errors"]["KMS.DisabledException"] == len(refused) == 905
    assert key["kms"]["sse_unavailable"] == 905
    books = out.summary["pipeline"]["queues"]["ride-requests"]
    assert books["lost"] == 0


def test_without_a_key_fault_no_call_meets_the_key() -> None:
    result = _run("      - {type: latency, target: trips, start_s: 60, added_latency_ms: 1}\n")
    assert not [s for s in result.spans if str(s["error"]).startswith("KMS")]
    key = _node(result, "trip-key")
    # Only dispatch's own GenerateDataKey calls reach it: SSE use is not a request then.
    assert key["arrived"] == key["kms"]["data_keys"]
    assert key["errors"] == {}
