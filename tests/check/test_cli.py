"""``archgen check``: exit 0 when everything holds, 1 on violations, 2 on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from archgen.main import cli
from tests.check.helpers import TICKETS, mutate


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_conforming_model_and_run_exit_0(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, stdout, stderr = invoke(str(TICKETS), "--format", "json", "--out", str(out))
    assert code == 0, stderr
    assert stdout == ""
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["passed"] is True
    assert [scope["name"] for scope in document["scopes"]] == ["lint", "quiet", "coverage"]
    assert stderr.startswith(f"checked {TICKETS}: lint and 1 run in ")


def test_violations_exit_1_after_the_report(tmp_path: Path) -> None:
    model = tmp_path / "tickets.yaml"
    model.write_text(
        mutate(TICKETS.read_text(encoding="utf-8"), "threshold_ms: 800", "threshold_ms: 1"),
        encoding="utf-8",
    )
    code, stdout, stderr = invoke(str(model), "--scenario", "quiet")
    assert code == 1
    assert "[slo] flow 'browse' in quiet: p99 latency" in stdout
    # Warnings (edges no run used) depend on which behaviors exist; errors do not.
    assert re.search(r"check FAILED: 1 errors, \d+ warnings, 0 suppressed\n$", stdout)
    assert re.search(r"check failed: 1 errors \(\d+ warnings, 0 suppressed\)\n$", stderr)


def test_lint_only_runs_nothing() -> None:
    code, stdout, _ = invoke(str(TICKETS), "--lint-only", "--format", "junit")
    assert code == 0
    assert '<testsuite name="lint" tests="21" failures="0"' in stdout
    assert "quiet" not in stdout


def test_checking_an_existing_run_folder(tmp_path: Path) -> None:
    from archgen.model import load_model
    from archgen.runtime.session import run_scenario

    run_scenario(load_model(TICKETS).model, "quiet", out=tmp_path / "run")
    code, stdout, _ = invoke(str(TICKETS), "--run", str(tmp_path / "run"))
    assert code == 0
    assert "quiet: ok (10 rules, 0 errors, 0 warnings)" in stdout


def test_bad_input_exits_2(tmp_path: Path) -> None:
    code, _, stderr = invoke(str(TICKETS), "--scenario", "quite")
    assert code == 2
    assert "unknown scenario 'quite' (did you mean 'quiet'?); the model has: quiet" in stderr
    code, _, stderr = invoke(str(TICKETS), "--run", str(tmp_path))
    assert code == 2
    assert "not a run folder (no spans.jsonl" in stderr
    code, _, stderr = invoke(str(TICKETS), "--lint-only", "--scenario", "quiet")
    assert code == 2
    assert "--lint-only cannot be combined" in stderr
    code, _, stderr = invoke(str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file" in stderr


def test_scenarios_checked_in_parallel_report_as_one_by_one() -> None:
    from archgen.model import load_model_text
    from archgen.runtime.session import check

    text = TICKETS.read_text(encoding="utf-8")
    second = (
        "  - id: busy\n    title: A busy hour\n    duration_s: 60\n    seed: 3\n"
        "    traffic: {sessions_per_s: 4, mix: {visit: 1}}\n"
    )
    loaded = load_model_text(mutate(text, "\ninvariants:\n", second + "\ninvariants:\n"), "t.yaml")
    parallel = check(loaded, jobs=2)
    assert [scope.name for scope in parallel.scopes] == ["lint", "quiet", "busy", "coverage"]
    assert parallel == check(loaded, jobs=1)
    assert not parallel.failed
