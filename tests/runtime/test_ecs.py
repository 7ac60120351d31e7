"""ECS services on Fargate (issue 14): task-size CPU and memory utilization, Application Auto
Scaling target tracking on CPU or memory, task replacement, AZ spread, load-balanced tasks,
Fargate sizes and prices. Users are sent at chosen instants, so every count is exact."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model.errors import ModelError
from tests.runtime.metrics_lab import Lab, lab_model, run_lab

ZONES = [
    {"id": "net", "kind": "vpc", "parent": "r1"},
    {"id": "az-a", "kind": "availability_zone", "parent": "net"},
    {"id": "az-b", "kind": "availability_zone", "parent": "net"},
]
SUBNETS = [
    *ZONES,
    {"id": "private-a", "kind": "subnet", "parent": "az-a"},
    {"id": "private-b", "kind": "subnet", "parent": "az-b"},
]


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def steady(rate: float, seconds: float, start: float = 1.0) -> list[float]:
    """Arrivals at ``rate`` per second, evenly spaced, for ``seconds``."""
    return [start + (i + 0.5) / rate for i in range(round(rate * seconds))]


def service_model(
    params: dict[str, Any],
    *,
    call_ms: float | None = None,
    alb: bool = False,
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    duration_s: float = 600,
    region: str = "eu-west-1",
    watch: dict[str, Any] | None = None,
    group: str = "r1",
) -> Any:
    """users → (alb →) svc, an ECS service in ``group``; with ``call_ms``, svc → partner (a
    call that holds the worker for ``call_ms``)."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "svc",
            "kind": "ecs",
            "group": group,
            "params": {"start_up": const(30_000), "service_time": const(10), **params},
        }
    ]
    edges: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    entry = "svc"
    if alb:
        entry = "lb"
        nodes.append({"id": "lb", "kind": "alb", "group": "r1", "params": {"overhead": const(1)}})
        edges.append({"from": "lb", "to": "svc", "operations": ["GET /"]})
        steps.append({"from": "lb", "to": "svc", "op": "GET /"})
    edges.insert(0, {"from": "users", "to": entry, "operations": ["GET /"]})
    steps.insert(0, {"from": "users", "to": entry, "op": "GET /"})
    if call_ms is not None:
        nodes.append({"id": "partner", "kind": "external", "params": {"latency": const(call_ms)}})
        edges.append({"from": "svc", "to": "partner", "operations": ["POST"]})
        steps.append({"from": "svc", "to": "partner", "op": "POST"})
    if watch is not None:
        nodes.append({"id": "watch", "kind": "cloudwatch", "params": watch})
        edges.append({"from": "watch", "to": "svc", "operations": ["UpdateService"]})
    return lab_model(
        nodes, edges, steps, groups=SUBNETS, faults=faults, duration_s=duration_s, region=region
    )


def activities(lab: Lab) -> list[dict[str, Any]]:
    return list(lab.summary("svc")["scaling_activities"])


def test_utilization_is_over_the_task_size_every_minute() -> None:
    """One 0.25-vCPU task (256 CPU units, 512 MiB): 20 requests a second of 10 ms each
    keep it computing 20 % of the time (a task under 1 vCPU is fully busy while one
    worker computes): CPUUtilization 20 %. Each request is held 10 ms, 0.2 on average,
    at 8 MiB over 128 MiB idle: MemoryUtilization (128 + 1.6) / 512 = 25.3125 %."""
    model = service_model(
        {
            "cpu": 256,
            "memory_mib": 512,
            "desired_count": 1,
            "memory_idle_mib": 128,
            "memory_per_request_mib": 8,
        },
        duration_s=185,
    )
    lab = run_lab(model, steady(20, 183))
    assert lab.points("svc", "CPUUtilization")[1:] == pytest.approx([20.0, 20.0])
    assert lab.points("svc", "MemoryUtilization")[1:] == pytest.approx([25.3125, 25.3125])
    assert lab.points("svc", "RunningTaskCount") == [1.0, 1.0, 1.0]
    assert lab.summary("svc")["vcpus_per_task"] == 0.25


