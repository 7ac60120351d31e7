"""The engine picks the fidelity: a scenario's ``fidelity: auto`` (the default) runs in full
fidelity when the whole run's estimate fits the events a hybrid run traces (3 million), else
in hybrid fidelity tracing the share that fits; a scenario may pin ``fidelity`` and
``sample``, and ``--fidelity`` / ``--sample`` override them. Nothing here simulates except
the one command-line run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model, load_model_text
from archgen.model.errors import ModelError, UsageError
from archgen.runtime.budget import estimate
from archgen.runtime.fluid import MAX_SAMPLE_EVENTS, Fidelity
from archgen.runtime.session import resolve_fidelity

RIDES = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
PIN = "    duration_s: 300\n    seed: 7\n"
"""Where the ride-hailing model's first scenario (rush-hour) can be given more settings."""


def rides(extra: str = "") -> str:
    text = RIDES.read_text(encoding="utf-8")
    assert text.count(PIN) == 1
    return text.replace(PIN, PIN + extra)


def test_auto_runs_a_small_run_in_full_fidelity() -> None:
    model = load_model_text(rides(), "ride-hailing.yaml").model
    scenario = model.scenario("rush-hour")
    assert scenario.fidelity == "auto"
    events = estimate(model, scenario, scale=1.0, duration_s=300).events
    assert events <= MAX_SAMPLE_EVENTS
    chosen = resolve_fidelity(model, scenario, None, None)
    assert chosen == Fidelity("full", 1.0)
    assert chosen.reason == (
        f"auto: the whole run is about {events:,} events, within the 3,000,000 a run "
        "simulates request by request"
    )


def test_auto_samples_a_big_run_to_fit_the_budget() -> None:
    """At scale 100 the estimate is 3,634,650 events: 3,000,000 / 3,634,650 = 0.825...,
    rounded down to two significant digits, is 0.82."""
    model = load_model_text(rides(), "ride-hailing.yaml").model
    scenario = model.scenario("rush-hour")
    events = estimate(model, scenario, scale=100.0, duration_s=300).events
    assert events == 3_634_650
    chosen = resolve_fidelity(model, scenario, None, None, scale=100.0)
    assert chosen == Fidelity("hybrid", 0.82)
    assert math.floor(MAX_SAMPLE_EVENTS / events * 100) / 100 == 0.82
    assert chosen.reason.startswith("auto: the whole run would be about 3,634,650 events")
    assert chosen.reason.endswith("tracing 0.82 of the sessions keeps under them")
    # asked for explicitly, the same share is traced; full is full whatever the size
    assert resolve_fidelity(model, scenario, "hybrid", None, scale=100.0) == chosen
    assert resolve_fidelity(model, scenario, "full", None, scale=100.0) == Fidelity()


def test_the_reference_prime_day_at_scale_1_is_hybrid() -> None:
    model = load_model(None).model
    scenario = model.scenario("prime-day")
    events = estimate(model, scenario, scale=1.0, duration_s=scenario.duration_s).events
    chosen = resolve_fidelity(model, scenario, None, None, scale=1.0)
    assert chosen.hybrid
    assert chosen.sample * events <= MAX_SAMPLE_EVENTS < chosen.sample * 1.1 * events


def test_a_scenario_pins_its_fidelity_and_the_command_line_overrides_it() -> None:
    pinned = load_model_text(rides("    fidelity: full\n"), "r.yaml").model
    scenario = pinned.scenario("rush-hour")
    chosen = resolve_fidelity(pinned, scenario, None, None, scale=100.0)
    assert (chosen, chosen.reason) == (Fidelity(), "the scenario's fidelity is full")
    assert resolve_fidelity(pinned, scenario, "auto", None, scale=100.0) == Fidelity("hybrid", 0.82)

    sampled = load_model_text(rides("    fidelity: hybrid\n    sample: 0.3\n"), "r.yaml").model
    scenario = sampled.scenario("rush-hour")
    chosen = resolve_fidelity(sampled, scenario, None, None)
    assert (chosen, chosen.reason) == (
        Fidelity("hybrid", 0.3),
        "the scenario's fidelity is hybrid, with its sample",
    )
    chosen = resolve_fidelity(sampled, scenario, None, 0.5)
    assert (chosen, chosen.reason) == (
        Fidelity("hybrid", 0.5),
        "the scenario's fidelity is hybrid; --sample 0.5",
    )
    # --fidelity hybrid without --sample: the budget's share, not the scenario's
    assert resolve_fidelity(sampled, scenario, "hybrid", None) == Fidelity("hybrid", 1.0)
    with pytest.raises(UsageError, match="--sample traces a share of the sessions"):
        resolve_fidelity(sampled, scenario, "auto", 0.5)


def test_a_sample_without_hybrid_fidelity_is_refused_where_it_is_written() -> None:
    with pytest.raises(ModelError) as raised:
        load_model_text(rides("    sample: 0.3\n"), "ride-hailing.yaml")
    (problem,) = raised.value.problems
    assert str(problem).startswith("error: ride-hailing.yaml:")
    assert "sample is the share a hybrid run traces: set fidelity: hybrid, or drop sample" in (
        str(problem)
    )


def test_run_says_which_fidelity_and_why(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(RIDES), "--duration", "20", "--fidelity", "auto", "--out", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "full fidelity (auto: the whole run is about" in result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    fidelity = summary["fidelity"]
    assert (fidelity["mode"], fidelity["sample"]) == ("full", 1.0)
    assert fidelity["reason"].startswith("auto: the whole run is about")
