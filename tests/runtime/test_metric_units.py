"""Metrics in real units (trial 28, item 2): a run that simulates a share of the real
traffic (``scale`` below 1, or hybrid fidelity tracing a sample of the sessions) publishes
its CloudWatch metrics in the real system's units, the units alarm thresholds are written
in, so the same alarm on the same traffic gives the same state at any scale and sample.

Before, a count was the simulated count: ``Count`` of an API at ``--sample 0.1`` read a
tenth of the real requests, and an alarm at 20,000 a minute stayed OK where the same run at
``--sample 1`` went to ALARM."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from archgen.model import load_model_text
from archgen.model.kind import Extent
from archgen.model.registry import kinds
from archgen.runtime.fluid import Fidelity
from archgen.runtime.metrics import MetricStore
from archgen.runtime.session import run_scenario
from tests.runtime.metrics_lab import lab_model, run_lab


def const(ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": ms}


def busy_function() -> Any:
    """Users invoke a function that runs one second; a CloudWatch alarm fires when it runs
    more than three times a minute."""
    return lab_model(
        [
            {
                "id": "fn",
                "kind": "lambda",
                "group": "r1",
                "params": {
                    "duration": const(1000),
                    "cold_start": const(0),
                    "reserved_concurrency": 100,
                },
            },
            {
                "id": "watch",
                "kind": "cloudwatch",
                "params": {
                    "metrics": [{"id": "runs", "node": "fn", "name": "Invocations"}],
                    "alarms": [{"id": "busy", "metric": "runs", "threshold": 3}],
                },
            },
        ],
        [{"from": "users", "to": "fn", "operations": ["Invoke"]}],
        [{"from": "users", "to": "fn", "op": "Invoke"}],
    )


@pytest.mark.parametrize(("scale", "users"), [(1.0, 4), (0.5, 2), (0.25, 1)])
def test_a_count_at_a_share_of_the_traffic_is_published_for_the_whole(
    scale: float, users: int
) -> None:
    """Four real invocations in the first minute: at scale 0.5 the run simulates two, at
    0.25 one, and every metric reads the real system's figures: ``Invocations`` 4 (a
    traffic count, ÷ the scale), ``ConcurrentExecutions`` 4 (environments of the
    function's concurrency, simulated at the scale too), ``Duration`` 1000 ms (a time:
    as measured). The alarm above 3 invocations a minute fires at every scale (before: at
    scale 0.5 it read 2 and stayed OK)."""
    lab = run_lab(busy_function(), [1.0 + i / 1000 for i in range(users)], scale=scale)
    assert lab.points("fn", "Invocations") == [4]
    assert lab.points("fn", "ConcurrentExecutions") == [4.0, 0.0]
    assert lab.points("fn", "Duration") == [
        {"avg": 1000.0, "max": 1000.0, "n": users, "p99": 1000.0}
    ]
    assert lab.value("fn", "Invocations", "Sum") == 0.0  # the second minute: none
    history = lab.summary("watch")["alarm_history"]
    assert history == [
        {"t_s": 60.0, "alarm": "busy", "from": "INSUFFICIENT_DATA", "to": "ALARM"},
        {"t_s": 120.0, "alarm": "busy", "from": "ALARM", "to": "OK"},
    ]


API = """
archgen: 1
system: {id: units, name: Units}
groups: [{id: r1, kind: region, code: eu-west-1}]
nodes:
  - {id: users, kind: client}
  - id: api
    kind: apigateway
    group: r1
  - id: fn
    kind: lambda
    group: r1
    params:
      duration: {distribution: constant, mean_ms: 20}
      cold_start: {distribution: constant, mean_ms: 0}
  - id: watch
    kind: cloudwatch
    params:
      metrics: [{id: requests, node: api, name: Count}]
      alarms: [{id: api-busy, metric: requests, threshold: 300}]
edges:
  - {from: users, to: api, operations: ["GET /items"]}
  - {from: api, to: fn, operations: [Invoke]}
flows:
  - id: browse
    title: Browse
    steps:
      - {from: users, to: api, op: "GET /items"}
      - {from: api, to: fn, op: Invoke}
