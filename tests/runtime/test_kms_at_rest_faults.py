"""Faults on a KMS key act on the calls that need it for server-side encryption (SSE-KMS):
the service fails them with its own code while the key is out (``KMS.DisabledException``,
SNS ``KMSDisabled``) or throttled (``KMS.ThrottlingException``, SNS ``KMSThrottling``), and
the key counts each request it refused. Shown on the ride-hailing model (an unrelated
architecture), whose trip key encrypts a DynamoDB table, a FIFO queue and an SNS topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario

RIDES = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
CRASH = "      - {type: consumer_crash, target: matcher, start_s: 60, end_s: 120, rate: 0.5}\n"
STORES = ("trips", "ride-requests", "ride-requests-dlq", "driver-alerts")


def _run(fault: str) -> RunResult:
    text = RIDES.read_text(encoding="utf-8")
    assert text.count(CRASH) == 1
    model = load_model_text(text.replace(CRASH, fault), "ride-hailing.yaml").model
    return run_scenario(model, "matcher-crash", keep_spans=True)


def _errors(result: RunResult, node: str) -> dict[str, int]:
    errors: dict[str, int] = result.summary["nodes"][node]["errors"]
    return errors


def _node(result: RunResult, node: str) -> dict[str, Any]:
    found: dict[str, Any] = result.summary["nodes"][node]
    return found


@pytest.fixture(scope="module")
def throttled() -> RunResult:
    return _run(
        "      - {type: throttling, target: trip-key, start_s: 60, end_s: 120, rate: 0.5}\n"
    )


@pytest.fixture(scope="module")
def out() -> RunResult:
    return _run("      - {type: node_outage, target: trip-key, start_s: 60, end_s: 120}\n")


def test_a_throttled_key_fails_its_share_of_the_encrypted_services_calls(
    throttled: RunResult,
) -> None:
    table = _errors(throttled, "trips").get("KMS.ThrottlingException", 0)
    queue = _errors(throttled, "ride-requests").get("KMS.ThrottlingException", 0)
    topic = _errors(throttled, "driver-alerts").get("KMSThrottling", 0)
    assert table > 10
    assert queue > 10
    assert topic > 0
    key = _errors(throttled, "trip-key")
    # The key counts every request it refused on the services' behalf; its own callers
    # (dispatch's GenerateDataKey) are refused at its door with ThrottlingException.
    assert key["KMS.ThrottlingException"] == table + queue
    assert key["KMSThrottling"] == topic
    assert key["ThrottlingException"] > 0
    stats = _node(throttled, "trip-key")
    assert stats["arrived"] == stats["ok"] + stats["failed"]
    refused = [
        s for s in throttled.spans if str(s["error"]).startswith("KMS") and s["node"] in STORES
    ]  # where the refusal happened (the callers it propagated to have it too)
    assert {s["attrs"]["kms_key"] for s in refused} == {"trip-key"}
    assert all(60_000 <= s["start_ms"] < 120_000 for s in refused)


def test_a_key_that_is_out_fails_every_call_that_needs_it(out: RunResult) -> None:
    refused = [
        s for s in out.spans if s["error"] == "KMS.DisabledException" and s["node"] in STORES
    ]
    assert refused
    assert all(60_000 <= s["start_ms"] < 120_000 for s in refused)
    # The consumer's receives need the key (Decrypt); its deletes do not.
    ops = {(s["node"], s["op"]) for s in refused}
    assert ("ride-requests", "ReceiveMessage") in ops
    assert not [s for s in out.spans if s["op"] == "DeleteMessage" and s["error"]]
    assert _errors(out, "trip-key")["KMS.DisabledException"] == len(refused)
    assert sum(_errors(out, store).get("KMS.DisabledException", 0) for store in STORES) == len(
        refused
    )
    # Nothing is lost: the queue keeps what it holds and the consumer catches up.
    books = out.summary["pipeline"]["queues"]["ride-requests"]
    assert books["lost"] == 0


def test_without_a_key_fault_no_call_meets_the_key() -> None:
    result = _run("      - {type: latency, target: trips, start_s: 60, added_latency_ms: 1}\n")
    assert not [s for s in result.spans if str(s["error"]).startswith("KMS")]
    key = _node(result, "trip-key")
    # Only dispatch's own GenerateDataKey calls reach it: SSE use is not a request then.
    assert key["arrived"] == key["kms"]["data_keys"]
    assert key["errors"] == {}
