"""``archgen check``: static lint rules on the model, and conformance of runs to it.

``lint(loaded)`` needs no run; the report of a whole check is built by
:func:`archgen.runtime.session.check`. Formats live in :mod:`.formats`.
"""

from __future__ import annotations

from archgen.runtime.check.lint import lint
from archgen.runtime.check.report import Finding, Report, Scope, Severity
from archgen.runtime.check.rules import ALL_RULES, DYNAMIC_RULES, STATIC_RULES

__all__ = [
    "ALL_RULES",
    "DYNAMIC_RULES",
    "STATIC_RULES",
    "Finding",
    "Report",
    "Scope",
    "Severity",
    "lint",
]
