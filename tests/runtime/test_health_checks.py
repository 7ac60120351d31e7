"""Health checks as calls: Route 53 → record targets and load balancer → instances go
through declared ``HealthCheck`` edges (flow-less spans); without such edges they stay
internal and record no violation."""

from __future__ import annotations

import json
from typing import Any

from archgen.model import LoadedModel
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario

from .conftest import mini_data, model_from


def _with_health_edges() -> LoadedModel:
    """The mini shop, declaring the health checks of Route 53 and of both load balancers."""
    data = mini_data()
    edges: list[dict[str, Any]] = data["edges"]
    edges.append({"from": "dns", "to": "lb-east", "operations": ["HealthCheck"]})
    edges.append({"from": "dns", "to": "lb-west", "operations": ["HealthCheck"]})
    for edge in edges:
        if edge["from"].startswith("lb-") and edge["to"].startswith("app-"):
            edge["operations"] = [*edge["operations"], "HealthCheck"]
    return model_from(data)


def _run(loaded: LoadedModel, scenario: str, duration_s: float) -> RunResult:
    return run_scenario(loaded.model, scenario, seed=7, duration_s=duration_s, keep_spans=True)


def _checks(result: RunResult, source: str, node: str) -> list[dict[str, Any]]:
    spans = result.spans
    assert spans is not None
    return [
        s for s in spans if s["op"] == "HealthCheck" and (s["from"], s["node"]) == (source, node)
    ]


def test_a_health_check_is_a_flowless_span_on_the_declared_edge() -> None:
    loaded = _with_health_edges()
    interval_s = loaded.model.nodes_by_id["dns"].params.health_check_interval_s
    result = _run(loaded, "base", 65)
    assert result.summary["violations"] == 0
    for record in ("lb-east", "lb-west"):
        checks = _checks(result, "dns", record)
        # One check per interval, at interval, 2 × interval, … (none at time 0).
        assert [s["start_ms"] for s in checks] == [
            interval_s * 1000.0 * k for k in (1, 2, 3, 4, 5, 6)
        ]
        assert {(s["flow"], s["step"], s["parent"], s["status"]) for s in checks} == {
            (None, None, None, "ok")
        }
    # The load balancer checks each instance from time 0, routed to that instance.
    lb_checks = _checks(result, "lb-east", "app-east")
    assert lb_checks
    assert lb_checks[0]["start_ms"] == 0.0
    assert all(s["flow"] is None and s["step"] is None for s in lb_checks)
    assert all(s["status"] == "ok" and s["attrs"]["instance"].startswith("i-") for s in lb_checks)
    # Health checks are not user requests: no flow counts them, CloudWatch leaves them out.
    # A request counts in the period in which it was answered.
    lines = [json.loads(m) for m in result.simulation.metrics.lines]
    closed_s = max(line["t_s"] for line in lines)
    counted = sum(line.get("RequestCount", 0) for line in lines if line["node"] == "lb-east")
    user_calls = [
        s
        for s in result.spans or []
        if s["node"] == "lb-east" and s["flow"] is not None and s["end_ms"] < closed_s * 1000
    ]
    assert counted == len(user_calls) > 0


def test_without_a_health_check_edge_the_check_stays_internal(mini: LoadedModel) -> None:
    result = _run(mini, "east-down", 200)
    assert result.summary["violations"] == 0
    assert not [s for s in result.spans or [] if s["op"] == "HealthCheck"]
    params = mini.model.nodes_by_id["dns"].params
    fault = mini.model.scenarios_by_id["east-down"].faults[0]
    down = [
        t
        for t in result.summary["nodes"]["dns"]["transitions"]
        if t["record"] == "lb-east" and not t["healthy"] and t["by"] == "health check"
    ]
    assert down
    assert (
        fault.start_s
        < down[0]["t_s"]
        <= (fault.start_s + params.health_check_interval_s * params.failure_threshold)
    )


def test_a_region_outage_is_detected_through_failed_health_check_calls() -> None:
    loaded = _with_health_edges()
    params = loaded.model.nodes_by_id["dns"].params
    fault = loaded.model.scenarios_by_id["east-down"].faults[0]
    detect_by = fault.start_s + params.health_check_interval_s * params.failure_threshold
    result = _run(loaded, "east-down", detect_by + 20)
    assert result.summary["violations"] == 0
    checks = _checks(result, "dns", "lb-east")
    failed = [s for s in checks if s["status"] == "error"]
    # Every check after the outage began failed at the door of the regional load balancer.
    assert [s["start_ms"] for s in failed] == [
        s["start_ms"] for s in checks if s["start_ms"] >= fault.start_s * 1000
    ]
    assert {s["error"] for s in failed} == {"ServiceUnavailable"}
    assert len(failed) >= params.failure_threshold
    down = [
        t
        for t in result.summary["nodes"]["dns"]["transitions"]
        if t["record"] == "lb-east" and not t["healthy"] and t["by"] == "health check"
    ]
    # Marked unhealthy at the answer of the threshold-th failed check, not before.
    assert down[0]["t_s"] * 1000 == failed[params.failure_threshold - 1]["end_ms"]
    assert fault.start_s < down[0]["t_s"] <= detect_by
    # The healthy region keeps passing.
    assert {s["status"] for s in _checks(result, "dns", "lb-west")} == {"ok"}
