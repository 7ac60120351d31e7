"""Route 53, CloudFront, WAF: the rules of aws-behaviors.md, one test each."""

from __future__ import annotations

import itertools
from typing import Any

from archgen.model import LoadedModel
from archgen.runtime.behaviors.cloudfront import CloudFront
from archgen.runtime.behaviors.route53 import Route53
from archgen.runtime.run import build
from archgen.runtime.session import run_scenario
from archgen.runtime.trace import SpanSink

from .conftest import mini_data, model_from


def _behavior(model: Any, node: str, scenario: str = "base") -> Any:
    found = model.scenarios_by_id[scenario]
    sim, _ = build(model, found, seed=1, scale=1.0, duration_s=10, sink=SpanSink(None))
    return sim.behaviors[node]


# --------------------------------------------------------------------------- Route 53


def test_latency_routing_picks_the_nearest_healthy_region(mini: LoadedModel) -> None:
    dns = _behavior(mini.model, "dns")
    assert isinstance(dns, Route53)
    assert dns.choose("near-east")[0].target == "lb-east"
    assert dns.choose("near-west")[0].target == "lb-west"
    dns.records[0].healthy = False
    record, why = dns.choose("near-east")
    assert (record.target, why) == ("lb-west", "latency")
    dns.records[1].alarmed = True  # every record unhealthy: all count as healthy
    record, why = dns.choose("near-east")
    assert (record.target, why) == ("lb-east", "latency, all unhealthy: fail open")


def test_failover_routing_uses_the_primary_while_healthy() -> None:
    data = mini_data()
    dns = next(n for n in data["nodes"] if n["id"] == "dns")
    dns["params"]["routing"] = "failover"
    dns["params"]["records"][0]["failover"] = "primary"
    dns["params"]["records"][1]["failover"] = "secondary"
    behavior = _behavior(model_from(data).model, "dns")
    assert behavior.choose("near-west")[0].target == "lb-east"
    behavior.records[0].healthy = False
    assert behavior.choose("near-west")[0].target == "lb-west"


def test_region_failover_within_interval_times_threshold_plus_ttl(
    mini_runs: Any, mini: LoadedModel
) -> None:
    result = mini_runs("east-down")
    params = mini.model.nodes_by_id["dns"].params
    fault = mini.model.scenarios_by_id["east-down"].faults[0]
    detect_by = fault.start_s + params.health_check_interval_s * params.failure_threshold
    moved_by = detect_by + params.ttl_s
    transitions = result.summary["nodes"]["dns"]["transitions"]
    down = next(t for t in transitions if not t["healthy"] and t["by"] == "health check")
    assert down["record"] == "lb-east"
    assert fault.start_s < down["t_s"] <= detect_by
    after = [
        s
        for s in result.spans
        if s["node"] == "dns" and moved_by * 1000 <= s["start_ms"] < fault.end_s * 1000
    ]
    assert after
    assert {s["attrs"]["region"] for s in after} == {"west"}
    # Users whose pages start after the move are served by the west region.
    late = [
        s
        for s in result.spans
        if s["from"] == "user"
        and s["node"].startswith("lb-")
        and (moved_by + 5) * 1000 <= s["start_ms"] < fault.end_s * 1000
    ]
    assert late
    assert {s["node"] for s in late} == {"lb-west"}
    assert all(s["status"] == "ok" for s in late)


def test_resolvers_cache_answers_for_the_ttl(mini_runs: Any, mini: LoadedModel) -> None:
    result = mini_runs("base")
    ttl_ms = mini.model.nodes_by_id["dns"].params.ttl_s * 1000
    resolves = [s for s in result.spans if s["node"] == "dns" and s["op"] == "Resolve"]
    fresh = [s for s in resolves if "resolver" not in s["attrs"]]
    cached = [s for s in resolves if "resolver" in s["attrs"]]
    assert len(cached) > 5 * len(fresh)
    # One fresh answer per resolver (location) per TTL at most.
    by_region: dict[str, list[float]] = {}
    for span in fresh:
        by_region.setdefault(span["attrs"]["region"], []).append(span["start_ms"])
    for starts in by_region.values():
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert all(gap >= ttl_ms - 1e-6 for gap in gaps)


# --------------------------------------------------------------------------- CloudFront


def test_ttl_is_the_origin_max_age_clamped() -> None:
    data = mini_data()
    cdn = _behavior(model_from(data).model, "cdn")
    assert isinstance(cdn, CloudFront)
    assert cdn.ttl_ms == 600_000  # images: cache_max_age_s 600, within [0, max]
    next(n for n in data["nodes"] if n["id"] == "cdn")["params"]["min_ttl_s"] = 900
    next(n for n in data["nodes"] if n["id"] == "cdn")["params"]["default_ttl_s"] = 3600
    assert _behavior(model_from(data).model, "cdn").ttl_ms == 900_000
    next(n for n in data["nodes"] if n["id"] == "images")["params"].pop("cache_max_age_s")
    assert _behavior(model_from(data).model, "cdn").ttl_ms == 3_600_000  # default TTL


