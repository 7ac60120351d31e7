"""Honest verdicts: a scenario's check names the SLOs it judged and those out of its scope,
says so plainly when none applied, and a flow whose executions all failed has no latency
("all failed"), never 0 ms."""

from __future__ import annotations

import json
from pathlib import Path

from archgen.model import LoadedModel, load_model_text
from archgen.runtime.check.api import check_run
from archgen.runtime.check.conformance import Conformance
from archgen.runtime.check.formats import to_json, to_text
from archgen.runtime.check.report import FindingSink, Report, Scope, SloScope
from archgen.runtime.check.rules import DYNAMIC_RULES
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import mutate

BUSY = """\
  - id: busy
    title: A busy hour
    duration_s: 120
    warmup_s: 10
    traffic: {sessions_per_s: 4, mix: {visit: 1}}
"""


def _with_busy(text: str) -> str:
    return mutate(text, "\ninvariants:\n", BUSY + "\ninvariants:\n")


def _check(text: str, folder: Path) -> Scope:
    loaded = load_model_text(text, "tickets.yaml")
    run_scenario(loaded.model, "quiet", out=folder)
    return check_run(loaded, RunFolder.open(folder))


def test_an_slo_of_other_scenarios_is_listed_out_of_scope(
    tickets_text: str, tmp_path: Path
) -> None:
    text = mutate(
        _with_busy(tickets_text),
        "slo: {availability_percent: 99.5}",
        "slo: {availability_percent: 99.5, scenarios: [busy]}",
    )
    scope = _check(text, tmp_path)
    assert scope.slos == SloScope(("browse",), (("buy", ("busy",)),))
    facts = dict(scope.facts)
    assert facts["slos evaluated"] == "browse"
    assert facts["slos out of scope"] == "buy (only in busy)"
    assert "slo buy" not in facts
    assert [name for name, _ in scope.facts][:2] == ["slos evaluated", "slo browse"]
    (document,) = json.loads(to_json(Report("tickets.yaml", (scope,))))["scopes"]
    assert document["slos"] == {"evaluated": ["browse"], "out_of_scope": {"buy": ["busy"]}}


def test_a_scenario_no_slo_applies_to_says_so(tickets_text: str, tmp_path: Path) -> None:
    text = mutate(
        _with_busy(tickets_text),
        "slo: {availability_percent: 99.5}",
        "slo: {availability_percent: 99.5, scenarios: [busy]}",
    )
    text = mutate(
        text,
        "slo: {latency: {percentile: 99, threshold_ms: 800}}",
        "slo: {latency: {percentile: 99, threshold_ms: 800}, scenarios: [busy]}",
    )
    scope = _check(text, tmp_path)
    assert scope.findings == ()
    report = to_text(Report("tickets.yaml", (scope,)))
    assert report.splitlines()[:3] == [
        "quiet: ok (11 rules, 0 errors, 0 warnings, no SLO applies)",
        "  slos evaluated: none: no SLO applies to scenario quiet",
        "  slos out of scope: browse (only in busy), buy (only in busy)",
    ]
    (document,) = json.loads(to_json(Report("tickets.yaml", (scope,))))["scopes"]
    assert document["slos"] == {
        "evaluated": [],
        "out_of_scope": {"browse": ["busy"], "buy": ["busy"]},
    }


def test_a_flow_whose_executions_all_failed_has_no_latency(
    tickets_text: str, tmp_path: Path
) -> None:
    """The table is out for the whole run: every execution fails. No 'p99 0 ms': the
    latency is 'no data (all N failed)' and a latency-only SLO fails on it."""
    text = mutate(
        tickets_text,
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n",
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n"
        "    faults: [{type: node_outage, target: tickets, start_s: 0}]\n",
    )
    scope = _check(text, tmp_path)
    facts = dict(scope.facts)
    browse = dict(scope.measures)["slo browse"]
    total = dict(browse)["executions"]
    assert isinstance(total, int)
    assert total > 0
    assert "p99_ms" not in dict(browse)
    assert facts["slo browse"] == (
        f"p99 no data (all {total} failed) (objective 800 ms), n={total}"
    )
    slo = sorted(f.message for f in scope.findings if f.rule == "slo")
    assert slo[0] == (
        f"flow 'browse' in quiet: all {total} executions after warm-up failed: no p99 "
        "latency meets the objective 800 ms"
    )
    assert slo[1].startswith("flow 'buy' in quiet: availability 0.000% is below the objective")


def test_the_reference_region_failure_judges_no_slo(reference: LoadedModel) -> None:
    """Every everyday SLO of the reference model lists its scenarios: the region-failure
    drill judges none, and says so instead of 'conforms'."""
    sink = FindingSink(reference, "region-failure", DYNAMIC_RULES)
    conformance = Conformance(reference, sink, scenario="region-failure", warmup_ms=0)
    facts = conformance.check_slos()
    assert facts == [
        ("slos evaluated", "none: no SLO applies to scenario region-failure"),
        (
            "slos out of scope",
            "open-app (only in normal-day, prime-day, consumer-crash), "
            "search (only in normal-day, prime-day, s3-outage, consumer-crash, ddos), "
            "product-images (only in normal-day, prime-day, consumer-crash), "
            "product-page (only in normal-day, prime-day, s3-outage, consumer-crash, ddos), "
            "add-to-cart (only in normal-day, prime-day, s3-outage, consumer-crash, ddos), "
            "checkout (only in normal-day, prime-day, s3-outage, consumer-crash, ddos)",
        ),
    ]
    prime = Conformance(
        reference,
        FindingSink(reference, "prime-day", DYNAMIC_RULES),
        scenario="prime-day",
        warmup_ms=0,
    )
    prime.check_slos()
    # The capacity plan's pre-warmed fleets hold Prime Day to every everyday SLO.
    assert prime.slo_scope.evaluated == (
        "open-app",
        "search",
        "product-images",
        "product-page",
        "add-to-cart",
        "checkout",
    )
    assert prime.slo_scope.out_of_scope == ()
