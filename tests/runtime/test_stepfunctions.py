"""Step Functions (issue 14): each state a child span of the execution, Task calls as the
flow's nested steps, Retry (IntervalSeconds × BackoffRate^n, MaxAttempts) then Catch to the
declared fallback, Choice, Parallel, the StartExecution quota, express's 5-minute limit and
at-least-once duplicates, the prices. Latencies are constant, so times are exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.runtime.metrics_lab import Lab, lab_model, run_lab

REFERRALS = Path(__file__).parent / "models" / "referrals.yaml"
CONSTANT_10MS = {"distribution": "constant", "mean_ms": 10}
CONSTANT_30MS = {"distribution": "constant", "mean_ms": 30}
CHARGE_THEN_SAVE = [
    {
        "id": "Charge",
        "resource": "charge",
        "retry": [{"max_attempts": 2, "interval_s": 1}],
        "catch": [{"next": "Refund"}],
        "next": "Save",
    },
    {"id": "Save", "resource": "save"},
    {"id": "Refund", "resource": "refund", "next": "Failed"},
    {"id": "Failed", "type": "fail", "error": "ChargeFailed"},
]


def function(node_id: str, duration_ms: float = 20) -> dict[str, Any]:
    return {
        "id": node_id,
        "kind": "lambda",
        "group": "r1",
        "params": {
            "timeout_s": 60,
            "cold_start": {"distribution": "constant", "mean_ms": 0},
            "duration": {"distribution": "constant", "mean_ms": duration_ms},
        },
    }


def machine_run(
    states: list[dict[str, Any]],
    at_s: list[float],
    *,
    params: dict[str, Any] | None = None,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    op: str = "StartExecution",
    charge_ms: float = 20,
    duration_s: float = 600,
) -> Lab:
    """users → sm (op) → charge, save, refund (three functions), in the flow's order."""
    model = lab_model(
        [
            {
                "id": "sm",
                "kind": "stepfunctions",
                "group": "r1",
                "params": {
                    "transition": CONSTANT_10MS,
                    "latency": CONSTANT_30MS,
                    "states": states,
                    **(params or {}),
                },
            },
            function("charge", charge_ms),
            function("save"),
            function("refund"),
        ],
        [
            {"from": "users", "to": "sm", "operations": [op]},
            *(
                {"from": "sm", "to": f, "operations": ["Invoke"]}
                for f in ("charge", "save", "refund")
            ),
        ],
        [
            {"from": "users", "to": "sm", "op": op},
            {"from": "sm", "to": "charge", "op": "Invoke"},
            {"from": "sm", "to": "save", "op": "Invoke", "probability": 0.9},
            {"from": "sm", "to": "refund", "op": "Invoke", "probability": 0.1},
        ],
        faults=list(faults),
        duration_s=duration_s,
    )
    return run_lab(model, at_s)


def calls(lab: Lab, node: str) -> list[tuple[float, str | None, int | None]]:
    return [(s["start_ms"], s["error"], s["step"]) for s in lab.on(node)]


def states(lab: Lab) -> list[tuple[str, str | None, str | None]]:
    return [(s["op"], s["error"], s["parent"]) for s in lab.on("sm") if s["from"] == "sm"]


def test_each_state_is_a_child_span_and_each_task_the_flows_nested_step() -> None:
    """Charge then Save: two state spans under the execution's StartExecution span, each
    10 ms after the last; the tasks' calls are steps 1 and 2 of the flow."""
    lab = machine_run(CHARGE_THEN_SAVE, [1])
    (start,) = lab.on("sm", "StartExecution")
    # StartExecution answers after its latency; the execution runs meanwhile.
    assert (start["start_ms"], start["end_ms"], start["error"]) == (1_000, 1_030, None)
    assert states(lab) == [
        ("State Charge", None, start["span"]),
        ("State Save", None, start["span"]),
    ]
    assert calls(lab, "charge") == [(1_010, None, 1)]
    assert calls(lab, "save") == [(1_040, None, 2)]  # 1,010 + 20 ms + 10 ms
    charge_state, save_state = [s for s in lab.on("sm") if s["from"] == "sm"]
    assert lab.on("charge")[0]["parent"] == charge_state["span"]  # the task under its state
    assert lab.on("save")[0]["parent"] == save_state["span"]
    assert lab.points("sm", "ExecutionTime") == [{"avg": 60.0, "max": 60.0, "n": 1, "p99": 60.0}]
    figures = lab.summary("sm")["executions"]
    assert (figures["started"], figures["succeeded"], figures["transitions"]) == (1, 1, 2)
    assert lab.total("sm", "ExecutionsStarted") == lab.total("sm", "ExecutionsSucceeded") == 1


