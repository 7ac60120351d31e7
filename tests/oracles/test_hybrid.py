"""Oracle: hybrid fidelity (:mod:`archgen.runtime.fluid`) against queueing theory.

A traced sample of the customers crosses pools that keep their real servers; the pool
decides each of them from the whole load it estimates (the declared session rate × its
requests per traced session; the mean hold around the declared service time). An M/M/c
of 8 (run exactly, phantom arrivals), 50 or 400 servers must show Erlang C's mean wait and
share of waiting customers, a Lambda concurrency limit Erlang B's throttled share, a
tandem Jackson's waits: the point estimate of independent replications (fixed seeds)
within 3 %, station C too, which half of the users reach: its load rests on the runs of
the users' second flow the journey declares (:mod:`archgen.runtime.flow_runs`), not on the
traced share that went on (±0.5 % a replication, ×13 in its mean wait). The ``ci``
profile runs three corners; ``make oracles`` all.
"""

from __future__ import annotations

from typing import Any

import pytest

from archgen.runtime.fluid import FULL, Fidelity, FluidPool, SessionTally, erlang_b, erlang_c
from tests.oracles import analytic, lab
from tests.oracles.analytic import estimate, jackson_tandem
from tests.oracles.report import record

SERVICE_MS = 100.0
SAMPLE = 0.05
REPLICATIONS = 8 if lab.FULL else 6
TRACED = 80_000 if lab.FULL else 40_000  # traced customers per replication
HYBRID = Fidelity("hybrid", SAMPLE)
GRID = [(c, rho) for c in (8, 50, 400) for rho in (0.7, 0.9)]
if not lab.FULL:
    GRID = [(8, 0.9), (50, 0.9), (400, 0.9)]


@pytest.mark.parametrize("servers", [1, 8, 50, 400, 5_000, 40_000])
@pytest.mark.parametrize("rho", [0.3, 0.9, 0.99, 1.0, 1.2])
def test_erlang_formulas_match_the_plain_recurrence(servers: int, rho: float) -> None:
    """The O(√a) start of the recurrence changes nothing (to 1e-12) against the O(c) one."""
    load = servers * rho
    assert erlang_b(servers, load) == pytest.approx(analytic.erlang_b(servers, load), rel=1e-12)
    if rho < 1:
        assert erlang_c(servers, load) == pytest.approx(
            analytic.erlang_c(servers, rho)[0], rel=1e-12
        )


def test_erlang_formulas_at_their_edges() -> None:
    assert erlang_b(0, 5.0) == 1.0
    assert erlang_b(10, 0.0) == 0.0
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_b(40_000, 100.0) == 0.0  # underflows rather than looping 40,000 times


def test_a_pool_turns_an_overload_into_a_backlog() -> None:
    """Twice the servers' rate for 10 s: the backlog grows by λ − cμ per ms, the wait is the
    backlog ahead ÷ cμ, and past the waiting room the pool turns arrivals away."""
    import random

    pool = FluidPool(10, 0.1, random.Random(1), queue_limit=1_000, exact=0)
    for _ in range(100):
        pool.release(100.0)  # hold 100 ms: 10 servers serve 0.1 per ms
    waits = [pool.offer(t * 50.0) for t in range(200)]  # traced every 50 ms = 0.2 per ms
    backlog = (0.2 - 0.1) * 50 * 198  # the second arrival has the first rate estimate
    assert pool.backlog == pytest.approx(backlog, rel=1e-9)
    last = waits[-1]
    assert last is not None
    assert last == pytest.approx(pool.backlog * 100.0 / 10, rel=1e-9)
    assert pool.offer(200 * 50.0) is not None  # 995 waiting: still room
    assert pool.offer(201 * 50.0) is not None  # 1,000 (less a rounding error)
    assert pool.offer(202 * 50.0) is None  # 1,005: past the 1,000 places
    # A quiet half second: the open gap lowers the rate estimate, the backlog drains.
    before = pool.backlog
    assert pool.offer(201 * 50.0 + 500.0) is not None
    assert pool.backlog < before


