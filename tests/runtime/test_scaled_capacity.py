"""No silent scaling (issue 12, item 5): a scaled run keeps every capacity it can, says
which it cannot, and reports real and simulated capacities side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model
from archgen.runtime.aws.kms_envelope import RequestQuota
from archgen.runtime.capacity import ScaledCapacity, SharedSlots, whole_scale
from archgen.runtime.session import run_scenario

FARM = Path(__file__).parent / "models" / "render-farm.yaml"


@pytest.fixture(scope="module")
def farm_run() -> dict[str, Any]:
    """400 artists/s × 0.05 = 20 submissions/s against a 1 s render function whose
    reserved concurrency of 50 is 2.5 environments at the scale."""
    model = load_model(FARM).model
    return run_scenario(model, "night", out=None).summary


def test_fractional_concurrency_is_time_shared_not_rounded_away(farm_run: dict[str, Any]) -> None:
    """2.5 environments serve 2.5 one-second renders per second: 245 in 100 s (the
    extra one waits for its credit to turn positive, then for the next arrival); rounded
    to 2 the function served 200 (−20 %), rounded to 3, 300."""
    render = farm_run["nodes"]["render"]["function"]
    assert render["invocations"] == 245
    assert 0.95 * 250 <= render["invocations"] <= 250
    assert render["peak_concurrency"] == render["concurrency_limit"] == 3
    assert farm_run["capacities"]["render"] == {
        "concurrency": {
            "how": "time-shared",
            "real": 50,
            "scaled": 2.5,
            "simulated": 2.5,
            "warning": None,
        }
    }


def test_rates_keep_their_fraction(farm_run: dict[str, Any]) -> None:
    frames = farm_run["capacities"]["frames"]
    assert frames["read_capacity_units"]["simulated"] == 0.25  # was rounded up to 1 (×4)
    assert frames["write_capacity_units"] == {
        "how": "exact",
        "real": 50,
        "scaled": 2.5,
        "simulated": 2.5,
        "warning": None,
    }


def test_a_fleet_that_loses_instances_and_zones_is_a_warning(farm_run: dict[str, Any]) -> None:
    """min_instances 8 over two zones at 0.05 is 0.4 instance: simulated as 1, in one zone;
    the warning says so and names the nearest scale that keeps two whole instances."""
    message = (
        "frontend: min_instances 8 × 0.05 = 0.4, simulated 1 (+150 %); 1 instance in 1 of "
        "its 2 zones; whole at scale 0.25"
    )
    assert farm_run["capacities"]["frontend"]["min_instances"]["warning"] == message
    assert farm_run["capacities"]["frontend"]["max_instances"]["warning"] is None
    assert farm_run["scale_warnings"] == [message]  # desired defaults to the minimum


def test_run_and_check_print_the_warning(tmp_path: Path) -> None:
    run = CliRunner().invoke(cli, ["run", str(FARM), "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert "warning: scale: frontend: min_instances 8 × 0.05 = 0.4, simulated 1" in run.output
    check = CliRunner().invoke(cli, ["check", str(FARM), "--scenario", "night"])
    assert "scaled-capacity" in check.output
    assert "at scale 0.05 in night: frontend: min_instances 8 × 0.05 = 0.4" in check.output


def test_a_faithful_scale_warns_about_nothing() -> None:
    model = load_model(FARM).model
    summary = run_scenario(model, "night", scale=0.25, duration_s=5, out=None).summary
    assert summary["scale_warnings"] == []
    assert summary["capacities"]["frontend"]["min_instances"]["simulated"] == 2


def test_time_shared_slot_is_busy_its_share_of_the_time() -> None:
    """0.5 slot, each use 1,000 ms, wanted every 10 ms: it earns 0.5 ms per ms and spends
    1 while busy. Starting with its bank (500 ms) it runs 1 s (credit 0), runs again as
    soon as it has credit (credit −495 ms), then rests 990 ms per second of work: 50
    uses in 100 s, plus the one the bank paid for."""
    slots = SharedSlots(0.5)
    busy_until, starts, now = 0.0, [], 0.0
    while now < 100_000:
        if now >= busy_until and slots.active:
            slots.give(now)
        if slots.take(now):
            starts.append(now)
            busy_until = now + 1_000
        now += 10
    assert starts[:5] == [0.0, 1_010.0, 3_010.0, 5_010.0, 7_010.0]
    assert len(starts) == 51


def test_fractional_quota_grants_whole_requests_on_average() -> None:
    quota = RequestQuota(2.5)
    granted = []
    for second in range(4):
        granted.append(sum(quota.acquire(second + i / 10) for i in range(10)))
    assert granted == [2, 3, 2, 3]


def test_whole_scale_and_deviation() -> None:
    assert whole_scale(8, 0.05, zones=2) == 0.25
    assert whole_scale(50, 0.05) == 0.06  # 3 of 50
    assert whole_scale(0, 0.05) is None
    faithful = ScaledCapacity("max_instances", 40, 2.0, 2, "whole")
    assert faithful.warning("fleet", 0.05) is None
    assert ScaledCapacity("x", 21, 1.05, 1, "whole").warning("n", 0.05) is None  # −4.8 %


def test_a_warning_about_zones_alone_shows_the_arithmetic_and_names_the_member() -> None:
    """At an exact scale only the zones are lost: the warning said "desired_count 1 instance
    in 1 of its 2 zones", without the 2 × 0.5 that made it one (and a task is no instance)."""
    exact = ScaledCapacity("desired_count", 2, 1.0, 1, "whole", 2, "task")
    assert exact.warning("dashboard", 0.5) == (
        "dashboard: desired_count 2 × 0.5 = 1 task, in 1 of its 2 zones; whole at scale 1"
    )
    near = ScaledCapacity("min_instances", 21, 1.05, 1, "whole", 2)  # −4.8 %: tolerated
    assert near.warning("web", 0.05) == (
        "web: min_instances 21 × 0.05 = 1.05, simulated 1 instance, in 1 of its 2 zones; "
        "whole at scale 0.09524"
    )


def test_an_ecs_service_run_speaks_of_tasks_and_lists_every_file(tmp_path: Path) -> None:
    """tile-server's two tasks over two zones at scale 0.5: one task, "1 task in service",
    and the run folder's files, data-at-rest.json included."""
    model = Path(__file__).parent / "models" / "tile-server.yaml"
    out = tmp_path / "run"
    args = ["run", str(model), "-s", "zone-loss", "--scale", "0.5", "--duration", "60"]
    run = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[-5:] == [
        "tiles: 1 → peak 1 → 1 task in service (simulated at scale 0.5; summary.json lists the "
        "real capacities)",
        "  in service per zone at the end: zone-a 1 (peak 1), zone-b 0 (peak 0)",
        "warning: scale: tiles: desired_count 2 × 0.5 = 1 task, in 1 of its 2 zones; whole at "
        "scale 1",
        "warning: scale: tiles: min_tasks 2 × 0.5 = 1 task, in 1 of its 2 zones; whole at scale 1",
        f"written to {out}/ (spans.jsonl, metrics.jsonl, summary.json, data-at-rest.json)",
    ]
    assert sorted(path.name for path in out.iterdir()) == [
        "data-at-rest.json",
        "metrics.jsonl",
        "spans.jsonl",
        "summary.json",
    ]
