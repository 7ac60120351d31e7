"""Where users land and what their lookups cost (trial 28, defects 5–7).

- CloudFront serves each client location from its own edge locations; an id two clients
  declare is one place, not a second turn in the deal (defect 5: the creator's
  ``north-america`` sent every viewer of it to the London edge).
- A client looks its DNS name up again only before calling a node behind that name
  (defect 6: a flow ``viewer → cdn`` got a Route 53 ``Resolve`` step).
- Route 53 bills the queries that reached it, the ones ``DNSQueries`` counts, not the
  answers a resolver served from its cache (defect 7).
"""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model.cost import price_run
from archgen.runtime.behaviors.cloudfront import edges_by_location
from tests.runtime.metrics_lab import lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


APP = {
    "id": "app",
    "kind": "lambda",
    "group": "r1",
    "params": {"duration": const(10), "cold_start": const(50), "reserved_concurrency": 10},
}
CDN = {
    "id": "cdn",
    "kind": "cloudfront",
    "params": {
        "hit": const(1),
        "edge_locations": ["lhr", "iad", "sfo"],
        "origins": [{"target": "bucket"}],
    },
}
BUCKET = {
    "id": "bucket",
    "kind": "s3",
    "group": "r1",
    "params": {"objects": 10, "get": const(30)},
}


def dns(ttl_s: int, routing: str = "simple") -> dict[str, Any]:
    return {
        "id": "dns",
        "kind": "route53",
        "params": {
            "routing": routing,
            "ttl_s": ttl_s,
            "resolve": const(20),
            "records": [{"target": "app", "region": "r1", "health_check": False}],
        },
    }


def client_calls(lab: Any) -> list[tuple[str, str, str]]:
    """Every call the users made, as (flow, callee, operation), in the order they started
    (the edge's misses to the bucket depend on the items drawn)."""
    ordered = sorted(lab.spans, key=lambda s: (s["start_ms"], s["span"]))
    return [(s["flow"], s["node"], s["op"]) for s in ordered if s["from"] == "users"]


# ---------------------------------------------------------------------- CloudFront edges


def test_each_location_id_is_dealt_a_consecutive_share_of_the_edges_once() -> None:
    # The trial: the viewer's two places, then the creator's north-america again.
    places = ["north-america", "europe", "north-america"]
    assert edges_by_location(places, ["iad", "ord", "lhr", "fra"]) == {
        "north-america": ("iad", "ord"),
        "europe": ("lhr", "fra"),
    }
    # The reference model: one edge per place, as declared.
    assert edges_by_location(["us-east", "us-west", "europe"], ["iad", "sfo", "lhr"]) == {
        "us-east": ("iad",),
        "us-west": ("sfo",),
        "europe": ("lhr",),
    }
    # Fewer edges than places: neighbours share one, every place has one.
    assert edges_by_location(["a", "b", "c"], ["e1", "e2"]) == {
        "a": ("e1",),
        "b": ("e1",),
        "c": ("e2",),
    }
    assert edges_by_location(["a", "b"], ["e1", "e2", "e3"]) == {
        "a": ("e1",),
        "b": ("e2", "e3"),
    }


def test_two_clients_sharing_a_location_id_keep_its_edge() -> None:
    """``users`` sit in europe; ``partners`` declare north-america, then europe again. The
    old deal (one turn per declaration) gave europe the third edge, sfo."""
    partners = {
        "id": "partners",
        "kind": "client",
        "params": {
            "locations": [
                {"id": "north-america", "latency_ms": {"r1": 20}},
                {"id": "europe", "latency_ms": {"r1": 80}},
            ]
        },
    }
    model = lab_model(
        [partners, CDN, BUCKET],
        [
            {"from": "users", "to": "cdn", "operations": ["GET /img"]},
            {"from": "partners", "to": "cdn", "operations": ["GET /img"]},
            {"from": "cdn", "to": "bucket", "operations": ["GetObject"]},
        ],
        [
            {"from": "users", "to": "cdn", "op": "GET /img"},
            {"from": "cdn", "to": "bucket", "op": "GetObject", "when": "cache_miss"},
        ],
        client={"locations": [{"id": "europe", "latency_ms": {"r1": 80}}]},
    )
    lab = run_lab(model, [1.0, 2.0, 3.0, 4.0])
    cdn = lab.sim.behaviors["cdn"]
    assert cdn.edge_of == {"europe": ("lhr",), "north-america": ("iad", "sfo")}
    assert [s["attrs"]["edge"] for s in lab.on("cdn")] == ["lhr"] * 4


def test_a_location_with_several_edges_spreads_its_sessions_over_them() -> None:
    model = lab_model(
        [CDN, BUCKET],
        [
            {"from": "users", "to": "cdn", "operations": ["GET /img"]},
            {"from": "cdn", "to": "bucket", "operations": ["GetObject"]},
        ],
        [
            {"from": "users", "to": "cdn", "op": "GET /img"},
            {"from": "cdn", "to": "bucket", "op": "GetObject", "when": "cache_miss"},
        ],
        client={"locations": [{"id": "here", "latency_ms": {"r1": 10}}]},
    )
    lab = run_lab(model, [1.0, 2.0, 3.0, 4.0])
    # Sessions 1-4 over lhr, iad, sfo by session number.
    assert [s["attrs"]["edge"] for s in lab.on("cdn")] == ["iad", "sfo", "lhr", "iad"]


# ---------------------------------------------------------------------- lookups


