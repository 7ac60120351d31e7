"""Hybrid fidelity: results that do not depend on how much of the system is traced.

A fleet of 100 instances × 4 workers behind a least-outstanding-requests balancer at
ρ ≈ 0.85, each request holding its worker through a synchronous call to a function with
95 reserved environments at 85 Erlangs (Erlang B throttles 2.7 %). In hybrid fidelity the
pools keep their real size whatever the sample, so tracing 1 %, 5 % or 20 % of the users
gives the same flow p50, p99 and availability within sampling noise; shrinking the system
instead (full fidelity at scale 0.01: one instance, one environment) does not.

Tolerances, against the 20 % run: p50 ± 5 %, p99 ± 10 %, availability within three
standard errors of the difference of two binomial shares (±1 point for the 1 % run, which
traces about 2,500 flows; its p99 has a sampling error near ±7 %). Every run has a fixed
seed, so the verdict is the same on every machine (no wall clock, no flakiness).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.stats import percentiles
from archgen.runtime.fluid import FULL, Fidelity
from tests.oracles import lab

DURATION_S = 300.0
RATE = 850.0  # users per second: 850 × (300 + 100) ms = 340 Erlangs on 400 workers


def fleet_model() -> object:
    nodes = [
        {"id": "lb", "kind": "alb", "params": {"algorithm": "least_outstanding_requests"}},
        {
            "id": "fleet",
            "kind": "ec2",
            "params": {
                "workers_per_instance": 4,
                "queue_capacity": 100,
                "service_time": lab.exponential(300.0),
                "autoscaling": {"min_instances": 100, "max_instances": 100},
            },
        },
        {
            "id": "fn",
            "kind": "lambda",
            "params": {
                "reserved_concurrency": 95,
                "duration": lab.exponential(100.0),
                "cold_start": {"distribution": "constant", "mean_ms": 0},
                "timeout_s": 900,
            },
        },
    ]
    calls = [("users", "lb"), ("lb", "fleet"), ("fleet", "fn")]
    return lab.model(nodes, calls, rate_per_s=RATE, duration_s=DURATION_S, seed=5)


Outcome = tuple[float, float, float, int, int]


def outcome(fidelity: Fidelity, scale: float = 1.0) -> Outcome:
    """Flow p50, p99 (ms), availability, flows and instances in service of one run."""
    done = lab.run(
        fleet_model(), 5, warmup_s=0.0, reset=lambda *_: None, fidelity=fidelity, scale=scale
    )
    stats = done.traffic.flow_stats["main"]
    p50, p99 = percentiles(stats.latencies, (50, 99))
    assert p50 is not None
    assert p99 is not None
    flows = stats.ok + stats.failed
    return p50, p99, stats.ok / flows, flows, len(done.sim.behaviors["fleet"].serving)


@pytest.fixture(scope="module")
def reference_run() -> Outcome:
    return outcome(Fidelity("hybrid", 0.2))


@pytest.mark.parametrize("sample", [0.01, 0.05])
def test_flows_do_not_depend_on_the_sample(sample: float, reference_run: Outcome) -> None:
    p50, p99, availability, flows, instances = outcome(Fidelity("hybrid", sample))
    ref_p50, ref_p99, ref_availability, ref_flows, ref_instances = reference_run
    assert instances == ref_instances == 100  # the fleet is not shrunk by the sample
    assert p50 == pytest.approx(ref_p50, rel=0.05)
    assert p99 == pytest.approx(ref_p99, rel=0.10)
    share = ref_availability * (1 - ref_availability)
    error = math.sqrt(share / flows + share / ref_flows)
    assert abs(availability - ref_availability) < 3 * error
    assert abs(ref_availability - 0.9734) < 0.005  # 1 − ErlangB(95, 85)


def test_shrinking_the_system_changes_the_answer(reference_run: Outcome) -> None:
    """The contrast the sample removes: full fidelity at scale 0.01 runs an M/M/4 and one
    environment, whose p99 and availability are far from the real system's."""
    _, p99, availability, _, instances = outcome(FULL, scale=0.01)
    assert instances == 1
    assert p99 > 1.3 * reference_run[1]
    assert availability < reference_run[2] - 0.2  # 56 %: one environment, time-shared


