"""Oracles beyond one queue: a network of fleets against Jackson, a worker held during a
downstream call against M/G/1 (Pollaczek–Khinchine) and M/G/c/c (Erlang B, insensitive
to the service distribution). The service time of a blocking call is the fleet's own CPU
time plus the partner's answer time."""

from __future__ import annotations

import math
from typing import Any

from tests.oracles import lab
from tests.oracles.analytic import erlang_b, estimate, jackson_tandem, pollaczek_khinchine
from tests.oracles.report import record

REPLICATIONS = 8 if lab.FULL else 6
SCALE = 4 if lab.FULL else 1  # customers per replication, relative to the ci budget


def lognormal(mean_ms: float, cv: float) -> dict[str, Any]:
    return {"distribution": "lognormal", "mean_ms": mean_ms, "cv": cv}


# -- Jackson: A (1 worker) then B (4 workers), then after the user's think time C
# (2 workers) for half of the users. Each station is its own M/M/c.
RATE = 8.0  # users per second
STATIONS = {"a": (1, 80.0, 1.0), "b": (4, 350.0, 1.0), "c": (2, 300.0, 0.5)}


def jackson_replication(seed: int) -> dict[str, float]:
    customers = 10_000 * SCALE
    nodes = [
        lab.fleet(name, workers, lab.exponential(service), 10_000_000)
        for name, (workers, service, _) in STATIONS.items()
    ]
    warmup_s = 0.1 * customers / RATE
    model = lab.model(
        nodes,
        [("users", "a"), ("users", "b")],
        then=([("users", "c")], 0.5),
        rate_per_s=RATE,
        duration_s=1.1 * customers / RATE,
        seed=seed,
    )
    kept: dict[str, int] = {}

    def reset(sim: Any, traffic: Any) -> None:
        lab.reset_fleets(*STATIONS)(sim, traffic)
        kept["main"] = len(traffic.flow_stats["main"].latencies)

    done = lab.run(model, seed, warmup_s=warmup_s, reset=reset)
    sim, traffic = done.sim, done.traffic
    out = {}
    for name in STATIONS:
        fleet = sim.behaviors[name]
        out[name] = fleet.wait_total / fleet.started
    latencies = traffic.flow_stats["main"].latencies[kept["main"] :]
    out["sojourn"] = sum(latencies) / len(latencies)
    out["visits_c"] = sim.behaviors["c"].started / sim.behaviors["a"].started
    return out


def test_tandem_network_matches_jackson() -> None:
    loads = [
        (workers, RATE * share * service / 1000 / workers)
        for workers, service, share in STATIONS.values()
    ]
    waits = dict(zip(STATIONS, jackson_tandem(loads), strict=True))
    exact = {name: waits[name] * STATIONS[name][1] for name in STATIONS}  # ms
    exact["sojourn"] = sum(exact[n] + STATIONS[n][1] for n in ("a", "b"))
    runs = [jackson_replication(7_000 + k) for k in range(REPLICATIONS)]
    for quantity in ("a", "b", "c", "sojourn"):
        found = estimate([run[quantity] for run in runs])
        label = f"mean wait at {quantity} (ms)" if len(quantity) == 1 else "A→B response (ms)"
        record("Jackson: A M/M/1 → B M/M/4 → C M/M/2 (p=0.5)", label, found, exact[quantity])
        assert found.agrees(exact[quantity], rel=0.03), (quantity, found, exact[quantity])
    assert estimate([run["visits_c"] for run in runs]).agrees(0.5, rel=0.02)


# -- A blocking call: the worker computes for CPU_MS (exponential), then waits for the
# partner's CALL_MS (constant) before it takes the next request.
CPU_MS, CALL_MS = 20.0, 30.0


def blocking_model(workers: int, queue: int, rate: float, call: dict[str, Any], seed: int) -> Any:
    customers = 10_000 * SCALE
    return lab.model(
        [
            lab.fleet("fleet", workers, lab.exponential(CPU_MS), queue),
            {"id": "partner", "kind": "external", "params": {"latency": call}},
        ],
        [("users", "fleet"), ("fleet", "partner")],
        rate_per_s=rate,
        duration_s=1.1 * customers / rate,
        seed=seed,
    )


def held(sim: Any) -> float:
    [instance] = sim.behaviors["fleet"].serving
    return float(instance.busy)


def test_blocking_call_matches_m_g_1() -> None:
    # S = Exp(20 ms) + 30 ms: E[S] = 50 ms, E[S²] = 20² + 50² = 2,900 ms²; λ = 14/s: ρ = 0.7.
    rate = 14.0
    mean, second = CPU_MS + CALL_MS, CPU_MS**2 + (CPU_MS + CALL_MS) ** 2
    exact = pollaczek_khinchine(rate / 1000, mean, second)
    assert math.isclose(exact, 0.014 * 2900 / 0.6)
    waits, busy = [], []
    for k in range(REPLICATIONS):
        seed = 8_000 + k
        model = blocking_model(1, 10_000_000, rate, lab.constant(CALL_MS), seed)
        duration_s = model.scenarios[0].duration_s
        done = lab.run(
            model,
            seed,
            warmup_s=duration_s / 11,
            reset=lab.reset_fleets("fleet"),
            every_ms=25.0,
            sample=held,
        )
        fleet = done.sim.behaviors["fleet"]
        waits.append(fleet.wait_total / fleet.started)
        busy.append(done.average)
    wait, utilisation = estimate(waits), estimate(busy)
    record("Blocking call M/G/1: Exp(20 ms) CPU + 30 ms call", "mean wait (ms)", wait, exact)
    record("Blocking call M/G/1: Exp(20 ms) CPU + 30 ms call", "worker held", utilisation, 0.7)
    assert wait.agrees(exact, rel=0.03), (wait, exact)
    # The worker is held through the call: busy 70 % of the time, not the CPU's 28 %.
    assert utilisation.agrees(0.7, rel=0.02), utilisation


def test_blocking_calls_without_a_queue_match_erlang_b() -> None:
    # 8 workers, no waiting room: M/G/8/8. S = Exp(20 ms) + lognormal(80 ms, cv 1),
    # E[S] = 100 ms; λ = 60/s offers a = 6 Erlangs. Blocking is Erlang B whatever the
    # distribution; the carried load a(1 - B) is the mean number of workers held.
    rate, workers = 60.0, 8
    a = rate * (CPU_MS + 80.0) / 1000
    blocked_exact = erlang_b(workers, a)
    blocked, busy = [], []
    for k in range(REPLICATIONS):
        seed = 9_000 + k
        model = blocking_model(workers, 0, rate, lognormal(80.0, 1.0), seed)
        duration_s = model.scenarios[0].duration_s
        done = lab.run(
            model,
            seed,
            warmup_s=duration_s / 11,
            reset=lab.reset_fleets("fleet"),
            every_ms=50.0,
            sample=held,
        )
        fleet = done.sim.behaviors["fleet"]
        blocked.append(fleet.rejected / (fleet.rejected + fleet.started))
        busy.append(done.average)
    share, carried = estimate(blocked), estimate(busy)
    case = "Blocking call M/G/8/8: Exp(20 ms) CPU + lognormal(80 ms) call"
    record(case, "P(block) (503)", share, blocked_exact)
    record(case, "workers held", carried, a * (1 - blocked_exact))
    assert share.agrees(blocked_exact, rel=0.03), (share, blocked_exact)
    assert carried.agrees(a * (1 - blocked_exact), rel=0.02), carried
