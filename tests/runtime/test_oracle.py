"""Oracle: an EC2 fleet of c workers with Poisson arrivals and exponential service is an
M/M/c queue; its mean wait must match Erlang C."""

from __future__ import annotations

import math
import statistics

import pytest

from archgen.runtime.behaviors.ec2 import Ec2Fleet
from archgen.runtime.run import build, start
from archgen.runtime.trace import SpanSink

from .conftest import queue_model

SERVICE_MS = 100.0


def erlang_c(servers: int, rho: float) -> tuple[float, float]:
    """P(wait) and the mean wait Wq (in mean service times) of an M/M/c queue."""
    load = servers * rho
    below = sum(load**k / math.factorial(k) for k in range(servers))
    top = load**servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (below + top)
    return p_wait, p_wait / (servers * (1 - rho))


def test_erlang_c_formula_against_the_published_check() -> None:
    p_wait, wq = erlang_c(8, 0.9)
    assert p_wait == pytest.approx(0.70153, abs=5e-6)
    assert wq == pytest.approx(0.87692, abs=5e-6)


def simulated_wait(
    servers: int, rho: float, seed: int, customers: int, warmup: int
) -> tuple[float, float]:
    """Mean wait (ms) and share of customers who waited, after ``warmup`` customers."""
    loaded = queue_model(servers, rho, SERVICE_MS, customers + warmup, seed)
    scenario = loaded.model.scenarios[0]
    sim, traffic = build(
        loaded.model,
        scenario,
        seed=seed,
        scale=1.0,
        duration_s=scenario.duration_s,
        sink=SpanSink(None),
    )
    start(sim, traffic, scenario.duration_s)
    fleet = sim.behaviors["fleet"]
    assert isinstance(fleet, Ec2Fleet)
    sim.kernel.run(scenario.duration_s * 1000 * warmup / (customers + warmup))
    fleet.started = fleet.waited = 0
    fleet.wait_total = 0.0
    sim.kernel.run(scenario.duration_s * 1000)
    assert fleet.max_busy <= servers
    return fleet.wait_total / fleet.started, fleet.waited / fleet.started


@pytest.mark.parametrize(
    ("servers", "rho", "replications"), [(1, 0.5, 5), (2, 0.6, 5), (4, 0.7, 6)]
)
def test_mean_wait_matches_erlang_c(servers: int, rho: float, replications: int) -> None:
    """Independent seeds per configuration; 50,000 customers after 5,000 of warm-up each
    (the standard error of the mean is about a third of the tolerance)."""
    p_wait, wq = erlang_c(servers, rho)
    seeds = [1000 * servers + index for index in range(replications)]
    runs = [simulated_wait(servers, rho, seed, 50_000, 5_000) for seed in seeds]
    mean_wait = statistics.fmean(wait for wait, _ in runs)
    share = statistics.fmean(waited for _, waited in runs)
    assert mean_wait == pytest.approx(wq * SERVICE_MS, rel=0.03)
    assert share == pytest.approx(p_wait, rel=0.03)
