"""The embedded reference model under the check: its lint, and one scenario's run."""

from __future__ import annotations

from pathlib import Path

from archgen.model import LoadedModel
from archgen.runtime.check import lint
from archgen.runtime.check.api import check_run
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario


def test_reference_model_passes_every_static_rule(reference: LoadedModel) -> None:
    assert [str(f) for f in lint(reference).findings if f.failing] == []


def test_reference_normal_day_conforms(reference: LoadedModel, tmp_path: Path) -> None:
    run_scenario(reference.model, "normal-day", out=tmp_path)
    scope = check_run(reference, RunFolder.open(tmp_path))
    assert [str(f) for f in scope.findings] == []
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
    """The drill states what it expects instead of the everyday SLOs: the failover alarm
    fires within its window, the other region stays healthy, nothing is dead-lettered."""
    run_scenario(reference.model, "region-failure", out=tmp_path)
    scope = check_run(reference, RunFolder.open(tmp_path))
    assert [str(f) for f in scope.findings] == []
    facts = dict(scope.facts)
    assert facts["slos evaluated"] == "none: no SLO applies to scenario region-failure"
    assert scope.slos is not None
    assert scope.slos.evaluated == ()
    assert len(scope.slos.out_of_scope) == 6
    assert {name: value for name, value in facts.items() if name.startswith("alarm ")} == {
        "alarm use1-unhealthy": "fired 60 s after the first fault at 300 s (must fire "
        "within 180 s)",
        "alarm usw2-unhealthy": "did not fire (must not fire)",
        "alarm use1-orders-in-dlq": "did not fire (must not fire)",
        "alarm usw2-orders-in-dlq": "did not fire (must not fire)",
    }
