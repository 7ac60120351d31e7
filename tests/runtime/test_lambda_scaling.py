"""Lambda as AWS scales and configures it, each rule against a small model whose answer is
known (users sent at chosen instants, constant durations): SQS pollers (start at 5, up to
300 more a minute while messages wait, back to 5 when the queue drains, capped by the
event source's ``maximum_concurrency``), provisioned concurrency (no cold start up to it,
within the reserved concurrency), ``max_event_age_s`` and ``memory_mb``'s CPU share."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model.errors import ModelError
from tests.runtime.metrics_lab import Lab, lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def fn(node_id: str, **params: Any) -> dict[str, Any]:
    base = {"duration": const(10), "cold_start": const(50)}
    return {"id": node_id, "kind": "lambda", "group": "r1", "params": {**base, **params}}


def pipeline(duration_s: float, **source: Any) -> Any:
    """``users`` → ``api`` → the queue ``jobs`` ← ``worker`` (one message per batch)."""
    worker = fn(
        "worker",
        duration=const(source.pop("duration_ms", 1000)),
        timeout_s=120,
        event_source={"queue": "jobs", "batch_size": 1, **source},
    )
    return lab_model(
        [
            fn("api"),
            {"id": "jobs", "kind": "sqs", "group": "r1", "params": {"visibility_timeout_s": 720}},
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
        duration_s=duration_s,
    )


def consumer(lab: Lab) -> dict[str, Any]:
    books: dict[str, Any] = lab.summary("worker")["consumer"]
    return books


def burst(count: int) -> list[float]:
    """``count`` messages within the first second."""
    return [1.0 + i / count for i in range(count)]


# ---------------------------------------------------------------------------- pollers


def test_one_message_every_20_s_keeps_five_pollers() -> None:
    """Issue 12: pollers grew by 60 a minute and never shrank (365 for one message per
    20 s over 6 minutes)."""
    lab = run_lab(pipeline(400), [1.0 + 20 * i for i in range(19)])
    books = consumer(lab)
    assert (books["pollers"], books["peak_pollers"], books["pollers_added"]) == (5, 5, 0)
    assert books["processed"] == 19


def test_pollers_add_50_every_10_s_while_messages_wait() -> None:
    """3,000 messages at once, each taking a minute: every 10 s tick sees messages
    waiting, so 5 + 6 × 50 = 305 pollers after a minute (300 more per minute), each
    running one batch."""
    lab = run_lab(pipeline(61, duration_ms=60_000), burst(3000), horizon_s=61)
    books = consumer(lab)
    assert (books["peak_pollers"], books["pollers_added"], books["poller_cap"]) == (305, 300, 1000)
    assert lab.summary("worker")["function"]["peak_concurrency"] == 305


def test_maximum_concurrency_caps_the_pollers() -> None:
    lab = run_lab(
        pipeline(61, duration_ms=60_000, maximum_concurrency=20), burst(3000), horizon_s=61
    )
    books = consumer(lab)
    assert (books["peak_pollers"], books["poller_cap"]) == (20, 20)
    assert lab.summary("worker")["function"]["peak_concurrency"] == 20


@pytest.mark.parametrize("value", [1, 1001])
def test_maximum_concurrency_is_2_to_1000(value: int) -> None:
    with pytest.raises(ModelError, match=r"event_source\.maximum_concurrency: input should be"):
        pipeline(60, maximum_concurrency=value)


def test_pollers_scale_down_once_the_queue_drains() -> None:
    """600 messages of one second each: pollers grow while they wait, then each extra
    poller whose 20 s long poll comes back empty stops, down to 5."""
    lab = run_lab(pipeline(200), burst(600), horizon_s=200)
    books = consumer(lab)
    assert books["processed"] == 600
    assert books["peak_pollers"] > 5
    assert books["pollers_retired"] == books["pollers_added"] == books["peak_pollers"] - 5
    assert books["pollers"] == 5


# ---------------------------------------------------------------------------- provisioned


def invoked(count: int, **params: Any) -> Lab:
    """``count`` users invoke ``api`` (1 s of code unless ``params`` say) at once."""
    model = lab_model(
        [fn("api", **{"duration": const(1000), **params})],
        [{"from": "users", "to": "api", "operations": ["Invoke"]}],
        [{"from": "users", "to": "api", "op": "Invoke"}],
        duration_s=70,
    )
    return run_lab(model, [1.0 + i / 1000 for i in range(count)])


def test_provisioned_environments_never_cold_start() -> None:
    function = invoked(10, provisioned_concurrency=10)
    books = function.summary("api")["function"]
    assert (books["cold_starts"], books["provisioned_invocations"]) == (0, 10)
    assert not any("init_ms" in s["attrs"] for s in function.on("api", "Invoke"))


def test_beyond_provisioned_an_invocation_spills_over_to_a_cold_start() -> None:
    lab = invoked(10, provisioned_concurrency=4)
    books = lab.summary("api")["function"]
    assert (books["cold_starts"], books["spillover_invocations"]) == (6, 6)
    assert books["provisioned_invocations"] == 4
    assert lab.total("api", "ProvisionedConcurrencyInvocations") == 4
    assert lab.total("api", "ProvisionedConcurrencySpilloverInvocations") == 6
    assert lab.total("api", "Invocations") == 10


def test_a_function_without_provisioned_concurrency_publishes_no_provisioned_metric() -> None:
    lab = invoked(3)
    assert lab.points("api", "ProvisionedConcurrencyInvocations") == []
    assert lab.points("api", "ProvisionedConcurrencySpilloverInvocations") == []


def test_provisioned_concurrency_counts_within_the_reserved_one() -> None:
    books = invoked(10, reserved_concurrency=4, provisioned_concurrency=4).summary("api")
    function = books["function"]
    assert (function["throttles"], function["peak_concurrency"], function["cold_starts"]) == (
        6,
        4,
        0,
    )


def test_provisioned_above_reserved_is_refused() -> None:
    with pytest.raises(
        ModelError,
        match=r"provisioned_concurrency \(5\) exceeds "
        r"reserved_concurrency \(4\): AWS counts provisioned environments",
    ):
        invoked(1, reserved_concurrency=4, provisioned_concurrency=5)


# ---------------------------------------------------------------------------- async age


def failing_events(at_s: list[float] | None = None, **job: Any) -> Lab:
    """Events (five, 10 s apart) to a function that always fails unless ``job`` says;
    failed events go to the queue ``failed``."""
    failure = {"on_failure": "failed", **job.pop("async_invocation", {})}
    model = lab_model(
        [
            fn("api"),
            fn("job", **{"error_rate": 1.0, "async_invocation": failure, **job}),
            {"id": "failed", "kind": "sqs", "group": "r1"},
        ],
        [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "job", "operations": ["Invoke"], "mode": "async"},
            {"from": "job", "to": "failed", "operations": ["SendMessage"], "mode": "async"},
        ],
        [
            {"from": "users", "to": "api", "op": "Invoke"},
            {"from": "api", "to": "job", "op": "Invoke"},
        ],
        duration_s=400,
    )
    return run_lab(model, at_s or [1.0 + 10 * i for i in range(5)])


def test_failed_events_are_retried_twice_within_their_age() -> None:
    lab = failing_events()
    function = lab.summary("job")["function"]
    assert (function["invocations"], function["async_retries"]) == (15, 10)
    assert "async_expired" not in function
    assert lab.total("failed", "NumberOfMessagesSent") == 5


def test_events_older_than_max_event_age_go_to_on_failure_unretried() -> None:
    """The first retry is due a minute after the failure: past a 60 s age limit."""
    lab = failing_events(async_invocation={"max_event_age_s": 60})
    function = lab.summary("job")["function"]
    assert (function["invocations"], function["async_expired"]) == (5, 5)
    assert lab.total("failed", "NumberOfMessagesSent") == 5


# ---------------------------------------------------------------------------- memory


@pytest.mark.parametrize(
    ("memory_mb", "duration_ms"),
    [(128, 10 + 100 * 1769 / 128), (1769, 110.0), (3538, 110.0)],
)
def test_cpu_time_takes_longer_with_less_memory(memory_mb: int, duration_ms: float) -> None:
    """100 ms of CPU at one vCPU: 1,769 MB is one vCPU, 128 MB a 128/1,769 share, and a
    single thread gets no faster above one vCPU."""
    lab = invoked(1, memory_mb=memory_mb, duration=const(10), cpu_time=const(100))
    (point,) = lab.points("api", "Duration")
    assert point["avg"] == pytest.approx(duration_ms, abs=0.01)


def test_throttled_events_past_max_event_age_go_to_on_failure() -> None:
    """One environment busy for 100 s: the two other events wait, retried after 1, 2, 4,
    8, 16 and 32 s; at 63 s they are older than 60 s and give up."""
    lab = failing_events(
        [1.0, 1.001, 1.002],
        error_rate=0.0,
        reserved_concurrency=1,
        timeout_s=120,
        duration=const(100_000),
        async_invocation={"max_event_age_s": 60},
    )
    function = lab.summary("job")["function"]
    assert (function["invocations"], function["async_expired"], function["errors"]) == (1, 2, 0)
    assert function["throttles"] == 12  # six throttled attempts each
    assert lab.total("failed", "NumberOfMessagesSent") == 2
