"""One run of a tiny queue pipeline (an API sends jobs to SQS, a Lambda consumes them and
publishes to SNS) with every export, shared by the export tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model
from archgen.runtime.session import run_scenario

JOBS = Path(__file__).parent / "models" / "jobs.yaml"
DURATION_S = 130  # two metric periods of 60 s, the second a running total over the first
EXPORTS = ("otlp", "perfetto", "openmetrics")


def exported_run(out: Path, exports: tuple[str, ...] = EXPORTS) -> Path:
    run_scenario(load_model(JOBS).model, "steady", duration_s=DURATION_S, out=out, exports=exports)
    return out


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exported_run(tmp_path_factory.mktemp("export") / "run")


@pytest.fixture(scope="session")
def spans(run_folder: Path) -> list[dict[str, Any]]:
    lines = (run_folder / "spans.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="session")
def metric_lines(run_folder: Path) -> list[dict[str, Any]]:
    lines = (run_folder / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def handoffs(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans whose parent lies in another trace: a consumer started by a message."""
    trace_of = {span["span"]: span["trace"] for span in spans}
    return [
        span
        for span in spans
        if span["parent"] is not None
        and trace_of.get(span["parent"], span["trace"]) != span["trace"]
    ]
