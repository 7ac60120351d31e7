"""The load of a hybrid pool under a constant shape: each user flow's visits per traced run
× the runs per session its journeys declare (:mod:`archgen.runtime.flow_runs`), not the
traced share of sessions that drew to go on; an attack's requests counted apart, at their
rate on the system (under any shape). The Jackson oracle (``tests/oracles/test_hybrid.py``)
checks the waits."""

from __future__ import annotations

import random

import pytest

from archgen.runtime.flow_runs import FlowRuns
from archgen.runtime.fluid import FluidPool, SessionTally


def test_runs_per_session_are_the_journeys_mix_shares_times_their_probabilities() -> None:
    """Two journeys share a later flow ("pay"): each flow's runs per session add up the
    mix share × the probabilities of going on up to each step it is."""
    flows = FlowRuns(
        [
            (0.6, [("home", 1.0), ("cart", 0.35), ("pay", 0.3)]),
            (0.4, [("home", 1.0), ("pay", 0.5)]),
        ]
    )
    assert flows.declared == pytest.approx(
        {"home": 1.0, "cart": 0.6 * 0.35, "pay": 0.6 * 0.35 * 0.3 + 0.4 * 0.5}, rel=1e-12
    )
    assert flows.started == {"home": 0, "cart": 0, "pay": 0}


def tally_of(*steps: tuple[str, float]) -> SessionTally:
    tally = SessionTally()
    tally.rate = 0.01  # traced sessions per ms
    tally.flows = FlowRuns([(1.0, list(steps))])
    return tally


def test_a_pool_takes_a_later_flows_declared_runs_not_the_drawn_ones() -> None:
    """1,100 traced sessions, of which 605 drew to go on where the journey declares half:
    a pool the flow visits once a run has the load of half the sessions."""
    tally = tally_of(("home", 1.0), ("pay", 0.5))
    assert tally.flows is not None
    pool = FluidPool(100, 0.1, random.Random(1), tally=tally, exact=0)
    other = FluidPool(100, 0.1, random.Random(1), tally=tally, exact=0)
    for k in range(1_100):
        tally.count += 1
        if k * 11 % 20 < 11:  # 11 of every 20 go on, the last one too
            tally.flows.started["pay"] += 1
            pool.offer(float(k), born=None, flow="pay")
            other.offer(float(k))  # the same arrivals, of no user flow: per session
    assert pool.rate(1_100.0) == pytest.approx(0.01 * 0.5 / 0.1, rel=1e-12)
    assert other.rate(1_100.0) == pytest.approx(0.01 * 0.55 / 0.1, rel=1e-2)


def test_the_estimate_does_not_read_low_between_two_arrivals() -> None:
    """A flow arrives about every 1.4 runs: read one, two or three runs after an arrival
    (by a metric, or at another flow's arrival) the estimate stays the window's. Counting
    the open gap as soon as it passed the mean read it 30 % low two runs on, and a web
    fleet of the reference model 26 % low between its arrivals (with the first minutes of
    the run, before the sessions came to their later flows, still in its window)."""
    tally = tally_of(("search", 1.0))
    assert tally.flows is not None
    pool = FluidPool(100, 0.1, random.Random(1), tally=tally, exact=0)
    rng = random.Random(7)
    for k in range(5_000):
        tally.count += 1
        tally.flows.started["search"] += 1
        if rng.random() < 1 / 1.4:
            pool.offer(float(k), born=None, flow="search")
    share = pool.shares["search"]
    steady = 0.01 * share.arrivals / share.total / 0.1
    for _ in range(3):  # three runs since the last arrival: still fewer than 8 mean gaps
        tally.count += 1
        tally.flows.started["search"] += 1
        assert pool.rate(5_000.0) == pytest.approx(steady, rel=1e-12)
    for _ in range(200):  # the flow stopped reaching the pool: it fades as 8 ÷ the gap
        tally.count += 1
        tally.flows.started["search"] += 1
    assert pool.rate(5_000.0) == pytest.approx(0.01 / (203 / 8) / 0.1, rel=1e-12)


