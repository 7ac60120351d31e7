"""ALB, EC2 Auto Scaling, S3, DynamoDB, RDS, CloudWatch, external systems."""

from __future__ import annotations

from collections import Counter, deque
from types import SimpleNamespace
from typing import Any

import pytest

from archgen.model import LoadedModel
from archgen.model.kinds import MissingData
from archgen.runtime.behavior import Call, Session, Target, Trace
from archgen.runtime.behaviors.alb import Alb
from archgen.runtime.behaviors.cloudwatch import CloudWatch
from archgen.runtime.run import build
from archgen.runtime.session import run_scenario
from archgen.runtime.trace import SpanSink

from .conftest import mini_data, model_from


def _sim(model: Any, scenario: str = "base") -> Any:
    found = model.scenarios_by_id[scenario]
    sim, _ = build(model, found, seed=1, scale=1.0, duration_s=10, sink=SpanSink(None))
    return sim


def _child(node: str) -> Call:
    trace = Trace(1, Session(1, None, None, None, "u1"), None, 0)
    return Call(trace, 1, None, "lb-east", node, "GET /item", None, 0.0, lambda _: None)


# --------------------------------------------------------------------------- ALB


def test_round_robin_spreads_requests_evenly() -> None:
    data = mini_data()
    next(n for n in data["nodes"] if n["id"] == "lb-east")["params"]["algorithm"] = "round_robin"
    result = run_scenario(model_from(data).model, "base", duration_s=120, keep_spans=True)
    alb = result.simulation.behaviors["lb-east"]  # type: ignore[union-attr]
    counts = Counter(
        s["attrs"]["instance"]
        for s in result.spans
        if s["from"] == "lb-east" and s["node"] == "app-east"
    )
    in_flight = result.summary["nodes"]["app-east"]["in_flight"]
    assert len(counts) == 2
    assert sum(counts.values()) + in_flight == alb.rr
    assert max(counts.values()) - min(counts.values()) <= 1 + in_flight


def test_least_outstanding_picks_the_least_busy_target(mini: LoadedModel) -> None:
    alb = _sim(mini.model).behaviors["lb-east"]
    assert isinstance(alb, Alb)
    targets = alb.ctx.targets("app-east")
    targets[0].outstanding = 5
    targets[1].outstanding = 2
    for _ in range(4):
        child = _child("app-east")
        assert alb.route(child) is None
        assert child.route is targets[1]


def test_all_unhealthy_fails_open_and_no_target_is_503(mini: LoadedModel) -> None:
    alb = _sim(mini.model).behaviors["lb-east"]
    for state in alb.health.values():
        state.healthy = False
    child = _child("app-east")
    assert alb.route(child) is None
    assert child.attrs is not None
    assert child.attrs["fail_open"] is True
    fleet = alb.ctx.sim.behaviors["app-east"]
    fleet.serving = []
    assert alb.route(_child("app-east")) == "503"


def test_new_targets_get_traffic_only_after_a_health_check(mini: LoadedModel) -> None:
    alb = _sim(mini.model).behaviors["lb-east"]
    alb._check(None)  # the first health check: the initial instances pass it
    fleet = alb.ctx.sim.behaviors["app-east"]
    newcomer = Target("i-99")
    fleet.serving.append(newcomer)
    for _ in range(10):
        child = _child("app-east")
        alb.route(child)
        assert child.route is not newcomer
    alb._check(None)
    chosen = set()
    for _ in range(10):
        child = _child("app-east")
        alb.route(child)
        chosen.add(child.route.id)
    assert "i-99" in chosen


def test_zone_outage_detected_by_health_checks(mini_runs: Any, mini: LoadedModel) -> None:
    result = mini_runs("zone-down")
    fault = mini.model.scenarios_by_id["zone-down"].faults[0]
    params = mini.model.nodes_by_id["lb-east"].params
    detect_ms = (
        fault.start_s + params.health_check_interval_s * (params.unhealthy_threshold + 1)
    ) * 1000
    bad = [s for s in result.spans if s["node"] == "app-east" and s["error"] == "502"]
    assert bad
    assert all(fault.start_s * 1000 <= s["start_ms"] <= detect_ms for s in bad)


