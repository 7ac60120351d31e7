"""The fuzz's findings, pinned as small reproducers (see ``findings.md``).

Each starts from the runtime's mini shop and makes the one edit the fuzz found; the error
must be a single ``error: FILE:LINE:COL: path: message`` line naming the problem.
"""

from __future__ import annotations

import pytest

from archgen.model import ModelError, load_model_text

from .strategies import SEED_FILES
from .test_fuzz_model import NAME, assert_clean_error

MINI_SHOP = SEED_FILES["mini-shop"].read_text(encoding="utf-8")


def problem_line(original: str, replacement: str) -> str:
    assert original in MINI_SHOP
    with pytest.raises(ModelError) as caught:
        load_model_text(MINI_SHOP.replace(original, replacement, 1), NAME)
    assert_clean_error(caught.value)
    return str(caught.value)


def test_f2_integer_past_the_digit_limit_is_a_problem_not_a_traceback() -> None:
    message = problem_line(
        "{flow: buy, probability: 0.5}", "{flow: buy, probability: 1" + "0" * 5000 + "}"
    )
    assert message.startswith(
        "error: fuzz.yaml:147:66: journeys[0].flows[2].probability: number too large (5,001 digits"
    )


def test_f3_control_characters_in_a_key_are_escaped() -> None:
    message = problem_line(
        "{id: east, kind: region, code: us-east-1}",
        '{id: east, kind: region, code: us-east-1, "kind\\x1b[31m\\x7f\\x9a": 1}',
    )
    assert message.startswith(
        "error: fuzz.yaml:5:47: groups[0].kind\\x1b[31m\\x7f\\x9a: unknown field "
        "'kind\\x1b[31m\\x7f\\x9a'"
    )


def test_f3_control_characters_in_an_operation_are_escaped() -> None:
    message = problem_line("op: Charge}", 'op: "\\x00\\x1b[2JCharge"}')
    assert message.startswith(
        "error: fuzz.yaml:141:40: flows[2].steps[2].op: operation '\\x00\\x1b[2JCharge' is not "
        "declared on edge app-east -> bank"
    )


def test_f4_line_breaks_in_a_value_stay_on_one_line() -> None:
    message = problem_line("kind: route53", 'kind: "a\\rb\\nc\\u2028d\\u202ee"')
    assert message.startswith(
        "error: fuzz.yaml:21:11: nodes[1].kind: unknown kind 'a\\rb\\nc\\u2028d\\u202ee'"
    )


def test_f5_control_character_in_the_text_is_positioned() -> None:
    """A character YAML's reader refuses is reported at its line:col, in our words."""
    message = problem_line("title: Steady", "title: St\x1beady")
    assert message == (
        "error: fuzz.yaml:150:14: character U+001B is not allowed in YAML text; write it as"
        ' an escape in a double-quoted string (e.g. "\\x1b")'
    )