def test_a_flow_that_reaches_a_pool_later_is_not_diluted_by_the_sessions_before() -> None:
    """After a failover a pool sees a flow for the first time, 10,000 sessions into the
    run: its rate is the flow's at once, not spread over the sessions that never came."""
    tally = SessionTally()
    tally.rate = 0.01
    tally.count = 10_000
    pool = FluidPool(100, 1.0, random.Random(1), tally=tally, exact=0)
    for k in range(11):  # an arrival every second session from now on
        tally.count = 10_000 + 2 * k
        pool.offer(float(k))
    assert pool.rate(11.0) == pytest.approx(0.01 / 2, rel=1e-12)


def test_an_attack_counts_at_its_rate_on_the_system_with_its_own_holds() -> None:
    """Users at 0.01 traced sessions per ms, one arrival each, holding 80 ms; an attack
    of 0.1 requests per ms reaching the pool with 3 of every 4 requests, holding 40 ms.
    The load is the users' (÷ sample) plus the attack's, each at its own hold."""
    tally = SessionTally()
    tally.rate = 0.01
    pool = FluidPool(100, 0.1, random.Random(1), tally=tally, exact=0)
    tally.attack_rate = 0.1
    for k in range(4_000):
        tally.count += 1
        pool.offer(float(k), born=None)
        pool.release(80.0)
        for _ in range(4):
            tally.attack_sent += 1
            if tally.attack_sent % 4:
                pool.offer(float(k), attack=True)
                pool.release(40.0, attack=True)
    users, attack = 0.01 / 0.1, 0.1 * 0.75
    assert pool.users_rate(4_000.0) == pytest.approx(users, rel=1e-9)
    assert pool.attack_rate() == pytest.approx(attack, rel=1e-3)
    assert pool.load(4_000.0) == pytest.approx(users * 80.0 + attack * 40.0, rel=1e-3)
    tally.attack_rate = 0.0  # the attack ended
    assert pool.load(4_000.0) == pytest.approx(users * 80.0, rel=1e-9)


def test_under_a_moving_shape_an_attack_is_counted_apart_from_the_users() -> None:
    """Users traced at a tenth, their rate doubling over 100 s (the shape the clock
    follows); an attack of 0.05 requests per ms on the system, a quarter of its sources
    traced. The users' rate follows the shape from their own arrivals (the attack's, in
    their gaps, read +31 %); the attack's is its rate on the system."""
    from archgen.runtime.fluid import ShapeClock

    clock = ShapeClock(lambda s: 1.0 + s / 100.0)
    tally = SessionTally()
    tally.attack_rate, tally.attack_traced = 0.05, 0.25
    pool = FluidPool(500, 0.1, random.Random(1), clock=clock, tally=tally, exact=0)
    rng = random.Random(2)
    arrivals = []
    for rate, attack in ((0.04, False), (0.05 * 0.25, True)):  # users thinned to 0.02 f(t)
        t = 0.0
        while (t := t + rng.expovariate(rate)) < 100_000.0:
            if attack or rng.random() < (1.0 + t / 100_000.0) / 2.0:
                arrivals.append((t, attack))
    for t, attack in sorted(arrivals):
        tally.attack_sent += attack
        pool.offer(t, born=None if attack else t, attack=attack)
    assert pool.users_rate(100_000.0) == pytest.approx(0.02 * 2.0 / 0.1, rel=0.05)
    assert pool.attack_rate() == pytest.approx(0.05, rel=1e-9)


@pytest.mark.parametrize("servers", [8, 200])
def test_reading_a_pools_queue_leaves_its_shape_clock_alone(servers: int) -> None:
    """The bench reads a pool's queue every second (an exact pool's, a fluid one's): under
    a shape that moves, that read must not step the pool's shape clock, or measuring would
    change the run."""
    from archgen.runtime.fluid import ShapeClock

    clock = ShapeClock(lambda t: 1.0 + t / 100.0)
    pool = FluidPool(servers, 0.2, random.Random(1), clock=clock)
    rng = random.Random(2)
    t = 0.0
    for _ in range(500):
        t += rng.expovariate(0.05)
        pool.offer(t, born=t - 1_000.0)
        pool.release(rng.expovariate(1 / 60.0))
    before = (clock.t, clock.tau, clock.h)
    for later in (100.0, 2_500.0, 10_000.0):  # past the clock's 2 s step
        assert pool.waiting(t + later) >= 0.0
        assert (clock.t, clock.tau, clock.h) == before
