"""Tables are printed whole: off a terminal (a pipe, a CI log) as wide as they need, on a
narrow terminal folded onto more lines; never cut with ``…``. ``render --json`` is the
machine-readable result of a render."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.table import Table

from archgen.main import cli
from archgen.output import print_rich

RIDES = Path(__file__).parents[1] / "models" / "ride-hailing.yaml"
LONG = "a-flow-id-much-longer-than-any-column-a-terminal-of-eighty-characters-leaves-for-it"


def long_table() -> Table:
    table = Table("flow", "availability", "per s (real)", "top error", title="a title")
    table.add_row(LONG, "99.99 %", "1,234.5", "ServiceUnavailable ×12")
    return table


def test_off_a_terminal_the_table_is_as_wide_as_it_needs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    print_rich(long_table(), "a [bold] line that is not markup, " + "and long " * 12)
    out = capsys.readouterr().out
    assert "…" not in out
    row = next(line for line in out.splitlines() if LONG in line)
    assert "99.99 %" in row
    assert "ServiceUnavailable ×12" in row
    header = next(line for line in out.splitlines() if "availability" in line)
    assert "per s (real)" in header
    assert "top error" in header
    assert "a [bold] line that is not markup, " + "and long " * 11 + "and long" in out


def test_on_a_narrow_terminal_cells_fold_instead_of_being_cut(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    monkeypatch.setattr("rich.console.Console.is_terminal", property(lambda self: True))
    print_rich(long_table())
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().out)  # colours
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 50
    cells = "".join(line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│"))
    assert LONG in cells  # every character, folded over several lines


def test_run_table_in_a_pipe_has_every_column_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    result = CliRunner().invoke(
        cli, ["run", str(RIDES), "--duration", "30", "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "…" not in result.stdout
    header = next(line for line in lines if "flow" in line and "runs" in line)
    for column in ("availability", "p50 ms", "p99 ms", "per s (real)", "top error"):
        assert column in header
    assert any("request-ride" in line and " %" in line for line in lines)
    assert any(line.startswith("sessions ") and line.endswith(" %") for line in lines)


def test_render_json_lists_every_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["render", str(RIDES), "--format", "dot,mermaid", "--out", str(out), "--json"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["out"] == str(out)
    files = data["files"]
    assert {item["format"] for item in files} == {"dot", "mermaid"}
    assert {item["status"] for item in files} == {"written"}
    for item in files:
        assert set(item) == {"view", "format", "file", "status", "bytes"}
        assert (out / item["file"]).stat().st_size == item["bytes"]
    again = json.loads(CliRunner().invoke(cli, args).stdout)["files"]
    assert [item["status"] for item in again] == ["unchanged"] * len(files)
    assert [item["bytes"] for item in again] == [item["bytes"] for item in files]


def test_render_json_with_watch_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["render", str(RIDES), "--json", "--watch", "--out", str(tmp_path)],
        prog_name="archgen",
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --json prints one result: it cannot be combined with --watch",
        "Try 'archgen render --help' for help.",
    ]
