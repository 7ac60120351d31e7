"""Problems found in a model, and the exception that carries all of them to the user."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import click


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
        return f"error: {where}:{path} {self.message}"


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
