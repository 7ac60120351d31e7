"""The embedded reference model under the check: its lint, and one scenario's run."""

from __future__ import annotations

from pathlib import Path

from archgen.model import LoadedModel
from archgen.runtime.check import lint
from archgen.runtime.check.api import check_run
from archgen.runtime.check.report import Scope
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.scales import QUICK_SCALE


def test_reference_model_passes_every_static_rule(reference: LoadedModel) -> None:
    assert [str(f) for f in lint(reference).findings if f.failing] == []


SCALED_AT_001 = [
    "payments-use1: min_instances 40 × 0.01 = 0.4, simulated 1 (+150 %); 1 instance in 1 of "
    "its 2 zones; whole at scale 0.05",
    "payments-usw2: min_instances 16 × 0.01 = 0.16, simulated 1 (+525 %); 1 instance in 1 of "
    "its 2 zones; whole at scale 0.125",
    "web-usw2: min_instances 40 × 0.01 = 0.4, simulated 1 (+150 %); 1 instance in 1 of its 2 "
    "zones; whole at scale 0.05",
]
"""What the reference's scenarios at 1 % cannot keep of the real system (warnings, issue 12):
the smaller fleets' minimums are fractions of an instance, simulated as one in one zone."""


def scaled_away(scope: Scope, scenario: str) -> list[str]:
    """The scope's findings other than the scale warnings (must be none), after checking
    that those are :data:`SCALED_AT_001`."""
    scaled = [f for f in scope.findings if f.rule == "scaled-capacity"]
    prefix = f"at scale 0.01 in {scenario}: "
    assert sorted(f.message.removeprefix(prefix) for f in scaled) == SCALED_AT_001
    assert all(not f.failing for f in scaled)
    return [str(f) for f in scope.findings if f.rule != "scaled-capacity"]


def test_reference_normal_day_conforms(reference: LoadedModel, tmp_path: Path) -> None:
    run_scenario(reference.model, "normal-day", scale=QUICK_SCALE, out=tmp_path)
    scope = check_run(reference, RunFolder.open(tmp_path))
    assert scaled_away(scope, "normal-day") == []
    assert {name for name, _ in scope.facts} >= {"slo checkout", "slo search", "spans"}
    facts = dict(scope.facts)
    assert facts["slos evaluated"] == (
        "open-app, search, product-images, product-page, add-to-cart, checkout"
    )
    assert "slos out of scope" not in facts
    assert [value for name, value in facts.items() if name.startswith("alarm ")] == [
        "did not fire (must not fire)"
    ] * 4


def test_reference_region_failure_judges_its_alarms_and_no_slo(
    reference: LoadedModel, tmp_path: Path
) -> None:
    """The drill states what it expects instead of the everyday SLOs: the other region
    stays healthy, nothing is dead-lettered. us-east-1's CloudWatch is out with its region,
    so its failover alarm does not change while the outage lasts (Route 53's own health
    checks move the users)."""
    result = run_scenario(reference.model, "region-failure", scale=QUICK_SCALE, out=tmp_path)
    history = result.summary["nodes"]["monitoring"]["alarm_history"]
    # Nothing while the region is out (300-900 s); once it is back, the load balancer has
    # no healthy target until the fleet has restarted, and the alarm says so.
    assert [(row["t_s"], row["to"]) for row in history if row["alarm"] == "use1-unhealthy"] == [
        (60.0, "OK"),
        (960.0, "ALARM"),
        (1080.0, "OK"),
    ]
    scope = check_run(reference, RunFolder.open(tmp_path))
    assert scaled_away(scope, "region-failure") == []
    facts = dict(scope.facts)
    assert facts["slos evaluated"] == "none: no SLO applies to scenario region-failure"
    assert scope.slos is not None
    assert scope.slos.evaluated == ()
    assert len(scope.slos.out_of_scope) == 6
    assert {name: value for name, value in facts.items() if name.startswith("alarm ")} == {
        "alarm usw2-unhealthy": "did not fire (must not fire)",
        "alarm use1-orders-in-dlq": "did not fire (must not fire)",
        "alarm usw2-orders-in-dlq": "did not fire (must not fire)",
    }
