"""One pipeline (``archgen.runtime.session``) and one error hierarchy (``archgen.model.errors``)
behind every command: a scenario is resolved with one error text whoever asks, every error
class has one exit code and one format, set in one place (``archgen.errors``), and run, check
and the site write the same run summary for the same scenario and seed."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from archgen.errors import ArchgenGroup, exit_codes
from archgen.main import cli
from archgen.model import load_model
from archgen.model.errors import (
    ArchgenError,
    CheckFailed,
    InputError,
    ModelError,
    Problem,
    SetupError,
    UsageError,
)
from archgen.model.files import OutputError
from archgen.model.registry import KindError
from archgen.renderers.base import RenderError
from archgen.renderers.registry import UnknownRenderer
from archgen.renderers.views import UnknownView
from archgen.runtime import session
from archgen.runtime.behaviors import BehaviorError
from archgen.runtime.budget import OverBudgetError
from archgen.runtime.check.spans import RunInputError
from archgen.runtime.run import RunError, UnknownJourneyError, UnknownScenarioError

MODELS = Path(__file__).parents[1] / "models"
PHOTOS = MODELS / "photo-sharing.yaml"
TICKETS = Path(__file__).parents[1] / "check" / "models" / "tickets.yaml"

UNKNOWN = (
    "error: --scenario: unknown scenario 'viral' (did you mean 'viral-post'?); the model has: "
    "quiet-evening, thumbnailer-down, viral-post"
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- resolving


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (("run", str(PHOTOS), "-s", "viral"), "run"),
        (("run", str(PHOTOS), "-s", "viral", "--explain"), "run"),
        (("check", str(PHOTOS), "-s", "viral"), "check"),
        (("check", str(PHOTOS), "-s", "quiet-evening", "-s", "viral"), "check"),
    ],
)
def test_one_unknown_scenario_text_for_run_check_and_explain(
    args: tuple[str, ...], command: str
) -> None:
    assert invoke(*args) == (2, "", f"{UNKNOWN}\nTry 'cli {command} --help' for help.\n")


def test_the_session_resolves_the_same_way_for_every_caller() -> None:
    model = load_model(PHOTOS).model
    with pytest.raises(UnknownScenarioError) as one:
        session.resolve_scenario(model, "viral", "photos.yaml")
    with pytest.raises(UnknownScenarioError) as many:
        session.resolve_scenarios(model, ["quiet-evening", "viral"])
    assert str(one.value) == str(many.value) == UNKNOWN.removeprefix("error: --scenario: ")
    assert one.value.subject == "--scenario"
    assert session.resolve_scenario(model, None, "photos.yaml").id == "quiet-evening"
    assert [s.id for s in session.resolve_scenarios(model, [])] == [
        "quiet-evening",
        "viral-post",
        "thumbnailer-down",
    ]


def test_settings_default_to_the_scenarios_and_refuse_bad_ranges() -> None:
    scenario = load_model(PHOTOS).model.scenarios_by_id["viral-post"]
    settings = session.Settings.of(scenario, seed=3)
    assert (settings.seed, settings.scale, settings.duration_s) == (
        3,
        scenario.scale,
        scenario.duration_s,
    )
    with pytest.raises(RunError, match=r"^--scale: must be above 0"):
        session.Settings.of(scenario, scale=float("nan"))


# --------------------------------------------------------------------------- exit codes


def test_the_exit_code_table() -> None:
    assert [(kind.__name__, code) for kind, code in exit_codes()] == [
        ("CheckFailed", 1),
        ("UsageError", 2),
        ("InputError", 2),
        ("SetupError", 2),
        ("ArchgenError", 2),
    ]


CASES: list[tuple[ArchgenError, int, list[str]]] = [
    (
        CheckFailed("check failed: 2 errors (0 warnings, 0 suppressed)"),
        1,
        ["check failed: 2 errors (0 warnings, 0 suppressed)"],
    ),
    (
        UsageError("give runs or scenarios, not both"),
        2,
        [
            "error: give runs or scenarios, not both",
            "Try 'tool fail --help' for help.",
        ],
    ),
    (
        UnknownScenarioError("unknown scenario 'x'"),
        2,
        [
            "error: --scenario: unknown scenario 'x'",
            "Try 'tool fail --help' for help.",
        ],
    ),
    (
        UnknownJourneyError("unknown journey 'x'"),
        2,
        [
            "error: --journey: unknown journey 'x'",
            "Try 'tool fail --help' for help.",
        ],
    ),
    (
        ModelError([Problem("m.yaml", 3, 5, "nodes[0]", "bad"), Problem("m.yaml", 0, 0, "", "x")]),
        2,
        ["error: m.yaml: x", "error: m.yaml:3:5: nodes[0]: bad"],
    ),
    (
        InputError("m.yaml: the model declares no scenario"),
        2,
        ["error: m.yaml: the model declares no scenario"],
    ),
    (OutputError("out: is a symbolic link"), 2, ["error: out: is a symbolic link"]),
    (RunError("no behavior for kind(s) x"), 2, ["error: no behavior for kind(s) x"]),
    (OverBudgetError("scenario 's' would take"), 2, ["error: scenario 's' would take"]),
    (RunInputError("run: no such run folder"), 2, ["error: run: no such run folder"]),
    (UnknownView("unknown view 'v'"), 2, ["error: unknown view 'v'"]),
    (SetupError("broken"), 2, ["error: broken"]),
    (RenderError("Graphviz's dot is not installed"), 2, ["error: Graphviz's dot is not installed"]),
    (UnknownRenderer("unknown renderer 'r'"), 2, ["error: unknown renderer 'r'"]),
    (KindError("kind 'k': params must subclass"), 2, ["error: kind 'k': params must subclass"]),
    (BehaviorError("m:C is not a subclass"), 2, ["error: m:C is not a subclass"]),
    (ArchgenError("any \x1b[2J other"), 2, ["error: any \\x1b[2J other"]),
]


@pytest.mark.parametrize(
    ("error", "code", "lines"), CASES, ids=[type(case[0]).__name__ for case in CASES]
)
def test_each_error_class_ends_a_command_one_way(
    error: ArchgenError, code: int, lines: list[str]
) -> None:
    """Raised from any command, an error of each class prints the same lines and exits
    with its code: the CLI's one mapping, whatever package raised it."""

    @click.group(cls=ArchgenGroup)
    def tool() -> None:
        pass

    @tool.command()
    def fail() -> None:
        raise error

    result = CliRunner().invoke(tool, ["fail"], prog_name="tool")
    assert (result.exit_code, result.stdout, result.stderr) == (
        code,
        "",
        "".join(line + "\n" for line in lines),
    )


