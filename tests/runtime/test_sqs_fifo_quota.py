"""SQS FIFO throughput quota (a user's report: a month-end peak of 1,300 sends a second to a
FIFO queue ran with no throttling at all).

AWS (SQS Developer Guide, "Amazon SQS message quotas"): a FIFO queue supports 300 calls a
second per API action, or with high throughput (``DeduplicationScope=messageGroup`` and
``FifoThroughputLimit=perMessageGroupId``) the quota of its Region. A second non-shopping
model: meters report readings to a FIFO queue at 500 sends a second (Poisson), one send per
session. Over the quota, 300 sends a second are accepted and the rest is throttled: 200 a
second, 40 % of the calls, whatever the scale or the fidelity (a quota is a rate: it shrinks
with the traffic it counts).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from archgen.model import load_model_text
from archgen.model.kinds import SqsParams
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.run import build, start
from archgen.runtime.trace import SpanSink

QUEUE = "readings.fifo"
RATE = 500.0  # sends a second
HIGH_THROUGHPUT = {
    "deduplication_scope": "messageGroup",
    "fifo_throughput_limit": "perMessageGroupId",
}


def meters(duration_s: float, region: str | None = "eu-west-1", **queue: Any) -> Any:
    data = {
        "archgen": 1,
        "system": {"id": "meters", "name": "Meter readings"},
        "groups": [{"id": "r1", "kind": "region", **({"code": region} if region else {})}],
        "nodes": [
            {"id": "meters", "kind": "client", "params": {"timeout_ms": 600_000}},
            {"id": QUEUE, "kind": "sqs", "group": "r1", "params": {"fifo": True, **queue}},
        ],
        "edges": [{"from": "meters", "to": QUEUE, "operations": ["SendMessage"]}],
        "flows": [
            {
                "id": "report",
                "title": "Report",
                "steps": [{"from": "meters", "to": QUEUE, "op": "SendMessage"}],
            }
        ],
        "journeys": [{"id": "go", "title": "Go", "flows": [{"flow": "report"}]}],
        "scenarios": [
            {
                "id": "month-end",
                "title": "Month end",
                "seed": 3,
                "duration_s": duration_s,
                "traffic": {"sessions_per_s": RATE, "mix": {"go": 1}},
            }
        ],
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "meters.yaml").model


def run(
    model: Any, *, scale: float = 1.0, fidelity: Fidelity = FULL
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The queue's summary and its spans."""
    scenario = model.scenarios[0]
    sink = SpanSink(None, keep=True)
    sim, traffic = build(
        model,
        scenario,
        seed=3,
        scale=scale,
        duration_s=scenario.duration_s,
        sink=sink,
        fidelity=fidelity,
    )
    start(sim, traffic, scenario.duration_s)
    sim.kernel.run(scenario.duration_s * 1000)
    summary: dict[str, Any] = sim.behaviors[QUEUE].summary()["queue"]
    return summary, [s for s in sink.records if s["node"] == QUEUE]


def throttled_share(spans: list[dict[str, Any]], start_s: float, end_s: float) -> float:
    """Share of the sends made in [start_s, end_s) that failed with RequestThrottled (the
    steady state: no first second without retries, no retries cut off by the end)."""
    sends = [s for s in spans if start_s * 1000 <= s["start_ms"] < end_s * 1000]
    return sum(s["error"] == "RequestThrottled" for s in sends) / len(sends)


def test_without_retries_each_second_accepts_300_sends_and_throttles_the_rest() -> None:
    """One attempt a call: 20 s at 500 a second accept exactly 300 × 20 = 6,000 sends; the
    10,014 Poisson arrivals leave 4,014 throttled (200.7 a second), each a throttled
    attempt and a failed request; NumberOfMessagesSent counts the accepted ones only."""
    summary, spans = run(meters(20, max_attempts=1))
    assert (summary["sent"], summary["throttled"], summary["throttled_requests"]) == (
        6000,
        4014,
        4014,
    )
    assert summary["requests_per_s_quota"] == 300
    assert summary["in_queue"] == 6000
    assert sum(s["error"] == "RequestThrottled" for s in spans) == 4014


