"""``archgen run`` without --scenario runs the model's declared default scenario (else its
first), and ``--explain`` without --journey follows the model's first journey: a model that
is not the reference one runs as it is."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from archgen.main import cli
from archgen.model import load_model

PHOTOS = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def with_text(tmp_path: Path, old: str, new: str) -> Path:
    text = PHOTOS.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "photos.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_without_scenario_the_first_one_runs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, stdout, stderr = invoke(
        "run", str(PHOTOS), "--duration", "20", "--json", "--out", str(out)
    )
    assert code == 0, stderr
    assert json.loads(stdout)["scenario"] == "quiet-evening"


def test_the_declared_default_scenario_runs(tmp_path: Path) -> None:
    model = with_text(tmp_path, "  name: ", "  default_scenario: thumbnailer-down\n  name: ")
    code, stdout, stderr = invoke(
        "run", str(model), "--duration", "20", "--json", "--out", str(tmp_path / "run")
    )
    assert code == 0, stderr
    assert json.loads(stdout)["scenario"] == "thumbnailer-down"


def test_an_unknown_default_scenario_is_a_model_error(tmp_path: Path) -> None:
    model = with_text(tmp_path, "  name: ", "  default_scenario: viral\n  name: ")
    code, _, stderr = invoke("validate", str(model))
    assert code == 2
    assert stderr == (
        f"error: {model}:8:21: system.default_scenario: unknown scenario 'viral' "
        "(did you mean 'viral-post'?)\n"
    )


def test_a_model_without_scenarios_says_so(tmp_path: Path) -> None:
    text = PHOTOS.read_text(encoding="utf-8")
    model = tmp_path / "photos.yaml"
    model.write_text(text[: text.index("scenarios:")], encoding="utf-8")
    code, stdout, stderr = invoke("run", str(model))
    assert (code, stdout) == (2, "")
    assert stderr == (
        f"error: {model}: the model declares no scenario to simulate; add one under 'scenarios:'\n"
    )


def test_explain_without_journey_follows_the_first_journey() -> None:
    code, stdout, stderr = invoke("run", str(PHOTOS), "--explain")
    assert code == 0, stderr
    assert stdout.splitlines()[0] == "one user through journey 'post' (quiet-evening):"


def test_an_unknown_journey_is_a_usage_error_of_the_option() -> None:
    code, stdout, stderr = invoke("run", str(PHOTOS), "--journey", "pst", "--explain")
    assert (code, stdout) == (2, "")
    assert stderr == (
        "error: --journey: unknown journey 'pst' (did you mean 'post'?); the model has: "
        "lurk, post\nTry 'cli run --help' for help.\n"
    )


def test_the_reference_model_declares_its_default() -> None:
    assert load_model(None).model.system.default_scenario == "normal-day"
