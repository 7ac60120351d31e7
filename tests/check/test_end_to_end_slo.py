"""End-to-end SLOs over asynchronous flows, on the ride-hailing story: a rider's request
goes through the ride-requests queue to the matcher, which publishes to the driver-alerts
topic, which texts the drivers. ``request-ride``'s end-to-end objective (p95 within 5 s
until ``drivers: Deliver``) is judged per request from its start to the SMS, across the
two hand-offs (the spans of each hop live in other traces, linked by their parents);
a request whose SMS never went out counts against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model import load_model_text
from archgen.model.errors import InputError
from archgen.runtime.check.api import check_run
from archgen.runtime.check.report import Scope
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import mutate

MODEL = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
EVALUATED = "request-ride (and end to end until drivers: Deliver)"
CRASH = "{type: consumer_crash, target: matcher, start_s: 60, end_s: 120, rate: 0.5}"


def _check(text: str, scenario: str, folder: Path) -> Scope:
    loaded = load_model_text(text, "ride-hailing.yaml")
    run_scenario(loaded.model, scenario, out=folder)
    return check_run(loaded, RunFolder.open(folder))


def _slo_findings(scope: Scope) -> list[str]:
    return [f"{f.path}: {f.message}" for f in scope.findings if f.rule == "slo"]


def test_rush_hour_meets_the_end_to_end_objective(tmp_path: Path) -> None:
    scope = _check(MODEL.read_text(), "rush-hour", tmp_path)
    facts = dict(scope.facts)
    assert facts["slos evaluated"] == EVALUATED
    assert facts["slo request-ride"] == (
        "p95 115 ms (objective 1,500 ms), availability 100.000% (objective 99.5%), n=1162; "
        "end to end until drivers: Deliver p95 449 ms (objective 5,000 ms; "
        "1,145 reached, 0 never reached)"
    )
    assert _slo_findings(scope) == []


def test_a_matcher_crash_makes_drivers_hear_later(tmp_path: Path) -> None:
    """Half the matcher's invocations crash for a minute: every crashed message comes back
    after the queue's 30 s visibility timeout, so the SMS arrives, late. The flow's own
    latency (request to queue) does not see it; the end-to-end objective does."""
    scope = _check(MODEL.read_text(), "matcher-crash", tmp_path)
    facts = dict(scope.facts)
    assert facts["slos evaluated"] == EVALUATED
    assert facts["slo request-ride"] == (
        "p95 121 ms (objective 1,500 ms), availability 100.000% (objective 99.5%), n=1155; "
        "end to end until drivers: Deliver p95 30,605 ms (objective 5,000 ms; "
        "1,132 reached, 0 never reached)"
    )
    assert _slo_findings(scope) == [
        "flows[0].slo.end_to_end.threshold_ms: flow 'request-ride' in matcher-crash: p95 "
        "end-to-end latency until drivers: Deliver is 30,605.1 ms, over the objective "
        "5,000 ms (1,132 reached, 0 never reached of 1,132 requests after warm-up)"
    ]


def test_requests_whose_driver_is_never_texted_count_as_failures(tmp_path: Path) -> None:
    """Every invocation crashes for two minutes: a message received three times goes to the
    dead-letter queue, its driver is never texted. Exactly those requests never reach the
    effect (39, the dead-letter queue's count)."""
    text = mutate(
        MODEL.read_text(),
        CRASH,
        "{type: consumer_crash, target: matcher, start_s: 60, end_s: 180, rate: 1.0}",
    )
    scope = _check(text, "matcher-crash", tmp_path)
    facts = dict(scope.facts)
    assert facts["messages ride-requests"] == (
        "sent 1155 = processed 1116 + in the dead-letter queue 39 + still in the queue 0 + lost 0"
    )
    assert facts["slo request-ride"].endswith(
        "; end to end until drivers: Deliver p95 89,765 ms (objective 5,000 ms; "
        "1,094 reached, 39 never reached)"
    )
    assert _slo_findings(scope) == [
        "flows[0].slo.end_to_end.threshold_ms: flow 'request-ride' in matcher-crash: p95 "
        "end-to-end latency until drivers: Deliver is 89,765.4 ms, over the objective "
        "5,000 ms (1,094 reached, 39 never reached of 1,133 requests after warm-up)"
    ]


def test_most_requests_never_reached_reads_never_reached(tmp_path: Path) -> None:
    """A percentile that falls among requests without the effect has no latency: it says
    "never reached", not a number."""
    text = mutate(
        MODEL.read_text(),
        "percentile: 95, threshold_ms: 5000",
        "percentile: 99.9, threshold_ms: 5000",
    )
    text = mutate(
        text,
        CRASH,
        "{type: consumer_crash, target: matcher, start_s: 60, end_s: 180, rate: 1.0}",
    )
    scope = _check(text, "matcher-crash", tmp_path)
    assert dict(scope.facts)["slo request-ride"].endswith(
        "; end to end until drivers: Deliver p99.9 never reached (objective 5,000 ms; "
        "1,094 reached, 39 never reached)"
    )
    (finding,) = _slo_findings(scope)
    assert "p99.9 end-to-end latency until drivers: Deliver is never reached" in finding


def test_no_request_to_judge_is_no_data(tmp_path: Path) -> None:
    """Requests are judged only when they started at least the threshold before the run
    ended (a later one could not be late yet): a threshold longer than the run judges none."""
    text = mutate(MODEL.read_text(), "threshold_ms: 5000", "threshold_ms: 400000")
    scope = _check(text, "rush-hour", tmp_path)
    assert dict(scope.facts)["slo request-ride"].endswith(
        "; end to end until drivers: Deliver: no data (no request to judge) (objective 400,000 ms)"
    )
    assert _slo_findings(scope) == []  # not missed: not judged, which a warning says
    assert [f"{f.severity}: {f.path}: [{f.rule}] {f.message}" for f in scope.findings] == [
        "warning: flows[0].slo.end_to_end.threshold_ms: [slo-judged] flow 'request-ride' in "
        "rush-hour: no request could be judged end to end until drivers: Deliver: a request "
        "counts when it starts after warm-up and at least the objective (400,000 ms) before "
        "the run ends, and its last call ended 300.0 s after warm-up (a longer scenario "
        "judges it)"
    ]


def test_the_effect_must_be_a_node() -> None:
    text = mutate(MODEL.read_text(), "until: drivers", "until: nowhere")
    with pytest.raises(InputError) as caught:
        load_model_text(text, "ride-hailing.yaml")
    assert "flows[0].slo.end_to_end.until: unknown node 'nowhere'" in str(caught.value)
