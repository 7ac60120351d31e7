"""Hybrid fidelity under a surge: a small pool in a queueing transient.

One instance of 8 workers (exponential 100 ms, 64 waiting places, no scaling) at ρ 0.35;
at 60 s the traffic rises 3.5-fold within 10 s (ρ 1.2) for two minutes, then falls back. The
queue fills during the surge and turns users away: the flow's p99 is set by those two
minutes. Hybrid fidelity traces a fifth of the users; the pool runs exactly (phantom
arrivals for the other four fifths, at a rate estimated in the time the shape rescales).
Over six seeds, full fidelity: p99 1,221 ms, availability 88.0 %; hybrid: 1,229 ms
(+0.7 %), 86.4 % (the rate estimate's noise weighs on the overflow, λ − cμ = 0.2 cμ). The
pointwise-stationary fluid alone (ErlangC and a fluid backlog, what pools of more than
``EXACT_SERVERS`` servers use) misses the transient: p99 495 ms, 99.8 %.

The same surge under an attack of 24 sources on the pool (5 of them traced): full
fidelity p99 1,249 ms, availability 76.2 %; hybrid 1,235 ms (−1.1 %), 75.3 %. Before the
pools counted an attack apart under a moving shape: 879 ms, 98.2 % (no exact pool, and the
attack's traced requests swelled the users' estimate); without phantoms for the untraced
sources, 83.8 %. Fixed seeds: the verdicts are the same on every machine.
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from archgen.model.stats import percentiles
from archgen.runtime import fluid
from archgen.runtime.fluid import FULL, Fidelity
from tests.oracles import lab

SERVICE_MS = 100.0
WORKERS = 8
RATE = 0.35 * WORKERS * 1000 / SERVICE_MS  # users per second before the surge: ρ 0.35
SURGE = {"type": "spike", "at_s": 60, "factor": 3.5, "rise_s": 10, "hold_s": 120, "fall_s": 10}
SEEDS = (1, 2, 3, 4, 5, 6)


def surge_model(seed: int) -> object:
    node = lab.fleet("pool", WORKERS, lab.exponential(SERVICE_MS), 64)
    return lab.model(
        [node], [("users", "pool")], rate_per_s=RATE, duration_s=300, seed=seed, shape=SURGE
    )


def outcome(fidelity: Fidelity, seed: int) -> tuple[float, float]:
    """The flow's p99 (ms) and availability of one run."""
    done = lab.run(surge_model(seed), seed, warmup_s=0.0, reset=lambda *_: None, fidelity=fidelity)
    stats = done.traffic.flow_stats["main"]
    (p99,) = percentiles(stats.latencies, (99,))
    assert p99 is not None
    return p99, stats.ok / (stats.ok + stats.failed)


def means(fidelity: Fidelity) -> tuple[float, float]:
    runs = [outcome(fidelity, seed) for seed in SEEDS]
    return statistics.fmean(p for p, _ in runs), statistics.fmean(a for _, a in runs)


@pytest.fixture(scope="module")
def full() -> tuple[float, float]:
    return means(FULL)


def test_hybrid_follows_a_surge_in_a_small_pool(full: tuple[float, float]) -> None:
    p99, availability = means(Fidelity("hybrid", 0.2))
    full_p99, full_availability = full
    assert full_p99 > 5 * SERVICE_MS  # the surge queues: the p99 is the transient's
    assert p99 == pytest.approx(full_p99, rel=0.10)
    assert availability == pytest.approx(full_availability, abs=0.03)