def test_cpu_target_tracking_adds_a_task_after_three_minutes_above_the_target() -> None:
    """One 1-vCPU task at 80 requests/s of 10 ms: 80 % CPU against a target of 50 %. The
    third 1-minute datapoint above it (t = 180 s) sets desired = ceil(1 × 80 / 50) = 2;
    the task runs 30 s later, and the two share the load at 40 % each, where the desired
    count stays 2 (ceil(2 × 40 / 50))."""
    model = service_model(
        {
            "desired_count": 1,
            "autoscaling": {"min_tasks": 1, "max_tasks": 4, "target_value": 50},
        },
        duration_s=1_500,
    )
    lab = run_lab(model, steady(80, 1_498))
    assert activities(lab) == [
        {"t_s": 180.0, "launch": 1, "why": "target tracking: CPU 80%, 3 datapoints above 50%"}
    ]
    fleet = lab.summary("svc")["instances"]
    assert [row[:3] for row in fleet["timeline"][2:5]] == [
        [180.0, 1, 1],
        [240.0, 2, 0],
        [300.0, 2, 0],
    ]
    assert lab.points("svc", "CPUUtilization")[4] == pytest.approx(40.0)  # 240-300 s


def test_memory_target_tracking_scales_on_requests_held_not_on_cpu() -> None:
    """Requests take 1 ms of CPU and wait 999 ms on a partner: 20 a second hold 20 on
    average while the task computes 2 % of the time. At 16 MiB each over 256 MiB idle,
    memory is (256 + 320) / 1024 = 56.25 % against a memory target of 50 %: a task is
    added at t = 180 s."""
    model = service_model(
        {
            "cpu": 512,
            "memory_mib": 1024,
            "desired_count": 1,
            "workers_per_task": 64,
            "service_time": const(1),
            "memory_per_request_mib": 16,
            "autoscaling": {"metric": "memory", "target_value": 50, "max_tasks": 3},
        },
        call_ms=999,
        duration_s=200,
    )
    lab = run_lab(model, steady(20, 198))
    assert activities(lab) == [
        {"t_s": 180.0, "launch": 1, "why": "target tracking: memory 56%, 3 datapoints above 50%"}
    ]
    assert lab.points("svc", "MemoryUtilization")[2] == pytest.approx(56.25)
    assert lab.points("svc", "CPUUtilization")[2] == pytest.approx(2.0)  # computing 2 % of the time


def test_request_count_tracking_scales_on_what_the_balancer_sends_each_task() -> None:
    """ALBRequestCountPerTarget with a target of 600 requests per task a minute: one task
    sent 20 requests/s by the load balancer gets 1,200 a minute; at the third datapoint
    (t = 180 s) desired = ceil(1 × 1,200 / 600) = 2, however idle its CPU."""
    model = service_model(
        {
            "desired_count": 1,
            "service_time": const(1),
            "autoscaling": {"metric": "requests", "target_value": 600, "max_tasks": 4},
        },
        alb=True,
        duration_s=200,
    )
    lab = run_lab(model, steady(20, 198))
    assert activities(lab) == [
        {
            "t_s": 180.0,
            "launch": 1,
            "why": "target tracking: requests per task 1200, 3 datapoints above 600",
        }
    ]
    assert lab.points("svc", "CPUUtilization")[2] == pytest.approx(2.0)


def test_a_percent_target_over_100_is_refused() -> None:
    with pytest.raises(ModelError) as raised:
        service_model({"autoscaling": {"target_value": 600}})
    assert "target_value 600 is a percent for metric cpu: at most 100" in str(raised.value)


def test_an_alarm_scale_action_adds_its_tasks_at_once() -> None:
    """A step-scaling alarm on the service's CPU (above 30 % for one minute, +2 tasks): one
    task at 80 % trips it at the first datapoint, two tasks start at once."""
    watch = {
        "period_s": 60,
        "metrics": [{"id": "cpu", "node": "svc", "name": "CPUUtilization"}],
        "alarms": [
            {
                "id": "hot",
                "metric": "cpu",
                "threshold": 30,
                "actions": [{"type": "scale", "target": "svc", "adjustment": 2}],
            }
        ],
    }
    model = service_model(
        {"desired_count": 1, "autoscaling": {"max_tasks": 4}}, watch=watch, duration_s=100
    )
    lab = run_lab(model, steady(80, 98))
    assert activities(lab) == [{"t_s": 60.0, "launch": 2, "why": "alarm hot"}]