def test_no_error_is_a_click_exception() -> None:
    for module in ("archgen.site.results", "archgen.runtime.session", "archgen.renderers.layout"):
        importlib.import_module(module)

    def subclasses(kind: type[Any]) -> list[type[Any]]:
        return [kind, *(sub for direct in kind.__subclasses__() for sub in subclasses(direct))]

    every = subclasses(ArchgenError)
    assert len(every) >= 16
    assert [kind for kind in every if issubclass(kind, click.ClickException)] == []


# --------------------------------------------------------------------------- one summary


def test_run_check_and_the_site_write_the_same_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``archgen run``, ``archgen check`` and the site's scenario pages run a scenario through
    the same session: the same scenario and seed give summary.json byte for byte."""
    from archgen.site import results
    from archgen.site.cache import Cache

    seen: dict[str, bytes] = {}

    def spy(name: str, reduce: Any) -> Any:
        def reduce_and_keep(loaded: Any, outcome: session.Outcome) -> Any:
            seen[name] = outcome.summary_json
            return reduce(loaded, outcome)

        return reduce_and_keep

    monkeypatch.setattr(session, "checked", spy("check", session.checked))
    monkeypatch.setattr(results, "reduced_json", spy("site", results.reduced_json))
    out = tmp_path / "run"
    code, stdout, stderr = invoke("run", str(TICKETS), "-s", "quiet", "--out", str(out), "--json")
    assert code == 0, stderr
    written = (out / "summary.json").read_bytes()
    assert json.loads(written) == json.loads(stdout)
    loaded = load_model(TICKETS)
    report = session.check(loaded, scenarios=["quiet"], jobs=1)
    assert [scope.name for scope in report.scopes] == ["lint", "quiet", "coverage"]
    made = results.scenario_results(loaded, ["quiet"], Cache(None))
    assert list(made) == ["quiet"]
    assert seen == {"check": written, "site": written}
