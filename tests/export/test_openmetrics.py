"""``--export openmetrics`` is OpenMetrics text prometheus_client's parser reads whole:
timestamped samples, counters as running totals, latencies as statistics in seconds, and
``# EOF`` last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from archgen.runtime.export.common import EPOCH_UNIX_S

LABELS = {"kind": "lambda", "region": "eu-west-1"}


@pytest.fixture(scope="module")
def text(run_folder: Path) -> str:
    return (run_folder / "metrics.openmetrics.txt").read_text()


def test_every_sample_parses(text: str) -> None:
    assert text.endswith("\n# EOF\n")
    families = list(text_string_to_metric_families(text))
    samples = sum(len(family.samples) for family in families)
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples == len(lines) == 74  # the parser kept every line
    assert len(families) == 21
    assert len({family.name for family in families}) == len(families)
    assert all(sample.timestamp is not None for family in families for sample in family.samples)


def test_counters_are_running_totals_of_the_periods(
    text: str, metric_lines: list[dict[str, Any]]
) -> None:
    families = {family.name: family for family in text_string_to_metric_families(text)}
    invocations = families["aws_lambda_invocations"]
    assert invocations.type == "counter"
    api = [line["Invocations"] for line in metric_lines if line["node"] == "api"]
    assert [
        (s.name, s.labels, s.value, float(s.timestamp))
        for s in invocations.samples
        if s.labels["node"] == "api"
    ] == [
        ("aws_lambda_invocations_total", {"node": "api", **LABELS}, api[0], EPOCH_UNIX_S + 60.0),
        (
            "aws_lambda_invocations_total",
            {"node": "api", **LABELS},
            api[0] + api[1],
            EPOCH_UNIX_S + 120.0,
        ),
    ]


def test_latencies_become_statistics_in_seconds(
    text: str, metric_lines: list[dict[str, Any]]
) -> None:
    families = {family.name: family for family in text_string_to_metric_families(text)}
    worker = [line["Duration"] for line in metric_lines if line["node"] == "worker"]
    p99 = families["aws_lambda_duration_p99_seconds"]
    assert (p99.type, p99.unit) == ("gauge", "seconds")
    assert p99.documentation.startswith("p99 over each period of: Time the function's code ran")
    assert [s.value for s in p99.samples if s.labels["node"] == "worker"] == [
        pytest.approx(figures["p99"] / 1000) for figures in worker
    ]
    counted = families["aws_lambda_duration_samples"]
    assert counted.type == "counter"
    assert [s.value for s in counted.samples if s.labels["node"] == "worker"] == [
        worker[0]["n"],
        worker[0]["n"] + worker[1]["n"],
    ]
    age = families["aws_sqs_approximate_age_of_oldest_message_seconds"]
    assert age.type == "gauge"
    assert {s.labels["node"] for s in age.samples} == {"jobs", "jobs-dlq"}
    assert isinstance(age.samples[0], Sample)
