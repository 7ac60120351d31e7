"""EventBridge (issue 14): pattern matching shared with SNS filter policies, the PutEvents
token bucket, retries with backoff until the attempts or the event's age run out, then the
target's dead-letter queue or a drop the books count as lost; schedules; the price. Users
are sent at chosen instants and latencies are constant, so every count is exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.runtime.metrics_lab import Lab, lab_model, run_lab

LIBRARY = Path(__file__).parent / "models" / "library-returns.yaml"
CONSTANT_10MS = {"distribution": "constant", "mean_ms": 10}
JOB_RULE = {"source": ["app.jobs"], "detail": {"kind": ["render"]}}


def bus_run(
    rules: list[dict[str, Any]],
    at_s: list[float],
    *,
    bus: dict[str, Any] | None = None,
    role: dict[str, Any] | None = None,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    duration_s: float = 600,
    probability: float | None = None,
    scale: float = 1.0,
) -> Lab:
    """users → bus (PutEvents) → q (SendMessage), with dlq and fn as further targets."""
    step: dict[str, Any] = {"from": "bus", "to": "q", "op": "SendMessage"}
    if probability is not None:
        step["probability"] = probability
    model = lab_model(
        [
            {
                "id": "bus",
                "kind": "eventbridge",
                "group": "r1",
                "params": {
                    "latency": CONSTANT_10MS,
                    "delivery_latency": CONSTANT_10MS,
                    "rules": rules,
                    **(bus or {}),
                },
                **({"role": "bus-role"} if role else {}),
            },
            *([{"id": "bus-role", "kind": "iam_role", "params": role}] if role else []),
            {"id": "q", "kind": "sqs", "group": "r1"},
            {"id": "dlq", "kind": "sqs", "group": "r1"},
            {
                "id": "fn",
                "kind": "lambda",
                "group": "r1",
                "params": {
                    "cold_start": {"distribution": "constant", "mean_ms": 0},
                    "duration": CONSTANT_10MS,
                },
            },
        ],
        [
            {"from": "users", "to": "bus", "operations": ["PutEvents"]},
            {
                "from": "bus",
                "to": "q",
                "operations": ["SendMessage"],
                "mode": "async",
                "protocol": "aws-api",
            },
            {
                "from": "bus",
                "to": "fn",
                "operations": ["Invoke"],
                "mode": "async",
                "protocol": "aws-api",
            },
            {
                "from": "bus",
                "to": "dlq",
                "operations": ["Redrive"],
                "mode": "async",
                "protocol": "aws-api",
            },
        ],
        [{"from": "users", "to": "bus", "op": "PutEvents"}, step],
        faults=list(faults),
        duration_s=duration_s,
    )
    return run_lab(model, at_s, scale=scale)


def to_q(**target: Any) -> list[dict[str, Any]]:
    return [{"id": "renders", "event_pattern": JOB_RULE, "targets": [{"target": "q", **target}]}]


def totals(lab: Lab) -> dict[str, float]:
    names = (
        "MatchedEvents",
        "TriggeredRules",
        "Invocations",
        "FailedInvocations",
        "ThrottledRules",
        "DeadLetterInvocations",
    )
    return {name: lab.total("bus", name) for name in names}


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("event", "matched"),
    [
        ({"source": "app.jobs", "detail": {"kind": "render", "frames": 12}}, True),
        ({"source": "app.jobs", "detail": {"kind": "cancel"}}, False),
        ({"source": "app.other", "detail": {"kind": "render"}}, False),
        ({"source": "app.jobs"}, False),  # detail.kind missing
    ],
)
def test_a_pattern_matches_fields_and_and_values_or_as_sns_filters_do(
    event: dict[str, Any], matched: bool
) -> None:
    from archgen.model.kinds.eventbridge import flatten_pattern
    from archgen.runtime.aws.sns_filter import matches

    pattern = dict(flatten_pattern({**JOB_RULE, "detail": {"kind": ["render", "rerender"]}}))
    assert pattern == {"source": ["app.jobs"], "detail.kind": ["render", "rerender"]}
    assert matches(pattern, dict(flatten_pattern(event))) is matched


@pytest.mark.parametrize(
    ("rules", "hit", "miss"),
    [
        (["render"], "render", "not-render"),
        ([{"prefix": "eu-"}], "eu--x", "not-eu-"),
        ([{"numeric": [">", 0, "<=", 5]}], 0.5, 0.0),
        ([{"anything-but": ["test"]}], "anything-else", "test"),
        ([{"exists": False}], "absent", "present"),
    ],
)
def test_the_simulated_event_gets_a_value_the_pattern_accepts_or_refuses(
    rules: list[Any], hit: Any, miss: Any
) -> None:
    from archgen.runtime.behaviors.eventbridge import _ABSENT, witness

    def shown(value: Any) -> Any:
        return "absent" if value is _ABSENT else value

    assert (shown(witness("f", rules, True)), shown(witness("f", rules, False))) == (hit, miss)


def test_every_put_matching_a_rule_is_delivered_once_to_its_target() -> None:
    """10 events, the flow's step without a probability: each matches, 10 messages."""
    lab = bus_run(to_q(), [1 + i for i in range(10)])
    assert totals(lab) == {
        "MatchedEvents": 10,
        "TriggeredRules": 10,
        "Invocations": 10,
        "FailedInvocations": 0,
        "ThrottledRules": 0,
        "DeadLetterInvocations": 0,
    }
    assert lab.total("q", "NumberOfMessagesSent") == 10
    (first, *_) = lab.on("q")
    assert (first["start_ms"], first["step"]) == (1_020, 1)  # 10 ms put + 10 ms to deliver