# --------------------------------------------------------------------------- EC2 + ASG


def test_surge_scales_out_after_launch_and_back_in_conservatively(
    mini_runs: Any, mini: LoadedModel
) -> None:
    result = mini_runs("surge")
    scaling = mini.model.nodes_by_id["app-east"].params.autoscaling
    fleet = result.summary["nodes"]["app-east"]
    timeline = fleet["instances"]["timeline"]
    activities = fleet["scaling_activities"]
    launches = [a for a in activities if "launch" in a]
    assert launches
    first = launches[0]["t_s"]
    surge_at = mini.model.scenarios_by_id["surge"].traffic.shape.at_s
    assert first > surge_at
    # Instances launched at `first` are in service no earlier than launch_s later.
    in_service = {row[0]: row[1] for row in timeline}
    before = in_service[max(t for t in in_service if t <= first)]
    assert all(
        count <= before for t, count in in_service.items() if first <= t < first + scaling.launch_s
    )
    peak = fleet["instances"]["peak_in_service"]
    assert scaling.min_instances < peak <= scaling.max_instances
    terminations = [a for a in activities if "terminate" in a]
    assert terminations
    # Scale-in waits for the cooldown after any activity and removes few at a time.
    for activity in terminations:
        previous = max(a["t_s"] for a in activities if a["t_s"] < activity["t_s"])
        assert activity["t_s"] - previous >= scaling.scale_in_cooldown_s
        assert activity["terminate"] <= max(1, peak // 10)
    assert fleet["instances"]["final_in_service"] >= scaling.min_instances


def test_alarm_scale_action_adds_capacity(mini_runs: Any) -> None:
    result = mini_runs("surge")
    history = result.summary["nodes"]["watch"]["alarm_history"]
    alarm = [h for h in history if h["alarm"] == "east-hot" and h["to"] == "ALARM"]
    assert alarm
    activities = result.summary["nodes"]["app-east"]["scaling_activities"]
    assert any(a.get("why") == "alarm east-hot" and a["t_s"] == alarm[0]["t_s"] for a in activities)


def test_bounded_queue_rejects_with_503() -> None:
    data = mini_data()
    data["scenarios"][0]["traffic"]["sessions_per_s"] = 150
    summary = run_scenario(model_from(data).model, "base", duration_s=30).summary
    assert summary["nodes"]["app-east"]["rejected"] > 0
    assert summary["nodes"]["app-east"]["errors"]["503"] >= summary["nodes"]["app-east"]["rejected"]


# --------------------------------------------------------------------------- S3


def test_s3_outage_window_and_missing_keys(mini_runs: Any, mini: LoadedModel) -> None:
    fault = mini.model.scenarios_by_id["images-down"].faults[0]
    assert fault.end_s is not None
    spans = [s for s in mini_runs("images-down").spans if s["node"] == "images"]
    for span in spans:
        inside = fault.start_s * 1000 <= span["start_ms"] < fault.end_s * 1000
        assert (span["error"] == "ServiceUnavailable") == inside
    sim = _sim(mini.model)
    s3 = sim.behaviors["images"]
    assert s3.exists(4999)
    assert not s3.exists(5000)


# --------------------------------------------------------------------------- DynamoDB


def test_provisioned_table_throttles_and_the_sdk_retries() -> None:
    data = mini_data()
    table = next(n for n in data["nodes"] if n["id"] == "table")
    table["params"].update(
        {
            "read_capacity_units": 3,
            "burst_s": 0,
            "consistent_reads": True,
            "max_retries": 2,
            "retry_base_ms": 50,
        }
    )
    data["scenarios"][0]["traffic"]["sessions_per_s"] = 20
    result = run_scenario(model_from(data).model, "base", duration_s=60, keep_spans=True)
    spans = [s for s in result.spans if s["node"] == "table"]
    retried_ok = [s for s in spans if s["status"] == "ok" and s["attrs"].get("retries")]
    failed = [s for s in spans if s["error"] == "ThrottlingException"]
    assert retried_ok
    assert failed
    assert all(s["attrs"]["retries"] == 2 for s in failed)
    per_second = Counter(int(s["end_ms"] // 1000) for s in spans if s["status"] == "ok")
    assert max(per_second.values()) <= 3 + 3  # a read finishes within a second of its slot
    node = result.summary["nodes"]["table"]
    assert node["throttled_requests"] == len(failed)
    assert node["throttled_attempts"] > len(failed)


# --------------------------------------------------------------------------- RDS


def test_rds_connection_limit() -> None:
    data = mini_data()
    next(n for n in data["nodes"] if n["id"] == "orders")["params"]["max_connections"] = 1
    data["scenarios"][0]["traffic"]["sessions_per_s"] = 30
    summary = run_scenario(model_from(data).model, "base", duration_s=60).summary
    assert summary["nodes"]["orders"]["errors"]["TooManyConnections"] > 0
    assert summary["nodes"]["orders"]["refused_connections"] > 0


def test_multi_az_failover_takes_failover_s(mini_runs: Any, mini: LoadedModel) -> None:
    result = mini_runs("zone-down")
    params = mini.model.nodes_by_id["orders"].params
    fault = mini.model.scenarios_by_id["zone-down"].faults[0]
    assert result.summary["nodes"]["orders"]["failovers"] == [
        {"t_s": fault.start_s, "from": params.zones[0], "to": params.zones[1]}
    ]
    down = [s for s in result.spans if s["node"] == "orders" and s["error"] == "ServiceUnavailable"]
    assert down
    assert all(
        fault.start_s * 1000 <= s["start_ms"] < (fault.start_s + params.failover_s) * 1000
        for s in down
    )
    later = [
        s
        for s in result.spans
        if s["node"] == "orders" and s["start_ms"] >= (fault.start_s + params.failover_s) * 1000
    ]
    assert later
    assert all(s["status"] == "ok" for s in later)


# --------------------------------------------------------------------------- CloudWatch


def _alarm(m: int, n: int, missing: MissingData, history: list[float | None]) -> Any:
    spec = SimpleNamespace(treat_missing_data=missing)
    return SimpleNamespace(
        spec=spec,
        m=m,
        n=n,
        threshold=10.0,
        history=deque(history),
        compare=lambda v, t: v > t,
        state="OK",
    )


@pytest.mark.parametrize(
    ("m", "n", "missing", "history", "expected"),
    [
        (2, 3, MissingData.missing, [20, 5, 20], "ALARM"),
        (2, 3, MissingData.missing, [20, 5, 5], "OK"),
        (3, 3, MissingData.missing, [20, 20, None], "OK"),
        (2, 3, MissingData.missing, [None, None, None], "INSUFFICIENT_DATA"),
        (2, 3, MissingData.breaching, [None, None, 5], "ALARM"),
        (2, 3, MissingData.not_breaching, [None, 20, None], "OK"),
        (1, 1, MissingData.ignore, [None], None),
    ],
)
def test_m_of_n_alarms_and_missing_data(
    m: int, n: int, missing: MissingData, history: list[float | None], expected: str | None
) -> None:
    assert CloudWatch.evaluate(None, _alarm(m, n, missing, history)) == expected  # type: ignore[arg-type]


def test_region_alarm_fails_route53_over(mini_runs: Any) -> None:
    result = mini_runs("east-down")
    history = result.summary["nodes"]["watch"]["alarm_history"]
    assert any(h["alarm"] == "east-down" and h["to"] == "ALARM" for h in history)
    transitions = result.summary["nodes"]["dns"]["transitions"]
    assert any(t["by"] == "alarm east-down" and not t["healthy"] for t in transitions)
    signals = [s for s in result.spans if s["from"] == "watch" and s["node"] == "dns"]
    assert {s["op"] for s in signals} == {"UpdateHealthCheck"}


def test_external_answers_after_its_latency(mini_runs: Any) -> None:
    spans = [s for s in mini_runs("base").spans if s["node"] == "bank"]
    assert spans
    assert all(s["end_ms"] - s["start_ms"] == pytest.approx(100, abs=0.01) for s in spans)
