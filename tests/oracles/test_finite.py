"""Oracles of finite systems: a fleet with a bounded waiting room against M/M/c/K, and a
Lambda function's concurrency limit against Erlang B (a synchronous call beyond the limit
is throttled: the loss system M/G/c/c, insensitive to the duration's distribution)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.oracles import lab
from tests.oracles.analytic import erlang_b, estimate, mmck
from tests.oracles.report import record

REPLICATIONS = 8 if lab.FULL else 6
SCALE = 4 if lab.FULL else 1
SERVICE_MS = 100.0


def in_the_system(sim: Any) -> float:
    [instance] = sim.behaviors["fleet"].serving
    return float(instance.busy + len(instance.queue))


@pytest.mark.parametrize("rho", [0.9, 1.2])
def test_bounded_queue_matches_m_m_c_k(rho: float) -> None:
    # 4 workers and 6 places to wait (K = 10); at ρ = 1.2 the fleet is overloaded and the
    # bounded room keeps it stable: every sixth request or so is refused with 503.
    workers, room = 4, 6
    exact = mmck(workers, workers + room, workers * rho)
    rate = rho * workers * 1000 / SERVICE_MS
    customers = 8_000 * SCALE
    blocked, in_system, waits = [], [], []
    for k in range(REPLICATIONS):
        seed = 10_000 + round(100 * rho) * 100 + k
        model = lab.model(
            [lab.fleet("fleet", workers, lab.exponential(SERVICE_MS), room)],
            [("users", "fleet")],
            rate_per_s=rate,
            duration_s=1.1 * customers / rate,
            seed=seed,
        )
        done = lab.run(
            model,
            seed,
            warmup_s=0.1 * customers / rate,
            reset=lab.reset_fleets("fleet"),
            every_ms=SERVICE_MS / 2,
            sample=in_the_system,
        )
        fleet = done.sim.behaviors["fleet"]
        blocked.append(fleet.rejected / (fleet.rejected + fleet.started))
        in_system.append(done.average)
        waits.append(fleet.wait_total / fleet.started / SERVICE_MS)
    case = f"M/M/4/10 rho={rho}"
    for quantity, found, value in (
        ("P(block) (503)", estimate(blocked), exact.p_block),
        ("mean in system L", estimate(in_system), exact.in_system),
        ("mean wait (service times)", estimate(waits), exact.wait),
    ):
        record(case, quantity, found, value)
        assert found.agrees(value, rel=0.03), (quantity, found, value)


def test_m_m_c_k_formula_reduces_to_known_cases() -> None:
    # K = c is Erlang B; M/M/1/K has the closed form (1 - ρ)ρ^K / (1 - ρ^(K+1)).
    assert mmck(5, 5, 3.0).p_block == pytest.approx(erlang_b(5, 3.0), rel=1e-12)
    assert mmck(1, 4, 0.5).p_block == pytest.approx(0.5 * 0.5**4 / (1 - 0.5**5), rel=1e-12)
    assert erlang_b(10, 8.0) == pytest.approx(0.12166, abs=5e-6)  # published table value


LAMBDA_CASES = [(10, 8.0)] + ([(64, 60.0)] if lab.FULL else [])


@pytest.mark.parametrize(("limit", "a"), LAMBDA_CASES)
def test_lambda_concurrency_throttles_as_erlang_b(limit: int, a: float) -> None:
    # Reserved concurrency c, a lognormal duration (mean 200 ms, cv 1.5: far from
    # exponential) and no cold start: the throttled share of synchronous invocations
    # is Erlang B of the offered load a = λ·E[duration].
    duration_ms = 200.0
    rate = a * 1000 / duration_ms
    customers = 6_000 * SCALE
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
    throttled = []
    for k in range(REPLICATIONS):
        seed = 11_000 + limit * 100 + k

        def reset(sim: Any, _: Any) -> None:
            sim.behaviors["fn"].invocations = sim.behaviors["fn"].throttles = 0

        model = lab.model(
            [function],
            [("users", "fn")],
            rate_per_s=rate,
            duration_s=1.1 * customers / rate,
            seed=seed,
        )
        fn = lab.run(model, seed, warmup_s=0.1 * customers / rate, reset=reset).sim.behaviors["fn"]
        assert fn.peak == limit
        throttled.append(fn.throttles / (fn.throttles + fn.invocations))
    found, exact = estimate(throttled), erlang_b(limit, a)
    record(f"Lambda concurrency {limit}, a={a:g} Erlangs", "throttled share", found, exact)
    assert found.agrees(exact, rel=0.03), (found, exact)