def test_a_failing_task_is_retried_with_backoff_then_caught_to_its_fallback() -> None:
    """charge is down: attempts at 1.01 s, +1 s, +2 s (IntervalSeconds 1, BackoffRate 2,
    MaxAttempts 2); then Catch goes to Refund, along its declared edge, and Fail ends the
    execution with ChargeFailed. Transitions: Charge, 2 retries, Refund, Failed."""
    lab = machine_run(
        CHARGE_THEN_SAVE, [1], faults=[{"type": "node_outage", "target": "charge", "start_s": 0}]
    )
    assert calls(lab, "charge") == [
        (1_010, "ServiceUnavailable", 1),
        (2_010, "ServiceUnavailable", None),
        (4_010, "ServiceUnavailable", None),
    ]
    assert calls(lab, "refund") == [(4_020, None, 3)]
    assert lab.on("save") == []
    assert [(op, error) for op, error, _ in states(lab)] == [
        ("State Charge", "ServiceUnavailable"),
        ("State Refund", None),
        ("State Failed", "ChargeFailed"),
    ]
    figures = lab.summary("sm")["executions"]
    assert (figures["failed"], figures["retries"], figures["caught"]) == (1, 2, 1)
    assert figures["transitions"] == 5
    assert lab.total("sm", "ExecutionsFailed") == 1


def test_an_uncaught_error_fails_a_synchronous_express_execution_for_its_caller() -> None:
    lab = machine_run(
        [
            {"id": "Charge", "resource": "charge", "next": "Save"},
            {"id": "Save", "resource": "save"},
        ],
        [1],
        params={"workflow_type": "express"},
        op="StartSyncExecution",
        faults=[{"type": "node_outage", "target": "charge", "start_s": 0}],
    )
    (start,) = lab.on("sm", "StartSyncExecution")
    assert (start["error"], start["end_ms"]) == ("ServiceUnavailable", 1_010)


def test_task_failed_matches_every_error_but_a_timeout() -> None:
    from archgen.runtime.behaviors.stepfunctions import matches

    assert matches(("States.TaskFailed",), "FunctionError")
    assert not matches(("States.TaskFailed",), "States.Timeout")
    assert matches(("States.ALL",), "States.Timeout")
    assert matches(("States.Timeout",), "States.Timeout")


def test_a_task_over_its_timeout_fails_with_states_timeout_and_is_caught() -> None:
    """A 5 s function, TimeoutSeconds 1: States.Timeout at 2.01 s, caught to Refund."""
    timed = [
        {
            "id": "Charge",
            "resource": "charge",
            "timeout_s": 1,
            "catch": [{"error_equals": ["States.Timeout"], "next": "Refund"}],
            "next": "Save",
        },
        {"id": "Save", "resource": "save"},
        {"id": "Refund", "resource": "refund"},
    ]
    lab = machine_run(timed, [1], charge_ms=5_000)
    (charge_state, _) = [s for s in lab.on("sm") if s["from"] == "sm"]
    assert (charge_state["error"], charge_state["end_ms"]) == ("States.Timeout", 2_010)
    assert calls(lab, "refund") == [(2_020, None, 3)]
    assert lab.summary("sm")["executions"]["succeeded"] == 1


def test_choice_and_parallel() -> None:
    """A Choice with one branch at probability 1 goes to Both, a Parallel whose branches
    call save and refund at the same instant; then the execution succeeds."""
    shaped = [
        {"id": "Pick", "type": "choice", "choices": [{"next": "Both", "probability": 1}]},
        {"id": "Both", "type": "parallel", "branches": ["Save", "Refund"]},
        {"id": "Save", "resource": "save"},
        {"id": "Refund", "resource": "refund"},
    ]
    lab = machine_run(shaped, [1])
    assert [s[0] for s in calls(lab, "save")] == [s[0] for s in calls(lab, "refund")] == [1_030]
    assert [op for op, _, _ in states(lab)] == [
        "State Pick",
        "State Save",
        "State Refund",
        "State Both",
    ]
    assert lab.summary("sm")["executions"]["succeeded"] == 1


