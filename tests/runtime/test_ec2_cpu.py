"""EC2 CPUUtilization is CPU time over vCPUs, not busy workers; the queue summary skips the
scenario's warm-up (issue 12). Tiny lab models with known answers."""

from __future__ import annotations

import random
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.model.errors import ModelError
from archgen.model.kinds.ec2 import instance_vcpus
from tests.runtime.metrics_lab import lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def fleet(**params: Any) -> dict[str, Any]:
    """A fleet with 1-minute CPU datapoints (detailed monitoring) unless told otherwise."""
    return {
        "id": "fleet",
        "kind": "ec2",
        "group": "r1",
        "params": {"detailed_monitoring": True, **params},
    }


def blocking_model(
    *, cpu_ms: float, call_ms: float, autoscaling: dict[str, Any], **params: Any
) -> Any:
    """``users`` → ``fleet`` (``cpu_ms`` of CPU) → ``partner`` (``call_ms``, worker held)."""
    return lab_model(
        [
            fleet(service_time=const(cpu_ms), autoscaling=autoscaling, **params),
            {"id": "partner", "kind": "external", "params": {"latency": const(call_ms)}},
        ],
        [
            {"from": "users", "to": "fleet", "operations": ["GET /"]},
            {"from": "fleet", "to": "partner", "operations": ["POST"]},
        ],
        [
            {"from": "users", "to": "fleet", "op": "GET /"},
            {"from": "fleet", "to": "partner", "op": "POST"},
        ],
        duration_s=600,
    )


def evenly(rate_per_s: float, until_s: float) -> list[float]:
    return [k / rate_per_s for k in range(1, int(until_s * rate_per_s))]


ONE = {"min_instances": 1, "max_instances": 1}


def test_workers_blocked_on_a_downstream_call_burn_no_cpu() -> None:
    # The experiment: 10 ms of CPU, a 190 ms partner call, 40 req/s, one instance
    # of 16 vCPUs with 16 workers. CPU: 40 × 0.010 / 16 = 2.5 %. Busy workers (the old
    # metric): 40 × 0.200 / 16 = 50 %.
    model = blocking_model(
        cpu_ms=10,
        call_ms=190,
        autoscaling=ONE,
        instance_type="c5.4xlarge",
        workers_per_instance=16,
    )
    lab = run_lab(model, evenly(40, 600))
    expected = 100.0 * 40 * 0.010 / 16
    points = lab.points("fleet", "CPUUtilization")
    assert len(points) == 10
    for point in points[:-1]:  # the last period holds the run's tail
        assert point == pytest.approx(expected, abs=0.05)
    summary = lab.summary("fleet")
    assert summary["vcpus_per_instance"] == 16
    # The worker is still held across the call: about 8 of 16 busy on average.
    assert summary["max_busy_workers"] >= 8


def test_cpu_bound_fleet_reads_the_m_m_c_utilisation() -> None:
    # M/M/c with c = 4 workers on 4 vCPUs, S = 100 ms exponential, λ = 30/s: ρ = λS/c = 75 %.
    rng = random.Random(7)
    at, t = [], 1.0
    while t < 590:
        at.append(t)
        t += rng.expovariate(30)
    model = lab_model(
        [
            fleet(
                instance_type="c5.xlarge",
                workers_per_instance=4,
                queue_capacity=100_000,
                service_time={"distribution": "exponential", "mean_ms": 100},
                autoscaling=ONE,
            )
        ],
        [{"from": "users", "to": "fleet", "operations": ["GET /"]}],
        [{"from": "users", "to": "fleet", "op": "GET /"}],
        duration_s=600,
    )
    lab = run_lab(model, at)
    points = lab.points("fleet", "CPUUtilization")[:-1]
    mean = sum(points) / len(points)
    assert mean == pytest.approx(100.0 * 30 * 0.100 / 4, rel=0.03)


def test_target_tracking_follows_cpu_not_blocked_workers() -> None:
    # 60 req/s: 12 of 16 workers held (75 % busy workers: the old metric scaled out to 2),
    # 3.75 % CPU: the fleet stays at one instance.
    model = blocking_model(
        cpu_ms=10,
        call_ms=190,
        autoscaling={"min_instances": 1, "max_instances": 10, "warmup_s": 0, "launch_s": 0},
        instance_type="c5.4xlarge",
        workers_per_instance=16,
    )
    lab = run_lab(model, evenly(60, 600))
    summary = lab.summary("fleet")
    assert summary["scaling_activities"] == []
    assert summary["instances"]["peak_in_service"] == 1
    cpus = [row[3] for row in summary["instances"]["timeline"]]
    assert max(cpus) == pytest.approx(100.0 * 60 * 0.010 / 16, abs=0.05)


def test_cpu_saturates_at_the_vcpus_when_more_workers_compute() -> None:
    # 8 workers on 2 vCPUs (c5.large), 4 requests of 1 s CPU at once: 2 vCPU-seconds per
    # second for 1 s → 2 s over 2 × 60 s of vCPU time = 1.667 % (not 4 s: 3.333 %; busy
    # workers: 4 s over 8 × 60 s = 0.833 %).
    model = lab_model(
        [
            fleet(
                instance_type="c5.large",
                workers_per_instance=8,
                service_time=const(1000),
                autoscaling=ONE,
            )
        ],
        [{"from": "users", "to": "fleet", "operations": ["GET /"]}],
        [{"from": "users", "to": "fleet", "op": "GET /"}],
    )
    lab = run_lab(model, [1.0] * 4)
    assert lab.points("fleet", "CPUUtilization")[0] == pytest.approx(100 * 2 / 120)


def test_queue_wait_summary_excludes_the_warm_up() -> None:
    # One worker, 1 s requests: two at 1 s (the second waits 1 s) inside a 60 s warm-up,
    # two alone after it. Only the latter count: no wait.
    model = lab_model(
        [fleet(workers_per_instance=1, service_time=const(1000), autoscaling=ONE)],
        [{"from": "users", "to": "fleet", "operations": ["GET /"]}],
        [{"from": "users", "to": "fleet", "op": "GET /"}],
        warmup_s=60,
    )
    lab = run_lab(model, [1.0, 1.0, 70.0, 80.0])
    assert lab.summary("fleet")["queue"] == {"started": 2, "waited": 0, "mean_wait_ms": 0.0}
    [first, second] = [s for s in lab.on("fleet") if s["start_ms"] < 60_000]
    assert {first["attrs"]["wait_ms"], second["attrs"]["wait_ms"]} == {0.0, 1000.0}


def test_instance_type_sets_the_vcpus_and_an_unknown_one_is_refused() -> None:
    assert [instance_vcpus(t) for t in ("t2.micro", "m6g.medium", "c5.9xlarge")] == [1, 1, 36]
    assert [instance_vcpus(t) for t in ("c6i.24xlarge", "c6i.32xlarge", "m7a.48xlarge")] == [
        96,
        128,
        192,
    ]
    assert instance_vcpus("c5.8xlarge") is None  # c5 has 9xlarge, not 8xlarge
    text = (
        "archgen: 1\n"
        "system: {id: s, name: S}\n"
        "nodes:\n"
        "  - id: web\n"
        "    kind: ec2\n"
        "    params: {instance_type: z9.huge}\n"
    )
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "m.yaml")
    message = str(raised.value)
    assert "m.yaml:6:" in message
    assert "unknown instance type 'z9.huge': its vCPUs drive CPUUtilization" in message
