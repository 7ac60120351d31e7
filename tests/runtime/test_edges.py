"""Edges are the law; every kind needs a behavior; IAM authorizes every call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from archgen.model import LoadedModel
from archgen.runtime import run as run_module
from archgen.runtime.behavior import Call
from archgen.runtime.behaviors import load_registry
from archgen.runtime.run import RunError, build, start
from archgen.runtime.session import run_scenario
from archgen.runtime.trace import SpanSink


def _sim(mini: LoadedModel) -> Any:
    scenario = mini.model.scenarios_by_id["base"]
    sink = SpanSink(None, keep=True)
    sim, traffic = build(mini.model, scenario, seed=1, scale=1.0, duration_s=10, sink=sink)
    start(sim, traffic, 10)
    return sim, sink


@pytest.mark.parametrize(
    ("source", "target", "op", "error"),
    [
        ("app-east", "images", "GetObject", "UndeclaredEdge"),  # no edge at all
        ("app-east", "table", "DeleteTable", "UndeclaredOperation"),  # edge, not that op
    ],
)
def test_an_undeclared_call_is_a_violation_never_allowed(
    mini: LoadedModel,
    source: str,
    target: str,
    op: str,
    error: str,
) -> None:
    sim, sink = _sim(mini)
    results: list[Call] = []
    before = sim.contexts[target].stats.arrived
    sim.contexts[source].call(None, target, op, results.append)
    (call,) = results
    assert call.status == "violation"
    assert call.error == error
    assert sim.violations == 1
    assert sim.contexts[target].stats.arrived == before  # the target never saw it
    (span,) = [s for s in sink.records if s["status"] == "violation"]
    assert span["node"] == target
    assert span["from"] == source
    assert span["attrs"]["violation"] == f"{source} -> {target}: {op}"


def test_a_declared_call_goes_through(mini: LoadedModel) -> None:
    sim, _ = _sim(mini)
    results: list[Call] = []
    sim.contexts["app-east"].call(None, "table", "GetItem", results.append)
    sim.kernel.run(5_000)
    (call,) = results
    assert call.status == "ok"
    assert sim.violations == 0


def test_every_kind_needs_a_behavior(mini: LoadedModel) -> None:
    registry = {k: v for k, v in load_registry().items() if k not in ("alb", "rds")}
    with pytest.raises(RunError) as caught:
        run_scenario(mini.model, "base", duration_s=1, registry=registry)
    message = str(caught.value)
    assert message.startswith("no behavior for kind(s) alb, rds; available: ")
    assert "cloudfront, cloudwatch" in message


def test_registry_has_one_behavior_module_per_kind_of_the_catalogue() -> None:
    from archgen.model.kinds import KINDS

    registry = load_registry()
    assert sorted(registry) == sorted(KINDS)
    for kind, behavior in registry.items():
        assert behavior.kind == kind
        module = kind.replace("lambda", "lambda_")
        assert behavior.__module__ == f"archgen.runtime.behaviors.{module}"


def test_unknown_scenario_suggests_the_closest(mini: LoadedModel) -> None:
    with pytest.raises(RunError, match=r"unknown scenario 'surg' \(did you mean 'surge'\?\)"):
        run_scenario(mini.model, "surg")


@dataclass(frozen=True)
class _Decision:
    allowed: bool
    reason: str = ""


def test_every_call_passes_through_the_authorizer(
    mini: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: set[tuple[str, str, str]] = set()

    def authorize(model: Any, caller: Any, target: Any, op: str) -> _Decision:
        asked.add((caller.id, target.id, op))
        return _Decision(op != "INSERT", "explicit deny in test")

    monkeypatch.setattr(run_module, "load_authorizer", lambda: authorize)
    summary = run_scenario(mini.model, "base", duration_s=60).summary
    assert ("app-east", "table", "GetItem") in asked
    assert ("user", "dns", "Resolve") in asked
    buy = summary["flows"]["buy"]
    assert buy["ok"] == 0
    assert set(buy["errors"]) <= {"orders:AccessDenied", "orders-west:AccessDenied"}
    assert summary["flows"]["item"]["availability"] == 1.0


def test_a_new_call_has_every_field_of_one_made_by_its_constructor(mini: LoadedModel) -> None:
    """``new_call`` fills a Call field by field (no __init__ frame on the hot path): every
    slot must be there, with the constructor's defaults, or spans would differ."""
    sim, _ = _sim(mini)
    ctx = sim.contexts["app-east"]
    trace = ctx.new_trace()
    parent = sim.new_call(trace, None, "app-east", "table", "GetItem", print, 3)
    made = sim.new_call(trace, parent, "app-east", "table", "PutItem", print, None)
    now = sim.kernel.now
    expected = Call(
        trace, parent.span + 1, parent, "app-east", "table", "PutItem", None, now, print
    )
    assert made.span == parent.span + 1
    for name in Call.__slots__:
        assert getattr(made, name) == getattr(expected, name), name


def test_a_context_reads_and_schedules_on_the_run_clock(mini: LoadedModel) -> None:
    sim, _ = _sim(mini)
    ctx = sim.contexts["app-east"]
    seen: list[tuple[float, str]] = []
    ctx.after(250.0, lambda tag: seen.append((ctx.now, tag)), "later")
    ctx.after(-5.0, lambda tag: seen.append((ctx.now, tag)), "now")
    start_ms = sim.kernel.now
    sim.kernel.run(start_ms + 1_000)
    assert [tag for _, tag in seen] == ["now", "later"]
    assert [round(t - start_ms, 6) for t, _ in seen] == [0.0, 250.0]
    assert ctx.now == sim.kernel.now == start_ms + 1_000
