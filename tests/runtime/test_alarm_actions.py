"""Alarm actions are calls through declared edges, and they meet the faults of their
targets: an action on a topic (or a fleet) that is out fails as AWS's alarm history shows
("Failed to execute action"), and nothing is published. A tiny lab (no shopping): users
sent at chosen instants, so every alarm change is known."""

from __future__ import annotations

from typing import Any

from tests.runtime.metrics_lab import lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def paged_model(
    outage: tuple[float, float] | None, region_outage: tuple[float, float] | None = None
) -> Any:
    """A function whose every invocation trips an alarm (Invocations > 0 in a minute) that
    pages the on-call topic; ``outage`` takes the topic out from/until (s), and
    ``region_outage`` the whole region, CloudWatch included."""
    watch = {
        "period_s": 60,
        "metrics": [{"id": "calls", "node": "fn", "name": "Invocations", "statistic": "Sum"}],
        "alarms": [
            {
                "id": "busy",
                "metric": "calls",
                "threshold": 0,
                "actions": [{"type": "notify", "target": "pager"}],
            }
        ],
    }
    faults = []
    if outage is not None:
        faults.append(
            {"type": "node_outage", "target": "pager", "start_s": outage[0], "end_s": outage[1]}
        )
    if region_outage is not None:
        faults.append(
            {
                "type": "region_outage",
                "target": "r1",
                "start_s": region_outage[0],
                "end_s": region_outage[1],
            }
        )
    return lab_model(
        [
            {
                "id": "fn",
                "kind": "lambda",
                "group": "r1",
                "params": {"duration": const(10), "cold_start": const(50)},
            },
            {"id": "watch", "kind": "cloudwatch", "group": "r1", "params": watch},
            {
                "id": "pager",
                "kind": "sns",
                "group": "r1",
                "params": {
                    "latency": const(1),
                    "subscriptions": [{"endpoint": "on-call", "protocol": "email"}],
                },
            },
            {"id": "on-call", "kind": "external", "params": {"latency": const(1)}},
        ],
        [
            {"from": "users", "to": "fn", "operations": ["Invoke"]},
            {"from": "watch", "to": "pager", "operations": ["Publish"]},
            {"from": "pager", "to": "on-call", "operations": ["Deliver"], "mode": "async"},
        ],
        [{"from": "users", "to": "fn", "op": "Invoke"}],
        faults=faults,
        duration_s=400,
    )


def pages(outage: tuple[float, float] | None) -> tuple[list[tuple[float, str, Any]], float]:
    """(the alarm's publishes to the topic: time, status, error; the emails delivered)."""
    # Invoked in the first minute and the fifth: ALARM at 60 s and 300 s, OK a minute later.
    lab = run_lab(paged_model(outage), [10.0, 250.0])
    history = [(row["t_s"], row["to"]) for row in lab.summary("watch")["alarm_history"]]
    assert history == [(60.0, "ALARM"), (120.0, "OK"), (300.0, "ALARM"), (360.0, "OK")]
    published = [
        (span["start_ms"] / 1000, span["status"], span["error"])
        for span in lab.on("pager", "Publish")
    ]
    return published, lab.total("pager", "NumberOfNotificationsDelivered")


def test_alarm_actions_reach_a_topic_that_is_up() -> None:
    assert pages(None) == ([(60.0, "ok", None), (300.0, "ok", None)], 2)


def test_an_action_on_a_topic_that_is_out_fails_and_is_not_retried() -> None:
    """The topic is out from 30 s to 200 s: the first page fails (ServiceUnavailable, no
    email; the alarm stays in ALARM without trying again), the second one goes out."""
    assert pages((30.0, 200.0)) == (
        [(60.0, "error", "ServiceUnavailable"), (300.0, "ok", None)],
        1,
    )


def test_a_cloudwatch_in_a_region_that_is_out_evaluates_nothing() -> None:
    """CloudWatch is regional: while its region is out, its alarms neither change nor act
    (the first minute's ALARM never happens, so nothing is paged for it); they resume with
    the datapoints after the outage."""
    lab = run_lab(paged_model(None, region_outage=(30.0, 200.0)), [10.0, 250.0])
    history = [(row["t_s"], row["to"]) for row in lab.summary("watch")["alarm_history"]]
    assert history == [(240.0, "OK"), (300.0, "ALARM"), (360.0, "OK")]
    assert [span["start_ms"] / 1000 for span in lab.on("pager", "Publish")] == [300.0]


def test_an_alarms_notification_is_counted_once_at_any_scale() -> None:
    """Alarms notify at their real rate: at scale 0.1 the topic still publishes and
    delivers one message per ALARM (its counts are not divided as traffic's are)."""
    lab = run_lab(paged_model(None), [10.0, 250.0], scale=0.1)
    assert lab.total("pager", "NumberOfMessagesPublished") == 2
    assert lab.total("pager", "NumberOfNotificationsDelivered") == 2
