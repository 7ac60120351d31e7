"""CloudWatch metrics as AWS defines them, kind by kind, each against a small scenario whose
answer is known (users sent at chosen instants, constant latencies). A node's metrics
count what happened at that node: issue 12's Lambda whose ``Throttles`` alarm fired on
DynamoDB's throttles, the ALB with a ``Throttles`` metric, KMS's ``decrypts: 0``."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model.registry import kinds
from archgen.runtime.explain import describe
from archgen.runtime.metrics import MetricStore, UndeclaredMetricError
from tests.runtime.metrics_lab import lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def fn(node_id: str, **params: Any) -> dict[str, Any]:
    base = {"duration": const(10), "cold_start": const(50)}
    return {"id": node_id, "kind": "lambda", "group": "r1", "params": {**base, **params}}


def published(kind: str) -> set[str]:
    return set(kinds()[kind].metrics.names())


# ---------------------------------------------------------------------------- Lambda


def test_lambda_throttles_are_its_own_not_those_of_the_table_it_calls() -> None:
    """Issue 12: a table throttling the function's writes is the table's
    ThrottledRequests and the function's Errors, never the function's Throttles."""
    model = lab_model(
        [
            fn("api", reserved_concurrency=10),
            {
                "id": "table",
                "kind": "dynamodb",
                "group": "r1",
                "params": {
                    "billing_mode": "provisioned",
                    "write_capacity_units": 1,
                    "burst_s": 0,
                    "max_retries": 0,
                    "write": const(5),
                },
            },
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "table", "operations": ["PutItem"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "table", "op": "PutItem"},
        ],
    )
    # Five users in the same second: the table takes one write, refuses four.
    lab = run_lab(model, [1.0, 1.001, 1.002, 1.003, 1.004])
    assert lab.total("table", "ThrottledRequests") == 4
    assert lab.total("table", "WriteThrottleEvents") == 4
    assert lab.total("table", "ReadThrottleEvents") == 0
    assert lab.total("table", "ConsumedWriteCapacityUnits") == 1
    assert lab.points("table", "SuccessfulRequestLatency") == [
        {"avg": 5.0, "max": 5.0, "n": 1, "p99": 5.0}
    ]
    assert lab.total("api", "Invocations") == 5
    assert lab.total("api", "Throttles") == 0  # was 4 before issue 12
    assert lab.value("api", "Throttles", "Sum") == 0.0  # an alarm reads 0, not 4
    assert lab.total("api", "Errors") == 4  # the uncaught ThrottlingException
    # Duration: 10 ms of code, then the write (5 ms) or the refusal (at once).
    [duration] = lab.points("api", "Duration")
    assert duration == {"avg": 11.0, "max": 15.0, "n": 5, "p99": 15.0}
    assert lab.points("api", "ConcurrentExecutions") == [5.0, 0.0]  # two periods


def test_lambda_throttles_count_its_concurrency_limit() -> None:
    model = lab_model(
        [fn("api", reserved_concurrency=1, duration=const(200))],
        [{"from": "users", "to": "api", "operations": ["Invoke"]}],
        [{"from": "users", "to": "api", "op": "Invoke"}],
    )
    lab = run_lab(model, [1.0, 1.01, 1.02, 5.0])
    assert lab.total("api", "Throttles") == 2
    assert lab.total("api", "Invocations") == 2
    assert lab.total("api", "Errors") == 0
    assert [s["error"] for s in lab.on("api")] == [
        "TooManyRequestsException",
        "TooManyRequestsException",
        None,
        None,
    ]
    # The first call was cold: 50 ms init before the 200 ms of code; Duration leaves
    # the init out, the span has it.
    first = next(s for s in lab.on("api") if s["error"] is None)
    assert first["attrs"] == {"cold_start": True, "init_ms": 50.0}
    assert first["end_ms"] - first["start_ms"] == pytest.approx(250.0)
    assert lab.points("api", "Duration") == [{"avg": 200.0, "max": 200.0, "n": 2, "p99": 200.0}]
    assert lab.points("api", "ConcurrentExecutions") == [1.0, 0.0]


# ---------------------------------------------------------------------------- ALB


def test_alb_tells_its_own_errors_from_its_targets_and_has_no_throttles() -> None:
    model = lab_model(
        [
            {"id": "lb", "kind": "alb", "group": "r1", "params": {"overhead": const(2)}},
            fn("app", reserved_concurrency=1, duration=const(200), cold_start=const(0)),
        ],
        [
            {"from": "users", "to": "lb", "operations": ["GET /"]},
            {"from": "lb", "to": "app", "operations": ["Invoke"]},
        ],
        [
            {"from": "users", "to": "lb", "op": "GET /"},
            {"from": "lb", "to": "app", "op": "Invoke"},
        ],
        faults=[{"type": "node_outage", "target": "app", "start_s": 4, "end_s": 6}],
    )
    # 1.0 served (200 ms); 1.01 refused by the function's concurrency (a target's 429);
    # 5.0 finds the function out (the load balancer answers 5xx itself).
    lab = run_lab(model, [1.0, 1.01, 5.0])
    assert "Throttles" not in published("alb")
    assert lab.total("lb", "RequestCount") == 3
    assert lab.total("lb", "HTTPCode_Target_4XX_Count") == 1
    assert lab.total("lb", "HTTPCode_ELB_5XX_Count") == 1
    assert lab.total("lb", "HTTPCode_Target_5XX_Count") == 0
    assert lab.total("lb", "HTTPCode_ELB_4XX_Count") == 0
    # Seconds, as AWS publishes it: 0.2 s for the served request, 0 for the refusal.
    assert lab.points("lb", "TargetResponseTime") == [{"avg": 0.1, "max": 0.2, "n": 2, "p99": 0.2}]
    assert lab.points("lb", "HealthyHostCount") == [1.0, 1.0]
    assert lab.points("lb", "UnHealthyHostCount") == [0.0, 0.0]


# ---------------------------------------------------------------------------- SQS + Lambda


def pipeline(worker: dict[str, Any], **queue: Any) -> Any:
    return lab_model(
        [
            fn("api"),
            {"id": "jobs", "kind": "sqs", "group": "r1", "params": queue},
            worker,
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "jobs", "operations": ["SendMessage"], "mode": "async"},
            {"from": "worker", "to": "jobs", "operations": ["ReceiveMessage", "DeleteMessage"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "jobs", "op": "SendMessage"},
        ],
        flows=[
            {
                "id": "work",
                "title": "Work",
                "user_facing": False,
                "steps": [{"from": "worker", "to": "jobs", "op": "ReceiveMessage"}],
            }
        ],
    )


def test_sqs_counts_sends_receives_deletes_and_the_consumer_its_batches() -> None:
    worker = fn("worker", duration=const(100), event_source={"queue": "jobs", "batch_size": 10})
    lab = run_lab(pipeline(worker, latency=const(1)), [1.0, 1.5, 2.0])
    assert lab.total("jobs", "NumberOfMessagesSent") == 3
    assert lab.total("jobs", "NumberOfMessagesReceived") == 3
    assert lab.total("jobs", "NumberOfMessagesDeleted") == 3
    assert lab.total("jobs", "NumberOfEmptyReceives") > 0  # idle pollers' 20 s long polls
    assert lab.points("jobs", "ApproximateNumberOfMessagesVisible") == [0.0, 0.0]
    assert lab.points("jobs", "ApproximateNumberOfMessagesNotVisible") == [0.0, 0.0]
    assert lab.points("jobs", "ApproximateAgeOfOldestMessage") == [0.0, 0.0]
    batches = lab.on("worker", "Invoke")
    invocations = [s for s in batches if s["from"] == "jobs" and "messages" in s["attrs"]]
    assert sum(s["attrs"]["messages"] for s in invocations) == 3
    assert lab.total("worker", "Invocations") == len(invocations)
    assert lab.total("worker", "Errors") == 0
    # One batch per message (they came 0.5 s apart): 100 ms of code after the init; the
    # message's ReceiveMessage step stands for the pollers' receive and takes no time.
    assert lab.points("worker", "Duration") == [
        {"avg": 100.0, "max": 100.0, "n": len(invocations), "p99": 100.0}
    ]


def test_a_message_span_holds_its_batch_init_and_duration() -> None:
    """Issue 12: a constant 4,000 ms function showed as a 50.8 ms Invoke in --explain."""
    worker = fn(
        "worker",
        duration=const(4000),
        timeout_s=10,
        event_source={"queue": "jobs", "batch_size": 10},
    )
    lab = run_lab(pipeline(worker, latency=const(1), visibility_timeout_s=60), [1.0])
    [work] = [s for s in lab.on("worker", "Invoke") if "message_id" in s["attrs"]]
    [batch] = [s for s in lab.on("worker", "Invoke") if "messages" in s["attrs"]]
    assert work["attrs"]["batch"] == batch["span"]
    assert work["start_ms"] == batch["start_ms"]
    assert batch["attrs"]["cold_start"] is True
    # init 50 ms, code 4,000 ms (the message's ReceiveMessage step, standing for the
    # pollers' receive, takes none): all in both spans.
    assert batch["end_ms"] - batch["start_ms"] == pytest.approx(50 + 4000)
    assert work["end_ms"] - work["start_ms"] == pytest.approx(50 + 4000)
    assert work["session"] == lab.on("api")[0]["session"]  # in the user's trace: --explain
    assert lab.points("worker", "Duration")[0]["avg"] == 4000.0
    # What --explain prints for them: the message's hop now takes the function's time.
    assert describe(work) == "worker Invoke  [ok, 4050.0 ms]"
    assert describe(batch) == "worker Invoke — init_ms 50.0  [ok, 4050.0 ms]"


def test_a_timed_out_batch_returns_to_the_queue_after_the_visibility_timeout() -> None:
    worker = fn(
        "worker",
        duration=const(5000),
        timeout_s=3,
        event_source={"queue": "jobs", "batch_size": 10},
    )
    model = pipeline(worker, latency=const(1), visibility_timeout_s=10)
    lab = run_lab(model, [1.0], horizon_s=60)
    batches = [s for s in lab.on("worker", "Invoke") if "messages" in s["attrs"]]
    # Every attempt times out 3 s after its init; the message is visible again 10 s
    # after each receive: attempts at 1 s, 11 s, 21 s… (each receive ~1 ms later).
    assert [s["error"] for s in batches] == ["Sandbox.Timedout"] * len(batches)
    starts = [round(s["start_ms"] / 1000) for s in batches]
    assert starts == [1, 11, 21, 31, 41, 51]
    durations = [s["end_ms"] - s["start_ms"] for s in batches]
    assert durations[0] == pytest.approx(50 + 3000)  # cold, then the timeout
    assert durations[1:] == [pytest.approx(50 + 3000)] * 5  # a timeout discards the env
    assert lab.total("worker", "Errors") == 6
    assert lab.total("worker", "Invocations") == 6
    assert lab.points("worker", "Duration") == [
        {"avg": 3000.0, "max": 3000.0, "n": 6, "p99": 3000.0}
    ]
    assert lab.total("jobs", "NumberOfMessagesReceived") == 6
    assert lab.total("jobs", "NumberOfMessagesDeleted") == 0
    assert lab.summary("worker")["function"]["timeouts"] == 6
    assert lab.summary("jobs")["queue"]["redelivered"] == 5
    # The code never reached the message: no work span, nothing processed.
    assert [s for s in lab.on("worker", "Invoke") if "message_id" in s["attrs"]] == []


def test_a_timeout_ends_the_message_in_progress_and_makes_no_further_call() -> None:
    worker = fn(
        "worker",
        duration=const(500),
        timeout_s=1,
        event_source={"queue": "jobs", "batch_size": 10},
    )
    # The message's flow: a 2 s call to a slow partner, then a delete it never reaches.
    slow = lab_model(
        [
            fn("api"),
            {"id": "jobs", "kind": "sqs", "group": "r1", "params": {"latency": const(1)}},
            worker,
            {"id": "partner", "kind": "external", "params": {"latency": const(2000)}},
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "jobs", "operations": ["SendMessage"], "mode": "async"},
            {"from": "worker", "to": "jobs", "operations": ["ReceiveMessage", "DeleteMessage"]},
            {"from": "worker", "to": "partner", "operations": ["POST"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "jobs", "op": "SendMessage"},
        ],
        flows=[
            {
                "id": "work",
                "title": "Work",
                "user_facing": False,
                "steps": [
                    {"from": "worker", "to": "partner", "op": "POST"},
                    {"from": "worker", "to": "jobs", "op": "DeleteMessage"},
                ],
            }
        ],
    )
    lab = run_lab(slow, [1.0], horizon_s=20)
    [work] = [s for s in lab.on("worker", "Invoke") if "message_id" in s["attrs"]]
    [batch] = [s for s in lab.on("worker", "Invoke") if "messages" in s["attrs"]]
    assert work["error"] == batch["error"] == "Sandbox.Timedout"
    assert work["end_ms"] == batch["end_ms"] == pytest.approx(batch["start_ms"] + 50 + 1000)
    # The partner call already made finishes on its own; the delete step is never made.
    [partner] = lab.on("partner")
    assert partner["end_ms"] > work["end_ms"]
    assert [s["op"] for s in lab.on("jobs") if s["step"] is not None] == ["SendMessage"]


def test_a_timed_out_synchronous_invocation_fails_its_caller_at_the_timeout() -> None:
    model = lab_model(
        [fn("api", duration=const(5000), timeout_s=2)],
        [{"from": "users", "to": "api", "operations": ["Invoke"]}],
        [{"from": "users", "to": "api", "op": "Invoke"}],
    )
    lab = run_lab(model, [1.0])
    [span] = lab.on("api")
    assert span["error"] == "Sandbox.Timedout"
    assert span["end_ms"] - span["start_ms"] == pytest.approx(50 + 2000)
    assert lab.total("api", "Errors") == 1
    assert lab.points("api", "Duration")[0]["avg"] == 2000.0


# ---------------------------------------------------------------------------- SNS


def test_sns_counts_publishes_deliveries_filtered_and_failed_notifications() -> None:
    model = lab_model(
        [
            fn("api"),
            {
                "id": "topic",
                "kind": "sns",
                "group": "r1",
                "params": {
                    "latency": const(1),
                    "subscriptions": [
                        {"endpoint": "mail", "protocol": "email"},
                        {"endpoint": "audit", "protocol": "email", "filter_policy": {"x": ["y"]}},
                    ],
                },
            },
            {"id": "mail", "kind": "external", "params": {"latency": const(1)}},
            {"id": "audit", "kind": "external", "params": {"latency": const(1)}},
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "topic", "operations": ["Publish"]},
            {"from": "topic", "to": "mail", "operations": ["Deliver"], "mode": "async"},
            {"from": "topic", "to": "audit", "operations": ["Deliver"], "mode": "async"},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "topic", "op": "Publish"},
            {"from": "topic", "to": "mail", "op": "Deliver"},
            {"from": "topic", "to": "audit", "op": "Deliver", "probability": 0.0},
        ],
    )
    lab = run_lab(model, [1.0, 2.0, 3.0])
    assert lab.total("topic", "NumberOfMessagesPublished") == 3
    assert lab.total("topic", "NumberOfNotificationsDelivered") == 3  # mail
    assert lab.total("topic", "NumberOfNotificationsFilteredOut") == 3  # audit's policy
    assert lab.total("topic", "NumberOfNotificationsFailed") == 0
    assert lab.total("topic", "NumberOfNotificationsRedrivenToDlq") == 0


# ---------------------------------------------------------------------------- KMS


def test_kms_counts_every_decrypt_and_the_caller_none_of_its_throttles() -> None:
    """Issue 12: KMS reported decrypts: 0 after thousands of Decrypt calls."""
    model = lab_model(
        [
            fn("api", reserved_concurrency=10),
            {
                "id": "key",
                "kind": "kms",
                "group": "r1",
                "params": {
                    "latency": const(2),
                    "requests_per_s_quota": 2,
                    "max_attempts": 1,
                },
            },
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "key", "operations": ["Decrypt"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "key", "op": "Decrypt"},
        ],
    )
    lab = run_lab(model, [1.0, 1.001, 1.002, 3.0])  # three in one second: one over the quota
    assert lab.summary("key")["kms"]["decrypts"] == 3  # was 0
    assert lab.summary("key")["kms"]["throttled"] == 1
    assert lab.total("key", "CallCount") == 3
    assert lab.total("api", "Throttles") == 0
    assert lab.total("api", "Errors") == 1
    assert published("kms") == {"CallCount"}


# ---------------------------------------------------------------------------- S3


def test_s3_request_metrics() -> None:
    model = lab_model(
        [
            fn("api"),
            {
                "id": "bucket",
                "kind": "s3",
                "group": "r1",
                "params": {"objects": 10, "get": const(20), "put": const(40)},
            },
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "bucket", "operations": ["GetObject", "PutObject"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "bucket", "op": "PutObject", "key": "trace"},
            {"from": "api", "to": "bucket", "op": "GetObject", "key": "trace"},
            {"from": "api", "to": "bucket", "op": "GetObject", "key": "session"},
        ],
    )
    lab = run_lab(model, [1.0, 2.0])
    # Per user: a PUT and a GET of its own object, a GET of a missing one (the first GET
    # of a missing key fails the flow, so the second user's flow stops there too).
    assert lab.total("bucket", "AllRequests") == 6
    assert lab.total("bucket", "PutRequests") == 2
    assert lab.total("bucket", "GetRequests") == 4
    assert lab.total("bucket", "4xxErrors") == 2  # NoSuchKey
    assert lab.total("bucket", "5xxErrors") == 0
    # Each answer that carries the default 200 KB object also takes 200 × 8.192 / 680 =
    # 2.409 ms to move at S3's per-connection 680 Mbit/s: both PUTs and the two GETs that
    # found their object, not the NoSuchKey answers.
    assert lab.points("bucket", "TotalRequestLatency") == [
        {
            "avg": pytest.approx((160 + 4 * 2.409) / 6, abs=1e-3),
            "max": 42.409,
            "n": 6,
            "p99": 42.409,
        }
    ]


# ---------------------------------------------------------------------------- CloudFront


def test_cloudfront_requests_error_rates_hit_rate_and_origin_latency() -> None:
    model = lab_model(
        [
            {
                "id": "cdn",
                "kind": "cloudfront",
                "params": {"hit": const(1), "origins": [{"target": "bucket"}]},
            },
            {
                "id": "bucket",
                "kind": "s3",
                "group": "r1",
                "params": {"objects": 1_000_000, "get": const(30)},
            },
        ],
        [
            {"from": "users", "to": "cdn", "operations": ["GET /img"]},
            {"from": "cdn", "to": "bucket", "operations": ["GetObject"]},
        ],
        [
            {"from": "users", "to": "cdn", "op": "GET /img"},
            {"from": "cdn", "to": "bucket", "op": "GetObject", "when": "cache_miss"},
        ],
        faults=[{"type": "node_outage", "target": "bucket", "start_s": 70, "end_s": 80}],
    )
    lab = run_lab(model, [1.0, 2.0, 3.0, 4.0, 75.0])
    hits = sum(1 for s in lab.on("cdn") if s["attrs"].get("cache") == "hit")
    misses = 4 - hits
    assert lab.points("cdn", "Requests") == [4, 1]
    assert lab.points("cdn", "CacheHitRate")[0] == pytest.approx(100.0 * hits / 4, abs=1e-6)
    # The origin's answer: its get (30 ms) and the 200 KB object at 680 Mbit/s (2.409 ms).
    assert lab.points("cdn", "OriginLatency")[0] == {
        "avg": 32.409,
        "max": 32.409,
        "n": misses,
        "p99": 32.409,
    }
    # First period: no error; second: the one request met the origin's outage (a 502,
    # unless the item was cached).
    assert lab.points("cdn", "TotalErrorRate")[0] == 0.0
    failed = [s for s in lab.on("cdn") if s["error"] is not None]
    assert lab.points("cdn", "5xxErrorRate")[1] == (100.0 if failed else 0.0)
    assert lab.points("cdn", "4xxErrorRate") == [0.0, 0.0]


# ---------------------------------------------------------------------------- EC2


def test_ec2_cpu_utilization_is_cpu_time_over_the_vcpus_of_the_period() -> None:
    model = lab_model(
        [
            {
                "id": "fleet",
                "kind": "ec2",
                "group": "r1",
                "params": {
                    "detailed_monitoring": True,  # a datapoint per minute
                    "workers_per_instance": 1,
                    "service_time": const(600),
                    "autoscaling": {"min_instances": 1, "max_instances": 1},
                },
            }
        ],
        [{"from": "users", "to": "fleet", "operations": ["GET /"]}],
        [{"from": "users", "to": "fleet", "op": "GET /"}],
    )
    lab = run_lab(model, [1.0, 2.0])
    # 1.2 s of CPU over a 60 s period of one c5.xlarge (the default: 4 vCPUs): 0.5 %.
    assert lab.points("fleet", "CPUUtilization") == [pytest.approx(0.5), 0.0]
    assert published("ec2") == {"CPUUtilization"}


# ---------------------------------------------------------------------------- RDS


def test_rds_connections_and_latencies_in_seconds() -> None:
    model = lab_model(
        [
            fn("api", reserved_concurrency=10),
            {
                "id": "db",
                "kind": "rds",
                "group": "r1",
                "params": {"read": const(4), "write": const(8)},
            },
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "db", "operations": ["SELECT", "INSERT"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "db", "op": "SELECT"},
            {"from": "api", "to": "db", "op": "INSERT"},
        ],
    )
    lab = run_lab(model, [1.0, 1.0005, 5.0])
    assert lab.points("db", "ReadLatency") == [{"avg": 0.004, "max": 0.004, "n": 3, "p99": 0.004}]
    assert lab.points("db", "WriteLatency") == [{"avg": 0.008, "max": 0.008, "n": 3, "p99": 0.008}]
    assert lab.points("db", "DatabaseConnections") == [2.0, 0.0]  # two users at once


# ---------------------------------------------------------------------------- SageMaker


def test_sagemaker_invocations_errors_and_model_latency_in_microseconds() -> None:
    model = lab_model(
        [
            fn("api", reserved_concurrency=50),
            {
                "id": "recs",
                "kind": "sagemaker_endpoint",
                "group": "r1",
                "params": {"instances": 1, "concurrency_per_instance": 1, "inference": const(20)},
            },
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "recs", "operations": ["InvokeEndpoint"]},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "recs", "op": "InvokeEndpoint"},
        ],
    )
    # Eleven at once: one slot and a queue of 8 take nine, two are throttled (4xx).
    lab = run_lab(model, [1.0 + i / 1e4 for i in range(11)])
    assert lab.total("recs", "Invocations") == 11
    assert lab.total("recs", "Invocation4XXErrors") == 2
    assert lab.total("recs", "Invocation5XXErrors") == 0
    assert lab.points("recs", "ModelLatency") == [
        {"avg": 20_000.0, "max": 20_000.0, "n": 9, "p99": 20_000.0}
    ]
    assert lab.total("api", "Throttles") == 0


# ---------------------------------------------------------------------------- WAF


def test_waf_allowed_and_blocked_requests() -> None:
    model = lab_model(
        [
            {
                "id": "waf",
                "kind": "waf",
                "params": {
                    "protects": ["lb"],
                    "rate_rule": {"limit": 10, "window_s": 60},
                    "evaluation_interval_s": 10,
                },
            },
            {"id": "lb", "kind": "alb", "group": "r1", "params": {"overhead": const(1)}},
            fn("app", reserved_concurrency=100),
        ],
        [
            {"from": "users", "to": "lb", "operations": ["GET /"]},
            {"from": "lb", "to": "app", "operations": ["Invoke"]},
        ],
        [
            {"from": "users", "to": "lb", "op": "GET /"},
            {"from": "lb", "to": "app", "op": "Invoke"},
        ],
    )
    lab = run_lab(model, [1.0 + i / 100 for i in range(5)])
    # Each session is its own source: no key goes over the limit.
    assert lab.total("waf", "AllowedRequests") == 5
    assert lab.total("waf", "BlockedRequests") == 0
    assert lab.total("lb", "RequestCount") == 5


# ---------------------------------------------------------------------------- Route 53


def test_route53_dns_queries_and_health_check_status() -> None:
    model = lab_model(
        [
            {
                "id": "dns",
                "kind": "route53",
                "params": {
                    "routing": "simple",
                    "ttl_s": 60,
                    "health_check_interval_s": 10,
                    "records": [{"target": "app", "health_check": True}],
                },
            },
            fn("app", reserved_concurrency=10),
        ],
        [
            {"from": "users", "to": "dns", "operations": ["Resolve"]},
            {"from": "dns", "to": "app", "operations": ["Invoke"]},
        ],
        [{"from": "users", "to": "dns", "op": "Resolve"}],
        faults=[{"type": "node_outage", "target": "app", "start_s": 65}],
    )
    # Users share the resolver of the client (no locations): one query per TTL.
    lab = run_lab(model, [1.0, 2.0, 3.0, 70.0])
    assert lab.points("dns", "DNSQueries") == [1, 1]
    assert [s["attrs"].get("resolver") for s in lab.on("dns", "Resolve")] == [
        None,
        "cached",
        "cached",
        None,
    ]
    # Healthy at 60 s; out since 65 s: three failed checks (10 s apart) by 120 s.
    assert lab.points("dns", "HealthCheckStatus") == [1.0, 0.0]


# ---------------------------------------------------------------------------- declarations


def test_alarms_may_watch_only_the_metrics_of_the_nodes_kind() -> None:
    from archgen.model.errors import ModelError

    nodes = [
        {"id": "lb", "kind": "alb", "group": "r1"},
        {
            "id": "watch",
            "kind": "cloudwatch",
            "params": {
                "metrics": [
                    {"id": "a", "node": "lb", "name": "Throttles", "statistic": "Sum"},
                    {"id": "b", "node": "lb", "name": "TargetResponseTime"},
                    {"id": "c", "node": "users", "name": "Latency"},
                ]
            },
        },
    ]
    with pytest.raises(ModelError) as raised:
        lab_model(
            nodes,
            [{"from": "users", "to": "lb", "operations": ["GET"]}],
            [{"from": "users", "to": "lb", "op": "GET"}],
        )
    assert str(raised.value).splitlines() == [
        "error: lab.yaml:23:13: nodes[2].params.metrics[0].name: alb node 'lb' publishes no "
        "metric 'Throttles'; its metrics: RequestCount, HTTPCode_ELB_4XX_Count, "
        "HTTPCode_ELB_5XX_Count, HTTPCode_Target_4XX_Count, HTTPCode_Target_5XX_Count, "
        "TargetResponseTime, HealthyHostCount, UnHealthyHostCount",
        "error: lab.yaml:30:13: nodes[2].params.metrics[2].name: client node 'users' "
        "publishes no metrics",
    ]


def test_a_behavior_can_emit_only_what_its_kind_declares() -> None:
    store = MetricStore(60.0, {"fn": kinds()["lambda"].metrics})
    store.emit("fn", "Throttles", 1)
    with pytest.raises(UndeclaredMetricError, match="fn: metric 'RequestCount' is not declared"):
        store.emit("fn", "RequestCount", 1)


@pytest.mark.parametrize("name", sorted(kinds()))
def test_every_kind_that_emits_metrics_declares_them(name: str) -> None:
    from archgen.model.kind import Capability, Shape, Unit

    spec = kinds()[name]
    declared = spec.metrics
    if spec.has(Capability.emits_metrics):
        assert declared.metrics, f"{name} emits metrics but declares none"
    if declared.metrics:
        assert declared.namespace.startswith("AWS/")
        assert declared.dimensions
    names = declared.names()
    assert len(set(names)) == len(names)
    for metric in declared.metrics:
        assert metric.counts.endswith(".")
        assert metric.statistic in {"Sum", "Average", "Minimum", "Maximum", "p99"}
        if metric.shape is Shape.count:
            assert metric.unit in (Unit.count, Unit.bytes)  # events, or the bytes they carry
            assert metric.statistic == "Sum"