def test_the_sdk_retries_throttled_sends_and_40_percent_still_fail() -> None:
    """Three attempts (the SDK's standard mode): still 300 accepted a second, so in the
    steady state 200 of the 500 sends a second fail after their third attempt; every
    failed send notes its two retries, and some accepted ones were retried first. Every
    throttled attempt is counted: those of the ended sends (their retries, and the last
    attempt of the failed ones) and 826 of sends still retrying when the run ends."""
    summary, spans = run(meters(30))
    assert summary["sent"] == 300 * 30
    share = throttled_share(spans, 5, 25)
    assert share == pytest.approx(0.40, abs=0.01)
    failed = [s for s in spans if s["error"] == "RequestThrottled"]
    assert {s["attrs"]["retries"] for s in failed} == {2}
    assert any(s["error"] is None and (s["attrs"] or {}).get("retries") for s in spans)
    retried = sum((s["attrs"] or {}).get("retries", 0) for s in spans)
    assert (summary["throttled"], summary["throttled_requests"]) == (24_251, 5_526)
    assert summary["throttled"] == retried + len(failed) + 826
    assert summary["throttled_requests"] == len(failed)


@pytest.mark.parametrize(
    ("scale", "fidelity"),
    [(0.1, FULL), (1.0, Fidelity("hybrid", 0.1)), (1.0, Fidelity("hybrid", 0.05))],
    ids=["full-scale-0.1", "hybrid-sample-0.1", "hybrid-sample-0.05"],
)
def test_the_throttled_share_is_the_same_at_a_smaller_scale_and_in_hybrid(
    scale: float, fidelity: Fidelity
) -> None:
    """The quota is counted at the traced scale (30 a second at 0.1): the share throttled
    is the full-scale one within the sample's noise (about 2,000 sends at 0.1: ±1.1
    points standard error; 1,000 at 0.05: ±1.5), and exactly the quota is accepted."""
    traced = fidelity.traced(scale)
    summary, spans = run(meters(60), scale=scale, fidelity=fidelity)
    assert summary["sent"] == round(300 * traced * 60)
    assert throttled_share(spans, 5, 55) == pytest.approx(0.40, abs=0.035)


def test_high_throughput_mode_throttles_nothing_at_500_a_second() -> None:
    """Both attributes set: Ireland's 70,000 a second; every send is accepted."""
    summary, spans = run(meters(20, **HIGH_THROUGHPUT))
    assert summary["requests_per_s_quota"] == 70_000
    assert (summary["throttled"], summary["throttled_requests"]) == (0, 0)
    assert summary["sent"] == len(spans) == 10_009
    assert all(s["error"] is None for s in spans)


def test_one_attribute_alone_keeps_the_normal_throughput() -> None:
    """AWS: any other combination than both high-throughput values keeps 300 a second."""
    summary, _ = run(meters(5, deduplication_scope="messageGroup", max_attempts=1))
    assert summary["requests_per_s_quota"] == 300
    assert summary["sent"] == 300 * 5


@pytest.mark.parametrize(
    ("region", "quota"),
    [
        ("us-east-1", 70_000),
        ("us-east-2", 19_000),
        ("ap-northeast-1", 9_000),
        ("sa-east-1", 4_500),
        ("me-south-1", 2_400),
        (None, 2_400),
    ],
)
def test_the_high_throughput_quota_is_the_regions(region: str | None, quota: int) -> None:
    params = meters(1, region, **HIGH_THROUGHPUT).nodes_by_id[QUEUE].params
    assert isinstance(params, SqsParams)
    assert params.high_throughput
    assert params.requests_per_s_quota(region) == quota


def test_a_standard_queue_has_no_quota() -> None:
    params = SqsParams()
    assert params.requests_per_s_quota("eu-west-1") is None
