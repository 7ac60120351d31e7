"""Hybrid fidelity's queue depths against full fidelity's, in real units.

A fleet's queue: the surge model of ``test_hybrid_surge`` (one instance of 8 workers, a
3.5-fold surge to ρ 1.2 for two minutes), its queued requests sampled every second,
averaged over 10 s, the peak per run, mean over six seeds. Full fidelity: 61.7 requests;
hybrid (the pool runs exactly, phantom arrivals for the untraced load): 62.1 (+0.6 %). Read
as the stationary fluid's mean queue (ErlangC's Lq, or the backlog), as the validation
bench used to, the same runs peak at 4.1 (−93 %).

An SQS queue and a Lambda poller: 5 messages a second into ``jobs``, consumed in batches
by a function of 4 environments (400 ms each). In hybrid the queue holds the traced fifth of
the messages, one standing for 5. The pollers are the function's only invokers, so no
batch is throttled (nor in full fidelity's 14,971 messages); before, the pool's Poisson
view of the batches throttled 199 batches of the 3,205 traced messages, whose messages stayed in
flight for the 60 s visibility timeout: 23.9 messages in flight on average instead of
2.18 (now 2.19), 46 at the peak instead of 3.4 (now 4.7). Fixed seeds: the verdicts are
the same on every machine.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from archgen.model import load_model_text
from archgen.runtime.fluid import FULL, Fidelity
from tests.oracles import lab
from tests.runtime.test_hybrid_surge import SEEDS, surge_model

HYBRID = Fidelity("hybrid", 0.2)
WINDOW = 10
"""One-second samples a depth is averaged over before its peak is taken."""


def windowed_peak(series: list[float]) -> float:
    """The largest mean of :data:`WINDOW` consecutive samples (non-overlapping)."""
    return max(statistics.fmean(series[k : k + WINDOW]) for k in range(0, len(series), WINDOW))


def depths(
    loaded: Any, seed: int, fidelity: Fidelity, depth: Callable[[Any], float], unit: float
) -> tuple[float, float, Any]:
    """Time-average and windowed peak of ``depth(sim)`` sampled every second, in real
    units (× ``unit``, what one counted thing stands for), and the finished simulation."""
    series: list[float] = []

    def sample(sim: Any) -> float:
        series.append(depth(sim) * unit)
        return series[-1]

    done = lab.run(
        loaded,
        seed,
        warmup_s=0.0,
        reset=lambda *_: None,
        every_ms=1000.0,
        sample=sample,
        fidelity=fidelity,
    )
    return statistics.fmean(series), windowed_peak(series), done.sim


# ---------------------------------------------------------------------------- a fleet


def fleet_queued(sim: Any) -> float:
    """Requests waiting for a worker: the instance's queue, or the pool's (whole load)."""
    fleet = sim.behaviors["pool"]
    if fleet.fluid is None:
        return float(sum(len(instance.queue) for instance in fleet.instances))
    waiting: float = fleet.fluid.waiting(sim.kernel.now)
    return waiting


def fleet_peak(fidelity: Fidelity) -> float:
    return statistics.fmean(
        depths(surge_model(seed), seed, fidelity, fleet_queued, 1.0)[1] for seed in SEEDS
    )


def test_a_small_pools_queue_peak_is_full_fidelitys() -> None:
    full, hybrid = fleet_peak(FULL), fleet_peak(HYBRID)
    assert full > 50  # the surge fills most of the 64 places
    assert hybrid == pytest.approx(full, rel=0.10)


def steady_model(seed: int) -> Any:
    """The same instance at ρ 0.925, no surge: a long queue that comes and goes."""
    node = lab.fleet("pool", 8, lab.exponential(100.0), 64)
    return lab.model([node], [("users", "pool")], rate_per_s=74.0, duration_s=300, seed=seed)


def test_a_small_pools_mean_queue_counts_the_phantoms_not_yet_drawn() -> None:
    """Phantoms are drawn at the next traced arrival: the queue read between two of them
    adds those expected since the last beyond what the servers free by then could take.
    Full fidelity: 8.64 on average (ErlangC's Lq 9.51 for the stationary queue; the runs
    start empty); hybrid 8.42 (−2.5 %; the seeds' 6.1 to 11.0 against 7.6 to 10.9); without
    the phantoms not yet drawn, 5.85 (−32 % before the load estimate from the declared
    session rate)."""
    full, hybrid = (
        statistics.fmean(
            depths(steady_model(seed), seed, fidelity, fleet_queued, 1.0)[0] for seed in SEEDS
        )
        for fidelity in (FULL, HYBRID)
    )
    assert full == pytest.approx(9.51, rel=0.15)
    assert hybrid == pytest.approx(full, rel=0.15)


# ---------------------------------------------------------------------------- SQS + Lambda

RATE = 5.0
LIMIT = 4
VISIBILITY_S = 60


def jobs_model(seed: int) -> Any:
    """``users`` → ``api`` → the queue ``jobs`` (async) ← ``worker`` (batches of 10)."""
    data = {
        "archgen": 1,
        "system": {"id": "jobs", "name": "Jobs"},
        "nodes": [
            {"id": "users", "kind": "client", "params": {"timeout_ms": 3_600_000}},
            {"id": "api", "kind": "lambda", "params": {"duration": lab.constant(5)}},
            {"id": "jobs", "kind": "sqs", "params": {"visibility_timeout_s": VISIBILITY_S}},
            {
                "id": "worker",
                "kind": "lambda",
                "params": {
                    "reserved_concurrency": LIMIT,
                    "timeout_s": 10,
                    "duration": {"distribution": "lognormal", "mean_ms": 400, "cv": 0.5},
                    "event_source": {"queue": "jobs", "batch_size": 10},
                },
            },
        ],
        "edges": [
            {"from": "users", "to": "api", "operations": ["Invoke"]},
            {"from": "api", "to": "jobs", "operations": ["SendMessage"]},
            {"from": "worker", "to": "jobs", "operations": ["ReceiveMessage", "DeleteMessage"]},
        ],
        "flows": [
            {
                "id": "submit",
                "title": "Submit",
                "steps": [
                    {"from": "users", "to": "api", "op": "Invoke"},
                    {"from": "api", "to": "jobs", "op": "SendMessage", "async": True},
                ],
            },
            {
                "id": "work",
                "title": "Work",
                "user_facing": False,
                "steps": [
                    {"from": "worker", "to": "jobs", "op": "ReceiveMessage"},
                    {"from": "worker", "to": "jobs", "op": "DeleteMessage"},
                ],
            },
        ],
        "journeys": [{"id": "go", "title": "Go", "flows": [{"flow": "submit"}]}],
        "scenarios": [
            {
                "id": "steady",
                "title": "Steady",
                "seed": seed,
                "duration_s": 600,
                "traffic": {"sessions_per_s": RATE, "mix": {"go": 1}},
            }
        ],
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "jobs.yaml").model


def in_flight(sim: Any) -> float:
    return float(sim.behaviors["jobs"].queue.in_flight_count)


def jobs_runs(fidelity: Fidelity) -> tuple[float, float, int]:
    """Mean over seeds of the in-flight messages' time-average and windowed peak (real
    units), and the throttled batches of all runs."""
    unit = 1 / fidelity.traced(1.0)  # the queue runs at scale × sample
    runs = [depths(jobs_model(seed), seed, fidelity, in_flight, unit) for seed in SEEDS[:5]]
    throttled = sum(sim.behaviors["worker"].throttled_batches for _, _, sim in runs)
    return (
        statistics.fmean(mean for mean, _, _ in runs),
        statistics.fmean(peak for _, peak, _ in runs),
        throttled,
    )


@pytest.fixture(scope="module")
def full_jobs() -> tuple[float, float, int]:
    return jobs_runs(FULL)


def test_batches_of_pollers_alone_are_never_throttled(
    full_jobs: tuple[float, float, int],
) -> None:
    mean, peak, throttled = jobs_runs(HYBRID)
    full_mean, full_peak, full_throttled = full_jobs
    assert (full_throttled, throttled) == (0, 0)
    # Little's law: 5 messages a second, each in flight for its batch's 400 ms, the cold
    # starts and the receive and delete calls (0.436 s measured).
    assert full_mean == pytest.approx(RATE * 0.43, rel=0.10)
    assert mean == pytest.approx(full_mean, rel=0.10)
    # The peak of a fifth of the messages is noisier: within one message (5 real ones).
    assert abs(peak - full_peak) <= max(0.10 * full_peak, 1 / HYBRID.sample)
