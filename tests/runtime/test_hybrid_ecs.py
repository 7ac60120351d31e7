"""An ECS service in hybrid fidelity (the map-tile server: two 0.5-vCPU tasks, 16 workers
each, through a morning rush that triples the load): the tasks' metrics come from the whole
load, as the fluid estimates it, not from the traced requests alone, so target tracking
scales the service as it does in full fidelity.

Before: ``ALBRequestCountPerTarget`` and ``MemoryUtilization`` counted the traced requests
(a fifth of them at ``--sample 0.2``), and the service never scaled (2 tasks where full
fidelity ends with 5 on requests, 4 on memory); ``CPUUtilization`` read the mean number
of workers computing, where a 0.5-vCPU task is fully busy while one computes: 60 % where
full fidelity reads 30 %. Now the task counts are the same minute by minute; CPU is the
Poisson expectation of min(workers computing, vCPUs), −13 % of full fidelity's before the
rush (the load balancer's round robin makes a task's arrivals more regular than Poisson).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from archgen.model import load_model_text
from archgen.runtime.fluid import FULL, Fidelity, busy_vcpus
from archgen.runtime.session import run_scenario

TILE_SERVER = Path(__file__).parent / "models" / "tile-server.yaml"
SCALING = {
    "requests": {"metric": "requests", "target_value": 1200},
    "memory": {"metric": "memory", "target_value": 40},
}


def tiles(metric: str) -> Any:
    data = yaml.safe_load(TILE_SERVER.read_text(encoding="utf-8"))
    params = next(node for node in data["nodes"] if node["id"] == "tiles")["params"]
    params["autoscaling"] |= SCALING[metric]
    params["memory_per_request_mib"] = 120
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "tiles.yaml").model


def tasks_and_cpu(metric: str, fidelity: Fidelity) -> tuple[list[int], list[float]]:
    """Tasks in service and CPU utilization, minute by minute, of the morning rush."""
    summary = run_scenario(tiles(metric), "morning-rush", fidelity=fidelity).summary
    timeline = summary["nodes"]["tiles"]["instances"]["timeline"]
    return [row[1] for row in timeline], [row[3] for row in timeline]


@pytest.mark.parametrize("metric", sorted(SCALING))
def test_target_tracking_scales_a_service_as_in_full_fidelity(metric: str) -> None:
    full, full_cpu = tasks_and_cpu(metric, FULL)
    hybrid, hybrid_cpu = tasks_and_cpu(metric, Fidelity("hybrid", 0.2))
    assert max(full) >= 4  # the rush scales the service out
    assert hybrid == full
    before = sum(hybrid_cpu[:2]) / sum(full_cpu[:2])  # the first two minutes: 2 tasks
    assert 0.8 < before < 1.0, (hybrid_cpu[:2], full_cpu[:2])


def poisson_min(mean: float, vcpus: float) -> float:
    """E[min(N, vcpus)], N ~ Poisson(mean), summed term by term."""
    total, term = 0.0, math.exp(-mean)
    for n in range(400):
        total += min(n, vcpus) * term
        term *= mean / (n + 1)
    return total


@given(
    computing=st.floats(0.0, 60.0),
    vcpus=st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0, 16.0]),
    workers=st.integers(1, 64),
)
def test_busy_vcpus_is_the_poisson_mean_of_the_vcpus_in_use(
    computing: float, vcpus: float, workers: int
) -> None:
    """N workers of a member compute at once, N Poisson: it burns min(N, vCPUs). With no
    more workers than vCPUs that is N itself."""
    busy = busy_vcpus(computing, vcpus, workers)
    assert 0.0 <= busy <= min(computing, vcpus) + 1e-12
    if workers <= vcpus:
        assert busy == min(computing, float(workers))
    else:
        assert busy == pytest.approx(poisson_min(computing, vcpus), rel=1e-9, abs=1e-12)
