"""``--export otlp`` is OTLP/JSON the OpenTelemetry Collector reads: every line parses into
opentelemetry-proto's ``TracesData`` / ``MetricsData`` with protobuf's own JSON parser
(unknown fields refused), once OTLP's hex ids are turned into the bytes proto3 JSON wants;
ids, parents, hand-off links, kinds, statuses, times and counts are pinned."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import MetricsData
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status, TracesData

from archgen.runtime.export.common import EPOCH_UNIX_S
from tests.export.conftest import handoffs

IDS = ("traceId", "spanId", "parentSpanId")
RUN_KEY = "516be1ffa47c7a39"  # sha256 of "tiny-jobs\0steady\05", first 8 bytes


def _bytes_ids(value: Any) -> Any:
    """OTLP/JSON's hex ids as proto3 JSON's base64 (the one deviation OTLP/JSON makes)."""
    if isinstance(value, dict):
        return {
            key: base64.b64encode(bytes.fromhex(item)).decode() if key in IDS else _bytes_ids(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_bytes_ids(item) for item in value]
    return value


def _parse_traces(path: Path) -> list[TracesData]:
    messages = []
    for line in path.read_text().splitlines():
        raw = json.loads(line)
        for resource in raw["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                for span in scope["spans"]:
                    assert len(span["traceId"]) == 32
                    assert len(span["spanId"]) == 16
                    assert span["traceId"] == span["traceId"].lower()
        messages.append(
            json_format.Parse(
                json.dumps(_bytes_ids(raw)), TracesData(), ignore_unknown_fields=False
            )
        )
    return messages


def _attrs(values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        assert isinstance(item, KeyValue)
        kind = item.value.WhichOneof("value")
        out[item.key] = getattr(item.value, kind)
    return out


@pytest.fixture(scope="module")
def traces(run_folder: Path) -> list[TracesData]:
    return _parse_traces(run_folder / "traces.otlp.jsonl")


@pytest.fixture(scope="module")
def by_id(traces: list[TracesData]) -> dict[bytes, tuple[str, Span]]:
    """span id → (the node it ran on, the span)."""
    found: dict[bytes, tuple[str, Span]] = {}
    for message in traces:
        for resource in message.resource_spans:
            node = _attrs(resource.resource.attributes)["service.name"]
            for scope in resource.scope_spans:
                assert scope.scope.name == "archgen"
                for span in scope.spans:
                    assert span.span_id not in found
                    found[span.span_id] = (node, span)
    return found


def test_every_span_parses_with_its_ids_and_times(
    traces: list[TracesData], by_id: dict[bytes, tuple[str, Span]], spans: list[dict[str, Any]]
) -> None:
    assert len(traces) == 3  # lines of up to 1,000 spans
    assert len(by_id) == len(spans) == 2895
    for record in spans:
        node, span = by_id[int(record["span"][1:]).to_bytes(8, "big")]
        assert node == record["node"]
        assert span.name == record["op"]
        assert span.trace_id.hex() == RUN_KEY + f"{int(record['trace'][1:]):016x}"
        start = EPOCH_UNIX_S * 10**9 + round(record["start_ms"] * 1000) * 1000
        assert span.start_time_unix_nano == start
        assert (
            span.end_time_unix_nano == EPOCH_UNIX_S * 10**9 + round(record["end_ms"] * 1000) * 1000
        )
    assert len({span.trace_id for _, span in by_id.values()}) == 954


def test_parents_stay_in_their_trace_and_hand_offs_become_links(
    by_id: dict[bytes, tuple[str, Span]], spans: list[dict[str, Any]]
) -> None:
    linked = [(node, span) for node, span in by_id.values() if span.links]
    assert len(linked) == len(handoffs(spans)) == 262
    for node, span in linked:
        assert (node, span.name, span.kind, span.parent_span_id) == (
            "worker",
            "Invoke",
            Span.SPAN_KIND_CONSUMER,
            b"",  # it starts its own trace
        )
        (link,) = span.links
        sender_node, sender = by_id[link.span_id]
        assert sender.trace_id == link.trace_id != span.trace_id
        assert (sender_node, sender.name, sender.kind) == (
            "jobs",
            "SendMessage",
            Span.SPAN_KIND_PRODUCER,  # api → jobs is an asynchronous edge
        )
        assert _attrs(link.attributes) == {"archgen.link": "hand-off"}
    with_parent = [span for _, span in by_id.values() if span.parent_span_id]
    assert len(with_parent) == sum(1 for s in spans if s["parent"]) - 262
    for span in with_parent:
        assert by_id[span.parent_span_id][1].trace_id == span.trace_id


def test_kinds_statuses_and_attributes(
    by_id: dict[bytes, tuple[str, Span]], spans: list[dict[str, Any]]
) -> None:
    kinds = [span.kind for _, span in by_id.values()]
    assert kinds.count(Span.SPAN_KIND_CONSUMER) == 262
    assert kinds.count(Span.SPAN_KIND_PRODUCER) == sum(
        1
        for s in spans
        if (s["from"], s["node"]) in {("api", "jobs"), ("events", "sms"), ("events", "mail")}
    )
    errors = [span for _, span in by_id.values() if span.status.code == Status.STATUS_CODE_ERROR]
    assert len(errors) == sum(1 for s in spans if s["status"] == "error") == 121
    assert {span.status.message for span in errors} == {"TooManyRequestsException"}
    assert all(
        span.status.code == Status.STATUS_CODE_OK
        for _, span in by_id.values()
        if span not in errors
    )
    node, first = by_id[(4).to_bytes(8, "big")]
    assert node == "api"  # the first job taken: a cold start
    assert _attrs(first.attributes) == {
        "archgen.flow": "submit",
        "archgen.journey": "use",
        "archgen.session": 1,
        "archgen.span": "s000000004",
        "archgen.step": 0,
        "archgen.trace": "t00000004",
        "cold_start": True,
        "init_ms": 100.0,
        "peer.service": "caller",
    }


def test_each_node_is_a_resource_with_cloud_attributes(traces: list[TracesData]) -> None:
    resources = {}
    for message in traces:
        for resource in message.resource_spans:
            attrs = _attrs(resource.resource.attributes)
            resources[attrs["service.name"]] = attrs
    assert sorted(resources) == ["api", "events", "jobs", "mail", "sms", "store", "worker"]
    assert resources["worker"] == {
        "archgen.kind": "lambda",
        "archgen.scenario": "steady",
        "archgen.seed": 5,
        "cloud.account.id": "123456789012",
        "cloud.provider": "aws",
        "cloud.region": "eu-west-1",
        "cloud.resource_id": "arn:aws:lambda:eu-west-1:123456789012:function:worker",
        "service.name": "worker",
        "service.namespace": "tiny-jobs",
    }
    assert resources["store"] == {  # an external service: no cloud
        "archgen.kind": "external",
        "archgen.scenario": "steady",
        "archgen.seed": 5,
        "service.name": "store",
        "service.namespace": "tiny-jobs",
    }


def test_metrics_parse_as_metrics_data(
    run_folder: Path, metric_lines: list[dict[str, Any]]
) -> None:
    lines = (run_folder / "metrics.otlp.jsonl").read_text().splitlines()
    messages = [
        json_format.Parse(line, MetricsData(), ignore_unknown_fields=False) for line in lines
    ]
    metrics: dict[tuple[str, str], Any] = {}
    for message in messages:
        (resource,) = message.resource_metrics
        node = _attrs(resource.resource.attributes)["service.name"]
        (scope,) = resource.scope_metrics
        for metric in scope.metrics:
            metrics[(node, metric.name)] = (scope.scope.name, metric)
    assert sorted({node for node, _ in metrics}) == [
        "api",
        "events",
        "jobs",
        "jobs-dlq",
        "worker",
    ]
    namespace, invocations = metrics[("api", "Invocations")]
    assert (namespace, invocations.unit, invocations.WhichOneof("data")) == (
        "AWS/Lambda",
        "1",
        "sum",
    )
    assert invocations.sum.aggregation_temporality == 1  # delta: one period each
    assert invocations.sum.is_monotonic
    api = [line for line in metric_lines if line["node"] == "api"]
    assert [p.as_int for p in invocations.sum.data_points] == [line["Invocations"] for line in api]
    assert [(p.start_time_unix_nano, p.time_unix_nano) for p in invocations.sum.data_points] == [
        ((EPOCH_UNIX_S + 0) * 10**9, (EPOCH_UNIX_S + 60) * 10**9),
        ((EPOCH_UNIX_S + 60) * 10**9, (EPOCH_UNIX_S + 120) * 10**9),
    ]
    _, duration = metrics[("worker", "Duration")]
    assert (duration.unit, duration.WhichOneof("data")) == ("ms", "summary")
    worker = [line for line in metric_lines if line["node"] == "worker"]
    for point, line in zip(duration.summary.data_points, worker, strict=True):
        figures = line["Duration"]
        assert point.count == figures["n"]
        assert point.sum == pytest.approx(figures["avg"] * figures["n"])
        assert [(q.quantile, q.value) for q in point.quantile_values] == [
            (0.99, figures["p99"]),
            (1.0, figures["max"]),
        ]
    _, visible = metrics[("jobs", "ApproximateNumberOfMessagesVisible")]
    assert visible.WhichOneof("data") == "gauge"
