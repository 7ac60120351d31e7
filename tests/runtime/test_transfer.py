"""Object size → transfer time: an answer that carries an object reaches its caller after
size ÷ the lower of the service's per-connection throughput and the caller's own link.

One tiny model per test (a client, a bucket, maybe a distribution), users sent at chosen
instants and every latency constant, so each span's duration is known to the microsecond.
"""

from __future__ import annotations

from typing import Any

import pytest

from archgen.runtime.fluid import Fidelity

from .metrics_lab import lab_model, run_lab

MB_500 = 500_000  # KB, as the trial's uploads declare it
S3_MBPS = 680.0  # AWS: 85–90 MB/s per connection


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def moved_ms(size_kb: float, mbps: float) -> float:
    """KB × 1,024 bytes × 8 bits ÷ (Mbit/s × 10^6), in ms."""
    return round(size_kb * 1024 * 8 / (mbps * 1e6) * 1000, 3)


def bucket_model(
    size_kb: float, ops: list[str], *, client: dict[str, Any] | None = None, duration_s: float = 400
) -> Any:
    bucket = {
        "id": "bucket",
        "kind": "s3",
        "group": "r1",
        "params": {"objects": 10, "object_size_kb": size_kb, "get": const(30), "put": const(45)},
    }
    return lab_model(
        [bucket],
        [{"from": "users", "to": "bucket", "operations": ops}],
        [{"from": "users", "to": "bucket", "op": op, "key": "trace"} for op in ops],
        client=client,
        duration_s=duration_s,
    )


def spans(lab: Any, node: str) -> list[tuple[str, float, str | None, float | None]]:
    return [
        (s["op"], round(s["end_ms"] - s["start_ms"], 3), s["error"], s["attrs"].get("transfer_ms"))
        for s in lab.on(node)
    ]


def test_a_500_mb_put_takes_at_least_its_size_over_s3s_per_connection_throughput() -> None:
    """No client bandwidth declared: S3's 680 Mbit/s bounds it, 500,000 KB in 6,023.529 ms
    on top of the 45 ms put (before: 45 ms, as if the object had no size)."""
    lab = run_lab(bucket_model(MB_500, ["PutObject", "GetObject"]), [1.0])
    transfer = moved_ms(MB_500, S3_MBPS)
    assert transfer == 6023.529
    assert spans(lab, "bucket") == [
        ("PutObject", 45 + transfer, None, transfer),
        ("GetObject", 30 + transfer, None, transfer),
    ]
    assert spans(lab, "bucket")[0][1] >= MB_500 * 1024 * 8 / (S3_MBPS * 1e6) * 1000


def test_the_users_uplink_bounds_an_upload_and_their_timeout_does_not_count_it() -> None:
    """A 20 Mbit/s uplink moves 500,000 KB in 204.8 s; the client's 10 s timeout is a wait
    for the answer, so the upload succeeds. Their 100 Mbit/s downlink bounds the GET."""
    client = {"timeout_ms": 10_000, "uplink_mbps": 20, "downlink_mbps": 100}
    lab = run_lab(bucket_model(MB_500, ["PutObject", "GetObject"], client=client), [1.0])
    assert spans(lab, "bucket") == [
        ("PutObject", 45 + 204_800.0, None, 204_800.0),
        ("GetObject", 30 + 40_960.0, None, 40_960.0),
    ]
    # A link faster than S3's connection leaves S3's rate in force.
    fast = {"uplink_mbps": 10_000}
    lab = run_lab(bucket_model(MB_500, ["PutObject"], client=fast), [1.0])
    assert spans(lab, "bucket") == [("PutObject", 45 + 6023.529, None, 6023.529)]


def test_a_small_objects_latency_is_unchanged_to_the_hundredth_of_a_millisecond() -> None:
    lab = run_lab(bucket_model(1, ["PutObject", "GetObject"]), [1.0])
    assert spans(lab, "bucket") == [
        ("PutObject", 45.012, None, 0.012),
        ("GetObject", 30.012, None, 0.012),
    ]


