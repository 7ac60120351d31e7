"""API Gateway (issue 14): a stage's token bucket under twice its rate, an integration
slower than the timeout, and a direct SQS integration. Users are sent at chosen instants,
so every count is exact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runtime.metrics_lab import Lab, lab_model, run_lab

DATA = Path(__file__).parents[1] / "importers" / "data"
CONSTANT_5MS = {"distribution": "constant", "mean_ms": 5}


def steady(rate: float, seconds: float, start: float = 1.0) -> list[float]:
    """Arrivals at ``rate`` per second, evenly spaced, for ``seconds``."""
    return [start + (i + 0.5) / rate for i in range(round(rate * seconds))]


def api_run(api: dict[str, Any], function_ms: float, at_s: list[float]) -> Lab:
    """users → api (POST /orders) → fn (Invoke, a function taking ``function_ms``)."""
    model = lab_model(
        [
            {
                "id": "api",
                "kind": "apigateway",
                "group": "r1",
                "params": {"overhead": CONSTANT_5MS, **api},
            },
            {
                "id": "fn",
                "kind": "lambda",
                "group": "r1",
                "params": {
                    "timeout_s": 60,
                    "cold_start": {"distribution": "constant", "mean_ms": 0},
                    "duration": {"distribution": "constant", "mean_ms": function_ms},
                },
            },
        ],
        [
            {"from": "users", "to": "api", "operations": ["POST /orders"]},
            {"from": "api", "to": "fn", "operations": ["Invoke"]},
        ],
        [
            {"from": "users", "to": "api", "op": "POST /orders"},
            {"from": "api", "to": "fn", "op": "Invoke"},
        ],
        duration_s=max(at_s) + 60,
    )
    return run_lab(model, at_s)


def errors(lab: Lab, node: str, error: str) -> int:
    return sum(1 for s in lab.on(node) if s["error"] == error)


def test_a_bucket_of_rate_10_burst_5_under_20_per_second_throttles_half() -> None:
    """1,200 requests at 20/s for 60 s: the 5 tokens and 0.5 refilled per gap let the first
    9 through, then every other request finds the bucket empty: 596 answered 429 (49.7 %,
    the (20 − 10) / 20 = 50 % of the long run), and never reach the function."""
    lab = api_run({"rate_limit": 10, "burst_limit": 5}, 20, steady(20, 60))
    assert errors(lab, "api", "429") == 596
    assert len(lab.on("fn")) == 1_200 - errors(lab, "api", "429")
    assert lab.total("api", "Count") == 1_200
    assert lab.total("api", "4XXError") == errors(lab, "api", "429")
    assert lab.total("api", "5XXError") == 0
    assert lab.summary("api")["throttled_429"] == errors(lab, "api", "429")


def test_an_integration_slower_than_29_s_is_answered_504_at_29_s() -> None:
    """A 30 s function behind the default 29 s timeout: the API answers 504 at 29 s (plus
    its 5 ms), while the function runs on to its end and succeeds."""
    lab = api_run({}, 30_000, [1.0])
    (span,) = lab.on("api")
    assert span["error"] == "504"
    assert span["end_ms"] - span["start_ms"] == 29_005
    (invoke,) = lab.on("fn")
    assert invoke["error"] is None
    assert invoke["end_ms"] - invoke["start_ms"] >= 30_000
    assert lab.total("api", "5XXError") == 1
    assert lab.points("api", "IntegrationLatency") == []
    assert lab.summary("api")["integration_timeouts_504"] == 1


def test_an_integration_within_the_timeout_answers_with_its_latency() -> None:
    """A 28 s function behind a 29 s timeout: answered, its 28 s the IntegrationLatency."""
    lab = api_run({"integration_timeout_ms": 29_000}, 28_000, [1.0])
    (span,) = lab.on("api")
    assert span["error"] is None
    assert lab.total("api", "5XXError") == 0
    assert lab.points("api", "IntegrationLatency") == [
        {"avg": 28_000.0, "max": 28_000.0, "n": 1, "p99": 28_000.0}
    ]


def test_a_direct_sqs_integration_sends_one_message_per_request_let_through() -> None:
    """users → api → queue (SendMessage), rate 1, burst 1, 2 requests per second for
    10 s: one of each two is throttled, the other becomes one message."""
    model = lab_model(
        [
            {
                "id": "api",
                "kind": "apigateway",
                "group": "r1",
                "params": {
                    "api_type": "http",
                    "rate_limit": 1,
                    "burst_limit": 1,
                    "overhead": CONSTANT_5MS,
                },
            },
            {"id": "queue", "kind": "sqs", "group": "r1"},
        ],
        [
            {"from": "users", "to": "api", "operations": ["POST /jobs"]},
            {"from": "api", "to": "queue", "operations": ["SendMessage"]},
        ],
        [
            {"from": "users", "to": "api", "op": "POST /jobs"},
            {"from": "api", "to": "queue", "op": "SendMessage"},
        ],
        duration_s=120,
    )
    lab = run_lab(model, steady(2, 10))
    let_through = 20 - errors(lab, "api", "429")
    assert abs(let_through - 10) <= 1
    assert lab.total("queue", "NumberOfMessagesSent") == let_through


def test_requests_cost_the_rest_or_the_http_api_price() -> None:
    """The imported REST API (ledger-api) and HTTP API (jobs-api), us-east-1, scale 0.5:
    1,000 simulated requests each are 2,000 real ones, at $3.50 and $1.00 per million."""
    from archgen.model import load_model_text
    from archgen.model.cost import price_run

    text = (DATA / "ledger-api.model.yaml").read_text(encoding="utf-8")
    model = load_model_text(text, "ledger-api.model.yaml").model
    calls = {"calls": {"POST /": {"n": 1_000, "ms": 0.0}}}
    cost = price_run(model, {"ledger-api": calls, "jobs-api": calls}, scale=0.5, duration_s=60)
    rest, http = cost["nodes"]["ledger-api"], cost["nodes"]["jobs-api"]
    assert rest["window_usd"] == pytest.approx(2_000 * 3.50 / 1e6)
    assert [line["item"] for line in rest["lines"]] == ["apigateway.rest.request"]
    assert http["window_usd"] == pytest.approx(2_000 * 1.00 / 1e6)
    assert [line["item"] for line in http["lines"]] == ["apigateway.http.request"]


def test_a_rest_api_refuses_an_integration_timeout_over_29_s() -> None:
    """AWS refuses it at deploy time; an HTTP API accepts up to 30 s."""
    from archgen.model.errors import ModelError

    with pytest.raises(ModelError) as raised:
        api_run({"integration_timeout_ms": 30_000}, 5, [1.0])
    assert str(raised.value) == (
        "error: lab.yaml:21:29: nodes[1].params.integration_timeout_ms: "
        "a REST API's integration timeout is at most 29,000 ms"
    )
    lab = api_run({"api_type": "http", "integration_timeout_ms": 30_000}, 29_500, [1.0])
    assert [s["error"] for s in lab.on("api")] == [None]