def test_start_execution_over_its_quota_is_throttled() -> None:
    """A bucket of 2 refilled at 1 per second: 5 starts at one instant, 3 refused."""
    lab = machine_run(CHARGE_THEN_SAVE, [1.0] * 5, params={"start_rate_per_s": 1, "start_burst": 2})
    errors = [s["error"] for s in lab.on("sm", "StartExecution")]
    assert errors.count("ThrottlingException") == 3
    assert lab.total("sm", "ExecutionThrottled") == 3
    assert lab.total("sm", "ExecutionsStarted") == 2


def test_an_express_execution_stops_at_five_minutes() -> None:
    """A 400 s Wait: States.Timeout at 300 s from the start, counted as failed."""
    waiting = [{"id": "Pause", "type": "wait", "wait_s": 400, "next": "Save"}]
    waiting.append({"id": "Save", "resource": "save"})
    lab = machine_run(waiting, [1], params={"workflow_type": "express"})
    figures = lab.summary("sm")["executions"]
    assert (figures["timed_out"], figures["failed"], figures["billed_ms"]) == (1, 1, 300_000)
    assert lab.on("save") == []


def test_express_is_at_least_once_and_standard_exactly_once() -> None:
    """duplicate_rate 1: every express Task call is made twice; a standard workflow
    refuses the setting."""
    from archgen.model.errors import ModelError

    lab = machine_run(
        CHARGE_THEN_SAVE, [1], params={"workflow_type": "express", "duplicate_rate": 1}
    )
    assert len(lab.on("charge")) == len(lab.on("save")) == 2
    assert lab.summary("sm")["executions"]["duplicates"] == 2
    with pytest.raises(ModelError) as raised:
        machine_run(CHARGE_THEN_SAVE, [1], params={"duplicate_rate": 0.5})
    assert str(raised.value).endswith(
        "nodes[1].params.duplicate_rate: standard workflows run each task exactly once: "
        "duplicate_rate is for express"
    )


def test_a_next_naming_no_state_is_refused() -> None:
    from archgen.model.errors import ModelError

    with pytest.raises(ModelError) as raised:
        machine_run([{"id": "Charge", "resource": "charge", "next": "Sav"}], [1])
    assert "nodes[1].params.states[0].next: unknown state 'Sav'" in str(raised.value)


def test_standard_bills_transitions_and_express_requests_and_gb_seconds() -> None:
    """Scale 0.5: 4,000 simulated transitions are 8,000 real, $0.025 per 1,000 = $0.20;
    express, scale 1: 1,000 executions ($0.001) and 200 s at 64 MB = 12.5 GB-s."""
    from archgen.model import load_model
    from archgen.model.cost import price_run

    model = load_model(REFERRALS).model
    activity = {"executions": {"transitions": 4_000, "started": 1_000, "billed_ms": 200_000}}
    cost = price_run(model, {"referrals": activity}, scale=0.5, duration_s=60)
    assert cost["nodes"]["referrals"]["window_usd"] == pytest.approx(0.20)
    express = model.model_copy(
        update={
            "nodes": tuple(
                n.model_copy(
                    update={"params": n.params.model_copy(update={"workflow_type": "express"})}
                )
                if n.id == "referrals"
                else n
                for n in model.nodes
            )
        }
    )
    cost = price_run(express, {"referrals": activity}, scale=1, duration_s=60)
    lines = cost["nodes"]["referrals"]["lines"]
    assert [line["item"] for line in lines] == [
        "stepfunctions.express.request",
        "stepfunctions.express.gb_second",
    ]
    assert [line["quantity"] for line in lines] == [1_000, 12.5]


def test_referrals_run_conform_and_their_states_show_in_the_trace() -> None:
    """A clinic's referral workflow (not a shop): check the referral (retried), choose to
    book or to wait-list it. The run's spans follow the declared edges and flows: check
    reports no run finding."""
    from archgen.main import cli
    from archgen.model import load_model
    from archgen.runtime.session import run_scenario

    summary = run_scenario(load_model(REFERRALS).model, "clinic-day").summary
    figures = summary["nodes"]["referrals"]["executions"]
    assert figures["started"] == figures["succeeded"] + figures["failed"] > 100
    assert figures["transitions"] >= 2 * figures["started"]
    assert summary["violations"] == 0
    result = CliRunner().invoke(
        cli, ["check", str(REFERRALS), "--scenario", "clinic-day", "--format", "json"]
    )
    report = json.loads(result.stdout)
    (scope,) = [s for s in report["scopes"] if s["name"] == "clinic-day"]
    assert [f["rule"] for f in scope["findings"]] == []