def test_a_rule_matches_as_often_as_its_step_probability() -> None:
    """400 events, the delivering step at 0.3: about 120 match (binomial sd 9)."""
    lab = bus_run(to_q(), [1 + i * 0.25 for i in range(400)], probability=0.3)
    matched = lab.total("bus", "MatchedEvents")
    assert abs(matched - 120) <= 27
    assert lab.total("q", "NumberOfMessagesSent") == matched


def test_a_disabled_rule_matches_nothing() -> None:
    lab = bus_run([{**to_q()[0], "enabled": False}], [1, 2, 3])
    assert totals(lab)["MatchedEvents"] == 0
    assert lab.on("q") == []


# --------------------------------------------------------------------------- quotas


def test_put_events_over_the_quota_is_throttled_at_the_door() -> None:
    """Quota 2 per second, a bucket of one second's worth: of 10 puts at one instant, 2
    are accepted and 8 answered ThrottlingException; none of those 8 is delivered."""
    lab = bus_run(to_q(), [1.0] * 10, bus={"put_events_rate_per_s": 2})
    errors = [s["error"] for s in lab.on("bus")]
    assert errors.count("ThrottlingException") == 8
    assert lab.summary("bus")["bus"]["throttled_put_events"] == 8
    assert lab.total("q", "NumberOfMessagesSent") == 2


def test_invocations_over_the_quota_are_throttled_then_retried() -> None:
    """Quota 1 invocation a second: 3 matched events at one instant, the first invoked,
    two throttled (ThrottledRules 2) and delivered on a retry."""
    lab = bus_run(to_q(), [1.0] * 3, bus={"invocations_rate_per_s": 1})
    assert lab.total("bus", "ThrottledRules") >= 2
    assert lab.total("q", "NumberOfMessagesSent") == 3
    assert lab.summary("bus")["deliveries"]["delivered"] == 3


# --------------------------------------------------------------------------- retries


def test_backoff_doubles_from_one_second_to_ten_minutes_with_jitter() -> None:
    """d/2 + draw × d/2, d = min(2^(n−1) s, 600 s): the defaults' 185 retries take
    0.75 × (1 + 2 + … + 512 + 175 × 600) = 79,517.25 s (22.1 h) on average, within 24 h."""
    from archgen.runtime.behaviors.eventbridge import backoff_s

    assert [backoff_s(n, 0.0) for n in (1, 2, 3, 11, 185)] == [0.5, 1.0, 2.0, 300.0, 300.0]
    assert backoff_s(4, 1.0) == 8.0
    assert sum(backoff_s(n, 0.5) for n in range(1, 186)) == 79_517.25


def test_a_target_that_keeps_failing_is_retried_then_dead_lettered() -> None:
    """q is down all run; 3 retries: each event is attempted 4 times, then moved to dlq
    (DeadLetterInvocations 3); Invocations and FailedInvocations leave those out."""
    lab = bus_run(
        to_q(dead_letter_queue="dlq", retry_policy={"maximum_retry_attempts": 3}),
        [1, 2, 3],
        faults=[{"type": "node_outage", "target": "q", "start_s": 0}],
    )
    assert [s["error"] for s in lab.on("q")] == ["ServiceUnavailable"] * 12
    assert len(lab.on("dlq", "Redrive")) == 3
    assert totals(lab) == {
        "MatchedEvents": 3,
        "TriggeredRules": 3,
        "Invocations": 0,
        "FailedInvocations": 0,
        "ThrottledRules": 0,
        "DeadLetterInvocations": 3,
    }
    assert lab.summary("bus")["deliveries"]["retries"] == 9


