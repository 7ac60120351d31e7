"""``archgen run`` says why a run no longer than the scenario's warm-up measured nothing:
flows are judged after the warm-up only, so its flow table was empty and its availability
"—" with no word of explanation (trial 27, defect 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model
from archgen.runtime.session import warmup_warning

ROOT = Path(__file__).parents[2]
TUTORIAL = ROOT / "site" / "docs" / "guide" / "tutorial" / "05-operations.yaml"  # warm-up 30 s
PHOTOS = ROOT / "tests" / "models" / "photo-sharing.yaml"  # no warm-up
WARNING = (
    "warning: warm-up: the scenario's 30 s warm-up covers the whole {d} s run, so no flow "
    "execution is measured (empty flow table, availability —); use a --duration longer "
    "than 30 s, such as the scenario's own 300 s"
)


def _run(tmp_path: Path, *args: str) -> tuple[str, str]:
    result = CliRunner().invoke(
        cli, ["run", str(TUTORIAL), "-s", "weekday", "--out", str(tmp_path / "run"), *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@pytest.mark.parametrize("duration", ["30", "20"])
def test_a_run_within_the_warm_up_says_so_beside_its_empty_table(
    tmp_path: Path, duration: str
) -> None:
    stdout, _ = _run(tmp_path, "--duration", duration)
    lines = stdout.splitlines()
    warning = WARNING.format(d=duration)
    assert lines.count(warning) == 1
    # Just above the totals line whose availability it explains.
    assert lines[lines.index(warning) + 1].endswith("availability —")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert {f["completed"] for f in summary["flows"].values()} == {0}
    assert summary["availability"] is None


def test_as_json_the_warning_goes_to_stderr(tmp_path: Path) -> None:
    stdout, stderr = _run(tmp_path, "--duration", "30", "--json")
    assert stderr.splitlines().count(WARNING.format(d="30")) == 1
    assert json.loads(stdout)["availability"] is None  # stdout stays the JSON alone


def test_a_run_past_the_warm_up_has_no_warning(tmp_path: Path) -> None:
    stdout, stderr = _run(tmp_path, "--duration", "31")
    assert "warm-up" not in stdout + stderr


def test_only_a_run_no_longer_than_a_warm_up_is_warned() -> None:
    weekday = load_model(TUTORIAL).model.scenario("weekday")
    assert warmup_warning(weekday, None) is None  # the scenario's own 300 s
    assert warmup_warning(weekday, 30.5) is None
    assert warmup_warning(weekday, 30.0) == WARNING.format(d="30").removeprefix(
        "warning: warm-up: "
    )
    quiet = load_model(PHOTOS).model.scenario("quiet-evening")
    assert quiet.warmup_s == 0
    assert warmup_warning(quiet, 1.0) is None