def test_operations_that_move_no_object_and_failed_answers_take_no_transfer() -> None:
    model = bucket_model(MB_500, ["DeleteObject", "ListObjectsV2"])
    lab = run_lab(model, [1.0])
    assert spans(lab, "bucket") == [
        ("DeleteObject", 45.0, None, None),
        ("ListObjectsV2", 30.0, None, None),
    ]
    bucket = {
        "id": "bucket",
        "kind": "s3",
        "group": "r1",
        "params": {"objects": 0, "object_size_kb": MB_500, "get": const(30)},
    }
    missing = lab_model(
        [bucket],
        [{"from": "users", "to": "bucket", "operations": ["GetObject"]}],
        [{"from": "users", "to": "bucket", "op": "GetObject"}],
    )
    assert spans(run_lab(missing, [1.0]), "bucket") == [("GetObject", 30.0, "NoSuchKey", None)]


def cdn_model(downlink_mbps: float | None) -> Any:
    client = {} if downlink_mbps is None else {"downlink_mbps": downlink_mbps}
    return lab_model(
        [
            {
                "id": "cdn",
                "kind": "cloudfront",
                "params": {"hit": const(10), "origins": [{"target": "segments"}]},
            },
            {
                "id": "segments",
                "kind": "s3",
                "group": "r1",
                "params": {"objects": 100, "object_size_kb": 2000, "get": const(30)},
            },
        ],
        [
            {"from": "users", "to": "cdn", "operations": ["GET /segments"]},
            {"from": "cdn", "to": "segments", "operations": ["GetObject"]},
        ],
        [
            {"from": "users", "to": "cdn", "op": "GET /segments"},
            {"from": "cdn", "to": "segments", "op": "GetObject", "when": "cache_miss"},
        ],
        client=client,
        items={"count": 10, "categories": 1},
    )


def test_a_cdn_answer_reaches_the_viewer_at_their_downlink_and_a_miss_pays_the_origin_too() -> None:
    """2,000 KB segments: at 25 Mbit/s a viewer receives one in 655.36 ms (before: a hit
    took the 10 ms hit latency whatever the size). A miss first moves it from S3 to the
    edge at 680 Mbit/s (24.094 ms) after S3's 30 ms: store and forward."""
    lab = run_lab(cdn_model(25), [1.0 + i for i in range(30)])
    viewer = moved_ms(2000, 25)
    origin = moved_ms(2000, S3_MBPS)
    assert (viewer, origin) == (655.36, 24.094)
    assert set(spans(lab, "segments")) == {("GetObject", 30 + origin, None, origin)}
    answered = {
        (s["attrs"]["cache"], round(s["end_ms"] - s["start_ms"], 3), s["attrs"]["transfer_ms"])
        for s in lab.on("cdn")
    }
    assert answered == {
        ("miss", round(30 + origin + viewer, 3), viewer),
        ("hit", 10 + viewer, viewer),
    }
    # No downlink declared: CloudFront sets no per-connection limit, so a hit is as before.
    lab = run_lab(cdn_model(None), [1.0 + i for i in range(30)])
    hits = [s for s in lab.on("cdn") if s["attrs"]["cache"] == "hit"]
    assert hits
    assert {(round(s["end_ms"] - s["start_ms"], 3), "transfer_ms" in s["attrs"]) for s in hits} == {
        (10.0, False)
    }