def test_an_event_older_than_its_maximum_age_is_given_up_at_that_age() -> None:
    """Maximum age 60 s, 185 retries: the event put at 1.01 s goes to the dead-letter
    queue at 61.01 s, its backoff long past the remaining age."""
    lab = bus_run(
        to_q(dead_letter_queue="dlq", retry_policy={"maximum_event_age_s": 60}),
        [1],
        faults=[{"type": "node_outage", "target": "q", "start_s": 0}],
    )
    (redrive,) = lab.on("dlq", "Redrive")
    assert redrive["start_ms"] == 61_010
    attempts = lab.on("q")
    assert 6 <= len(attempts) <= 8  # waits of 0.5–1, 1–2, … s up to the 60 s
    assert all(s["start_ms"] < 61_010 for s in attempts)


def test_without_a_dead_letter_queue_a_failed_event_is_dropped_and_the_books_lose_it() -> None:
    """0 retries: the one failed attempt drops each event (FailedInvocations 2, counted in
    Invocations), and the bus's books show 2 of 2 deliveries lost."""
    from archgen.runtime.accounting import message_accounting

    lab = bus_run(
        to_q(retry_policy={"maximum_retry_attempts": 0}),
        [1, 2],
        faults=[{"type": "node_outage", "target": "q", "start_s": 0}],
    )
    assert (lab.total("bus", "Invocations"), lab.total("bus", "FailedInvocations")) == (2, 2)
    books = message_accounting(lab.sim.model, lab.sim.behaviors["bus"].accounting())
    account = books["queues"]["bus"]
    assert (account["sent"], account["processed"], account["in_dlq"], account["lost"]) == (
        2,
        0,
        0,
        2,
    )


def test_an_access_denied_delivery_is_not_retried_but_dead_lettered_at_once() -> None:
    """The bus's role may write to dlq only: each SendMessage to q is refused
    (AccessDenied), which EventBridge does not retry: straight to the dead-letter queue."""
    dlq = "arn:aws:sqs:eu-west-1:123456789012:dlq"
    role = {
        "assumed_by": ["events.amazonaws.com"],
        "policies": [{"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": dlq}]}],
    }
    lab = bus_run(to_q(dead_letter_queue="dlq"), [1, 2], role=role)
    assert [s["error"] for s in lab.on("q")] == ["AccessDenied", "AccessDenied"]
    assert [s["start_ms"] for s in lab.on("dlq", "Redrive")] == [1_020, 2_020]
    assert lab.summary("bus")["deliveries"]["retries"] == 0
    assert lab.total("bus", "DeadLetterInvocations") == 2


# --------------------------------------------------------------------------- schedules


def test_a_rate_rule_fires_on_its_own_every_period() -> None:
    """rate(1 minute) over 290 s: fired at 60, 120, 180 and 240 s, one invocation each."""
    rules = [{"id": "tick", "schedule": "rate(1 minute)", "targets": [{"target": "fn"}]}]
    lab = bus_run(rules, [1], duration_s=290)
    invokes = [s for s in lab.on("fn") if s["from"] == "bus"]
    assert [s["start_ms"] for s in invokes] == [60_000, 120_000, 180_000, 240_000]
    assert lab.total("bus", "TriggeredRules") == 4
    assert lab.summary("bus")["bus"]["scheduled"] == 4


def test_a_schedule_is_counted_at_its_real_rate_at_any_scale() -> None:
    """A schedule fires at its real rate whatever the run's scale: at scale 0.1 its
    metrics still count one firing and one invocation a minute (traffic's counts are
    divided by the scale to stand for the whole; a schedule's must not be)."""
    rules = [{"id": "tick", "schedule": "rate(1 minute)", "targets": [{"target": "fn"}]}]
    lab = bus_run(rules, [], duration_s=290, scale=0.1)
    assert lab.points("bus", "TriggeredRules") == [1.0, 1.0, 1.0, 1.0]
    # Each delivery ends just after its firing: the fourth's in the period 290 s leaves open.
    assert lab.points("bus", "Invocations") == [1.0, 1.0, 1.0]