def cli_run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_run_reports_its_fidelity(tmp_path: Path) -> None:
    import json

    out = tmp_path / "run"
    code, stdout, _ = cli_run(
        "--duration",
        "60",
        "--scale",
        "0.01",
        "--fidelity",
        "hybrid",
        "--sample",
        "0.5",
        "--out",
        str(out),
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    system = summary["fidelity"]["system_scale"]
    assert summary["fidelity"] == {
        "mode": "hybrid",
        "sample": 0.5,
        "system_scale": system,
        "reason": "--fidelity is hybrid; --sample 0.5",
    }
    assert summary["scale"] == pytest.approx(system * 0.5)
    assert (
        f"60 s simulated in hybrid fidelity: the system at scale {system:g}, 0.5 of its "
        f"sessions traced (their traffic at scale {system:g} × 0.5 = {system * 0.5:g})"
    ) in " ".join(stdout.split())


def test_full_fidelity_says_it_was_asked_for(tmp_path: Path) -> None:
    import json

    out = tmp_path / "run"
    args = ("--duration", "30", "--scale", "0.01", "--fidelity", "full", "--out", str(out))
    assert cli_run(*args)[0] == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["fidelity"] == {
        "mode": "full",
        "sample": 1.0,
        "system_scale": summary["scale"],
        "reason": "--fidelity is full",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", "0.1"], "--sample traces a share of the sessions: add --fidelity hybrid"),
        (["--fidelity", "hybrid", "--sample", "0"], "--sample: must be above 0 and at most 1"),
        (["--fidelity", "hybrid", "--sample", "1.5"], "--sample: must be above 0 and at most 1"),
    ],
)
def test_bad_samples_are_refused(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, stderr = cli_run("--duration", "10", "--out", str(tmp_path / "r"), *args)
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr


def test_check_runs_its_scenarios_in_hybrid_fidelity() -> None:
    result = CliRunner().invoke(
        cli,
        ["check", "-s", "normal-day", "--scale", "0.01", "--fidelity", "hybrid", "--sample", "0.2"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stdout
    assert "check passed: 0 errors" in result.stdout
    assert "lint and 1 run in" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--run", "x", "--fidelity", "hybrid"], "--fidelity chooses how check runs"),
        (["--sample", "0.2"], "--sample traces a share of the sessions: add --fidelity hybrid"),
        (["--fidelity", "hybrid", "--sample", "2"], "--sample: must be above 0 and at most 1"),
    ],
)
def test_check_refuses_bad_fidelity_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    assert result.exit_code == 2
    assert message in result.stderr


def test_sweep_runs_hybrid_and_keys_its_runs_apart(tmp_path: Path) -> None:
    from archgen.model import load_model
    from archgen.runtime.sweep import plan_sweep

    loaded = load_model(None)
    full = plan_sweep(loaded, "normal-day", (), seeds=1, scale=0.01, duration_s=30)
    hybrid = plan_sweep(
        loaded, "normal-day", (), seeds=1, scale=0.01, duration_s=30, mode="hybrid", sample=0.5
    )
    assert full.fidelity == FULL
    assert hybrid.fidelity == Fidelity("hybrid", 0.5)
    assert full.fidelity.reason.startswith("auto: the whole run is about")
    assert full.key((), full.seeds[0]) != hybrid.key((), hybrid.seeds[0])  # no resume mix-up
    args = ["sweep", "-s", "normal-day", "--seeds", "1", "--duration", "30", "--scale", "0.01"]
    args += ["-j", "1"]
    args += ["--fidelity", "hybrid", "--sample", "0.5", "--out", str(tmp_path / "sw")]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "hybrid fidelity: each run traces 0.5 of the sessions of the system at scale" in (
        result.stderr
    )


def test_a_hybrid_run_of_every_session_says_all(tmp_path: Path) -> None:
    """--sample 1: the header and the chosen fidelity said "1 of the sessions traced"."""
    ride = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
    args = ["--duration", "60", "--fidelity", "hybrid", "--sample", "1"]
    code, stdout, stderr = cli_run(str(ride), *args, "--out", str(tmp_path / "run"))
    assert code == 0
    assert (
        stderr == "hybrid fidelity, all of the sessions traced (--fidelity is hybrid; --sample 1)\n"
    )
    assert stdout.splitlines()[0] == (
        "rush-hour — seed 7, 60 s simulated in hybrid fidelity: the system at scale 1, all of "
        "its sessions traced"
    )
