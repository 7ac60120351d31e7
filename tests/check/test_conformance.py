"""Dynamic conformance: real runs of the ticket shop, each with one planted defect (in the
runtime, through its registry or its flow compiler, or in the model), caught precisely."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from archgen.model import LoadedModel, load_model_text
from archgen.model.flows import FlowPlan, compile_flows
from archgen.model.schema import Model
from archgen.runtime import system
from archgen.runtime.behavior import Call
from archgen.runtime.behaviors import load_registry
from archgen.runtime.behaviors.dynamodb import DynamoDb
from archgen.runtime.check.api import check_run
from archgen.runtime.check.conformance import percentile
from archgen.runtime.check.formats import to_json
from archgen.runtime.check.report import Report, Scope
from archgen.runtime.check.spans import RunFolder, RunInputError
from archgen.runtime.session import run_scenario
from tests.check.helpers import line_of, mutate


def run_and_check(
    loaded: LoadedModel,
    folder: Path,
    *,
    run_model: Model | None = None,
    registry: dict[str, type] | None = None,
) -> Scope:
    """Run the scenario 'quiet' (of ``run_model``, default the checked model) and check it."""
    run_scenario(run_model or loaded.model, "quiet", out=folder, registry=registry)
    return check_run(loaded, RunFolder.open(folder))


def errors(scope: Scope, rule: str) -> list[str]:
    return [f.message for f in scope.findings if f.rule == rule]


def test_a_faithful_run_conforms(tickets: LoadedModel, tmp_path: Path) -> None:
    scope = run_and_check(tickets, tmp_path)
    assert scope.name == "quiet"
    assert scope.findings == ()
    facts = dict(scope.facts)
    assert facts["slo browse"].startswith("p99 ")
    assert facts["slo buy"].startswith("availability 100.000% (objective 99.5%)")


def test_behavior_calling_a_node_without_edge(tickets: LoadedModel, tmp_path: Path) -> None:
    class Rogue(DynamoDb):
        """A table that also writes to the DLQ: no edge tickets -> orders-dlq exists."""

        def handle(self, call: Call) -> None:
            self.ctx.call(call, "orders-dlq", "SendMessage", lambda _c: None)
            super().handle(call)

    registry = {**load_registry(), "dynamodb": Rogue}
    scope = run_and_check(tickets, tmp_path, registry=registry)
    (message,) = errors(scope, "span-edge")
    assert message.startswith("")
    count = int(message.split()[0])
    assert count > 10
    assert message.startswith(
        f"{count} calls tickets -> orders-dlq: 'SendMessage' in quiet: "
        "no edge is declared between them (first: trace t"
    )
    (finding,) = [f for f in scope.findings if f.rule == "span-edge"]
    assert finding.line == line_of(tickets.text, "{id: tickets, kind: dynamodb")


def _patched_plans(monkeypatch: pytest.MonkeyPatch, change: Callable[[FlowPlan], FlowPlan]) -> None:
    def compile_then_change(model: Model) -> dict[str, FlowPlan]:
        return {key: change(plan) for key, plan in compile_flows(model).items()}

    monkeypatch.setattr(system, "compile_flows", compile_then_change)


def _with_children(plan: FlowPlan, step: int, children: tuple[int, ...]) -> FlowPlan:
    steps = list(plan.steps)
    steps[step] = dataclasses.replace(steps[step], children=children)
    return dataclasses.replace(plan, steps=tuple(steps))


def test_runtime_skipping_a_flow_step(
    tickets: LoadedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runtime forgets step 3 (app -> orders: SendMessage) of 'buy'.
    _patched_plans(monkeypatch, lambda p: _with_children(p, 1, (2,)) if p.id == "buy" else p)
    scope = run_and_check(tickets, tmp_path)
    (finding,) = [f for f in scope.findings if f.rule == "flow-sequence"]
    assert finding.message.startswith(
        "flow 'buy' in quiet: step 3 (app -> orders: SendMessage) was skipped: 'app' made 1 of "
        "the declared calls during 'app: POST /buy' ("
    )
    assert finding.line == line_of(tickets.text, "- {from: app, to: orders, op: SendMessage}")
    assert finding.details == (
        "--- declared\n+++ observed\n@@ -1,2 +1 @@\n app -> tickets: PutItem\n"
        "-app -> orders: SendMessage"
    )


def test_runtime_reordering_flow_steps(
    tickets: LoadedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _patched_plans(monkeypatch, lambda p: _with_children(p, 1, (3, 2)) if p.id == "buy" else p)
    scope = run_and_check(tickets, tmp_path)
    (finding,) = [f for f in scope.findings if f.rule == "flow-sequence"]
    assert finding.message.startswith(
        "flow 'buy' in quiet: call 1 made by 'app' during 'app: POST /buy' is app -> orders: "
        "SendMessage, the flow declares app -> tickets: PutItem ("
    )
    assert finding.line == line_of(tickets.text, "- {from: app, to: tickets, op: PutItem}")
    assert finding.details == (
        "--- declared\n+++ observed\n@@ -1,2 +1,2 @@\n+app -> orders: SendMessage\n"
        " app -> tickets: PutItem\n-app -> orders: SendMessage"
    )


def test_run_of_an_older_model_with_swapped_steps(
    tickets_text: str, tickets: LoadedModel, tmp_path: Path
) -> None:
    """A run made before two steps of the model were swapped no longer conforms."""
    swapped = mutate(
        tickets_text,
        "      - {from: app, to: tickets, op: GetItem}\n",
        "      - {from: app, to: tickets, op: GetItem}\n",
    )
    swapped = mutate(
        swapped,
        "      - {from: app, to: tickets, op: PutItem}\n"
        "      - {from: app, to: orders, op: SendMessage}\n",
        "      - {from: app, to: orders, op: SendMessage}\n"
        "      - {from: app, to: tickets, op: PutItem}\n",
    )
    scope = run_and_check(
        load_model_text(swapped, "tickets.yaml"), tmp_path, run_model=tickets.model
    )
    assert [m.split(" (")[0] for m in errors(scope, "flow-sequence")] == [
        "flow 'buy' in quiet: call 1 made by 'app' during 'app: POST /buy' is app -> tickets: "
        "PutItem, the flow declares app -> orders: SendMessage"
    ]


def test_slo_tighter_than_the_run_achieves(tickets_text: str, tmp_path: Path) -> None:
    text = mutate(tickets_text, "threshold_ms: 800", "threshold_ms: 5")
    loaded = load_model_text(text, "tickets.yaml")
    scope = run_and_check(loaded, tmp_path)
    (finding,) = [f for f in scope.findings if f.rule == "slo"]
    assert finding.line == line_of(text, "threshold_ms: 5")
    spans = [json.loads(line) for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    latencies = sorted(
        s["end_ms"] - s["start_ms"]
        for s in spans
        if s["flow"] == "browse" and s["parent"] is None and s["start_ms"] >= 10_000
    )
    expected = percentile(latencies, 99)
    assert finding.message == (
        f"flow 'browse' in quiet: p99 latency {expected:,.1f} ms exceeds the objective 5 ms "
        f"({len(latencies)} successful executions after warm-up)"
    )
    # Scripts read the numbers, not the prose: p99 and objective in ms, as JSON fields.
    (document,) = json.loads(to_json(Report("tickets.yaml", (scope,))))["scopes"]
    (record,) = [f for f in document["findings"] if f["rule"] == "slo"]
    assert record["values"] == {
        "p99_ms": round(expected, 3),
        "objective_ms": 5,
        "executions_ok": len(latencies),
    }
    assert type(record["values"]["objective_ms"]) is int
    # Measured for every SLO, failing or not (no failure in this scenario: n = successes).
    assert document["measures"]["slo browse"] == {
        "executions": len(latencies),
        "p99_ms": round(expected, 3),
        "objective_ms": 5,
    }
    assert set(document["measures"]["slo buy"]) == {
        "executions",
        "availability_percent",
        "objective_percent",
    }
    assert document["measures"]["slo buy"]["objective_percent"] == 99.5


def test_iam_denial_during_a_run(tickets_text: str, tmp_path: Path) -> None:
    text = mutate(
        tickets_text, "Action: [dynamodb:GetItem, dynamodb:PutItem]", "Action: [dynamodb:GetItem]"
    )
    scope = run_and_check(load_model_text(text, "tickets.yaml"), tmp_path)
    (message,) = errors(scope, "no-access-denied")
    assert message.startswith("IAM denied app -> tickets: 'PutItem' ")
    # The denied purchases fail, so the availability SLO of 'buy' is broken too.
    assert [m.split(":")[0] for m in errors(scope, "slo")] == ["flow 'buy' in quiet"]


def test_spans_that_are_not_a_run(tickets: LoadedModel, tmp_path: Path) -> None:
    (tmp_path / "spans.jsonl").write_text('{"span": "s1"}\n', encoding="utf-8")
    with pytest.raises(RunInputError) as raised:
        check_run(tickets, RunFolder.open(tmp_path))
    assert raised.value.message == (
        f"{tmp_path / 'spans.jsonl'}:1: not a span record (parent: Field required (and 13 more))"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RunInputError, match="not a run folder"):
        RunFolder.open(empty)
    with pytest.raises(RunInputError, match="no such run folder"):
        RunFolder.open(tmp_path / "missing")


def test_slo_samples_agree_with_the_runtimes_own_count(
    tickets: LoadedModel, tmp_path: Path
) -> None:
    """The check counts from spans alone; it must agree with the runtime's bookkeeping."""
    from archgen.runtime.check.conformance import Conformance
    from archgen.runtime.check.report import FindingSink
    from archgen.runtime.check.rules import DYNAMIC_RULES

    result = run_scenario(tickets.model, "quiet", out=tmp_path)
    conformance = Conformance(
        tickets, FindingSink(tickets, "quiet", DYNAMIC_RULES), scenario="quiet", warmup_ms=10_000
    )
    conformance.add(RunFolder.open(tmp_path).spans())
    samples = conformance.flow_samples()
    for flow, stats in result.summary["flows"].items():
        assert (samples[flow].ok, samples[flow].failed) == (stats["ok"], stats["failed"])
        assert percentile(sorted(samples[flow].latencies), 99) == pytest.approx(
            stats["p99_ms"], abs=0.01
        )


