"""A ``node_outage`` of a Multi-AZ RDS / Aurora database is the failure of its primary
instance: the standby in the next zone takes over after ``failover_s`` (recorded in
``failovers``), and requests fail only during the failover, though the outage lasts longer.
A single-AZ database, or one whose standby zone is out, is down for the whole outage. Shown
on a small clinic-bookings model written for this test."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.run import RunResult
from archgen.runtime.session import run_scenario

CLINIC = """\
archgen: 1
system: {{id: clinic, name: Clinic bookings}}
groups:
  - {{id: eu-north-1, kind: region, code: eu-north-1}}
  - {{id: eun1-a, kind: availability_zone, parent: eu-north-1}}
  - {{id: eun1-b, kind: availability_zone, parent: eu-north-1}}
nodes:
  - {{id: patient, kind: client}}
  - {{id: front, kind: alb, group: eu-north-1}}
  - {{id: booking, kind: ec2, group: eu-north-1, params: {{zones: [eun1-a, eun1-b]}}}}
  - id: appointments-db
    kind: rds
    group: eu-north-1
    params: {{engine: postgres, {db}, failover_s: 90}}
edges:
  - {{from: patient, to: front, operations: ["POST /visits"]}}
  - {{from: front, to: booking, operations: ["POST /visits"]}}
  - {{from: booking, to: appointments-db, operations: [INSERT visit], protocol: sql, tls: true}}
flows:
  - id: book
    title: Book a visit
    steps:
      - {{from: patient, to: front, op: "POST /visits"}}
      - {{from: front, to: booking, op: "POST /visits"}}
      - {{from: booking, to: appointments-db, op: INSERT visit}}
journeys:
  - {{id: visit, title: Visit, client: patient, flows: [{{flow: book}}]}}
scenarios:
  - id: instance-fails
    title: The database's primary instance fails for four minutes
    duration_s: 360
    warmup_s: 0
    seed: 4
    traffic: {{sessions_per_s: 5, mix: {{visit: 1}}}}
    faults:
{faults}
"""
MULTI_AZ = "multi_az: true, zones: [eun1-a, eun1-b]"
SINGLE_AZ = "multi_az: false, zones: [eun1-a]"
OUTAGE = "      - {type: node_outage, target: appointments-db, start_s: 60, end_s: 300}"
STANDBY_ZONE_OUT = "      - {type: az_outage, target: eun1-b, start_s: 30, end_s: 330}"


def _run(db: str, faults: str, fidelity: Fidelity = FULL) -> RunResult:
    text = CLINIC.format(db=db, faults=faults)
    model = load_model_text(text, "clinic.yaml").model
    return run_scenario(model, "instance-fails", keep_spans=True, fidelity=fidelity)


def _db_spans(result: RunResult) -> list[dict[str, Any]]:
    assert result.spans is not None
    return [span for span in result.spans if span["node"] == "appointments-db"]


def _unavailable(result: RunResult) -> list[float]:
    return [s["start_ms"] for s in _db_spans(result) if s["error"] == "ServiceUnavailable"]


@pytest.mark.parametrize("fidelity", [Fidelity(), Fidelity("hybrid", 0.5)], ids=["full", "hybrid"])
def test_multi_az_fails_over_and_errs_only_during_the_failover(fidelity: Fidelity) -> None:
    result = _run(MULTI_AZ, OUTAGE, fidelity)
    node = result.summary["nodes"]["appointments-db"]
    assert node["failovers"] == [{"t_s": 60.0, "from": "eun1-a", "to": "eun1-b"}]
    down = _unavailable(result)
    assert down
    assert min(down) < 62_000  # from the failure on ...
    assert max(down) > 148_000  # ... to the end of the 90 s failover,
    assert all(60_000 <= t < 150_000 for t in down)  # and never after it
    later = [s for s in _db_spans(result) if 150_000 <= s["start_ms"] < 300_000]
    assert len(later) > 100  # the standby answers while the outage still lasts
    assert {s["status"] for s in later} == {"ok"}
    assert node["errors"] == {"ServiceUnavailable": len(down)}
    assert len(down) == (446 if fidelity.mode == "full" else 257)  # seed 4 (1,167 single-AZ)


def test_single_az_is_down_for_the_whole_outage() -> None:
    result = _run(SINGLE_AZ, OUTAGE)
    assert result.summary["nodes"]["appointments-db"]["failovers"] == []
    down = _unavailable(result)
    assert min(down) < 62_000
    assert max(down) > 298_000
    assert all(60_000 <= t < 300_000 for t in down)
    inside = [s for s in _db_spans(result) if 60_000 <= s["start_ms"] < 300_000]
    assert {s["error"] for s in inside} == {"ServiceUnavailable"}
    assert len(down) == 1167


def test_with_its_standby_zone_out_a_multi_az_database_is_down_too() -> None:
    """The standby's zone is already out when the primary fails: nothing to fail over to."""
    result = _run(MULTI_AZ, f"{STANDBY_ZONE_OUT}\n{OUTAGE}")
    assert result.summary["nodes"]["appointments-db"]["failovers"] == []
    down = _unavailable(result)
    assert min(down) < 62_000
    assert max(down) > 298_000
    assert all(60_000 <= t < 300_000 for t in down)