def test_hybrid_fidelity_moves_objects_in_the_same_time() -> None:
    """The transfer is added where every node ends a request, the same code in both
    fidelities: a traced upload in a hybrid run takes exactly what it takes in a full one."""
    from archgen.runtime.run import build, start
    from archgen.runtime.trace import SpanSink
    from archgen.runtime.traffic import model_journey

    model = bucket_model(MB_500, ["PutObject", "GetObject"], client={"uplink_mbps": 20})
    found: dict[str, list[Any]] = {}
    for fidelity in (Fidelity(), Fidelity("hybrid", 0.5)):
        sink = SpanSink(None, keep=True)
        sim, traffic = build(
            model,
            model.scenarios[0],
            seed=1,
            scale=1.0,
            duration_s=400,
            sink=sink,
            fidelity=fidelity,
        )
        start(sim, traffic, 400)
        journey = model_journey(model, "go")
        sim.kernel.at(1000, lambda _, t=traffic, j=journey: t.start_session(j))
        sim.kernel.run(400_000)
        found[fidelity.mode] = [
            (s["op"], round(s["end_ms"] - s["start_ms"], 3), s["attrs"].get("transfer_ms"))
            for s in sink.records
            if s["node"] == "bucket"
        ]
    assert (
        found["full"]
        == found["hybrid"]
        == [
            ("PutObject", 45 + 204_800.0, 204_800.0),
            ("GetObject", 30 + 6023.529, 6023.529),
        ]
    )


@pytest.mark.parametrize("size_kb", [200, 2000])
def test_the_same_seed_gives_the_same_spans(size_kb: float) -> None:
    first = spans(run_lab(bucket_model(size_kb, ["PutObject"]), [1.0, 1.5]), "bucket")
    assert first == spans(run_lab(bucket_model(size_kb, ["PutObject"]), [1.0, 1.5]), "bucket")


def test_the_check_judges_a_long_upload_as_the_run_did(tmp_path: Any) -> None:
    """50,000 KB over a 20 Mbit/s uplink take 20.48 s, twice the client's 10 s timeout:
    neither the run nor the check (which recomputes timeouts from the spans) fails them."""
    import yaml

    from archgen.model import load_model_text
    from archgen.runtime.check.conformance import Conformance
    from archgen.runtime.check.report import FindingSink
    from archgen.runtime.check.rules import DYNAMIC_RULES
    from archgen.runtime.check.spans import RunFolder
    from archgen.runtime.session import run_scenario

    data = {
        "archgen": 1,
        "system": {"id": "uploads", "name": "Uploads"},
        "groups": [{"id": "r1", "kind": "region", "code": "eu-west-1"}],
        "nodes": [
            {"id": "users", "kind": "client", "params": {"uplink_mbps": 20}},
            {
                "id": "bucket",
                "kind": "s3",
                "group": "r1",
                "params": {"object_size_kb": 50_000, "put": const(45)},
            },
        ],
        "edges": [{"from": "users", "to": "bucket", "operations": ["PutObject"]}],
        "flows": [
            {
                "id": "upload",
                "title": "Upload",
                "steps": [{"from": "users", "to": "bucket", "op": "PutObject", "key": "trace"}],
            }
        ],
        "journeys": [{"id": "go", "title": "Go", "flows": [{"flow": "upload"}]}],
        "scenarios": [
            {
                "id": "quiet",
                "title": "Quiet",
                "duration_s": 200,
                "warmup_s": 0,
                "traffic": {"sessions_per_s": 0.2, "mix": {"go": 1}},
            }
        ],
    }
    loaded = load_model_text(yaml.safe_dump(data, sort_keys=False), "uploads.yaml")
    result = run_scenario(loaded.model, "quiet", out=tmp_path)
    stats = result.summary["flows"]["upload"]
    assert stats["failed"] == 0
    assert stats["ok"] > 10
    assert stats["p50_ms"] == pytest.approx(45 + 20_480.0, abs=0.01)
    conformance = Conformance(
        loaded, FindingSink(loaded, "quiet", DYNAMIC_RULES), scenario="quiet", warmup_ms=0
    )
    conformance.add(RunFolder.open(tmp_path).spans())
    samples = conformance.flow_samples()["upload"]
    assert (samples.ok, samples.failed) == (stats["ok"], 0)
