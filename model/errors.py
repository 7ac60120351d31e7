"""archgen's errors: one hierarchy for every package, rooted here in the model layer.

None of them is a click exception: the model, the runtime, the renderers and the site know no
command line. The CLI maps each class to its exit code and its ``error:`` lines in one place
(``archgen.errors``); a library caller catches :class:`ArchgenError`.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

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


class ArchgenError(Exception):
    """Anything archgen reports to its user as ``error:`` lines, not as a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(ArchgenError):
    """Bad input: a model, a run folder, an output folder, a run's parameters (exit 2)."""


class UsageError(InputError):
    """A bad value of a command's option (``subject``, e.g. ``--scenario``) or a bad
    combination of options (no subject): the CLI points to the command's help (exit 2)."""

    def __init__(self, message: str, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class SetupError(ArchgenError):
    """What archgen needs from its installation is missing or broken: Graphviz's ``dot``, a
    kind or renderer plug-in (exit 2)."""


class CheckFailed(ArchgenError):  # noqa: N818 - a verdict, named as the user reads it
    """A verdict, not a fault: the model or a run broke a rule (exit 1). The message is the
    verdict's own words (``check failed: …``), printed after the report."""


class ModelError(InputError):
    """Bad input: every problem at once, one ``error: FILE:LINE:COL: path: message`` line
    each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(problem) for problem in self.problems))


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close enough, else an empty string."""
    matches = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""
