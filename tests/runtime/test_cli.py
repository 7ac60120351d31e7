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
    likely): the second execution gets its own header and start time."""
    model = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"
    result = CliRunner().invoke(
        cli, ["run", str(model), "--journey", "lurk", "--explain", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if not line.startswith("  ")] == [
        "one user through journey 'lurk' (quiet-evening):",
        "flow view-feed (t = 60.000 s)",
        "flow view-feed (t = 69.186 s)",
    ]
    assert [line for line in lines if line.startswith("  └─ ")] == [
        "  └─ lb GET /feed  [ok, 139.7 ms]",
        "  └─ edge GET /photo — cache miss, edge fra  [ok, 135.3 ms]",
        "  └─ lb GET /feed  [ok, 139.4 ms]",
        "  └─ edge GET /photo — cache miss, edge fra  [ok, 122.5 ms]",
    ]
    second = lines.index("flow view-feed (t = 69.186 s)")
    assert lines[second + 1] == "  └─ lb GET /feed  [ok, 139.4 ms]"


def test_explain_needs_a_known_journey() -> None:
    result = CliRunner().invoke(
        cli, ["run", str(MINI), "--scenario", "base", "--journey", "shp", "--explain"]
    )
    assert result.exit_code == 2
    assert "unknown journey 'shp' (did you mean 'shop'?)" in result.output
    result = CliRunner().invoke(cli, ["run", str(MINI), "--journey", "shop"])
    assert result.exit_code == 2
    assert "--journey and --explain go together" in result.output
