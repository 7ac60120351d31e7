"""A map-tile server on Fargate (issue 14): the morning rush scales the service out by
target tracking on CPU; losing a zone costs the requests its task takes until the load
balancer's checks take it out, and the service moves that task to the other zone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import LoadedModel, load_model
from archgen.runtime.session import run_scenario

TILE_SERVER = Path(__file__).parent / "models" / "tile-server.yaml"


@pytest.fixture(scope="module")
def tiles() -> LoadedModel:
    return load_model(TILE_SERVER)


def test_the_morning_rush_adds_tasks_after_three_minutes_above_the_target(
    tiles: LoadedModel,
) -> None:
    """30 tiles/s on two 0.5-vCPU tasks (20 ms each: 30 % CPU) triple from 120 s to 180 s:
    the datapoints of 180, 240 and 300 s are above 50 %, so a third task starts at 300 s
    (ceil(2 × CPU / 50) = 3) and runs 40 s later; the rush keeps the three above the
    target, and a fourth, a larger scale-out, is not held by the cooldown. Every tile is
    served."""
    summary = run_scenario(tiles.model, "morning-rush").summary
    node: dict[str, Any] = summary["nodes"]["tiles"]
    launches = [(a["t_s"], a["launch"]) for a in node["scaling_activities"]]
    assert launches[0] == (300.0, 1)
    assert [t for t, _ in launches] == sorted(t for t, _ in launches)
    assert all(a["why"].startswith("target tracking: CPU ") for a in node["scaling_activities"])
    timeline = node["instances"]["timeline"]
    assert [row[:3] for row in timeline[:6]] == [
        [60.0, 2, 0],
        [120.0, 2, 0],
        [180.0, 2, 0],
        [240.0, 2, 0],
        [300.0, 2, 1],  # the third task starting
        [360.0, 3, 0],
    ]
    assert all(row[3] < 50 for row in timeline[:2])  # before the rush
    assert all(row[3] > 50 for row in timeline[2:5])  # the three datapoints above
    assert 3 <= node["instances"]["final_in_service"] <= 12
    assert node["instances"]["member"] == "task"  # archgen run says "tasks in service"
    tile = summary["flows"]["tile"]
    assert tile["failed"] == 0
    assert tile["completed"] > 60_000
    lines = summary["cost"]["nodes"]["tiles"]["lines"]
    assert [line["item"] for line in lines] == [
        "fargate.vcpu_hour.x86_64",
        "fargate.gb_hour.x86_64",
    ]


def test_losing_a_zone_costs_only_the_requests_until_the_checks_and_moves_its_task(
    tiles: LoadedModel,
) -> None:
    """Zone a goes out at 120 s. The balancer checks every 10 s and takes a target out
    after 2 failures, so the zone-a task gets half of the 30 tiles/s for 10 to 20 s more:
    150 to 300 answered 502 by the balancer, all in that minute. At its next minute past
    the grace period (180 s) the service replaces the task the balancer marks unhealthy,
    in zone b."""
    summary = run_scenario(tiles.model, "zone-loss").summary
    tile = summary["flows"]["tile"]
    assert set(tile["errors"]) == {"tiles:502"}
    assert 150 <= tile["failed"] <= 300
    assert [row["t_s"] for row in tile["timeline"] if row["failed"]] == [120.0]
    node: dict[str, Any] = summary["nodes"]["tiles"]
    assert node["scaling_activities"] == [
        {"t_s": 180.0, "launch": 1, "why": "replace unhealthy tasks (load balancer health checks)"}
    ]
    assert node["instances"]["zones"] == {
        "zone-a": {"final_in_service": 0, "peak_in_service": 1},
        "zone-b": {"final_in_service": 2, "peak_in_service": 2},
    }