def test_a_pool_takes_its_load_from_the_declared_sessions_and_hold() -> None:
    """The rate is the declared session rate × traced arrivals per traced session ÷
    sample; the hold the declared mean of its drawn part plus the mean of the rest."""
    import random

    tally = SessionTally()
    tally.rate = 0.01  # traced sessions per ms
    pool = FluidPool(100, 0.1, random.Random(1), tally=tally, exact=0)
    pool.expect(lambda: 50.0, 40.0)
    for k in range(10):
        pool.release(60.0 + k, 45.0 + k)  # 15 ms beyond the drawn part each time
    assert pool.mean_hold() == pytest.approx(40.0 + 15.0, rel=1e-12)
    for k in range(1, 401):  # three sessions for every arrival, at uneven times
        tally.count = 3 * k
        pool.offer(k * k * 0.5)
    now = 400 * 400 * 0.5
    assert pool.rate(now) == pytest.approx(0.01 / 3 / 0.1, rel=1e-12)
    assert pool.load(now) == pytest.approx(0.01 / 3 / 0.1 * 55.0, rel=1e-12)
    tally.count += 3_000  # sessions go on, no arrival: past 8 mean gaps, the open gap counts
    assert pool.rate(now) == pytest.approx(0.01 / (3_000 / 8) / 0.1, rel=1e-12)
    tally.rate = None  # a shape that moves: the traced arrivals' own rate again
    assert pool.rate(now) == pytest.approx(1 / pool.gap.value / 0.1, rel=1e-12)


def mmc_replication(
    servers: int,
    rho: float,
    seed: int,
    service: dict[str, Any] | None = None,
    fidelity: Fidelity = HYBRID,
) -> tuple[float, float]:
    """Mean wait (in service times) and the share of traced customers who waited, with
    exponential service times of mean :data:`SERVICE_MS` unless ``service`` says."""
    rate = rho * servers * 1000.0 / SERVICE_MS
    traced_rate = rate * fidelity.sample if fidelity.hybrid else rate
    service = service or lab.exponential(SERVICE_MS)
    model = lab.model(
        [lab.fleet("fleet", servers, service, 10_000_000)],
        [("users", "fleet")],
        rate_per_s=rate,
        duration_s=1.1 * TRACED / traced_rate,
        seed=seed,
    )
    done = lab.run(
        model,
        seed,
        warmup_s=0.1 * TRACED / traced_rate,
        reset=lab.reset_fleets("fleet"),
        fidelity=fidelity,
    )
    fleet = done.sim.behaviors["fleet"]
    assert fleet.fluid is None or fleet.fluid.servers == servers  # not shrunk by the sample
    assert fleet.started > 0.95 * TRACED
    return fleet.wait_total / fleet.started / SERVICE_MS, fleet.waited / fleet.started


@pytest.mark.parametrize(("servers", "rho"), GRID, ids=[f"c{c}-rho{r}" for c, r in GRID])
def test_hybrid_m_m_c_matches_erlang_c(servers: int, rho: float) -> None:
    p_wait, wq = analytic.erlang_c(servers, rho)
    seeds = [700_000 + 1000 * servers + round(100 * rho) + k for k in range(REPLICATIONS)]
    runs = [mmc_replication(servers, rho, seed) for seed in seeds]
    wait = estimate([w for w, _ in runs])
    waited = estimate([p for _, p in runs])
    record(f"hybrid M/M/{servers} rho={rho}", "mean wait Wq (service times)", wait, wq)
    record(f"hybrid M/M/{servers} rho={rho}", "P(wait)", waited, p_wait)
    # c = 400 at ρ = 0.7 waits with probability 1.6e-8: the same floors as the full oracle.
    # The 95 % half-widths (ci profile): ±1.2 % (c = 8, 50 at ρ 0.9), ±3.1 % (c = 400).
    assert wait.within(wq, rel=0.03, floor=0.001), (wait, wq)
    assert waited.within(p_wait, rel=0.03, floor=0.002), (waited, p_wait)


# One server at ρ 0.8 with lognormal (cv 0.5) or constant service times, run as the fluid
# that pools of more than EXACT_SERVERS servers use: Erlang C's wait stretched by
# (1 + cs²) ÷ 2 (Allen–Cunneen), which for one server is Pollaczek–Khinchine's exactly.
# Erlang C alone waited 1.6 and 2 times as long.
MG1 = {
    "lognormal": ({"distribution": "lognormal", "mean_ms": SERVICE_MS, "cv": 0.5}, 0.25),
    "constant": (lab.constant(SERVICE_MS), 0.0),
}


