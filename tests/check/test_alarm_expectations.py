"""A scenario's alarm expectations (``alarms.must_not_fire``, ``alarms.must_fire_within_s``)
are judged from the run's alarm history, on the photo-sharing model: its thumbnailer
crashes from 120 s to 240 s and the age of the oldest job grows."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model import load_model_text
from archgen.model.errors import ModelError
from archgen.runtime.check.api import check_run
from archgen.runtime.check.report import Scope
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import line_of, mutate

PHOTO = Path(__file__).parents[1] / "models" / "photo-sharing.yaml"
FAULT = "      - {type: consumer_crash, target: thumbnailer, start_s: 120, end_s: 240}\n"


def _photo(expect: str) -> str:
    """The age of the oldest job alarms over 30 s; the crash scenario expects ``expect``."""
    text = PHOTO.read_text(encoding="utf-8")
    text = mutate(
        text,
        "{id: jobs-depth, node: thumbnail-jobs, name: ApproximateNumberOfMessagesVisible}",
        "{id: jobs-depth, node: thumbnail-jobs, name: ApproximateAgeOfOldestMessage}",
    )
    text = mutate(text, "metric: jobs-depth, threshold: 100,", "metric: jobs-depth, threshold: 30,")
    return mutate(text, FAULT, FAULT + f"    alarms: {expect}\n")


def _check(text: str, folder: Path) -> Scope:
    loaded = load_model_text(text, "photo-sharing.yaml")
    run_scenario(loaded.model, "thumbnailer-down", out=folder)
    return check_run(loaded, RunFolder.open(folder))


def test_an_alarm_that_fires_too_late_and_one_that_must_not_fire(tmp_path: Path) -> None:
    text = _photo("{must_fire_within_s: {backlog: 60}}")
    scope = _check(text, tmp_path)
    (late,) = [f for f in scope.findings if f.rule == "alarms"]
    assert late.line == line_of(text, "must_fire_within_s")
    assert late.message == (
        "alarm 'backlog' fired in thumbnailer-down 120 s after the first fault at 120 s, "
        "later than the 60 s the scenario allows"
    )
    assert dict(late.values) == {"fired_after_s": 120.0, "limit_s": 60}
    assert dict(scope.facts)["alarm backlog"] == (
        "fired 120 s after the first fault at 120 s (must fire within 60 s)"
    )
    quiet = _check(_photo("{must_not_fire: [backlog]}"), tmp_path / "quiet")
    assert [f.message for f in quiet.findings if f.rule == "alarms"] == [
        "alarm 'backlog' fired in thumbnailer-down at 240 s (1 time); the scenario says it "
        "must not fire"
    ]


def test_an_alarm_that_fires_in_time_passes(tmp_path: Path) -> None:
    scope = _check(_photo("{must_fire_within_s: {backlog: 150}}"), tmp_path)
    assert [f for f in scope.findings if f.rule == "alarms"] == []
    assert dict(scope.facts)["alarm backlog"] == (
        "fired 120 s after the first fault at 120 s (must fire within 150 s)"
    )


def test_expected_alarms_must_exist_and_not_contradict() -> None:
    text = _photo("{must_not_fire: [backlog, backlgo], must_fire_within_s: {backlog: 60}}")
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "photo-sharing.yaml")
    line = line_of(text, "must_not_fire")
    messages = [str(p).split(": ", 2)[2] for p in raised.value.problems]
    assert messages == [
        "scenarios[2].alarms.must_not_fire[0]: alarm 'backlog' is also in must_fire_within_s: "
        "it cannot both fire and stay quiet",
        "scenarios[2].alarms.must_not_fire[1]: unknown alarm 'backlgo' (did you mean 'backlog'?)",
    ]
    assert all(f":{line}:" in str(p) for p in raised.value.problems)
