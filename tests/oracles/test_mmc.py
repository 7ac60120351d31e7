"""Oracle: an EC2 instance of c workers with Poisson arrivals and exponential service is an
M/M/c queue; its mean wait and its share of customers who wait must match Erlang C, from
c = 1 to 64 and ρ up to 0.95.

Each cell runs independent replications (own seed, warm-up discarded) and compares the mean
over them with Erlang C: within 3 % or inside the 95 % confidence interval. The ``ci``
profile runs three corners of the grid; ``make oracles`` the whole of it.
"""

from __future__ import annotations

import pytest

from tests.oracles import lab
from tests.oracles.analytic import erlang_c, estimate
from tests.oracles.report import record

SERVICE_MS = 100.0
REPLICATIONS = 8
# Customers per replication: the variance of a mean wait grows steeply with ρ.
CUSTOMERS = {0.5: 10_000, 0.8: 20_000, 0.95: 40_000}
if lab.FULL:
    CUSTOMERS = {0.5: 25_000, 0.8: 100_000, 0.95: 150_000}
    GRID = [(c, rho) for c in (1, 2, 4, 8, 16, 32, 64) for rho in (0.5, 0.8, 0.95)]
else:
    GRID = [(1, 0.5), (8, 0.8), (64, 0.95)]


def test_erlang_c_formula_against_the_published_check() -> None:
    p_wait, wq = erlang_c(8, 0.9)
    assert p_wait == pytest.approx(0.70153, abs=5e-6)
    assert wq == pytest.approx(0.87692, abs=5e-6)
    assert erlang_c(1, 0.5) == pytest.approx((0.5, 1.0))  # M/M/1: P(wait) = ρ, Wq = ρ/(1-ρ)


def replication(servers: int, rho: float, seed: int) -> tuple[float, float]:
    """Mean wait (in service times) and the share of customers who waited."""
    customers = CUSTOMERS[rho]
    rate = rho * servers * 1000.0 / SERVICE_MS
    warmup = customers // 10
    model = lab.model(
        [lab.fleet("fleet", servers, lab.exponential(SERVICE_MS), 10_000_000)],
        [("users", "fleet")],
        rate_per_s=rate,
        duration_s=(customers + warmup) / rate,
        seed=seed,
    )
    done = lab.run(model, seed, warmup_s=warmup / rate, reset=lab.reset_fleets("fleet"))
    fleet = done.sim.behaviors["fleet"]
    assert fleet.max_busy <= servers
    assert fleet.started > 0.95 * customers
    return fleet.wait_total / fleet.started / SERVICE_MS, fleet.waited / fleet.started


@pytest.mark.parametrize(("servers", "rho"), GRID, ids=[f"c{c}-rho{r}" for c, r in GRID])
def test_m_m_c_matches_erlang_c(servers: int, rho: float) -> None:
    p_wait, wq = erlang_c(servers, rho)
    seeds = [100_000 * servers + 1000 * round(100 * rho) + k for k in range(REPLICATIONS)]
    runs = [replication(servers, rho, seed) for seed in seeds]
    wait = estimate([w for w, _ in runs])
    waited = estimate([p for _, p in runs])
    record(f"M/M/{servers} rho={rho}", "mean wait Wq (service times)", wait, wq)
    record(f"M/M/{servers} rho={rho}", "P(wait)", waited, p_wait)
    # Near zero (c = 64 at ρ = 0.5: P(wait) = 4e-7) no run sees a wait: an absolute floor
    # of 0.001 service times and 0.2 percentage points.
    assert wait.agrees(wq, rel=0.03, floor=0.001), (wait, wq)
    assert waited.agrees(p_wait, rel=0.03, floor=0.002), (waited, p_wait)
    # The interval is informative: a grossly wrong simulator cannot hide in it (the widest,
    # c = 64 at ρ = 0.8 where 5.6 % wait, is about ±12 % in the full profile).
    assert waited.half_width < max(0.2 * p_wait, 0.002), waited