@pytest.mark.parametrize("service", sorted(MG1))
def test_the_fluid_waits_as_pollaczek_khinchine_for_one_server(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archgen.runtime import fluid

    monkeypatch.setattr(fluid, "EXACT_SERVERS", 0)
    distribution, scv = MG1[service]
    rho = 0.8
    exact = rho / (1 - rho) * (1 + scv) / 2  # in service times
    seeds = [720_000 + 10 * len(service) + k for k in range(REPLICATIONS)]
    found = estimate([mmc_replication(1, rho, seed, distribution)[0] for seed in seeds])
    record(
        f"hybrid fluid M/G/1 rho={rho} ({service})", "mean wait Wq (service times)", found, exact
    )
    assert found.within(exact, rel=0.03), (found, exact)


def test_the_fluid_waits_as_the_full_engine_for_fifty_lognormal_servers() -> None:
    """M/G/50 at ρ 0.9, lognormal service times of cv 0.5: no closed form, so the full
    engine's own M/G/50 (as many customers, every one simulated) is the reference; the
    hybrid fluid's stretched Erlang C must be within 12 % of it (−3.5 % in the ci
    profile, −6.7 % in the full one; Erlang C alone +52 %)."""
    distribution = {"distribution": "lognormal", "mean_ms": SERVICE_MS, "cv": 0.5}
    servers, rho = 50, 0.9
    reference = estimate(
        [
            mmc_replication(servers, rho, 730_000 + k, distribution, FULL)[0]
            for k in range(REPLICATIONS)
        ]
    )
    found = estimate(
        [mmc_replication(servers, rho, 740_000 + k, distribution)[0] for k in range(REPLICATIONS)]
    )
    record(
        "hybrid M/G/50 rho=0.9 (lognormal cv 0.5)", "mean wait against full", found, reference.mean
    )
    assert found.within(reference.mean, rel=0.12), (found, reference)
    assert not found.within(analytic.erlang_c(servers, rho)[1], rel=0.12)  # Erlang C alone


def test_hybrid_lambda_concurrency_throttles_as_erlang_b() -> None:
    # Reserved concurrency 200 at 190 Erlangs offered (lognormal duration, cv 1.5: Erlang B
    # is insensitive to it): the traced invocations are throttled as the whole load is.
    limit, a, duration_ms = 200, 190.0, 200.0
    rate = a * 1000 / duration_ms
    traced_rate = rate * SAMPLE
    function = {
        "id": "fn",
        "kind": "lambda",
        "params": {
            "reserved_concurrency": limit,
            "duration": {"distribution": "lognormal", "mean_ms": duration_ms, "cv": 1.5},
            "cold_start": {"distribution": "constant", "mean_ms": 0},
            "timeout_s": 900,
        },
    }

    def reset(sim: Any, _: Any) -> None:
        sim.behaviors["fn"].invocations = sim.behaviors["fn"].throttles = 0

    throttled = []
    for k in range(REPLICATIONS):
        seed = 910_000 + k
        model = lab.model(
            [function],
            [("users", "fn")],
            rate_per_s=rate,
            duration_s=1.1 * TRACED / traced_rate,
            seed=seed,
        )
        fn = lab.run(
            model,
            seed,
            warmup_s=0.1 * TRACED / traced_rate,
            reset=reset,
            fidelity=Fidelity("hybrid", SAMPLE),
        ).sim.behaviors["fn"]
        assert fn.fluid.servers == limit
        throttled.append(fn.throttles / (fn.throttles + fn.invocations))
    found, exact = estimate(throttled), erlang_b(limit, a)
    record(f"hybrid Lambda c={limit} a={a:g}", "P(throttled)", found, exact)
    assert found.within(exact, rel=0.03), (found, exact)


# A (20 workers) then B (60 workers) for every user, then after a think time C (30
# workers) for half of them: each station its own M/M/c (Jackson).
RATE = 150.0
STATIONS = {"a": (20, 120.0, 1.0), "b": (60, 360.0, 1.0), "c": (30, 300.0, 0.5)}


def tandem_replication(seed: int) -> dict[str, float]:
    traced_rate = RATE * SAMPLE
    nodes = [
        lab.fleet(name, workers, lab.exponential(service), 10_000_000)
        for name, (workers, service, _) in STATIONS.items()
    ]
    model = lab.model(
        nodes,
        [("users", "a"), ("users", "b")],
        then=([("users", "c")], 0.5),
        rate_per_s=RATE,
        duration_s=1.1 * TRACED / traced_rate,
        seed=seed,
    )
    done = lab.run(
        model,
        seed,
        warmup_s=0.1 * TRACED / traced_rate,
        reset=lab.reset_fleets(*STATIONS),
        fidelity=Fidelity("hybrid", SAMPLE),
    )
    return {
        name: done.sim.behaviors[name].wait_total / done.sim.behaviors[name].started
        for name in STATIONS
    }


def test_hybrid_tandem_matches_jackson() -> None:
    runs = [tandem_replication(920_000 + k) for k in range(REPLICATIONS)]
    stations = [
        (workers, RATE * visits * service / 1000 / workers)
        for workers, service, visits in STATIONS.values()
    ]
    exact = jackson_tandem(stations)
    for (name, (_, service, _)), wq in zip(STATIONS.items(), exact, strict=True):
        found = estimate([run[name] / service for run in runs])
        record(f"hybrid Jackson station {name}", "mean wait Wq (service times)", found, wq)
        assert found.within(wq, rel=0.03), (name, found, wq)


# An attack on an exact pool: users at 12 sessions per second, a fifth of them traced and
# the rest phantoms; an attack of 100 requests per second, sampled by source (``traced``:
# the share of its sources traced, the rest phantoms of their own). Both hold a server an
# Exp(64 ms) time: one M/M/8 at ρ 0.896.
ATTACK_SERVICE_MS = 64.0


def attack_replication(seed: int, traced: float, sample: float = 0.2) -> float:
    """Mean wait (in service times) of the traced arrivals past a minute of warm-up."""
    import random

    users, attack, end = 12.0 / 1000, 100.0 / 1000, 620_000.0
    rng = random.Random(seed)
    tally = SessionTally()
    tally.rate = users * sample
    tally.attack_traced = traced
    pool = FluidPool(8, sample, random.Random(seed + 1), tally=tally)
    arrivals: list[tuple[float, bool]] = []
    for rate, is_attack, t in ((users * sample, False, 0.0), (attack * traced, True, 20_000.0)):
        while (t := t + rng.expovariate(rate)) < end:
            arrivals.append((t, is_attack))
    waits = []
    for t, is_attack in sorted(arrivals):
        if is_attack:
            tally.attack_rate = attack
            tally.attack_sent += 1
        else:
            tally.count += 1
        wait = pool.offer(t, attack=is_attack)
        pool.release(rng.expovariate(1 / ATTACK_SERVICE_MS), attack=is_attack)
        if t > 60_000.0 and wait is not None:
            waits.append(wait)
    return sum(waits) / len(waits) / ATTACK_SERVICE_MS


@pytest.mark.parametrize("traced", [1.0, 0.25])
def test_an_attack_on_an_exact_pool_matches_erlang_c(traced: float) -> None:
    """The users' phantoms stand for the untraced users (the declared rate), the attack's
    for its untraced sources: the traced arrivals wait as in M/M/8 at λ = 112 per second.
    (Pools were not run exactly under an attack, whose arrivals counted as 1 ÷ sample
    requests each: the hybrid fleet's queue under the reference DDoS read 0; then the
    untraced sources were left out: at a quarter traced, ρ 0.56 instead of 0.896.)"""
    rho = (12.0 + 100.0) / 1000 * ATTACK_SERVICE_MS / 8
    exact = analytic.erlang_c(8, rho)[1]
    found = estimate([attack_replication(930_000 + k, traced) for k in range(24)])
    record(
        f"hybrid M/M/8 under an attack, {traced:.0%} of its sources traced",
        "mean wait Wq (service times)",
        found,
        exact,
    )
    assert found.agrees(exact, rel=0.03), (found, exact)
