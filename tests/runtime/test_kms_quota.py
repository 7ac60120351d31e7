"""KMS request quotas as AWS counts them (issue 12): one quota per account and Region shared
by every key, and throttled calls retried by the caller's SDK before it sees the error."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.runtime.aws.kms_envelope import sdk_backoff_ms
from tests.runtime.metrics_lab import lab_model, run_lab


def key(node_id: str, quota: int, **params: Any) -> dict[str, Any]:
    latency = {"distribution": "constant", "mean_ms": 2}
    return {
        "id": node_id,
        "kind": "kms",
        "group": "r1",
        "params": {"latency": latency, "requests_per_s_quota": quota, **params},
    }


def two_keys(**params: Any) -> Any:
    return lab_model(
        [key("key-a", 100, **params), key("key-b", 100, **params)],
        [
            {"from": "users", "to": "key-a", "operations": ["Decrypt"]},
            {"from": "users", "to": "key-b", "operations": ["Decrypt"]},
        ],
        [
            {"from": "users", "to": "key-a", "op": "Decrypt"},
            {"from": "users", "to": "key-b", "op": "Decrypt"},
        ],
    )


def test_two_keys_share_the_regions_quota() -> None:
    """80 users/s each decrypting with two keys: 160 calls/s against one 100/s quota.
    In every second the first 50 users are served by both keys (100 calls) and the 30
    others are throttled at both: 37.5 % of the calls. A quota per key throttled none."""
    model = two_keys(max_attempts=1)
    seconds = 10
    lab = run_lab(model, [1 + (i + 0.5) / 80 for i in range(80 * seconds)])
    a, b = lab.summary("key-a")["kms"], lab.summary("key-b")["kms"]
    assert (a["throttled"], b["throttled"]) == (30 * seconds, 30 * seconds)
    assert a["throttled_requests"] == b["throttled_requests"] == 30 * seconds
    assert a["region_quota_per_s"] == b["region_quota_per_s"] == 100
    assert lab.total("key-a", "CallCount") + lab.total("key-b", "CallCount") == 100 * seconds
    failed = [s for s in lab.on("key-a") if s["error"] == "ThrottlingException"]
    assert len(failed) == 30 * seconds


def test_the_smallest_quota_a_region_declares_applies_to_all_its_keys() -> None:
    model = lab_model(
        [key("key-a", 100), key("key-b", 7)],
        [{"from": "users", "to": "key-a", "operations": ["Decrypt"]}],
        [{"from": "users", "to": "key-a", "op": "Decrypt"}],
    )
    lab = run_lab(model, [])
    assert lab.summary("key-a")["kms"]["region_quota_per_s"] == 7


def test_the_sdk_retries_a_throttled_call_with_jittered_backoff() -> None:
    """Quota 1/s, four calls at t = 1 s: one is served; the three others are throttled,
    retried within the same second (first backoff < 1 s), throttled again and, at
    max_attempts 2, fail with ThrottlingException after one retry each."""
    model = lab_model(
        [key("key", 1, max_attempts=2)],
        [{"from": "users", "to": "key", "operations": ["Decrypt"]}],
        [{"from": "users", "to": "key", "op": "Decrypt"}],
    )
    lab = run_lab(model, [1.0, 1.0, 1.0, 1.0])
    spans = lab.on("key")
    failed = [s for s in spans if s["error"] == "ThrottlingException"]
    assert len(failed) == 3
    assert all(s["attrs"]["retries"] == 1 for s in failed)
    assert all(0 < s["end_ms"] - s["start_ms"] < 1000 for s in failed)
    kms = lab.summary("key")["kms"]
    assert (kms["throttled"], kms["throttled_requests"], kms["decrypts"]) == (6, 3, 1)


def test_default_three_attempts_count_every_throttled_attempt_in_the_span() -> None:
    model = lab_model(
        [key("key", 1)],
        [{"from": "users", "to": "key", "operations": ["Decrypt"]}],
        [{"from": "users", "to": "key", "op": "Decrypt"}],
    )
    lab = run_lab(model, [1.0] * 6)
    spans = lab.on("key")
    kms = lab.summary("key")["kms"]
    retried = sum((s["attrs"] or {}).get("retries", 0) for s in spans)
    failed = [s for s in spans if s["error"] == "ThrottlingException"]
    assert failed
    assert all(s["attrs"]["retries"] == 2 for s in failed)  # 3 attempts in all
    assert any(s["status"] == "ok" and (s["attrs"] or {}).get("retries") for s in spans)
    assert kms["throttled"] == retried + len(failed)
    assert kms["throttled_requests"] == len(failed)
    assert kms["decrypts"] == len(spans) - len(failed)


@pytest.mark.parametrize(
    ("retries", "jitter", "expected"),
    [(0, 0.5, 500.0), (1, 0.5, 1000.0), (2, 0.25, 1000.0), (6, 0.99, 20_000.0)],
)
def test_sdk_backoff_is_full_jitter_over_powers_of_two_seconds_capped_at_20(
    retries: int, jitter: float, expected: float
) -> None:
    assert sdk_backoff_ms(retries, jitter) == expected
