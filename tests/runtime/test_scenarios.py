"""The reference model's scenarios tell the article's story.

Expectations come from the model (fault windows, DNS timers, the surge's shape); node ids
are looked up from it, never assumed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from archgen.model import LoadedModel, load_model
from archgen.model.schema import Model, SpikeShape
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario
from tests.scales import quick_scale


@cache
def _reference() -> Model:
    return load_model().model


@cache
def _run(scenario: str, duration_s: float | None = None, spans: bool = False) -> RunResult:
    return run_scenario(
        _reference(),
        scenario,
        duration_s=duration_s,
        scale=quick_scale(scenario),
        keep_spans=spans,
    )


def _five_xx(cause: str) -> bool:
    error = cause.rsplit(":", 1)[-1]
    return error[:1] == "5" or error == "ServiceUnavailable"


def _user_flows(model: Model) -> list[str]:
    return [flow.id for flow in model.flows if flow.user_facing]


def test_prime_day_is_a_surge_of_at_least_ten_times(reference: LoadedModel) -> None:
    shape = reference.model.scenarios_by_id["prime-day"].traffic.shape
    assert isinstance(shape, SpikeShape)
    assert shape.factor >= 10


def test_prime_day_scales_out_recovers_and_ends_without_5xx(reference: LoadedModel) -> None:
    model = reference.model
    scenario = model.scenarios_by_id["prime-day"]
    shape = scenario.traffic.shape
    assert isinstance(shape, SpikeShape)
    summary = _run("prime-day").summary
    fleets = summary["instances"]
    assert any(f["peak_in_service"] > f["initial"] for f in fleets.values()), fleets
    # p99 recovers: after the surge's rise plus launch and warm-up, every user-facing flow
    # is back under its SLO latency for the rest of the hold.
    recovered_at = (
        shape.at_s
        + shape.rise_s
        + max(
            node.params.autoscaling.launch_s + node.params.autoscaling.warmup_s
            for node in model.nodes
            if node.kind == "ec2"
        )
        + 2 * summary_period(summary)
    )
    hold_end = shape.at_s + shape.rise_s + shape.hold_s
    for flow in model.flows:
        if not flow.user_facing or flow.slo is None or flow.slo.latency is None:
            continue
        late = [
            p
            for p in summary["flows"][flow.id]["timeline"]
            if recovered_at <= p["t_s"] < hold_end and p["p99_ms"] is not None
        ]
        assert late, flow.id
        assert max(p["p99_ms"] for p in late) <= flow.slo.latency.threshold_ms, flow.id
    # No 5xx at the end (after the surge).
    end = [
        p
        for f in _user_flows(model)
        for p in summary["flows"][f]["timeline"]
        if p["t_s"] >= hold_end
    ]
    assert end
    assert sum(p["failed"] for p in end) == 0


def summary_period(summary: dict[str, Any]) -> float:
    timeline = next(iter(summary["flows"].values()))["timeline"]
    return timeline[1]["t_s"] - timeline[0]["t_s"] if len(timeline) > 1 else 60.0


def test_prime_day_serves_the_surge(reference: LoadedModel) -> None:
    """Users keep completing flows at the surge's rate, through declared edges only."""
    model = reference.model
    shape = model.scenarios_by_id["prime-day"].traffic.shape
    assert isinstance(shape, SpikeShape)
    summary = _run("prime-day").summary
    assert summary["violations"] == 0
    entry = next(flow.id for flow in model.flows if flow.user_facing)
    timeline = summary["flows"][entry]["timeline"]
    before = [p["ok"] + p["failed"] for p in timeline if p["t_s"] < shape.at_s]
    hold_start = shape.at_s + shape.rise_s + 120  # sessions already inside keep coming
    hold_end = shape.at_s + shape.rise_s + shape.hold_s
    during = [p["ok"] + p["failed"] for p in timeline if hold_start <= p["t_s"] < hold_end]
    assert before
    assert during
    ratio = (sum(during) / len(during)) / (sum(before) / len(before))
    assert ratio >= 0.7 * shape.factor