def test_a_bus_that_is_out_misses_its_schedules() -> None:
    """The firings at 120 and 180 s fall in the outage: no call, nothing triggered."""
    rules = [{"id": "tick", "schedule": "rate(1 minute)", "targets": [{"target": "fn"}]}]
    outage = {"type": "node_outage", "target": "bus", "start_s": 100, "end_s": 200}
    lab = bus_run(rules, [1], duration_s=290, faults=[outage])
    invokes = [s for s in lab.on("fn") if s["from"] == "bus"]
    assert [s["start_ms"] for s in invokes] == [60_000, 240_000]
    assert lab.total("bus", "TriggeredRules") == 2
    assert lab.summary("bus")["bus"]["scheduled"] == 2
    assert lab.summary("bus")["missed_schedules"] == 2


# --------------------------------------------------------------------------- model


def test_a_rule_has_at_most_5_targets_and_known_operators() -> None:
    from archgen.model.errors import ModelError

    with pytest.raises(ModelError) as raised:
        bus_run([*to_q(), {**to_q()[0], "id": "more", "targets": [{"target": "q"}] * 6}], [1])
    assert str(raised.value) == (
        "error: lab.yaml:35:7: nodes[1].params.rules[1].targets: tuple should have at most 5 "
        "items after validation, not 6"
    )
    wildcard = [{"id": "w", "event_pattern": {"source": [{"wildcard": "a*"}]}, "targets": []}]
    with pytest.raises(ModelError) as raised:
        bus_run(wildcard, [1])
    assert str(raised.value) == (
        "error: lab.yaml:25:9: nodes[1].params.rules[0].event_pattern: pattern field 'source' "
        "uses 'wildcard': the simulation knows prefix, anything-but, numeric, exists"
    )


def test_custom_events_cost_a_dollar_a_million() -> None:
    """1,000 simulated puts at scale 0.5 are 2,000 real events: $0.002."""
    from archgen.model import load_model
    from archgen.model.cost import price_run

    model = load_model(LIBRARY).model
    activity = {"bus": {"entries": 1_000}}
    cost = price_run(model, {"library-events": activity}, scale=0.5, duration_s=60)
    bus = cost["nodes"]["library-events"]
    assert bus["window_usd"] == pytest.approx(2_000 * 1.00 / 1e6)
    assert [line["item"] for line in bus["lines"]] == ["eventbridge.custom_event"]


# --------------------------------------------------------------------------- story


def test_late_returns_dropped_while_the_fines_function_is_down_break_the_invariant() -> None:
    """The library's bus: late returns go to the fines function with a two-minute maximum
    age and no dead-letter queue; the function is down from 300 to 600 s. The events put
    in the outage's first three minutes expire and are dropped: the books count them as
    lost and ``check`` fails the no-lost-messages invariant on the bus."""
    from archgen.main import cli
    from archgen.model import load_model
    from archgen.runtime.session import run_scenario

    summary = run_scenario(load_model(LIBRARY).model, "fines-down").summary
    books = summary["pipeline"]["queues"]["library-events"]
    deliveries = summary["nodes"]["library-events"]["deliveries"]
    assert books["lost"] == deliveries["dropped"] > 0
    assert books["sent"] == books["processed"] + books["in_dlq"] + books["in_queue"] + books["lost"]
    assert books["consumers"] == ["fines", "holds"]
    assert summary["violations"] == 0
    result = CliRunner().invoke(
        cli, ["check", str(LIBRARY), "--scenario", "fines-down", "--format", "json"]
    )
    report = json.loads(result.stdout)
    (scope,) = [s for s in report["scopes"] if s["name"] == "fines-down"]
    assert [(f["rule"], f["severity"]) for f in scope["findings"]] == [
        ("no-lost-messages", "error")
    ]
    lost = books["lost"]
    assert (
        f"{lost} of {books['sent']} messages sent to 'library-events' were lost"
        in (scope["findings"][0]["message"])
    )


def test_a_bus_that_is_out_keeps_its_pending_deliveries_for_after() -> None:
    """q is out 0-30 s, the bus 5-120 s; 3 retries. The events put at 1, 2 and 3 s fail
    against q and wait in their backoff when the bus goes out: their attempts wait for the
    bus (none spent against a bus that is out) and all three reach q once it is back."""
    lab = bus_run(
        to_q(dead_letter_queue="dlq", retry_policy={"maximum_retry_attempts": 3}),
        [1, 2, 3],
        faults=[
            {"type": "node_outage", "target": "q", "start_s": 0, "end_s": 30},
            {"type": "node_outage", "target": "bus", "start_s": 5, "end_s": 120},
        ],
    )
    delivered = [s for s in lab.on("q") if s["error"] is None]
    assert len(delivered) == 3
    assert all(120_000 <= s["start_ms"] < 121_000 for s in delivered)
    assert lab.on("dlq", "Redrive") == []
    assert totals(lab)["Invocations"] == 3
