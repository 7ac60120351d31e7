"""Problems found in a model, and the exception that carries all of them to the user."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import click

_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_KEPT_FORMAT = {"\u200c", "\u200d"}  # zero-width (non-)joiners: needed to write some scripts
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def escape_terminal(text: str) -> str:
    """``text`` with what a terminal would obey rather than show (ESC, CR, BEL, C0 and C1
    controls, bidirectional overrides, line separators) written as ``\\x1b``, ``\\u202e``…,
    so that a string from a model cannot rewrite, hide or reorder what archgen prints."""
    if text.isprintable():  # the common case; every character escaped below is unprintable
        return text
    return "".join(_escape_character(character) for character in text)


def _escape_character(character: str) -> str:
    if character in _KEPT_FORMAT or unicodedata.category(character) not in _ESCAPED_CATEGORIES:
        return character
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, positioned in its file; sorts by position."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        path = f" {self.path}:" if self.path else ""
        return escape_terminal(f"error: {where}:{path} {self.message}")


class ModelError(click.ClickException):
    """Bad input: every problem at once, one line each, exit code 2."""

    exit_code = 2

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def format_message(self) -> str:
        return self.message

    def show(self, file: object = None) -> None:
        # Each line already starts with "error:"; click would prefix another "Error:".
        click.echo(self.message, err=True)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close enough, else an empty string."""
    matches = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""
