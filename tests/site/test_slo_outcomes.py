"""The site's SLO table says what the check judged: an SLO whose end-to-end objective had
no request to judge is not 'met' (a trial's 10-minute objective in a 10-minute scenario)."""

from __future__ import annotations

from archgen.model import load_model_text
from archgen.runtime.check.examples import RUN_EXAMPLES
from archgen.runtime.session import check
from archgen.site.results import _slo_outcomes


def outcomes(threshold_ms: int) -> list[tuple[str, str, str]]:
    text = RUN_EXAMPLES["slo-judged"].model.replace(
        "threshold_ms: 120000", f"threshold_ms: {threshold_ms}"
    )
    loaded = load_model_text(text, "visit.yaml")
    (scope,) = [s for s in check(loaded, scenarios=["day"], jobs=1).scopes if s.name == "day"]
    return [(o.flow, o.result, o.measured) for o in _slo_outcomes(loaded.model, "day", scope)]


def test_an_end_to_end_objective_with_no_request_to_judge_is_not_measured() -> None:
    ((flow, result, measured),) = outcomes(120_000)
    assert (flow, result) == ("visit", "not measured end to end")
    assert measured.endswith(
        "end to end until api: no data (no request to judge) (objective 120,000 ms)"
    )


def test_one_the_run_can_judge_is_met() -> None:
    ((flow, result, _),) = outcomes(1_000)
    assert (flow, result) == ("visit", "met")
