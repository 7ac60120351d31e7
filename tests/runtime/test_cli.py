"""``archgen run``: files, table, JSON, exit codes, the explained journey."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli

from .conftest import MINI


def test_run_writes_the_run_folder_and_prints_a_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli, ["run", str(MINI), "-s", "base", "--duration", "60", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert {"metrics.jsonl", "spans.jsonl", "summary.json"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "base"
    assert summary["duration_s"] == 60
    assert "base — seed 3, scale 1.0, 60 s simulated" in result.output
    assert f"written to {out}/" in result.output
    assert "app-east: 2 → peak 2 → 2 instances in service" in result.output
    spans = (out / "spans.jsonl").read_text().splitlines()
    assert len(spans) == summary["spans"]
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {m["t_s"] for m in metrics} == {30.0, 60.0}


def test_default_out_folder_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(MINI),
            "-s",
            "base",
            "--duration",
            "20",
            "--json",
            "--seed",
            "5",
            "--scale",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stderr: the 20 s run is within the 30 s warm-up
    assert result.stderr.startswith("warning: warm-up: the scenario's 30 s warm-up covers")
    assert (summary["seed"], summary["scale"]) == (5, 0.5)
    assert (tmp_path / "archgen-out" / "run-base" / "summary.json").exists()


def test_unknown_scenario_exits_2_with_did_you_mean() -> None:
    result = CliRunner().invoke(cli, ["run", str(MINI), "-s", "flod"])
    assert result.exit_code == 2
    assert "unknown scenario 'flod' (did you mean 'flood'?)" in result.output
    assert "Traceback" not in result.output


def test_explain_tells_one_journey_hop_by_hop() -> None:
    result = CliRunner().invoke(
        cli, ["run", str(MINI), "-s", "base", "--journey", "shop", "--explain"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "one user through journey 'shop' (base):"
    assert lines[1].startswith("flow home (t = 60.000 s)")
    assert any("dns Resolve — resolved to " in line for line in lines)
    assert any(line.strip().startswith("└─ cdn GET /img — cache ") for line in lines)
    assert any("lb-east GET /item" in line or "lb-west GET /item" in line for line in lines)
    assert any("least outstanding: i-" in line for line in lines)
    table = [line for line in lines if "GetItem" in line]
    assert table
    assert table[0].startswith("      └─ ")  # user → lb → app → table: three levels deep


def test_explain_heads_each_execution_of_a_flow_the_journey_runs_twice() -> None:
    """photo-sharing's lurk journey scrolls the feed twice (seed 1 takes the second, 0.7
    likely): the second execution gets its own header and start time. Each photo missed
    at the edge says how long its 2,500 KB took from the bucket (at S3's 680 Mbit/s)."""
    model = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"
    result = CliRunner().invoke(
        cli, ["run", str(model), "--journey", "lurk", "--explain", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if not line.startswith("  ")] == [
        "one user through journey 'lurk' (quiet-evening):",
        "flow view-feed (t = 60.000 s)",
        "flow view-feed (t = 63.788 s)",
    ]
    assert [line for line in lines if line.startswith("  └─ ")] == [
        "  └─ lb GET /feed  [ok, 167.3 ms]",
        "  └─ edge GET /photo — cache miss, edge fra  [ok, 165.8 ms]",
        "  └─ lb GET /feed  [ok, 176.9 ms]",
        "  └─ edge GET /photo — cache miss, edge fra  [ok, 141.5 ms]",
    ]
    assert [line for line in lines if "photos GetObject" in line] == [
        "    └─ photos GetObject — transfer_ms 30.118  [ok, 74.9 ms]",
        "    └─ photos GetObject — transfer_ms 30.118  [ok, 50.4 ms]",
    ]
    second = lines.index("flow view-feed (t = 63.788 s)")
    assert lines[second + 1] == "  └─ lb GET /feed  [ok, 176.9 ms]"


def test_explain_needs_a_known_journey() -> None:
    result = CliRunner().invoke(
        cli, ["run", str(MINI), "--scenario", "base", "--journey", "shp", "--explain"]
    )
    assert result.exit_code == 2
    assert "unknown journey 'shp' (did you mean 'shop'?)" in result.output
    result = CliRunner().invoke(cli, ["run", str(MINI), "--journey", "shop"])
    assert result.exit_code == 2
    assert "--journey and --explain go together" in result.output


NOTES_IN_TWO_REGIONS = """\
archgen: 1
system: {id: notes, name: Notes}
groups:
  - {id: eu, kind: region, code: eu-west-1}
  - {id: us, kind: region, code: us-east-1}
nodes:
  - {id: users, kind: client}
  - {id: api, kind: lambda, group: eu}
  - {id: api-us, kind: lambda, group: us}
edges:
  - {from: users, to: api, operations: [Invoke]}
  - {from: users, to: api-us, operations: [Invoke]}
flows:
  - id: write
    title: Write a note
    steps:
      - {from: users, to: api, op: Invoke}
      - {from: users, to: api-us, op: Invoke}
journeys:
  - {id: writer, title: Writer, flows: [{flow: write}]}
scenarios:
  - id: day
    title: A day
    duration_s: 60
    traffic: {sessions_per_s: 2, mix: {writer: 1}}
"""


def test_the_cost_total_says_it_leaves_out_a_region_the_price_table_lacks(
    tmp_path: Path,
) -> None:
    """A function in eu-west-1 (not in the table) is no $0.00: dashes, and the total row
    says it leaves that node's costs out rather than passing for the whole system's."""
    model = tmp_path / "notes.yaml"
    model.write_text(NOTES_IN_TWO_REGIONS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(model), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    rows = {
        cells[0]: cells[1:]
        for line in result.output.splitlines()
        if line.startswith("│")
        for cells in [[cell.strip() for cell in line.strip("│").split("│")]]
    }
    assert rows["api"] == ["lambda", "eu-west-1", "—", "—", "not priced (see summary.json)"]
    assert rows["total"][-1] == "leaves out 1 node the price table lacks"
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["cost"]["nodes"]["api"]["not_priced"] == [
        "lambda.request: no price for region eu-west-1 in the table",
        "lambda.gb_second.x86_64: no price for region eu-west-1 in the table",
    ]


def test_no_spans_writes_the_rest_and_says_what_needs_them(tmp_path: Path) -> None:
    """A run's spans are its largest file (one line per call): --no-spans leaves them out,
    and what reads them (traces, check --run) says so instead of failing on a missing
    file."""
    model = tmp_path / "notes.yaml"
    model.write_text(NOTES_IN_TWO_REGIONS, encoding="utf-8")
    out = tmp_path / "run"
    args = ["run", str(model), "--out", str(out), "--no-spans"]
    result = CliRunner().invoke(cli, [*args, "--export", "openmetrics"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "data-at-rest.json",
        "metrics.jsonl",
        "metrics.openmetrics.txt",
        "summary.json",
    ]
    assert (
        f"written to {out}/ (metrics.jsonl, summary.json, data-at-rest.json, "
        "metrics.openmetrics.txt)"
    ) in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert "spans_sha256" not in summary
    assert summary["spans"] == summary["requests"] == 232
    refused = CliRunner().invoke(cli, [*args, "--export", "perfetto"])
    assert refused.exit_code == 2
    assert "--export perfetto writes traces from the run's spans: drop --no-spans" in (
        refused.output
    )
    checked = CliRunner().invoke(cli, ["check", str(model), "--run", str(out)])
    assert checked.exit_code == 2
    assert (
        f"{out}: the run wrote no spans.jsonl (archgen run --no-spans), and the check reads "
        "the calls from it: run it again without --no-spans"
    ) in checked.output


ALERTS_BY_SMS = """\
archgen: 1
system: {id: alerts, name: Alerts}
groups:
  - {id: use1, kind: region, code: us-east-1}
nodes:
  - {id: users, kind: client}
  - {id: api, kind: lambda, group: use1}
  - {id: texts, kind: sns, group: use1, params: {subscriptions: [{endpoint: phone, protocol: sms}]}}
  - {id: phone, kind: external}
edges:
  - {from: users, to: api, operations: [Invoke]}
  - {from: api, to: texts, operations: [Publish]}
  - {from: texts, to: phone, operations: [Deliver], mode: async}
flows:
  - id: alert
    title: Alert
    steps:
      - {from: users, to: api, op: Invoke}
      - {from: api, to: texts, op: Publish}
      - {from: texts, to: phone, op: Deliver}
journeys:
  - {id: alerter, title: Alerter, flows: [{flow: alert}]}
scenarios:
  - id: day
    title: A day
    duration_s: 60
    traffic: {sessions_per_s: 2, mix: {alerter: 1}}
"""


def test_the_cost_table_names_what_a_priced_node_leaves_out(tmp_path: Path) -> None:
    """A topic's SMS are not priced: its row shows its publishes' price, and the table
    says below it that the totals leave its SMS out (not only summary.json)."""
    model = tmp_path / "alerts.yaml"
    model.write_text(ALERTS_BY_SMS, encoding="utf-8")
    result = CliRunner(env={"COLUMNS": "400"}).invoke(
        cli, ["run", str(model), "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 0, result.output
    (caption,) = [line for line in result.output.splitlines() if "Not in the totals" in line]
    assert caption.strip().endswith("Not in the totals (summary.json says why): SMS (texts)")
