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