def test_a_larger_scale_out_is_not_held_by_the_scale_out_cooldown() -> None:
    """Target 20 %: 40 requests/s (40 % CPU) add one task at t = 180 s (desired 2). The load
    doubles from t = 180 s: at t = 240 s the running task is at 80 %, desired 4 is larger
    than the 2 the cooldown started with, so 2 more start inside its 300 s."""
    model = service_model(
        {
            "desired_count": 1,
            "start_up": const(600_000),
            "autoscaling": {"target_value": 20, "max_tasks": 10},
        },
        duration_s=300,
    )
    lab = run_lab(model, [*steady(40, 179), *steady(80, 118, start=180)])
    assert [(a["t_s"], a["launch"]) for a in activities(lab)] == [(180.0, 1), (240.0, 2)]


def test_scale_in_sets_the_desired_count_at_once_after_15_minutes_below() -> None:
    """Four tasks at 10 % CPU each against a target of 50 %: the scale-in alarm's 15th
    datapoint below 45 % (t = 900 s) sets desired = ceil(4 × 10 / 50) = 1: three tasks
    stop at once (Application Auto Scaling sets the count; an EC2 group would remove 10 %
    at a time). With disable_scale_in, none do."""
    scaling = {"min_tasks": 1, "max_tasks": 4, "target_value": 50}
    model = service_model({"desired_count": 4, "autoscaling": scaling}, duration_s=1000)
    lab = run_lab(model, steady(40, 998))
    assert activities(lab) == [
        {"t_s": 900.0, "terminate": 3, "why": "target tracking: CPU 10%, 15 datapoints below 45%"}
    ]
    assert lab.summary("svc")["instances"]["final_in_service"] == 1
    held = {**scaling, "disable_scale_in": True}
    model = service_model({"desired_count": 4, "autoscaling": held}, duration_s=1000)
    assert activities(run_lab(model, steady(40, 998))) == []


def test_a_zone_outage_moves_its_tasks_to_the_zone_that_is_up() -> None:
    """Four tasks spread over two zones (2 + 2). Zone a goes out at 30 s: its two tasks
    miss the checks at 60 and 120 s and are replaced in zone b, running 30 s later."""
    model = service_model(
        {"desired_count": 4, "zones": ["az-a", "az-b"]},
        faults=[{"type": "az_outage", "target": "az-a", "start_s": 30}],
        duration_s=240,
    )
    lab = run_lab(model, [])
    assert activities(lab) == [
        {"t_s": 120.0, "launch": 2, "why": "replace unhealthy tasks (task stopped)"}
    ]
    zones = lab.summary("svc")["instances"]["zones"]
    assert zones == {
        "az-a": {"final_in_service": 0, "peak_in_service": 2},
        "az-b": {"final_in_service": 4, "peak_in_service": 4},
    }


