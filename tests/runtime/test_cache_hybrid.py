"""Caches in hybrid fidelity see the whole load's refills (``runtime/cache_fill.py``).

A CDN in front of a bucket, users asking for one of 10 (or 2,000) Zipf-popular assets.
The oracles are hand-derived for Poisson lookups: a key of rate λ_k in a TTL-T cache
hits with probability λ_kT/(1 + λ_kT) (a renewal: each miss stores the object for T,
then the next lookup after its expiry misses); with a cache that starts empty and an
origin out from W on, a lookup during the outage is answered iff its key was looked up
before W, probability 1 − e^(−λ_k W). A hybrid run tracing s = 5 % of the users must
measure those, where a cache that sees only the traced lookups measures them at λ_k·s.
Every run has a fixed seed: the verdicts are the same on every machine.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from archgen.runtime.cache_fill import RATE_WINDOW, LookupRate, UntracedFills, available_from
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.run import build, start
from archgen.runtime.trace import SpanSink
from tests.runtime.conftest import model_from

SAMPLE = 0.05


def cdn_model(
    *,
    rate: float,
    ttl_s: int,
    items: int,
    duration_s: float,
    outage_from_s: float | None = None,
    faults: list[dict[str, Any]] | None = None,
) -> Any:
    """``rate`` users a second, each fetching one asset through the CDN (one edge)."""
    const = {"distribution": "constant", "mean_ms": 1}
    faults = (
        [{"type": "node_outage", "target": "assets", "start_s": outage_from_s}]
        if outage_from_s is not None
        else list(faults or [])
    )
    return model_from(
        {
            "archgen": 1,
            "system": {"id": "assets", "name": "Asset CDN"},
            "groups": [{"id": "r1", "kind": "region", "code": "eu-west-1"}],
            "nodes": [
                {"id": "readers", "kind": "client", "params": {"timeout_ms": 600_000}},
                {
                    "id": "cdn",
                    "kind": "cloudfront",
                    "params": {
                        "default_ttl_s": ttl_s,
                        "edge_locations": ["e1"],
                        "origins": [{"target": "assets"}],
                        "hit": const,
                    },
                },
                {"id": "assets", "kind": "s3", "group": "r1", "params": {"get": const}},
            ],
            "edges": [
                {"from": "readers", "to": "cdn", "operations": ["GET /asset"]},
                {"from": "cdn", "to": "assets", "operations": ["GetObject"]},
            ],
            "flows": [
                {
                    "id": "fetch",
                    "title": "Fetch an asset",
                    "steps": [
                        {"from": "readers", "to": "cdn", "op": "GET /asset"},
                        {"from": "cdn", "to": "assets", "op": "GetObject", "when": "cache_miss"},
                    ],
                }
            ],
            "journeys": [{"id": "read", "title": "Read", "flows": [{"flow": "fetch"}]}],
            "scenarios": [
                {
                    "id": "steady",
                    "title": "Steady",
                    "seed": 3,
                    "duration_s": duration_s,
                    "traffic": {
                        "sessions_per_s": rate,
                        "mix": {"read": 1},
                        "items": {"count": items, "zipf_exponent": 1.0, "categories": 1},
                    },
                    "faults": faults,
                }
            ],
        }
    ).model


def shares(items: int) -> list[float]:
    """p_k of the Zipf law of exponent 1 over ``items`` items."""
    total = sum(1.0 / k for k in range(1, items + 1))
    return [1.0 / (k * total) for k in range(1, items + 1)]


def hit_ratio(rate: float, ttl_s: float, items: int) -> float:
    """Σ p_k · λ_kT/(1 + λ_kT), λ_k = rate · p_k."""
    return sum(p * (rate * p * ttl_s) / (1 + rate * p * ttl_s) for p in shares(items))


def answered_before(rate: float, outage_s: float, items: int) -> float:
    """Σ p_k · (1 − e^(−λ_k W)): the share of lookups whose key was fetched before W."""
    return sum(p * (1 - math.exp(-rate * p * outage_s)) for p in shares(items))


def lookups(model: Any, fidelity: Fidelity, *, count_from_s: float = 0.0) -> tuple[int, int]:
    """(hits, lookups) of the CDN from ``count_from_s`` to the end of the run."""
    scenario = model.scenarios[0]
    sim, traffic = build(
        model,
        scenario,
        seed=scenario.seed,
        scale=1.0,
        duration_s=scenario.duration_s,
        sink=SpanSink(None),
        fidelity=fidelity,
    )
    start(sim, traffic, scenario.duration_s)
    cdn = sim.behaviors["cdn"]
    sim.kernel.run(count_from_s * 1000)
    cdn.hits = cdn.misses = 0
    sim.kernel.run(scenario.duration_s * 1000)
    return cdn.hits, cdn.hits + cdn.misses


def within_noise(hits: int, total: int, expected: float) -> bool:
    """Within three binomial standard errors of ``expected``."""
    return abs(hits / total - expected) <= 3 * math.sqrt(expected * (1 - expected) / total)


def test_a_ttl_cache_hits_the_whole_loads_ratio_whatever_the_sample() -> None:
    # 20 users/s over 10 assets, TTL 1 s: the whole load hits 70.6 %; a cache that saw
    # only a 5 % sample would hit 14.4 % (the same formula at rate × 0.05).
    rate, ttl = 20.0, 1
    expected = hit_ratio(rate, ttl, 10)
    assert expected == pytest.approx(0.7064, abs=1e-4)
    assert hit_ratio(rate * SAMPLE, ttl, 10) == pytest.approx(0.1441, abs=1e-4)
    full_hits, full_total = lookups(cdn_model(rate=rate, ttl_s=ttl, items=10, duration_s=200), FULL)
    hybrid_hits, hybrid_total = lookups(
        cdn_model(rate=rate, ttl_s=ttl, items=10, duration_s=4_000), Fidelity("hybrid", SAMPLE)
    )
    assert full_total > 3_500
    assert hybrid_total > 3_500  # 4,000 s × 20/s × 5 %
    assert within_noise(full_hits, full_total, expected)
    assert within_noise(hybrid_hits, hybrid_total, expected)


def test_an_outage_finds_cached_what_the_whole_load_fetched_before_it() -> None:
    # 40 users/s over 2,000 assets, a day's TTL, the bucket out from 50 s on: 79.9 % of
    # the lookups during the outage find their asset cached (44.7 % if the cache had seen
    # only 5 % of the users before it; 95.7 % by mid-outage if untraced lookups could
    # refill during the outage).
    rate, outage = 40.0, 50.0
    expected = answered_before(rate, outage, 2_000)
    assert expected == pytest.approx(0.7991, abs=1e-4)
    assert answered_before(rate * SAMPLE, outage, 2_000) == pytest.approx(0.4465, abs=1e-4)
    model = cdn_model(rate=rate, ttl_s=86_400, items=2_000, duration_s=550, outage_from_s=outage)
    hits, total = lookups(model, Fidelity("hybrid", SAMPLE), count_from_s=outage)
    assert total > 900  # 500 s × 40/s × 5 %
    # The keys' states are shared by their lookups: a little more spread than binomial.
    assert abs(hits / total - expected) <= 0.05
    full_hits, full_total = lookups(model, FULL, count_from_s=outage)
    assert abs(full_hits / full_total - expected) <= 0.02


def test_hybrid_caches_are_deterministic() -> None:
    model = cdn_model(rate=20.0, ttl_s=1, items=10, duration_s=500)
    runs = {lookups(model, Fidelity("hybrid", SAMPLE)) for _ in range(2)}
    assert len(runs) == 1


def test_untraced_lookups_follow_the_traced_rate_through_a_surge() -> None:
    # Traced lookups every 100 ms for 10 s, then every 10 ms: Λ counts them; the rate is
    # estimated from the gaps before each lookup, so a tenfold surge is followed within a
    # couple of windows of lookups (the first 10 s of it: 1,000 lookups, Λ 891).
    rate = LookupRate()
    for step in range(1, 101):
        rate.add(step * 100.0)
    for step in range(1, 1001):
        rate.add(10_000.0 + step * 10.0)
    assert rate.at(5_000.0) == pytest.approx(50.0)
    assert rate.at(10_000.0) == pytest.approx(100.0)
    assert 1_100.0 - 2.5 * RATE_WINDOW < rate.total < 1_100.0
    assert rate.when(50.0) == pytest.approx(5_000.0)
    assert rate.when(rate.total + 1) == math.inf


def test_a_refill_needs_the_cache_and_one_origin_up() -> None:
    first = available_from(((0.0, 10.0),), ((20.0, 40.0),), ((30.0, 50.0),))
    assert [first(t) for t in (5.0, 15.0, 25.0, 35.0, 45.0)] == [10.0, 15.0, 25.0, 40.0, 45.0]
    never = available_from((), ((20.0, math.inf),))
    assert never(25.0) == math.inf


def test_a_key_never_looked_up_by_the_untraced_load_stays_cold() -> None:
    # Share 0 (an item the traffic never draws): no untraced lookup, the expiry stays.
    rate = LookupRate()
    rate.add(1_000.0)
    fills = UntracedFills(0.5, 1_000.0, random.Random(1), lambda _: 0.0, float)
    assert fills.refill("k", 0, rate, None, 1_000.0) is None
    assert fills.refill("k", 0, rate, 500.0, 1_000.0) == 500.0


def test_outage_windows_of_a_node_merge_the_faults_that_take_it_out() -> None:
    faults = [
        {"type": "node_outage", "target": "assets", "start_s": 50, "end_s": 100},
        {"type": "region_outage", "target": "r1", "start_s": 80, "end_s": 150},
        {"type": "node_outage", "target": "assets", "start_s": 200},
        {"type": "latency", "target": "assets", "start_s": 10, "end_s": 20, "added_latency_ms": 5},
    ]
    model = cdn_model(rate=1.0, ttl_s=1, items=10, duration_s=300, faults=faults)
    scenario = model.scenarios[0]
    sim, _ = build(model, scenario, seed=1, scale=1.0, duration_s=300, sink=SpanSink(None))
    assert sim.outages("assets") == ((50_000.0, 150_000.0), (200_000.0, math.inf))
    assert sim.outages("cdn") == ()  # global: not in the region