FULFIL = (
    "  - id: fulfil\n"
    "    title: Fulfil an order\n"
    "    user_facing: false\n"
    "    steps:\n"
    "      - {from: worker, to: orders, op: ReceiveMessage}\n"
    "      - {from: worker, to: orders, op: DeleteMessage}\n"
    "\njourneys:\n"
)


def test_consumer_continuing_in_the_wrong_flow(
    tickets_text: str, tickets: LoadedModel, tmp_path: Path
) -> None:
    """The model continues a consumed order in 'buy' (it declares the worker's steps); a
    run that continued in 'fulfil' instead breaks the contract's continuation rule."""
    checked = mutate(tickets_text, "\njourneys:\n", FULFIL)
    run_text = mutate(
        checked,
        "      - {from: worker, to: orders, op: ReceiveMessage}\n"
        "      - {from: worker, to: orders, op: DeleteMessage}\n"
        "    slo: {availability_percent: 99.5}\n",
        "    slo: {availability_percent: 99.5}\n",
    )
    scope = run_and_check(
        load_model_text(checked, "tickets.yaml"),
        tmp_path,
        run_model=load_model_text(run_text, "tickets.yaml").model,
    )
    (finding,) = scope.findings
    assert finding.rule == "flow-sequence"
    assert finding.message.startswith(
        "flow 'fulfil' in quiet: 'worker' continued in flow 'fulfil' after 'orders: "
        "SendMessage' of flow 'buy'; the model continues it in flow 'buy' ("
    )
    receives = [n for n, row in enumerate(checked.splitlines(), 1) if "op: ReceiveMessage}" in row]
    assert finding.line == receives[0]  # the step of 'buy', the flow to continue