def test_s3_outage_breaks_uncached_images_and_spares_checkout(reference: LoadedModel) -> None:
    model = reference.model
    scenario = model.scenarios_by_id["s3-outage"]
    (fault,) = scenario.faults
    assert fault.end_s is not None
    bucket = fault.target
    cdns = {
        n.id
        for n in model.nodes
        if n.kind == "cloudfront" and any(o.target == bucket for o in n.params.origins)
    }
    assert cdns
    result = _run("s3-outage", fault.end_s + 60, True)
    inside = [
        s
        for s in result.spans
        if s["node"] in cdns
        and fault.start_s * 1000 <= s["start_ms"]
        and s["end_ms"] < fault.end_s * 1000
    ]
    hits = [s for s in inside if s["attrs"].get("cache") == "hit"]
    misses = [s for s in inside if s["attrs"].get("cache") in ("miss", "expired")]
    assert len(hits) > 100
    assert len(misses) > 10
    assert all(s["status"] == "ok" for s in hits)  # cached images still load
    assert all(s["status"] == "error" for s in misses)  # the others are broken
    before = [s for s in result.spans if s["node"] in cdns and s["end_ms"] < fault.start_s * 1000]
    assert all(s["status"] == "ok" for s in before)
    # Flows that never touch the bucket are unaffected.
    touching = {f.id for f in model.flows if any(st.target == bucket for st in f.steps)}
    summary = result.summary
    for flow in _user_flows(model):
        if flow not in touching and summary["flows"][flow]["completed"]:
            assert summary["flows"][flow]["availability"] == 1.0, flow
    assert summary["flows"]["checkout"]["completed"] > 0
    assert summary["flows"]["checkout"]["availability"] == 1.0
    broken = sum(
        count
        for cause, count in summary["errors_by_cause"].items()
        if cause.startswith(f"{bucket}:")
    )
    assert broken == sum(summary["errors_by_cause"].values()) > 0


def test_region_failure_moves_traffic_within_interval_times_threshold_plus_ttl(
    reference: LoadedModel,
) -> None:
    model = reference.model
    scenario = model.scenarios_by_id["region-failure"]
    (fault,) = scenario.faults
    failed_region = fault.target
    dns = next(
        n
        for n in model.nodes
        if n.kind == "route53" and any(r.region == failed_region for r in n.params.records)
    )
    params = dns.params
    moved_by = (
        fault.start_s + params.health_check_interval_s * params.failure_threshold + params.ttl_s
    )
    result = _run("region-failure", moved_by + 120, True)
    spans = result.spans
    transitions = result.summary["nodes"][dns.id]["transitions"]
    failed_record = next(r for r in params.records if r.region == failed_region).target
    down = [t for t in transitions if t["record"] == failed_record and not t["healthy"]]
    assert down
    assert (
        down[0]["t_s"] <= fault.start_s + params.health_check_interval_s * params.failure_threshold
    )
    answers = [
        s
        for s in spans
        if s["node"] == dns.id
        and s["op"] != "UpdateHealthCheck"
        and s["start_ms"] >= moved_by * 1000
    ]
    assert answers
    assert {s["attrs"]["region"] for s in answers} == {
        r.region for r in params.records if r.region != failed_region
    }
    # Flows that start after the move reach the load balancers of the other region only
    # (Route 53's own health checks keep probing the failed one: flow-less spans).
    first_start: dict[str, float] = {}
    for span in spans:
        first_start[span["trace"]] = min(first_start.get(span["trace"], 1e18), span["start_ms"])
    targets = {r.target for r in params.records}
    late = [
        s
        for s in spans
        if s["parent"] is None
        and s["flow"] is not None
        and s["node"] in targets | {n.id for n in model.nodes if n.replica_of in targets}
        and first_start[s["trace"]] >= moved_by * 1000
    ]
    assert late
    assert failed_record not in {s["node"] for s in late}
    assert all(s["status"] == "ok" for s in late)


def test_ddos_is_blocked_and_shoppers_carry_on(reference: LoadedModel) -> None:
    model = reference.model
    attack = model.scenarios_by_id["ddos"].traffic.attack
    assert attack is not None
    assert attack.end_s is not None
    summary = _run("ddos", attack.end_s + 60).summary
    assert summary["attack"]["requests"] > 1000
    assert summary["attack"]["blocked"] / summary["attack"]["requests"] >= 0.9
    waf = next(n.id for n in model.nodes if n.kind == "waf" and attack.target in n.params.protects)
    blocks = [b for b in summary["nodes"][waf]["blocks"] if b["action"] == "block"]
    assert blocks
    assert all(b["source"].startswith("attacker-") for b in blocks)
    legitimate = sum(summary["flows"][f]["ok"] for f in _user_flows(model))
    total = sum(summary["flows"][f]["completed"] for f in _user_flows(model))
    assert legitimate / total >= 0.999
