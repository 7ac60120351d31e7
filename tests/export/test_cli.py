"""``archgen run --export``: repeatable, written into the run folder with the run (a rerun
replaces them), byte-identical for the same model, scenario and seed; bad use exits 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from archgen.main import cli
from archgen.runtime.export import EXPORT_FILES, FORMATS
from tests.export.conftest import JOBS, exported_run

RUN_FILES = {"data-at-rest.json", "metrics.jsonl", "spans.jsonl", "summary.json"}
ALL_EXPORTS = {name for names in EXPORT_FILES.values() for name in names}


def test_the_same_run_exports_the_same_bytes(run_folder: Path, tmp_path: Path) -> None:
    again = exported_run(tmp_path / "again")
    assert {p.name for p in again.iterdir()} == RUN_FILES | ALL_EXPORTS
    for name in sorted(ALL_EXPORTS):
        assert (again / name).read_bytes() == (run_folder / name).read_bytes(), name


def test_repeated_exports_in_the_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["run", str(JOBS), "-s", "steady", "--duration", "5", "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--export", "perfetto", "--export", "otlp"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RUN_FILES | {
        "traces.otlp.jsonl",
        "metrics.otlp.jsonl",
        "trace.perfetto.json",
    }
    written = " ".join(result.output.split())  # the table wraps long lines
    assert (
        "(spans.jsonl, metrics.jsonl, summary.json, data-at-rest.json, traces.otlp.jsonl, "
        "metrics.otlp.jsonl, trace.perfetto.json)" in written
    )
    assert (out / "metrics.otlp.jsonl").read_bytes() == b""  # 5 s: no metric period closed
    result = CliRunner().invoke(cli, [*args, "--export", "openmetrics"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RUN_FILES | {"metrics.openmetrics.txt"}
    assert (out / "metrics.openmetrics.txt").read_text() == "# EOF\n"


def test_an_unknown_format_or_export_with_explain_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["run", str(JOBS), "--export", "jaeger"])
    assert result.exit_code == 2
    assert result.output == (
        "error: --export: 'jaeger' is not one of 'otlp', 'perfetto', 'openmetrics'\n"
        "Try 'cli run --help' for help.\n"
    )
    result = CliRunner().invoke(cli, ["run", str(JOBS), "--explain", "--export", "otlp"])
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: --export writes a run folder; --explain prints one user: choose one\n"
    )
    assert FORMATS == ("otlp", "perfetto", "openmetrics")