def test_the_stationary_fluid_misses_the_transient(
    full: tuple[float, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fluid, "EXACT_SERVERS", 0)
    p99, availability = means(Fidelity("hybrid", 0.2))
    assert p99 < 0.5 * full[0]
    assert availability > full[1] + 0.1


# The same surge with an attack on the pool: 24 sources of one request a second each, from
# 30 s to 240 s (ρ 0.65 before and after the surge, 1.5 during it). Hybrid fidelity traces
# whole sources, 5 of the 24 (each at its real rate, as a per-source limit needs them); the
# pool counts the attack apart from the users whose shape its clock follows, and the 19
# untraced sources arrive as phantoms.
ATTACK = {"target": "pool", "sources": 24, "requests_per_s": 24, "start_s": 30, "end_s": 240}


def attacked_model(seed: int) -> object:
    node = lab.fleet("pool", WORKERS, lab.exponential(SERVICE_MS), 64)
    return lab.model(
        [node],
        [("users", "pool")],
        rate_per_s=RATE,
        duration_s=300,
        seed=seed,
        shape=SURGE,
        attack=ATTACK,
    )


def test_an_attack_is_traced_by_whole_sources_and_counted_on_the_system() -> None:
    """A fifth of the 24 sources rounds to 5 traced, each at its real request a second;
    the pools take the attack's rate on the system, all 24 sources'."""
    from archgen.runtime.run import build, start
    from archgen.runtime.trace import SpanSink

    loaded: Any = attacked_model(1)
    scenario = loaded.scenarios[0]
    sim, traffic = build(
        loaded,
        scenario,
        seed=1,
        scale=1.0,
        duration_s=scenario.duration_s,
        sink=SpanSink(None),
        fidelity=Fidelity("hybrid", 0.2),
    )
    start(sim, traffic, scenario.duration_s)
    sim.kernel.run(100_000.0)
    tally = sim.services.sessions
    assert (tally.attack_traced, tally.attack_rate) == (5 / 24, 24 / 1000)
    sim.kernel.run(300_000.0)
    assert tally.attack_rate == 0.0  # over at 240 s
    assert traffic.attack_requests == tally.attack_sent
    assert 0.85 * 5 * 210 < tally.attack_sent < 1.15 * 5 * 210  # 5 sources × 1/s × 210 s


def attacked(fidelity: Fidelity) -> tuple[float, float]:
    """The users' p99 (ms) and availability, means over the seeds, under the attack."""
    runs = []
    for seed in SEEDS:
        loaded = attacked_model(seed)
        done = lab.run(loaded, seed, warmup_s=0.0, reset=lambda *_: None, fidelity=fidelity)
        stats = done.traffic.flow_stats["main"]
        (p99,) = percentiles(stats.latencies, (99,))
        assert p99 is not None
        runs.append((p99, stats.ok / (stats.ok + stats.failed)))
    return statistics.fmean(p for p, _ in runs), statistics.fmean(a for _, a in runs)


def test_hybrid_follows_a_surge_under_an_attack_sampled_by_source() -> None:
    full_p99, full_availability = attacked(FULL)
    p99, availability = attacked(Fidelity("hybrid", 0.2))
    assert full_p99 > 5 * SERVICE_MS
    assert p99 == pytest.approx(full_p99, rel=0.10), (p99, full_p99)
    assert availability == pytest.approx(full_availability, abs=0.03), (
        availability,
        full_availability,
    )


def test_a_lambda_pool_keeps_the_attacks_holds_apart() -> None:
    """An attack on a function of 8 reserved environments (an exact pool): its requests'
    holds are the attack's, which its untraced sources' phantoms draw from, and the users'
    stay the users' (a function, a database or an endpoint released them all as users')."""
    function = {
        "id": "fn",
        "kind": "lambda",
        "params": {
            "reserved_concurrency": 8,
            "duration": {"distribution": "constant", "mean_ms": 20},
            "cold_start": {"distribution": "constant", "mean_ms": 0},
        },
    }
    attack = {"target": "fn", "sources": 10, "requests_per_s": 50, "start_s": 10, "end_s": 50}
    loaded: Any = lab.model(
        [function], [("users", "fn")], rate_per_s=20, duration_s=60, seed=3, attack=attack
    )
    done = lab.run(loaded, 3, warmup_s=0.0, reset=lambda *_: None, fidelity=Fidelity("hybrid", 0.2))
    pool = done.sim.behaviors["fn"].fluid
    sent = done.traffic.attack_requests
    assert done.sim.services.sessions.attack_traced == 2 / 10
    assert 0.95 * sent <= pool.attack_released <= sent  # all but those running at the end
    assert len(pool.attack_holds) == pool.attack_released
    assert pool.released == pytest.approx(20 * 0.2 * 60, rel=0.2)  # the users' alone