def test_lru_caches_are_bounded_and_bigger_caches_hit_more() -> None:
    ratios = []
    for capacity in (20, 2000):
        data = mini_data()
        next(n for n in data["nodes"] if n["id"] == "cdn")["params"]["cache_capacity_objects"] = (
            capacity
        )
        result = run_scenario(model_from(data).model, "base", duration_s=200)
        cdn = result.simulation.behaviors["cdn"]  # type: ignore[union-attr]
        assert all(len(cache) <= capacity for cache in cdn.caches.values())
        ratios.append(result.summary["cache"]["cdn"]["hit_ratio"])
    small, large = ratios
    assert 0.2 < small < large < 1.0
    assert large - small > 0.15


def test_misses_go_to_the_origin_and_hits_do_not(mini_runs: Any) -> None:
    spans = mini_runs("base").spans
    cdn = {s["span"]: s for s in spans if s["node"] == "cdn"}
    origin_parents = {s["parent"] for s in spans if s["node"] == "images"}
    for span_id, span in cdn.items():
        assert (span_id in origin_parents) == (span["attrs"]["cache"] != "hit")


def test_s3_outage_breaks_uncached_images_only(mini_runs: Any, mini: LoadedModel) -> None:
    fault = mini.model.scenarios_by_id["images-down"].faults[0]
    assert fault.end_s is not None
    inside = [
        s
        for s in mini_runs("images-down").spans
        if s["node"] == "cdn"
        and fault.start_s * 1000 <= s["start_ms"]
        and s["end_ms"] < fault.end_s * 1000
    ]
    hits = [s for s in inside if s["attrs"]["cache"] == "hit"]
    misses = [s for s in inside if s["attrs"]["cache"] != "hit"]
    assert hits
    assert misses
    assert all(s["status"] == "ok" for s in hits)
    assert all(s["error"] == "502" for s in misses)
    assert {s["attrs"]["origin_error"] for s in misses} == {"ServiceUnavailable"}


def _images_down_with(change: Any) -> dict[str, Any]:
    data = mini_data()
    change(data)
    return run_scenario(model_from(data).model, "images-down", duration_s=300).summary


def test_stale_if_error_serves_expired_copies() -> None:
    def short_ttl(data: dict[str, Any], stale: int) -> None:
        next(n for n in data["nodes"] if n["id"] == "images")["params"]["cache_max_age_s"] = 20
        next(n for n in data["nodes"] if n["id"] == "cdn")["params"]["stale_if_error_s"] = stale

    without = _images_down_with(lambda d: short_ttl(d, 0))
    with_stale = _images_down_with(lambda d: short_ttl(d, 3600))
    assert without["cache"]["cdn"]["stale_served"] == 0
    assert with_stale["cache"]["cdn"]["stale_served"] > 0
    assert with_stale["flows"]["home"]["failed"] < without["flows"]["home"]["failed"]


def test_origin_failover_to_the_secondary() -> None:
    def backup(data: dict[str, Any]) -> None:
        data["nodes"].append(
            {"id": "images-backup", "kind": "s3", "group": "west", "params": {"objects": 5000}}
        )
        data["edges"].append(
            {
                "from": "cdn",
                "to": "images-backup",
                "operations": ["GetObject"],
                "protocol": "aws-api",
            }
        )
        cdn = next(n for n in data["nodes"] if n["id"] == "cdn")
        cdn["params"]["origins"] = [
            {"target": "images"},
            {"target": "images-backup", "failover": "secondary"},
        ]

    summary = _images_down_with(backup)
    assert summary["cache"]["cdn"]["origin_failovers"] > 0
    assert summary["flows"]["home"]["failed"] == 0
    # Every failover reached the backup; one may still be in flight when the run ends.
    backup_node = summary["nodes"]["images-backup"]
    assert backup_node["arrived"] == summary["cache"]["cdn"]["origin_failovers"]
    assert backup_node["ok"] + backup_node["in_flight"] == backup_node["arrived"]


# --------------------------------------------------------------------------- WAF / Shield


def test_waf_blocks_flooding_sources_at_the_next_evaluation(
    mini_runs: Any, mini: LoadedModel
) -> None:
    result = mini_runs("flood")
    attack = mini.model.scenarios_by_id["flood"].traffic.attack
    assert attack is not None
    interval = mini.model.nodes_by_id["waf"].params.evaluation_interval_s
    blocks = [b for b in result.summary["nodes"]["waf"]["blocks"] if b["action"] == "block"]
    assert {b["source"] for b in blocks} == {f"attacker-{i}" for i in range(1, 4)}
    assert all(attack.start_s < b["t_s"] <= attack.start_s + 2 * interval for b in blocks)
    assert not any(b["source"].startswith("u") for b in blocks)  # no legitimate user
    summary = result.summary
    assert summary["attack"]["blocked"] / summary["attack"]["requests"] > 0.85
    assert summary["nodes"]["shield"]["inspected"] > summary["attack"]["requests"]
    for flow in ("item", "buy"):
        assert summary["flows"][flow]["availability"] >= 0.999
