"""The summary's peak request rate: the calls clients sent into the system in the busiest
metric period, in real units (÷ scale, and in hybrid fidelity ÷ scale × sample)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from archgen.model import load_model
from archgen.model.schema import Model
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.run import metric_period
from archgen.runtime.session import run_scenario
from tests.check.helpers import TICKETS

TELEMETRY = Path(__file__).parents[1] / "site" / "models" / "telemetry.yaml"


def _peak_from_spans(model: Model, folder: Path, duration_s: float) -> tuple[float, float]:
    """The oracle: root calls made by a client, counted per whole metric period from the
    spans (their start is when the client sent them)."""
    clients = {node.id for node in model.nodes if node.kind == "client"}
    period_ms = metric_period(model) * 1000
    per_period: Counter[int] = Counter()
    with (folder / "spans.jsonl").open(encoding="utf-8") as spans:
        for line in spans:
            span = json.loads(line)
            if span["parent"] is None and span["from"] in clients:
                per_period[int(span["start_ms"] // period_ms)] += 1
    whole = {p: n for p, n in per_period.items() if (p + 1) * period_ms <= duration_s * 1000}
    busiest = min(whole, key=lambda p: (-whole[p], p))
    return whole[busiest] / (period_ms / 1000), busiest * period_ms / 1000


@pytest.mark.parametrize(
    ("fidelity", "expected"),
    [(FULL, (2.35, 60.0)), (Fidelity("hybrid", 0.5), (2.267, 0.0))],
)
def test_peak_is_the_busiest_period_of_client_calls_in_real_units(
    tmp_path: Path, fidelity: Fidelity, expected: tuple[float, float]
) -> None:
    model = load_model(TICKETS).model
    assert metric_period(model) == 60
    # 150 s: two whole periods, and a cut one that cannot be the peak
    result = run_scenario(
        model, "quiet", scale=2, duration_s=150, out=tmp_path / "run", fidelity=fidelity
    )
    summary = result.summary
    peak = (summary["peak_requests_real_per_s"], summary["peak_requests_t_s"])
    assert peak == expected
    traced_scale = fidelity.traced(2)
    per_s, start = _peak_from_spans(model, tmp_path / "run", 150)
    assert (round(per_s / traced_scale, 3), start) == expected
    # the scenario's 2 sessions per second (real) each send 1 to 2 calls: about 2.3 per s
    assert 1.8 < summary["peak_requests_real_per_s"] < 2.8


def test_a_run_shorter_than_a_period_is_measured_over_its_length() -> None:
    model = load_model(TICKETS).model
    summary = run_scenario(model, "quiet", scale=2, duration_s=20).summary
    # 82 calls sent in the 20 s, at scale 2: 2.05 per second, not 82 / 60 s / 2
    assert (summary["peak_requests_real_per_s"], summary["peak_requests_t_s"]) == (2.05, 0.0)


def test_attack_requests_are_sent_into_the_system_too(tmp_path: Path) -> None:
    """The telemetry model's calm hour has an attack: its requests count, as the users'."""
    model = load_model(TELEMETRY).model
    result = run_scenario(model, "calm", out=tmp_path / "run", fidelity=Fidelity("hybrid", 0.5))
    summary = result.summary
    assert summary["attack"]["requests"] == 156
    per_s, start = _peak_from_spans(model, tmp_path / "run", 60)
    assert (per_s, start) == (218 / 60, 0.0)  # 62 calls of users, 156 of the attack
    assert (summary["peak_requests_real_per_s"], summary["peak_requests_t_s"]) == (7.267, 0.0)
