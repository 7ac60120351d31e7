"""Control loops as AWS runs them, and parameters that act (issue 12): target-tracking
alarms need several datapoints of the fleet's monitoring period, a silent instance keeps
getting traffic until the load balancer's health checks take it out, the load balancer
fails open, drains for its deregistration delay and answers 504 after its idle timeout,
WAF inspection takes time, and Origin Shield saves origin fetches. Tiny lab models (no
shopping), users sent at chosen instants, so every answer is known."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.metrics_lab import Lab, lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def evenly(rate_per_s: float, from_s: float, until_s: float) -> list[float]:
    count = int((until_s - from_s) * rate_per_s)
    return [from_s + k / rate_per_s for k in range(1, count)]


# --------------------------------------------------------------------------- target tracking


def cpu_fleet(*, detailed: bool, desired: int, duration_s: float) -> Any:
    """One c5.large fleet (2 vCPUs, 2 workers), 100 ms of CPU per request: at r req/s one
    instance burns r × 0.1 / 2 of its CPU."""
    return lab_model(
        [
            {
                "id": "fleet",
                "kind": "ec2",
                "group": "r1",
                "params": {
                    "instance_type": "c5.large",
                    "workers_per_instance": 2,
                    "queue_capacity": 1000,
                    "detailed_monitoring": detailed,
                    "service_time": const(100),
                    "autoscaling": {
                        "min_instances": 1,
                        "max_instances": 4,
                        "desired_instances": desired,
                        "launch_s": 60,
                        "warmup_s": 60,
                        "scale_in_cooldown_s": 0,
                    },
                },
            }
        ],
        [{"from": "users", "to": "fleet", "operations": ["GET /"]}],
        [{"from": "users", "to": "fleet", "op": "GET /"}],
        duration_s=duration_s,
    )


@pytest.mark.parametrize(("detailed", "first_launch_s"), [(True, 180.0), (False, 900.0)])
def test_scale_out_waits_for_three_datapoints_of_the_monitoring_period(
    detailed: bool, first_launch_s: float
) -> None:
    # 16 req/s on one instance: 80 % CPU from the first second. The high alarm needs 3
    # datapoints above 50 %: 3 minutes with detailed monitoring, 15 with basic (5-minute
    # datapoints). Desired = ceil(1 × 80 / 50) = 2; the launching instance counts in the
    # capacity, so no second launch follows while it boots and warms up.
    lab = run_lab(cpu_fleet(detailed=detailed, desired=1, duration_s=1000), evenly(16, 0, 1000))
    summary = lab.summary("fleet")
    assert summary["scaling_activities"] == [
        {
            "t_s": first_launch_s,
            "launch": 1,
            "why": "target tracking: CPU 80%, 3 datapoints above 50%",
        }
    ]
    period_s = 60 if detailed else 300
    assert [row[0] for row in summary["instances"]["timeline"][:3]] == [
        period_s,
        2 * period_s,
        3 * period_s,
    ]
    # EC2 publishes CPUUtilization once per monitoring period, not per CloudWatch period.
    assert len(lab.points("fleet", "CPUUtilization")) == 1000 // period_s


@pytest.mark.parametrize(("detailed", "scale_in_s"), [(True, 900.0), (False, 4500.0)])
def test_scale_in_waits_for_fifteen_datapoints_well_below_the_target(
    detailed: bool, scale_in_s: float
) -> None:
    # 8 req/s on two instances: 20 % CPU, under the low alarm's 45 % (90 % of the target)
    # from the start; it fires on the 15th datapoint (the old loop scaled in at 60 s).
    duration = scale_in_s + 100
    lab = run_lab(
        cpu_fleet(detailed=detailed, desired=2, duration_s=duration), evenly(8, 0, duration)
    )
    assert lab.summary("fleet")["scaling_activities"] == [
        {
            "t_s": scale_in_s,
            "terminate": 1,
            "why": "target tracking: CPU 20%, 15 datapoints below 45%",
        }
    ]


def test_one_busy_minute_restarts_the_scale_in_count() -> None:
    # As above, but the 15th minute runs at 20 req/s (50 % CPU, not below 45 %): no
    # scale-in at 900 s; the next 15 quiet datapoints end at 1,800 s.
    arrivals = evenly(8, 0, 840) + evenly(20, 840, 900) + evenly(8, 900, 1900)
    lab = run_lab(cpu_fleet(detailed=True, desired=2, duration_s=1900), arrivals)
    [activity] = lab.summary("fleet")["scaling_activities"]
    assert activity["t_s"] == 1800.0
    assert activity["terminate"] == 1


# --------------------------------------------------------------------------- health


ZONES = [
    {"id": "net", "kind": "vpc", "parent": "r1"},
    {"id": "az-a", "kind": "availability_zone", "parent": "net"},
    {"id": "az-b", "kind": "availability_zone", "parent": "net"},
]


def balanced(
    alb: dict[str, Any],
    autoscaling: dict[str, Any],
    *,
    zones: bool = False,
    health_edge: bool = False,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    partner_ms: float | None = None,
    duration_s: float = 300,
) -> Any:
    """``users`` → ``lb`` (an ALB) → ``fleet`` (10 ms of CPU), optionally → ``partner``."""
    fleet: dict[str, Any] = {
        "detailed_monitoring": True,
        "service_time": const(10),
        "autoscaling": {"warmup_s": 0, **autoscaling},
    }
    if zones:
        fleet["zones"] = ["az-a", "az-b"]
    nodes = [
        {"id": "lb", "kind": "alb", "group": "net", "params": {"overhead": const(1), **alb}},
        {"id": "fleet", "kind": "ec2", "group": "net", "params": fleet},
    ]
    edges = [
        {"from": "users", "to": "lb", "operations": ["GET /"]},
        {"from": "lb", "to": "fleet", "operations": ["GET /", *(["HealthCheck"] * health_edge)]},
    ]
    steps = [
        {"from": "users", "to": "lb", "op": "GET /"},
        {"from": "lb", "to": "fleet", "op": "GET /"},
    ]
    if partner_ms is not None:
        nodes.append(
            {"id": "partner", "kind": "external", "params": {"latency": const(partner_ms)}}
        )
        edges.append({"from": "fleet", "to": "partner", "operations": ["POST"]})
        steps.append({"from": "fleet", "to": "partner", "op": "POST"})
    return lab_model(nodes, edges, steps, groups=ZONES, faults=faults, duration_s=duration_s)


@pytest.mark.parametrize(
    ("check_type", "replaced_s", "why"),
    [("ec2", 180.0, "EC2 status checks"), ("elb", 120.0, "health checks")],
)
def test_an_az_failure_gives_the_502s_of_the_load_balancer_health_checks(
    check_type: str, replaced_s: float, why: str
) -> None:
    # Two instances, one per zone; zone a fails at 95 s. The ALB checks every 10 s and
    # takes a target out after 2 failures (100 s, 110 s): round robin sends every other
    # request (one per second) to the silent instance from 95 s to 110 s → 15 × 502.
    # Auto Scaling replaces it after 2 failed EC2 status checks (120 s, 180 s), or with
    # ELB health checks at its first check after the ALB's verdict (120 s), in zone b.
    model = balanced(
        {"health_check_interval_s": 10, "unhealthy_threshold": 2},
        {"min_instances": 2, "max_instances": 4, "launch_s": 30, "health_check_type": check_type},
        zones=True,
        faults=[{"type": "az_outage", "target": "az-a", "start_s": 95}],
    )
    lab = run_lab(model, evenly(2, 0, 300))
    failed = [s for s in lab.on("lb") if s["error"] is not None]
    assert {s["error"] for s in failed} == {"502"}
    assert [s["start_ms"] for s in failed] == [1000.0 * t for t in range(95, 110)]
    assert lab.total("lb", "HTTPCode_ELB_5XX_Count") == 15
    summary = lab.summary("fleet")
    assert summary["scaling_activities"] == [
        {"t_s": replaced_s, "launch": 1, "why": f"replace unhealthy instances ({why})"}
    ]
    # Instances per AZ: the replacement went to the zone that is up.
    assert summary["instances"]["zones"] == {
        "az-a": {"final_in_service": 0, "peak_in_service": 1},
        "az-b": {"final_in_service": 2, "peak_in_service": 2},
    }


def test_auto_scaling_does_not_hide_the_502s_before_the_health_checks_fail() -> None:
    # The story: ALB defaults (checks every 30 s, 2 failures), zone a fails at
    # 115 s. The old loop terminated the silent instance at its next tick (120 s): 5 × 502.
    # The ALB only takes it out at its checks of 120 s and 150 s: 35 × 502 (115–149 s);
    # Auto Scaling replaces it after the status checks of 120 s and 180 s.
    model = balanced(
        {},
        {"min_instances": 2, "max_instances": 4, "launch_s": 30},
        zones=True,
        faults=[{"type": "az_outage", "target": "az-a", "start_s": 115}],
    )
    lab = run_lab(model, evenly(2, 0, 300))
    failed = [s["start_ms"] for s in lab.on("lb") if s["error"] == "502"]
    assert failed == [1000.0 * t for t in range(115, 150)]
    [replaced] = lab.summary("fleet")["scaling_activities"]
    assert replaced["t_s"] == 180.0


def test_every_target_unhealthy_fails_open() -> None:
    # Health checks are calls (a HealthCheck edge) with a 5 s timeout; from 50 s every
    # answer of the fleet takes 6 s more. The checks of 60 s and 90 s answer late: both
    # targets are unhealthy at 96 s, and the ALB then routes to all of them (fail open)
    # rather than answer 503: every request still succeeds. EC2 status checks pass, so
    # Auto Scaling replaces nothing.
    model = balanced(
        {"health_check_interval_s": 30, "health_check_timeout_s": 5, "unhealthy_threshold": 2},
        {"min_instances": 2, "max_instances": 2},
        health_edge=True,
        faults=[{"type": "latency", "target": "fleet", "start_s": 50, "added_latency_ms": 6000}],
        duration_s=200,
    )
    lab = run_lab(model, [float(t) for t in range(1, 190)])
    assert {s["status"] for s in lab.on("lb", "GET /")} == {"ok"}
    opened = [s["start_ms"] for s in lab.on("fleet", "GET /") if s["attrs"].get("fail_open")]
    assert opened == [1000.0 * t + 1 for t in range(96, 190)]  # + the ALB's 1 ms overhead
    assert lab.summary("lb")["fail_open_requests"] == 94
    assert lab.summary("lb")["no_target_503"] == 0
    assert lab.points("lb", "UnHealthyHostCount") == [0.0, 2.0, 2.0]
    assert lab.summary("fleet")["scaling_activities"] == []


# --------------------------------------------------------------------------- ALB parameters


def draining(delay_s: int) -> Any:
    """Two instances, scale-in after 15 quiet minutes (at 900 s) drains the newest, i-2;
    each request holds its worker for a 200 s partner call (within the idle timeout)."""
    return balanced(
        {"deregistration_delay_s": delay_s, "idle_timeout_s": 4000},
        {"min_instances": 1, "max_instances": 2, "desired_instances": 2, "scale_in_cooldown_s": 0},
        partner_ms=200_000,
        duration_s=1200,
    )


def _on_instance(lab: Lab) -> dict[str, list[tuple[float, float, str | None]]]:
    spans: dict[str, list[tuple[float, float, str | None]]] = {}
    for s in lab.on("fleet", "GET /"):
        spans.setdefault(s["attrs"]["instance"], []).append(
            (s["start_ms"], s["end_ms"], s["error"])
        )
    return spans


def test_deregistration_delay_cuts_the_requests_still_running_when_it_ends() -> None:
    # Two requests at 850 s (one per instance) and one at 905 s. i-2 is drained at 900 s:
    # the 905 s request goes to i-1; i-2's request would end at 1,050 s, after the 60 s
    # delay: at 960 s the instance terminates and its request ends in 502.
    lab = run_lab(draining(60), [850.0, 850.0, 905.0])
    assert lab.summary("fleet")["scaling_activities"][0]["t_s"] == 900.0
    assert _on_instance(lab) == {
        "i-2": [(850_001.0, 960_000.0, "502")],
        "i-1": [(850_001.0, 1_050_011.0, None), (905_001.0, 1_105_011.0, None)],
    }
    assert lab.summary("fleet")["cut_by_termination"] == 1
    assert lab.total("lb", "HTTPCode_ELB_5XX_Count") == 1


def test_deregistration_delay_lets_in_flight_requests_finish() -> None:
    # With 300 s the request finishes (1,050 s); i-2 is still draining at 1,000 s, and
    # gone once its request ended.
    lab = run_lab(draining(300), [850.0, 850.0, 905.0])
    assert _on_instance(lab)["i-2"] == [(850_001.0, 1_050_011.0, None)]
    assert lab.summary("fleet")["cut_by_termination"] == 0
    assert [i.id for i in lab.sim.behaviors["fleet"].instances] == ["i-1"]
    early = run_lab(draining(300), [850.0, 850.0, 905.0], horizon_s=1000)
    states = {i.id: i.state for i in early.sim.behaviors["fleet"].instances}
    assert states == {"i-1": "in_service", "i-2": "draining"}


@pytest.mark.parametrize(("idle_s", "error"), [(5, "504"), (10, None)])
def test_idle_timeout_answers_504_when_the_target_is_slower(idle_s: int, error: str | None) -> None:
    # The target takes 8 s (a partner call). Idle timeout 5 s: the ALB answers 504 at
    # 5 s + its 1 ms overhead, and the target's work goes on to its end; 10 s: ok at 8 s.
    model = balanced(
        {"idle_timeout_s": idle_s}, {"min_instances": 1, "max_instances": 1}, partner_ms=8000
    )
    lab = run_lab(model, [10.0])
    [answer] = lab.on("lb", "GET /")
    assert (answer["end_ms"], answer["error"]) == ((15_001.0, "504") if error else (18_011.0, None))
    [work] = lab.on("fleet", "GET /")
    assert (work["end_ms"], work["error"]) == (18_011.0, None)
    assert lab.total("lb", "HTTPCode_ELB_5XX_Count") == (1 if error else 0)


# --------------------------------------------------------------------------- WAF, CloudFront


def test_waf_inspection_delays_every_request_it_screens() -> None:
    def model(acl: bool) -> Any:
        nodes: list[dict[str, Any]] = [
            {"id": "api", "kind": "external", "params": {"latency": const(20)}}
        ]
        if acl:
            nodes.append(
                {"id": "acl", "kind": "waf", "params": {"protects": ["api"], "inspect": const(50)}}
            )
        return lab_model(
            nodes,
            [{"from": "users", "to": "api", "operations": ["GET /"]}],
            [{"from": "users", "to": "api", "op": "GET /"}],
        )

    plain = run_lab(model(False), [1.0])
    screened = run_lab(model(True), [1.0])
    assert [(s["start_ms"], s["end_ms"]) for s in plain.on("api")] == [(1000.0, 1020.0)]
    assert [(s["start_ms"], s["end_ms"]) for s in screened.on("api")] == [(1000.0, 1070.0)]
    assert screened.total("acl", "AllowedRequests") == 1


@pytest.mark.parametrize(("shield", "fetches"), [(False, 2), (True, 1)])
def test_origin_shield_collapses_the_edges_misses_into_one_origin_fetch(
    shield: bool, fetches: int
) -> None:
    # Two edge locations, users at two locations (one per edge), one item (all but surely:
    # Zipf exponent 10 over 10 items). Without Origin Shield each edge fetches it once; with
    # it, the second edge's miss is answered by the shield.
    model = lab_model(
        [
            {
                "id": "cdn",
                "kind": "cloudfront",
                "params": {
                    "edge_locations": ["fra", "nrt"],
                    "origin_shield": shield,
                    "origins": [{"target": "images"}],
                    "hit": const(5),
                },
            },
            {"id": "images", "kind": "s3", "group": "r1", "params": {"objects": 10}},
        ],
        [
            {"from": "users", "to": "cdn", "operations": ["GET /img"]},
            {"from": "cdn", "to": "images", "operations": ["GetObject"]},
        ],
        [
            {"from": "users", "to": "cdn", "op": "GET /img"},
            {"from": "cdn", "to": "images", "op": "GetObject", "when": "cache_miss"},
        ],
        client={"locations": [{"id": "eu"}, {"id": "asia"}]},
        items={"count": 10, "zipf_exponent": 10, "categories": 1},
    )
    lab = run_lab(model, [float(t) for t in range(1, 21)])
    assert {s["attrs"]["edge"] for s in lab.on("cdn")} == {"fra", "nrt"}
    assert len(lab.on("images")) == fetches
    cache = lab.summary("cdn")["cache"]
    assert (cache["misses"], cache["shield_hits"], cache["hits"]) == (
        fetches,
        2 - fetches,
        20 - fetches,
    )
    shield_spans = [s for s in lab.on("cdn") if s["attrs"].get("shield") == "hit"]
    assert [s["end_ms"] - s["start_ms"] for s in shield_spans] == [10.0] * (2 - fetches)
