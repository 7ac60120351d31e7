"""``archgen plan``: the pass-rate bound, the bisection (fewer configurations than the grid,
the cheapest that meets the SLOs, the runner-up, early stops), and the command's report."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model import LoadedModel
from archgen.runtime import plan as planning
from archgen.runtime.artefacts import Interval, SweepConfiguration
from archgen.runtime.plan import Search, allowed_failures, lower_bound
from archgen.runtime.sweep import Plan
from archgen.runtime.sweep_params import parse_knobs
from tests.sweep.conftest import NOTES, archgen


def test_clopper_pearson_lower_bound() -> None:
    assert lower_bound(20, 20, 0.95) == pytest.approx(0.05 ** (1 / 20), abs=1e-9)
    assert lower_bound(0, 5, 0.95) == 0.0
    assert lower_bound(18, 20, 0.95) == pytest.approx(0.7174, abs=1e-4)  # the exact CP bound
    assert lower_bound(19, 20, 0.95) == pytest.approx(0.7839, abs=1e-4)
    assert allowed_failures(40, 0.8, 0.95) == 3
    assert allowed_failures(20, 0.8, 0.95) == 0
    assert allowed_failures(20, 0.7, 0.95) == 2
    assert allowed_failures(10, 0.8, 0.95) == -1  # 10/10 only shows 0.741


def _fake(plan: Plan, seeds: int) -> SweepConfiguration:
    """A configuration meets the SLOs when a + b ≥ 5 and costs 10 a + 3 b a month."""
    values = {knob.name: knob.values[0] for knob in plan.knobs}
    a, b = values["api.autoscaling.max_instances"], values["api.workers_per_instance"]
    assert isinstance(a, int)
    assert isinstance(b, int)
    return _configuration(plan, values, seeds, 1.0 if a + b >= 5 else 0.0, float(10 * a + 3 * b))


def _configuration(
    plan: Plan, values: dict[str, Any], seeds: int, meets: float, cost: float
) -> SweepConfiguration:
    """A configuration's result whose every seed meets the SLOs (``meets`` 1) or none,
    at ``cost`` a month."""
    return SweepConfiguration(
        params=values,
        seeds=list(plan.seeds[:seeds]),
        availability=None,
        slo_pass_rate=Interval(mean=meets, low=meets, high=meets, stdev=0.0, n=seeds),
        slo_misses={},
        flows={},
        peak_instances={},
        max_queue_age_s={},
        cost_usd=None,
        monthly_cost_usd=Interval(mean=cost, low=cost, high=cost, stdev=0.0, n=seeds),
    )


def test_bisection_finds_the_cheapest_without_the_grid(
    notes: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Search, "_run", lambda self, plan, seeds: _fake(plan, seeds))
    knobs = parse_knobs(
        notes, ["api.autoscaling.max_instances=3,1,4,2", "api.workers_per_instance=1,2,3"]
    )
    search = Search(notes, "busy", knobs, seeds=20)
    answer, runner_up = search.run()
    assert answer is not None
    assert runner_up is not None
    assert dict(answer.values) == {
        "api.autoscaling.max_instances": 2,
        "api.workers_per_instance": 3,
    }
    assert answer.monthly_cost == 29
    assert dict(runner_up.values) == {
        "api.autoscaling.max_instances": 4,
        "api.workers_per_instance": 3,
    }
    evaluated = [tuple(v for _, v in e.values) for e in search.evaluations.values()]
    assert evaluated == [(4, 3), (2, 3), (1, 3), (2, 1), (2, 2)]  # 5 of the 12
    misses = [e for e in search.evaluations.values() if not e.meets]
    assert all(e.stopped_early and e.runs == 5 for e in misses)  # a quarter of 20 seeds
    assert all(e.runs == 20 for e in search.evaluations.values() if e.meets)


def test_a_tie_in_cost_goes_to_the_smaller_knob_value_numerically(
    notes: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every configuration costs the same; 50 and 100 meet the SLOs. As strings "100" sorts
    before "50": the answer must be the smaller capacity, 50."""

    def flat(plan: Plan, seeds: int) -> SweepConfiguration:
        value = plan.knobs[0].values[0]
        assert isinstance(value, int)
        meets = 1.0 if value >= 50 else 0.0
        return _configuration(plan, {plan.knobs[0].name: value}, seeds, meets, 7.0)

    monkeypatch.setattr(Search, "_run", lambda self, plan, seeds: flat(plan, seeds))
    knobs = parse_knobs(notes, ["api.autoscaling.max_instances=10,20,50,100"])
    answer, runner_up = Search(notes, "busy", knobs, seeds=20).run()
    assert answer is not None
    assert runner_up is not None
    assert answer.values == (("api.autoscaling.max_instances", 50),)
    assert runner_up.values == (("api.autoscaling.max_instances", 100),)
    assert answer.monthly_cost == runner_up.monthly_cost == 7.0


def test_nothing_meets_the_slos(notes: LoadedModel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Search, "_run", lambda self, plan, seeds: _fake(plan, seeds))
    knobs = parse_knobs(
        notes, ["api.autoscaling.max_instances=1,2", "api.workers_per_instance=1,2"]
    )
    search = Search(notes, "busy", knobs, seeds=20)
    assert search.run() == (None, None)
    assert len(search.evaluations) == 1


def test_too_few_seeds_for_the_pass_rate_is_refused_before_running() -> None:
    code, out, err = archgen(
        "plan", str(NOTES), "--vary", "api.autoscaling.min_instances=1,2", "--seeds", "10"
    )
    assert (code, out) == (2, "")
    assert err == (
        "error: with 10 seeds even 10 passing runs show a pass rate of at least 0.741 only, "
        "below --pass-rate 0.8 at confidence 0.95: raise --seeds or lower --pass-rate\n"
    )
    assert archgen("plan", str(NOTES))[2] == (
        "error: a plan needs at least one --vary knob to search over\n"
    )


def test_the_command_prints_answer_runner_up_and_evidence() -> None:
    code, out, err = archgen(
        "plan",
        str(NOTES),
        "--vary",
        "api.autoscaling.min_instances=1,2,3",
        "--seeds",
        "4",
        "--pass-rate",
        "0.4",
        "--duration",
        "10",
        "--jobs",
        "1",
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "criterion: every SLO of busy met by at least 40 % of runs with 95 % confidence "
        "(4 seeds: at most 0 may miss)"
    )
    assert lines[1].startswith("answer: api.autoscaling.min_instances=")
    assert " USD per month, 4/4 runs met every SLO (pass rate ≥ 0.473)" in lines[1]
    assert lines[2].startswith("runner-up: ")
    assert lines[3].startswith("evidence: ")
    assert " of 3 configurations evaluated, " in lines[3]
    assert lines[4] == "every configuration evaluated, in the order run"


def test_the_plan_module_has_no_story() -> None:
    assert "shop" not in (planning.__doc__ or "").lower()
