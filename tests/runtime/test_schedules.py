"""Time in scenarios (issue 12, item 7): a wall-clock start (``start_at``), faults given as
times of day, EC2 Auto Scaling scheduled actions and DynamoDB auto scaling, each on a small
model whose answer is known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model
from archgen.model.kinds.ec2 import Recurrence, ScheduledAction
from archgen.runtime.aws.dynamodb_scaling import CapacityTracker
from archgen.runtime.session import run_scenario
from tests.runtime.metrics_lab import lab_model, run_lab
from tests.runtime.test_dynamodb_capacity import steady

NEWSROOM = Path(__file__).parent / "models" / "newsroom.yaml"


@pytest.fixture(scope="module")
def edition() -> dict[str, Any]:
    return run_scenario(load_model(NEWSROOM).model, "edition", out=None).summary


def test_times_of_day_count_from_start_at(edition: dict[str, Any]) -> None:
    """The run starts at 23:50: the zone outage "00:10"-"00:12" is 1,200-1,320 s in."""
    assert edition["faults"] == [
        {"t_s": 1200.0, "type": "az_outage", "target": "zone-b", "state": "start"},
        {"t_s": 1320.0, "type": "az_outage", "target": "zone-b", "state": "end"},
    ]


def test_scheduled_actions_run_at_their_times_with_aws_semantics(edition: dict[str, Any]) -> None:
    """ "*/30 * * * *" first fires at 00:00 (600 s) and lowers the maximum only; the morning
    edition at 00:05 (900 s) raises min and desired to 6 (4 launches); the wind-down at 00:15
    (1,500 s) lowers them to 2 (4 terminations, while the maximum stays 8)."""
    web = edition["nodes"]["web"]
    assert web["scheduled_actions"] == [
        {"t_s": 600.0, "action": "half-hourly-cap", "min": 2, "max": 8, "desired": 2},
        {"t_s": 900.0, "action": "morning-edition", "min": 6, "max": 8, "desired": 6},
        {"t_s": 1500.0, "action": "wind-down", "min": 2, "max": 8, "desired": 2},
    ]
    scheduled = [a for a in web["scaling_activities"] if a["why"].startswith("scheduled")]
    assert scheduled == [
        {"t_s": 900.0, "launch": 4, "why": "scheduled action morning-edition"},
        {"t_s": 1500.0, "terminate": 4, "why": "scheduled action wind-down"},
    ]
    in_service = {row[0]: row[1] for row in edition["instances"]["web"]["timeline"]}
    assert (in_service[840.0], in_service[960.0], in_service[1560.0]) == (2, 6, 2)


def test_a_recurrence_fires_on_each_match_within_the_run() -> None:
    every_half_hour = ScheduledAction(name="cap", recurrence="*/30 * * * *", max_instances=8)
    start = 23 * 3_600 + 50 * 60  # 23:50
    first = every_half_hour.first_s(start)
    assert first == 600
    assert every_half_hour.next_s(start, first) == 2_400  # 00:30
    at_and_hourly = ScheduledAction(name="h", at="01:15", recurrence="0 * * * *", min_instances=1)
    assert at_and_hourly.first_s(start) == 2 * 3_600 + 10 * 60  # 02:00, the first after 01:15
    once = ScheduledAction(name="o", at="23:40", desired_instances=1)
    assert once.first_s(start) == 86_400 - 600  # tomorrow: after a one-day run ends
    assert Recurrence("5,35 9-17/4 * * *").hours == (9, 13, 17)


def test_an_action_that_would_put_min_above_max_fails_as_on_aws() -> None:
    model = load_model(NEWSROOM).model
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    scaling = data["nodes"][1]["params"]["autoscaling"]
    scaling["scheduled_actions"] = [{"name": "too-high", "at": "00:00", "min_instances": 12}]
    from archgen.model.schema import Model

    bad = Model.model_validate(data)
    summary = run_scenario(bad, "edition", duration_s=700, out=None).summary
    assert summary["nodes"]["web"]["scheduled_actions"] == [
        {"t_s": 600.0, "action": "too-high", "failed": "min 12 > max 10"}
    ]


def test_an_action_after_the_run_books_no_scaled_capacity() -> None:
    """A plan for another time of day (the reference's Prime Day pre-warm, say) must not
    warn about its sizes in a run it never acts in: at scale 0.4 the 00:05 action's 6
    instances would be 2.4, simulated as 2 (−17 %); a 600 s run from 23:50 ends before it."""
    model = load_model(NEWSROOM).model
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    scaling = data["nodes"][1]["params"]["autoscaling"]
    scaling["scheduled_actions"] = scaling["scheduled_actions"][:1]  # morning-edition, 00:05
    scaling["min_instances"] = 5
    from archgen.model.schema import Model

    planned = Model.model_validate(data)
    before = run_scenario(planned, "edition", duration_s=600, scale=0.4, out=None).summary
    assert before["scale_warnings"] == []
    assert "scheduled_actions" not in before["nodes"]["web"]
    within = run_scenario(planned, "edition", duration_s=1200, scale=0.4, out=None).summary
    assert within["scale_warnings"] == [
        f"web: morning-edition.{size}_instances 6 × 0.4 = 2.4, simulated 2 (-17 %); whole at "
        "scale 0.3333"
        for size in ("desired", "min")
    ]
    assert [a["action"] for a in within["nodes"]["web"]["scheduled_actions"]] == ["morning-edition"]


# -- DynamoDB auto scaling


def autoscaled_table(at_s: list[float], duration_s: float) -> Any:
    latency = {"distribution": "constant", "mean_ms": 2}
    model = lab_model(
        [
            {
                "id": "table",
                "kind": "dynamodb",
                "group": "r1",
                "params": {
                    "billing_mode": "provisioned",
                    "write_capacity_units": 10,
                    "read": latency,
                    "write": latency,
                    "max_retries": 0,
                    "autoscaling": {
                        "writes": {
                            "min_units": 10,
                            "max_units": 100,
                            "target_utilization_percent": 70,
                        }
                    },
                },
            }
        ],
        [{"from": "users", "to": "table", "operations": ["PutItem"]}],
        [{"from": "users", "to": "table", "op": "PutItem"}],
        duration_s=duration_s,
    )
    return run_lab(model, at_s)


def test_dynamodb_scales_out_after_two_minutes_over_target_and_in_after_fifteen() -> None:
    """10 WCU, target 70 %. 15 writes/s from t = 0 to 600 s: 150 % utilization in the
    minutes ending at 60 and 120 s, so at 120 s capacity becomes ceil(15 / 0.7) = 22 (the
    burst credit covered the first two minutes: nothing throttled). Then 1 write/s: 4.5 %,
    more than 20 points under the target from the minute ending at 660 s, so 15 minutes
    later (1,500 s) capacity falls back to the minimum, 10."""
    lab = autoscaled_table(steady(15, 600, start=0.0) + steady(1, 1_000, start=600.0), 1_600)
    scaling = lab.summary("table")["autoscaling"]
    assert scaling == {
        "writes": {
            "final_units": 10,
            "changes": [
                {
                    "t_s": 120.0,
                    "from": 10,
                    "to": 22,
                    "utilization_percent": 150.0,
                    "why": "scale out",
                },
                {
                    "t_s": 1500.0,
                    "from": 22,
                    "to": 10,
                    "utilization_percent": 4.5,
                    "why": "scale in",
                },
            ],
        }
    }
    assert not [s for s in lab.on("table") if s["error"]]


def test_decreases_are_limited_per_utc_day() -> None:
    """A table whose load falls to a quarter after each decrease (always 20+ points under
    its 50 % target): a decrease every 15 low minutes while the quota allows. The run starts
    at 23:40, so midnight UTC is at 1,200 s: one decrease on the first day (900 s), then
    four on the new day (1,800-4,500 s), then one per hour since the last (8,100, 11,700)."""
    tracker = CapacityTracker(1_000_000, 10, 1_000_000, 50)
    start = 23 * 3_600 + 40 * 60
    load = 100_000.0
    done: list[float] = []
    for minute in range(1, 4 * 60 + 1):
        t = minute * 60.0
        if tracker.minute(t, load, start + t) is not None:
            done.append(t)
            load /= 4
    assert done == [900, 1_800, 2_700, 3_600, 4_500, 8_100, 11_700]
    assert {change["why"] for change in tracker.changes} == {"scale in"}


# -- validation of times


def newsroom_with(old: str, new: str) -> str:
    text = NEWSROOM.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'at: "00:10", until: "00:12"',
            'at: "23:40", until: "00:12"',
            "newsroom.yaml:44:47: scenarios[0].faults[0].at: at 23:40 falls outside the run, "
            "which starts at 23:50 and ends at 00:16 (the clock shows 23:40 85800 s after the "
            "start >= duration_s 1560 s)",
        ),
        (
            'at: "00:10", until: "00:12"',
            'at: "00:10", until: "00:08"',
            "newsroom.yaml:44:63: scenarios[0].faults[0].until: until 00:08 must fall after the "
            "fault starts (00:10) and no later than the run ends (00:16); leave until out to "
            "last until the end",
        ),
        (
            'at: "00:10", until: "00:12"',
            'at: "24:10"',
            "newsroom.yaml:44:47: scenarios[0].faults[0].at: not a time of day: '24:10' (write "
            '"HH:MM" or "HH:MM:SS", from 00:00 to 23:59:59)',
        ),
        (
            'start_at: "23:50"',
            "start_at: 23:50",
            "newsroom.yaml:40:15: scenarios[0].start_at: a time of day is text: quote it, e.g. "
            '"23:50" (unquoted, YAML reads 23:50 as the number 1430)',
        ),
        (
            'recurrence: "*/30 * * * *"',
            'recurrence: "*/30 * * * 1-5"',
            "recurrence '*/30 * * * 1-5': a run has no calendar date, so the day, month and "
            "weekday fields must be *",
        ),
        (
            'at: "00:10", until: "00:12"',
            'at: "00:10", start_s: 5',
            "newsroom.yaml:44:9: scenarios[0].faults[0]: give start_s or at, not both",
        ),
    ],
)
def test_bad_times_are_errors_with_their_position(old: str, new: str, message: str) -> None:
    from archgen.model import load_model_text
    from archgen.model.errors import ModelError

    with pytest.raises(ModelError) as raised:
        load_model_text(newsroom_with(old, new), "newsroom.yaml")
    (problem,) = raised.value.problems
    assert message in str(problem)
