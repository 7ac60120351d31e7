"""A flow with no successful execution has no latency: the run summary, the SLO check and the
site say "no data" (None), where they used to say NaN, 0 ms and 0 ms."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model import LoadedModel, load_model_text
from archgen.runtime.session import run_scenario
from archgen.site.results import simulate

PHOTOS = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"
API_DOWN = """scenarios:
  - id: api-down
    title: The API is down all along
    duration_s: 120
    warmup_s: 10
    seed: 1
    traffic: {sessions_per_s: 2, mix: {post: 1, lurk: 1}}
    faults:
      - {type: node_outage, target: api, start_s: 0}
"""


@pytest.fixture(scope="module")
def api_down() -> LoadedModel:
    text = PHOTOS.read_text(encoding="utf-8").replace("scenarios:\n", API_DOWN, 1)
    return load_model_text(text, "photos.yaml")


def test_the_run_summary_has_no_percentile(api_down: LoadedModel, tmp_path: Path) -> None:
    summary = run_scenario(api_down.model, "api-down", out=tmp_path / "run").summary
    upload = summary["flows"]["upload"]
    assert (upload["ok"], upload["p50_ms"], upload["p95_ms"], upload["p99_ms"]) == (
        0,
        None,
        None,
        None,
    )
    assert upload["failed"] > 0
    assert {point["p99_ms"] for point in upload["timeline"]} == {None}


def test_the_check_and_the_site_say_no_data(api_down: LoadedModel) -> None:
    result = simulate(api_down, "api-down")
    facts = dict(result.facts)
    assert facts["slo view-feed"] == (
        "p99 no data (all 261 failed) (objective 1,500 ms), availability 0.000% "
        "(objective 99.9%), n=261"
    )
    assert facts["slo upload"] == (
        "p95 no data (all 44 failed) (objective 2,000 ms), availability 0.000% "
        "(objective 99.5%), n=44"
    )
    measured = {flow.flow: flow for flow in result.flows}
    assert (measured["upload"].p50_ms, measured["upload"].p99_ms) == (None, None)
    assert measured["upload"].errors == measured["upload"].count > 0
    assert ">no data</text>" in measured["upload"].chart
