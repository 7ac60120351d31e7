"""Fuzz: mutated models through validation, valid mutants through a short run and a render.

The only acceptable outcome of validation is a model or a :class:`ModelError` whose every
line is ``error: …`` (exit code 2); a run may refuse with :class:`RunError`, a renderer
with :class:`RenderError`. Anything else, or an example that does not finish, is a bug.
Budgets live in ``conftest.py`` (``make test``: small and deterministic; ``make fuzz``:
``ARCHGEN_FUZZ_PROFILE=long``).
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, event, given, note, settings
from hypothesis import strategies as st

from archgen.model import LoadedModel, Model, ModelError, load_model_text
from archgen.renderers import render_view
from archgen.renderers.base import RenderError
from archgen.renderers.views import ComputedView, compute_views
from archgen.runtime.run import RunError
from archgen.runtime.session import run_scenario

from .conftest import BUDGET, FUZZ, cpu_limit
from .strategies import (
    ALL,
    HOSTILE,
    SEED_FILES,
    Case,
    benign,
    boundary_number,
    cases,
    duplicate_id,
    fresh_reference,
)

NAME = "fuzz.yaml"
MINI_SHOP = SEED_FILES["mini-shop"]
RUN_CASES = st.one_of(
    cases(mutations=(benign,), raw_damage=False),
    cases(mutations=(benign, boundary_number), raw_damage=False),
    cases(mutations=(benign, boundary_number, *HOSTILE), raw_damage=False),
)
"""What a user would do to a working model (mostly valid), numbers at their limits, and
anything; a third each."""
RUN_SCALE = 0.05
UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""What an error line must not carry raw: controls, line and paragraph separators, and the
bidi controls that reorder what a terminal shows (joiners in emoji are fine)."""


def unsafe(char: str) -> bool:
    return char != "\t" and (
        unicodedata.category(char) in UNSAFE_CATEGORIES or char in BIDI_CONTROLS
    )


def assert_clean_error(error: ModelError) -> None:
    """What the user sees: one ``error: FILE…`` line per problem, nothing that a terminal
    would interpret (escape sequences, carriage returns, bidi overrides)."""
    from archgen.errors import exit_code

    assert exit_code(error) == 2
    assert error.problems
    lines = str(error).split("\n")
    assert len(lines) == len(error.problems), lines
    for line in lines:
        assert line.startswith(f"error: {NAME}"), line
        assert "<unicode string>" not in line, line  # PyYAML's own wording leaked
        raw = [char for char in line if unsafe(char)]
        assert not raw, (raw, line)


def validate(case: Case) -> LoadedModel | None:
    note(f"--- {NAME} ---\n{case.text[:20_000]}\n--- end ---")
    try:
        loaded = load_model_text(case.text, NAME)
    except ModelError as error:
        assert_clean_error(error)
        event("invalid")
        return None
    event("valid")
    return loaded


@pytest.mark.timeout(BUDGET.test_timeout_s)
@settings(FUZZ, max_examples=BUDGET.validate)
@given(case=cases(mutations=tuple(ALL)))
def test_validate_fuzz(case: Case) -> None:
    with cpu_limit(BUDGET.cpu_s_per_example):
        validate(case)


@pytest.mark.timeout(BUDGET.test_timeout_s)
@settings(FUZZ, max_examples=BUDGET.oracle)
@given(case=cases(mutations=(duplicate_id,), raw_damage=False, most=1))
def test_duplicate_ids_are_reported(case: Case) -> None:
    [mutation] = case.mutations
    assume("nothing" not in mutation)
    with pytest.raises(ModelError) as caught:
        load_model_text(case.text, NAME)
    assert_clean_error(caught.value)
    assert "duplicate " in str(caught.value)


@pytest.mark.timeout(BUDGET.test_timeout_s)
@settings(FUZZ, max_examples=BUDGET.oracle)
@given(case=cases(mutations=(fresh_reference,), raw_damage=False, most=1))
def test_references_to_nothing_are_reported(case: Case) -> None:
    [mutation] = case.mutations
    assume("nothing" not in mutation)
    with pytest.raises(ModelError) as caught:
        load_model_text(case.text, NAME)
    assert_clean_error(caught.value)
    assert "ghost-" in str(caught.value)


@pytest.mark.parametrize(
    ("original", "duplicate"),
    [
        ("{id: near-west, weight: 1", "{id: near-east, weight: 1"),
        ("{id: east-hot, metric", "{id: east-down, metric"),
        (
            "{id: east-cpu, node: app-east, name: CPUUtilization}",
            "{id: east-healthy, node: app-east, name: CPUUtilization}",
        ),
    ],
    ids=["location", "alarm", "metric"],
)
def test_f1_duplicate_ids_inside_params(original: str, duplicate: str) -> None:
    """Finding F1: ids inside a node's params are unique within their list."""
    text = MINI_SHOP.read_text(encoding="utf-8")
    assert original in text
    with pytest.raises(ModelError) as caught:
        load_model_text(text.replace(original, duplicate), NAME)
    message = str(caught.value)
    assert "duplicate id '" in message
    assert "(first used at line " in message


@pytest.mark.timeout(BUDGET.test_timeout_s)
@settings(FUZZ, max_examples=BUDGET.run)
@given(
    case=RUN_CASES,
    pick=st.integers(0, 1000),
    duration_s=st.sampled_from([2.0, 20.0, 150.0]),
)
def test_valid_mutants_run_and_render(case: Case, pick: int, duration_s: float) -> None:
    with cpu_limit(BUDGET.cpu_s_per_example):
        loaded = validate(case)
        if loaded is None:
            return
        model = loaded.model
        if model.scenarios:
            scenario = model.scenarios[pick % len(model.scenarios)]
            if case.seed == "reference":  # a run of the reference model costs more
                duration_s = min(duration_s, 20.0)
            short_run(model, scenario.id, duration_s)
        for view in compute_views(model):
            for fmt in ("mermaid", "dot"):
                render(model, view, fmt)


def short_run(model: Model, scenario_id: str, duration_s: float) -> None:
    """A run finishes with a summary or refuses with a message (the CLI's exit 2)."""
    refusal = ""
    try:
        result = run_scenario(model, scenario_id, duration_s=duration_s, scale=RUN_SCALE)
    except RunError as error:
        refusal = str(error)
        assert refusal
        event("run refused")
        return
    assert result.summary


def render(model: Model, view: ComputedView, fmt: str) -> None:
    refusal = ""
    try:
        drawn = render_view(model, view, fmt)
    except RenderError as error:
        refusal = str(error)
        assert refusal
        return
    assert drawn
