"""A run's cost is estimated before it starts, and a run over the budget is refused."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model
from archgen.runtime import run as run_module
from archgen.runtime.budget import (
    DEFAULT_MAX_EVENTS,
    check_budget,
    estimate,
    memory_allowed,
)
from archgen.runtime.session import run_scenario

from .conftest import MINI

TESTS = Path(__file__).parents[1]
MODELS = sorted(path for path in TESTS.glob("*/models/*.yaml") if "render" not in path.parts)
MODELS += sorted((TESTS / "models").glob("*.yaml"))

HUGE = """\
system: {id: big, name: Big}
nodes:
  - {id: user, kind: client}
  - {id: web, kind: ec2}
edges:
  - {from: user, to: web, operations: [GET]}
flows:
  - {id: read, title: Read, steps: [{from: user, to: web, op: GET}]}
journeys:
  - {id: j, title: J, flows: [{flow: read}]}
scenarios:
  - id: huge
    title: Every range honoured, far over the budget
    duration_s: 86400
    traffic: {sessions_per_s: 100000, mix: {j: 1}}
"""
HUGE_REFUSAL = (
    "error: scenario 'huge' would take about 25,920,216,000 events (≈ 2.4 TiB of memory), "
    "over the budget of 20,000,000 events: {lower}, or pass --max-events 26000000000 to run "
    "it anyway\n"
)


def invoke(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a simulation fails the test: a refusal must come before it."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the run was started")

    from archgen.runtime import explain

    monkeypatch.setattr(run_module, "build", refuse)
    monkeypatch.setattr(explain, "build", refuse)  # it holds its own reference


# --------------------------------------------------------------------------- the estimate


@pytest.mark.parametrize(
    "path", [None, *MODELS], ids=lambda p: "reference" if p is None else p.name
)
def test_every_shipped_scenario_is_far_under_the_default_budget(path: Path | None) -> None:
    """At the fidelity ``auto`` picks (the reference's scenarios, at scale 1, are hybrid),
    every shipped scenario is priced near the events a hybrid run traces (its background
    work, such as health checks, is not sampled): a fifth of the budget at most."""
    from archgen.runtime.fluid import MAX_SAMPLE_EVENTS
    from archgen.runtime.session import resolve_fidelity

    bound = DEFAULT_MAX_EVENTS // 5
    assert bound - MAX_SAMPLE_EVENTS >= bound // 5  # room for the unsampled background
    model = load_model(path).model
    for scenario in model.scenarios:
        fidelity = resolve_fidelity(model, scenario, None, None)
        cost = check_budget(
            model,
            scenario,
            seed=scenario.seed,
            scale=fidelity.traced(scenario.scale),
            duration_s=scenario.duration_s,
        )
        assert cost.events <= bound, scenario.id
        assert cost.memory_bytes <= memory_allowed(bound), scenario.id


@pytest.mark.parametrize(
    ("path", "scenario"),
    [
        (MINI, "base"),
        (MINI, "flood"),
        (MINI, "zone-down"),
        (TESTS / "models" / "photo-sharing.yaml", "quiet-evening"),
        (TESTS / "runtime2" / "models" / "orders.yaml", "steady"),
        (TESTS / "check" / "models" / "tickets.yaml", "quiet"),
    ],
)
def test_the_estimate_bounds_real_runs_without_being_wild(path: Path, scenario: str) -> None:
    model = load_model(path).model
    found = model.scenario(scenario)
    cost = estimate(model, found, scale=found.scale, duration_s=found.duration_s)
    summary = run_scenario(model, scenario).summary
    assert summary["events"] <= cost.events <= 6 * summary["events"]
    assert 0.8 * summary["requests"] <= cost.calls <= 2.5 * summary["requests"]
    assert 0.8 * summary["sessions"] <= cost.sessions <= 1.2 * summary["sessions"]


def test_attack_sources_cost_memory_even_at_a_low_rate() -> None:
    model = load_model(MINI).model
    flood = model.scenario("flood")
    attack = flood.traffic.attack
    assert attack is not None
    many = flood.model_copy(
        update={
            "traffic": flood.traffic.model_copy(
                update={"attack": attack.model_copy(update={"sources": 100_000})}
            )
        }
    )
    with pytest.raises(run_module.RunError) as refused:
        check_budget(model, many, seed=1, scale=100.0, duration_s=flood.duration_s)
    assert str(refused.value) == (
        "scenario 'flood' would need about 39.9 GiB of memory for 17,345,100 events, "
        "10,002,400 simulated instances and attack sources and 2,000 items, over the "
        "2.0 GiB that the budget of 20,000,000 events allows: lower --scale or --duration, or "
        "pass --max-events 430000000 to run it anyway"
    )


# --------------------------------------------------------------------------- the commands


def test_run_refuses_a_huge_scenario_before_it_starts(tmp_path: Path, nothing_runs: None) -> None:
    model = tmp_path / "big.yaml"
    model.write_text(HUGE, encoding="utf-8")
    out = tmp_path / "run"
    code, stdout, stderr = invoke(
        ["run", str(model), "-s", "huge", "--fidelity", "full", "--out", str(out)]
    )
    assert (code, stdout) == (2, "")
    assert stderr == HUGE_REFUSAL.format(lower="lower --scale or --duration")
    assert not out.exists()


def test_check_and_the_site_refuse_it_too(tmp_path: Path, nothing_runs: None) -> None:
    model = tmp_path / "big.yaml"
    model.write_text(HUGE, encoding="utf-8")
    code, stdout, stderr = invoke(["check", str(model), "--fidelity", "full"])
    assert (code, stdout) == (2, "")
    assert stderr == HUGE_REFUSAL.format(lower="lower --scale or --duration")
    site = tmp_path / "site"
    cache = str(tmp_path / "c")
    code, _, stderr = invoke(
        [
            "site",
            "build",
            str(model),
            "--fidelity",
            "full",
            "--out",
            str(site),
            "--cache-dir",
            cache,
        ]
    )
    assert code == 2
    assert stderr.endswith(
        "over the budget of 20,000,000 events: lower the scenario's scale or duration_s\n"
    )
    assert not site.exists()


def test_max_events_lowers_and_raises_the_budget(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(MINI), "-s", "base", "--duration", "60", "--out", str(out)]
    code, _, stderr = invoke([*args, "--max-events", "1000"])
    assert code == 2
    assert stderr == (
        "error: scenario 'base' would take about 12,660 events (≈ 129.3 MiB of memory), over "
        "the budget of 1,000 events: lower --scale or --duration, or pass --max-events 14000 "
        "to run it anyway\n"
    )
    assert not out.exists()
    code, _, stderr = invoke([*args, "--max-events", "14000"])
    assert (code, stderr) == (
        0,
        "full fidelity (auto: the whole run is about 12,660 events, within the 3,000,000 a "
        "run simulates request by request)\n",
    )
    assert (out / "summary.json").is_file()


def test_check_takes_max_events(nothing_runs: None) -> None:
    code, stdout, stderr = invoke(["check", str(MINI), "-s", "base", "--max-events", "1000"])
    assert (code, stdout) == (2, "")
    assert stderr == (
        "error: scenario 'base' would take about 63,300 events (≈ 134.1 MiB of memory), over "
        "the budget of 1,000 events: lower --scale or --duration, or pass --max-events 65000 "
        "to run it anyway\n"
    )


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (["--scale", "1e6"], "--scale: must be above 0 and at most 1,000 (got 1e+06)"),
        (["--scale", "nan"], "--scale: must be above 0 and at most 1,000 (got nan)"),
        (
            ["--duration", "inf"],
            "--duration: must be above 0 and at most 604,800 s, a week (got inf)",
        ),
        (
            ["--duration", "1e308"],
            "--duration: must be above 0 and at most 604,800 s, a week (got 1e+308)",
        ),
        (["--seed", str(2**63)], f"--seed: must be between 0 and 2**63 - 1 (got {2**63})"),
    ],
)
def test_run_flags_have_the_schema_ranges(
    tmp_path: Path, nothing_runs: None, flag: list[str], message: str
) -> None:
    out = tmp_path / "run"
    code, _, stderr = invoke(["run", str(MINI), "-s", "base", "--out", str(out), *flag])
    assert (code, stderr) == (2, f"error: {message}\n")
    assert not out.exists()


def test_explain_refuses_a_scale_whose_warm_up_is_over_the_budget(nothing_runs: None) -> None:
    code, _, stderr = invoke(["run", "--journey", "buy", "--explain", "--scale", "1000"])
    assert code == 2
    assert stderr.startswith("error: scenario 'normal-day' would take about ")
    assert stderr.endswith("over the budget of 20,000,000 events: lower --scale\n")


def test_explain_traces_a_sample_of_the_others_at_the_real_traffic() -> None:
    """A minute of the reference's real traffic is millions of events (a minute and more
    request by request): --explain runs the other users in hybrid fidelity, in seconds, and
    says so; the user it follows is traced whole."""
    code, stdout, stderr = invoke(["run", "--journey", "buy", "--explain"])
    assert code == 0, stderr
    assert stderr == (
        "hybrid fidelity for the other users (the minute before is about 2,613,552 events, "
        "over the 300,000 --explain simulates request by request; 0.11 of the other users "
        "traced)\n"
    )
    assert stdout.startswith("one user through journey 'buy' (normal-day):\n")
    assert [line for line in stdout.splitlines() if line.startswith("flow ")] == [
        "flow open-app (t = 60.000 s)",
        "flow search (t = 72.123 s)",
        "flow product-page (t = 86.941 s)",
        "flow product-images (t = 95.889 s)",  # the funnel: this user adds nothing to a cart
    ]


def test_explain_chooses_its_own_fidelity(nothing_runs: None) -> None:
    code, _, stderr = invoke(["run", "--explain", "--fidelity", "full"])
    assert (code, stderr) == (
        2,
        "error: --explain picks how it simulates the other users: drop --fidelity\n"
        "Try 'cli run --help' for help.\n",
    )


def test_the_estimate_is_finite_at_every_bound() -> None:
    model = load_model(MINI).model
    for scenario in model.scenarios:
        cost = estimate(model, scenario, scale=1000.0, duration_s=7 * 86_400.0)
        assert math.isfinite(cost.calls)
        assert cost.events > DEFAULT_MAX_EVENTS


def test_check_runs_within_a_raised_budget() -> None:
    code, _, stderr = invoke(["check", str(MINI), "-s", "base", "--max-events", "65000"])
    assert code in (0, 1)  # the verdict is the check's; the budget let the run happen
    assert "would take about" not in stderr
    assert "checked " in stderr


@pytest.mark.parametrize("command", ["run", "check"])
def test_the_help_states_the_default_budget(command: str) -> None:
    code, stdout, _ = invoke([command, "--help"])
    assert code == 0
    assert "--max-events N" in stdout
    assert f"(default {DEFAULT_MAX_EVENTS:,})" in " ".join(stdout.split())


def test_a_hybrid_check_is_priced_at_its_traced_share() -> None:
    """``check --fidelity hybrid`` prices what it traces, as ``run`` does: a budget of
    20,000 events refuses the whole scenario (about 63,300) but not a tenth of it traced."""
    args = ["check", str(MINI), "-s", "base", "--max-events", "20000"]
    code, stdout, stderr = invoke(args)
    assert (code, stdout) == (2, "")
    assert "would take about 63,300 events" in stderr
    code, stdout, stderr = invoke([*args, "--fidelity", "hybrid", "--sample", "0.1"])
    assert "budget" not in stderr
    assert code == 1  # ran and checked: the model's own lint findings, no refusal
    assert "edges exercised: 14 of 15" in stdout
