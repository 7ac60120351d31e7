"""Hybrid fidelity under a surge: a small pool in a queueing transient.

One instance of 8 workers (exponential 100 ms, 64 waiting places, no scaling) at ρ 0.35;
at 60 s the traffic rises 3.5-fold within 10 s (ρ 1.2) for two minutes, then falls back. The
queue fills during the surge and turns users away: the flow's p99 is set by those two
minutes. Hybrid fidelity traces a fifth of the users; the pool runs exactly (phantom
arrivals for the other four fifths, at a rate estimated in the time the shape rescales).
Over six seeds, full fidelity: p99 1,221 ms, availability 88.0 %; hybrid: 1,229 ms
(+0.7 %), 86.4 % (the rate estimate's noise weighs on the overflow, λ − cμ = 0.2 cμ). The
pointwise-stationary fluid alone (ErlangC and a fluid backlog, what pools of more than
``EXACT_SERVERS`` servers use) misses the transient: p99 495 ms, 99.8 %. Fixed seeds: the
verdict is the same on every machine.
"""

from __future__ import annotations

import statistics

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
