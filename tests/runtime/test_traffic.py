"""Arrival shapes, journeys and funnels, and faults applied at their times."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from archgen.runtime.session import run_scenario

from .conftest import mini_data, model_from

ORDERS = Path(__file__).parents[1] / "runtime2" / "models" / "orders.yaml"


def _sessions_per_window(shape: dict[str, Any], duration: float) -> Counter[int]:
    data = mini_data()
    scenario = data["scenarios"][0]
    scenario["traffic"]["shape"] = shape
    scenario["traffic"]["sessions_per_s"] = 20
    result = run_scenario(model_from(data).model, "base", duration_s=duration, keep_spans=True)
    first: dict[int, float] = {}
    for span in result.spans:
        if span["session"] > 0:
            first[span["session"]] = min(first.get(span["session"], 1e18), span["start_ms"])
    # Every session has a span, except the last to start if its first call was still in
    # flight when the run ended (spans are written when calls finish).
    missing = set(range(1, result.summary["sessions"] + 1)) - set(first)
    assert missing <= {result.summary["sessions"]}
    return Counter(int(start // 10_000) for start in first.values())


def test_arrivals_follow_the_shape() -> None:
    counts = _sessions_per_window(
        {"type": "spike", "at_s": 30, "factor": 4, "rise_s": 0, "hold_s": 30, "fall_s": 0}, 90
    )
    before = counts[0] + counts[1] + counts[2]  # 30 s at 20/s
    during = counts[3] + counts[4] + counts[5]  # 30 s at 80/s
    after = counts[6] + counts[7] + counts[8]
    assert before == pytest.approx(600, rel=0.1)
    assert during == pytest.approx(2400, rel=0.06)
    assert after == pytest.approx(600, rel=0.1)


def test_journey_funnel_probability() -> None:
    summary = run_scenario(model_from(mini_data()).model, "base", duration_s=200).summary
    item, buy = summary["flows"]["item"]["completed"], summary["flows"]["buy"]["completed"]
    assert buy / item == pytest.approx(0.5, abs=0.05)  # journey: buy with probability 0.5


def _with_fault(fault: dict[str, Any]) -> Any:
    data = mini_data()
    data["scenarios"][0]["faults"] = [fault]
    return run_scenario(model_from(data).model, "base", duration_s=120, keep_spans=True)


def test_latency_injection_adds_to_every_answer_in_its_window() -> None:
    result = _with_fault(
        {"type": "latency", "target": "bank", "start_s": 40, "end_s": 80, "added_latency_ms": 500}
    )
    spans = [s for s in result.spans if s["node"] == "bank"]
    assert spans
    for span in spans:
        # The delay is added when the answer leaves (after the bank's 100 ms).
        answered = span["start_ms"] + 100
        expected = 600 if 40_000 <= answered < 80_000 else 100
        assert span["end_ms"] - span["start_ms"] == pytest.approx(expected, abs=0.01)
    assert any(span["end_ms"] - span["start_ms"] > 500 for span in spans)


def test_throttling_fault_fails_a_share_of_calls() -> None:
    result = _with_fault(
        {"type": "throttling", "target": "orders", "start_s": 30, "end_s": 90, "rate": 0.5}
    )
    spans = [s for s in result.spans if s["node"] == "orders"]
    inside = [s for s in spans if 30_000 <= s["start_ms"] < 90_000]
    throttled = [s for s in inside if s["error"] == "ThrottlingException"]
    assert len(throttled) / len(inside) == pytest.approx(0.5, abs=0.12)
    assert not [s for s in spans if s["error"] and not 30_000 <= s["start_ms"] < 90_000]
    assert result.summary["faults"] == [
        {"state": "start", "t_s": 30.0, "target": "orders", "type": "throttling"},
        {"state": "end", "t_s": 90.0, "target": "orders", "type": "throttling"},
    ]


def test_consumer_crash_fault_is_visible_to_the_behavior() -> None:
    """On a function consuming a queue (a crash of a node that takes no work is refused by
    validation: ``tests/model/invalid/fault-targets.yaml``)."""
    import yaml

    data = yaml.safe_load(ORDERS.read_text(encoding="utf-8"))
    data["scenarios"][0]["faults"] = [
        {"type": "consumer_crash", "target": "worker", "start_s": 10, "end_s": 20, "rate": 0.6}
    ]
    from archgen.runtime.run import build, start
    from archgen.runtime.trace import SpanSink

    model = model_from(data).model
    scenario = model.scenarios_by_id["steady"]
    sim, traffic = build(model, scenario, seed=1, scale=1.0, duration_s=30, sink=SpanSink(None))
    start(sim, traffic, 30)
    sim.kernel.run(15_000)
    assert sim.contexts["worker"].faults.crash_rate == 0.6
    sim.kernel.run(25_000)
    assert sim.contexts["worker"].faults.crash_rate == 0.0