def test_a_client_resolves_only_before_calling_the_name_behind_its_dns() -> None:
    """TTL 1 s, 5 s of thought between flows: every later flow finds its answer expired.
    Only the calls to ``app`` (the record's target) are preceded by a lookup; the
    CloudFront distribution has a name of its own."""
    model = lab_model(
        [dns(ttl_s=1), APP, CDN, BUCKET],
        [
            {"from": "users", "to": "dns", "operations": ["Resolve"]},
            {"from": "users", "to": "app", "operations": ["Invoke"]},
            {"from": "users", "to": "cdn", "operations": ["GET /img"]},
            {"from": "cdn", "to": "bucket", "operations": ["GetObject"]},
        ],
        [
            {"from": "users", "to": "dns", "op": "Resolve"},
            {"from": "users", "to": "app", "op": "Invoke"},
        ],
        flows=[
            {
                "id": "images",
                "title": "Images",
                "steps": [
                    {"from": "users", "to": "cdn", "op": "GET /img"},
                    {"from": "cdn", "to": "bucket", "op": "GetObject", "when": "cache_miss"},
                ],
            },
            {
                "id": "images-then-app",
                "title": "Images, then the app",
                "steps": [
                    {"from": "users", "to": "cdn", "op": "GET /img"},
                    {"from": "cdn", "to": "bucket", "op": "GetObject", "when": "cache_miss"},
                    {"from": "users", "to": "app", "op": "Invoke"},
                ],
            },
            {
                "id": "app",
                "title": "App",
                "steps": [{"from": "users", "to": "app", "op": "Invoke"}],
            },
        ],
        client={"think_time": const(5000)},
        journey=["main", "images", "images-then-app", "app"],
    )
    lab = run_lab(model, [1.0])
    assert client_calls(lab) == [
        ("main", "dns", "Resolve"),
        ("main", "app", "Invoke"),
        ("images", "cdn", "GET /img"),
        ("images-then-app", "cdn", "GET /img"),
        ("images-then-app", "dns", "Resolve"),
        ("images-then-app", "app", "Invoke"),
        ("app", "dns", "Resolve"),
        ("app", "app", "Invoke"),
    ]
    # The lookup comes when the call to the app is due, once the edge has answered; it is
    # no step of the flow.
    cdn, lookup, app = (
        s for s in lab.spans if s["flow"] == "images-then-app" and s["from"] == "users"
    )
    assert lookup["start_ms"] == cdn["end_ms"]
    assert app["start_ms"] == lookup["end_ms"]
    assert (cdn["step"], lookup["step"], app["step"]) == (0, None, 2)


# ---------------------------------------------------------------------- Route 53 billing


def test_route53_bills_the_queries_dns_queries_counts() -> None:
    """Resolver TTL 10 s; sessions at 1, 2, 5, 12, 13 and 30 s: queries at 1, 12 and 30 s,
    three answers from the resolver's cache. The bill charges the three, as the metric
    says, not the six resolves."""
    model = lab_model(
        [dns(ttl_s=10, routing="latency"), APP],
        [
            {"from": "users", "to": "dns", "operations": ["Resolve"]},
            {"from": "users", "to": "app", "operations": ["Invoke"]},
        ],
        [
            {"from": "users", "to": "dns", "op": "Resolve"},
            {"from": "users", "to": "app", "op": "Invoke"},
        ],
        client={"locations": [{"id": "here", "latency_ms": {"r1": 10}}]},
        duration_s=60,
    )
    lab = run_lab(model, [1.0, 2.0, 5.0, 12.0, 13.0, 30.0])
    resolves = lab.on("dns", "Resolve")
    assert [s["attrs"].get("resolver") for s in resolves] == [
        None,
        "cached",
        "cached",
        None,
        "cached",
        None,
    ]
    assert lab.total("dns", "DNSQueries") == 3
    assert lab.summary("dns")["queries"] == {"here": 3}
    entry = {**lab.summary("dns"), "calls": {"Resolve": {"n": len(resolves), "ms": 0.0}}}
    cost = price_run(model, {"dns": entry}, scale=1.0, duration_s=60)
    [queries] = [
        line for line in cost["nodes"]["dns"]["lines"] if line["item"] == "route53.query.latency"
    ]
    assert queries["quantity"] == lab.total("dns", "DNSQueries") == 3
    assert queries["quantity"] * queries["unit_usd"] == pytest.approx(3 * 0.60 / 1e6)


def test_a_shrunk_runs_queries_are_scaled_as_a_resolver_cache_misses() -> None:
    """A resolver of TTL T asked at rate λ misses λ·D / (1 + λ·T) times in D seconds: the
    run's misses give its rate, the real one is that over the scale. TTL 60 s, an hour,
    scale 0.5: 30 misses are a run rate of 1/60 per second, a real one of 1/30, so 40 real
    queries, not 60; a resolver that asked whenever its answer expired stays as it is."""
    model = lab_model(
        [dns(ttl_s=60), APP],
        [{"from": "users", "to": "dns", "operations": ["Resolve"]}],
        [{"from": "users", "to": "dns", "op": "Resolve"}],
    )

    def billed(queries: dict[str, int], scale: float) -> float:
        cost = price_run(model, {"dns": {"queries": queries}}, scale=scale, duration_s=3600)
        return float(cost["nodes"]["dns"]["lines"][0]["quantity"])

    assert billed({"quiet": 30}, 1.0) == 30
    assert billed({"quiet": 30}, 0.5) == pytest.approx(40)
    assert billed({"busy": 60}, 0.5) == 60
    assert billed({"quiet": 30, "busy": 60}, 0.5) == pytest.approx(100)
    assert billed({}, 0.5) == 0