journeys: [{id: go, title: Go, flows: [{flow: browse}]}]
scenarios:
  - id: steady
    title: Steady
    duration_s: 180
    warmup_s: 0
    seed: 3
    traffic: {sessions_per_s: 10, mix: {go: 1}}
"""


def api_run(sample: float) -> tuple[list[float], dict[str, Any]]:
    """The API's ``Count`` per minute and the alarm's state, tracing ``sample`` of the
    sessions."""
    model = load_model_text(API, "units.yaml").model
    result = run_scenario(model, "steady", fidelity=Fidelity("hybrid", sample))
    sim = result.simulation
    assert sim is not None
    counts = [
        float(line["Count"])
        for line in map(yaml.safe_load, sim.metrics.lines)
        if line["node"] == "api"
    ]
    return counts, result.summary["nodes"]["watch"]


@pytest.mark.parametrize("sample", [1.0, 0.2])
def test_the_same_alarm_fires_at_any_sample_of_the_same_traffic(sample: float) -> None:
    """600 requests a minute, an alarm above 300: the API's ``Count`` is the real system's
    at any sample (a fifth traced: 120 simulated a minute, published as about 600, within
    its Poisson noise), and the alarm goes to ALARM at both samples (before: at 0.2 it read
    about 120 and stayed OK)."""
    counts, watch = api_run(sample)
    assert len(counts) == 3
    assert all(480 <= count <= 720 for count in counts), counts
    assert watch["alarms"] == {"api-busy": "ALARM"}
    assert watch["alarm_history"][0] == {
        "t_s": 60.0,
        "alarm": "api-busy",
        "from": "INSUFFICIENT_DATA",
        "to": "ALARM",
    }


def test_the_store_divides_each_metric_by_the_scale_its_extent_is_simulated_at() -> None:
    """Hybrid fidelity at scale 1 tracing 0.1: a traffic count ÷ 0.1, busy environments
    (a pool of real size) as counted, a time as measured, except the statistics that
    count its datapoints (one per invocation): ``SampleCount`` and ``Sum`` ÷ 0.1."""
    store = MetricStore(60.0, {"fn": kinds()["lambda"].metrics}, traced_scale=0.1, system_scale=1.0)
    store.emit("fn", "Invocations", 3)
    store.emit("fn", "ConcurrentExecutions", 7)
    store.emit("fn", "Duration", 12.5)
    store.close(60.0)
    assert store.lines == [
        '{"ConcurrentExecutions": 7.0, "Duration": {"avg": 12.5, "max": 12.5, "n": 1, '
        '"p99": 12.5}, "Invocations": 30, "node": "fn", "t_s": 60.0}'
    ]
    assert store.value("fn", "Invocations", "Sum") == 30.0
    assert store.value("fn", "ConcurrentExecutions", "Maximum") == 7.0
    assert store.value("fn", "ConcurrentExecutions", "SampleCount") == 1  # one level a period
    assert store.value("fn", "Duration", "Average") == 12.5
    assert store.value("fn", "Duration", "p99") == 12.5
    assert store.value("fn", "Duration", "SampleCount") == 10.0
    assert store.value("fn", "Duration", "Sum") == 125.0


def test_every_count_grows_with_the_traffic_unless_it_counts_servers() -> None:
    """The classification the guide's table shows: counts and bytes are traffic, except
    the servers' and instances' counts; percentages, times and statuses are intensive."""
    servers = {
        (spec.name, metric.name)
        for spec in kinds().values()
        for metric in spec.metrics.metrics
        if metric.extent is Extent.servers
    }
    assert servers == {
        ("alb", "HealthyHostCount"),
        ("alb", "UnHealthyHostCount"),
        ("ecs", "RunningTaskCount"),
        ("lambda", "ConcurrentExecutions"),
        ("rds", "DatabaseConnections"),
    }
    for spec in kinds().values():
        for metric in spec.metrics.metrics:
            if metric.extent is Extent.intensive:
                assert metric.unit.value not in ("Count", "Bytes"), (spec.name, metric.name)