@pytest.mark.parametrize(
    ("group", "zones", "served"), [("net", ["az-a", "az-b"], 500), ("private-a", ["az-a"], 0)]
)
def test_a_zone_outage_takes_the_tasks_in_that_zone(
    group: str, zones: list[str], served: int
) -> None:
    """In the VPC group with zones [az-a, az-b] (1 + 1 tasks), an outage of az-a at 30 s
    takes only its task: the one in az-b serves all 500 later requests. A service in az-a's
    subnet runs in az-a alone and serves none of them."""
    model = service_model(
        {"desired_count": 2, "zones": zones},
        faults=[{"type": "az_outage", "target": "az-a", "start_s": 30}],
        duration_s=90,
        group=group,
    )
    later = [s for s in run_lab(model, steady(10, 80)).on("svc") if s["start_ms"] > 31_000]
    assert len(later) == 500
    assert sum(s["status"] == "ok" for s in later) == served


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (
            ["az-a", "az-b"],
            "nodes[1].params.zones[1]: zone 'az-b' lies outside the node's group 'private-a' "
            "(in zone 'az-a'): a node in several zones sits in the group that holds them "
            "(group: net, zones: [az-a, az-b])",
        ),
        (
            ["az-b"],
            "nodes[1].params.zones[0]: zone 'az-b' lies outside the node's group 'private-a' "
            "(in zone 'az-a'): put it in a subnet of 'az-b', or write group: net, zones: [az-b]",
        ),
    ],
)
def test_a_service_in_one_subnet_cannot_list_other_zones(zones: list[str], message: str) -> None:
    with pytest.raises(ModelError) as raised:
        service_model({"desired_count": 2, "zones": zones}, group="private-a")
    assert message in str(raised.value)
    assert str(raised.value).count("error:") == 1


def test_stopped_tasks_are_replaced_by_the_scheduler() -> None:
    """Tasks that stop on their own (here about once a minute each): every stop is one
    replacement started at once, and the service is back at its desired count."""
    model = service_model(
        {"desired_count": 2, "task_failures_per_day": 1_440, "start_up": const(5_000)},
        duration_s=600,
    )
    lab = run_lab(model, [])
    stopped = lab.summary("svc")["stopped_tasks"]
    assert 8 <= stopped <= 40
    replaced = [a for a in activities(lab) if a["why"] == "replace a stopped task"]
    assert [a["launch"] for a in replaced] == [1] * stopped


def test_a_load_balancer_routes_round_robin_to_the_running_tasks() -> None:
    """The ALB sees the service's tasks as its targets (the fleet contract EC2 groups
    keep): 100 requests over two tasks, 50 each."""
    model = service_model({"desired_count": 2}, alb=True, duration_s=60)
    lab = run_lab(model, steady(10, 10))
    served: dict[str, int] = {}
    for span in lab.on("svc"):
        assert span["error"] is None
        served[span["attrs"]["instance"]] = served.get(span["attrs"]["instance"], 0) + 1
    assert served == {"task-1": 50, "task-2": 50}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"cpu": 1000},
            "cpu 1000 is not a Fargate task size: use one of 256, 512, 1024, 2048, 4096, "
            "8192, 16384",
        ),
        (
            {"cpu": 1024, "memory_mib": 1024},
            "memory_mib 1024 is not a Fargate size for cpu 1024: use 2048–8192 in steps of 1024",
        ),
        (
            {"cpu": 256, "memory_mib": 512, "memory_idle_mib": 512},
            "memory_idle_mib (512) must be less than memory_mib (512)",
        ),
    ],
)
def test_a_task_size_fargate_does_not_offer_is_refused(
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ModelError) as raised:
        service_model(params)
    assert message in str(raised.value)
    assert str(raised.value).startswith("error: lab.yaml:")


def test_tasks_cost_fargate_vcpu_hours_and_gb_hours() -> None:
    """Two 0.5-vCPU / 1 GB tasks for an hour in us-east-1 at scale 0.5 (one simulated
    task stands for two): 1 vCPU-hour at $0.04048 and 2 GB-hours at $0.004445; arm64
    tasks at $0.03238 and $0.00356."""
    from archgen.model.cost import price_run

    for arch, vcpu, gb in (("x86_64", 0.04048, 0.004445), ("arm64", 0.03238, 0.00356)):
        model = service_model(
            {"cpu": 512, "memory_mib": 1024, "desired_count": 2, "cpu_architecture": arch},
            region="us-east-1",
        )
        fleet = {"instances": {"initial": 1, "min": 1, "timeline": []}}
        cost = price_run(model, {"svc": fleet}, scale=0.5, duration_s=3600)
        node = cost["nodes"]["svc"]
        assert [line["item"] for line in node["lines"]] == [
            f"fargate.vcpu_hour.{arch}",
            f"fargate.gb_hour.{arch}",
        ]
        assert node["window_usd"] == pytest.approx(1 * vcpu + 2 * gb)
