"""Findings and the report that collects them: what every output format is written from.

A finding points at the YAML line of the model element it is about (a node, an edge, a
flow step, an SLO), so that editors, CI logs and code hosts can show it in place, whether
it came from a static rule or from a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from archgen.model import LoadedModel
from archgen.model.loader import PathKey, format_path
from archgen.runtime.artefacts import Measure


def plural(count: int, word: str) -> str:
    """``1 error``, ``0 errors``, ``2 errors``: counts in the check's texts."""
    return f"{count} {word}{'s' if count != 1 else ''}"


class Severity(StrEnum):
    """``error`` fails the check (exit 1); ``warning`` is shown but does not fail it."""

    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    description: str
    dynamic: bool = False
    against: bool = False
    """Judged against infrastructure code (``check --against``), not the model alone."""


@dataclass(frozen=True, order=True)
class Finding:
    """One violated rule at one place; sorts by scope, then position in the file."""

    scope: str
    """``lint`` for static rules, else the scenario (or run folder) the finding comes from."""
    file: str
    line: int
    column: int
    rule: str
    message: str
    severity: Severity = field(compare=False)
    path: str = field(default="", compare=False)
    suppressed: str | None = field(default=None, compare=False)
    """The ``lint_ignore`` reason that switched this finding off, if any."""
    details: str = field(default="", compare=False)
    """More lines (e.g. a diff of declared and observed calls), shown under the message."""
    values: tuple[tuple[str, Measure], ...] = field(default=(), compare=False)
    """The numbers the message quotes, each name saying its unit (``p99_ms``, ``count``),
    for scripts reading ``check --format json``."""
    elsewhere: tuple[tuple[str, int, int], ...] = field(default=(), compare=False)
    """Other files the finding is about, (file, line, column): the template a drift finding
    compares the model with. SARIF lists them as further locations."""

    @property
    def failing(self) -> bool:
        return self.severity is Severity.error and self.suppressed is None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        path = f" {self.path}:" if self.path else ""
        return f"{self.severity.value}: {where}:{path} [{self.rule}] {self.message}"


@dataclass(frozen=True)
class SloScope:
    """Which flows' SLOs a scenario's check judged, and which it did not (an SLO limited to
    other scenarios), so that a scenario no SLO applies to never reads as one that met them."""

    evaluated: tuple[str, ...]
    out_of_scope: tuple[tuple[str, tuple[str, ...]], ...]
    """Flow id → the scenarios its SLO is limited to."""


@dataclass(frozen=True)
class Scope:
    """One group of checks, e.g. the static lint or the conformance of one scenario's run."""

    name: str
    rules: tuple[str, ...]
    findings: tuple[Finding, ...]
    facts: tuple[tuple[str, str], ...] = ()
    """Measured values worth showing even when nothing fails (SLO percentiles, counts)."""
    measures: tuple[tuple[str, tuple[tuple[str, Measure], ...]], ...] = ()
    """The same measurements as numbers, each name saying its unit, for ``--format json``."""
    slos: SloScope | None = None
    """For a run's scope: the SLOs judged and those out of scope; None elsewhere."""


@dataclass(frozen=True)
class Report:
    model_file: str
    scopes: tuple[Scope, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(finding for scope in self.scopes for finding in scope.findings)

    @property
    def failed(self) -> bool:
        return any(finding.failing for finding in self.findings)

    def counts(self) -> dict[str, int]:
        findings = self.findings
        return {
            "errors": sum(f.failing for f in findings),
            "warnings": sum(
                f.severity is Severity.warning and f.suppressed is None for f in findings
            ),
            "suppressed": sum(f.suppressed is not None for f in findings),
        }


class FindingSink:
    """Collects findings for one scope, positioned through the model's YAML positions."""

    def __init__(self, loaded: LoadedModel, scope: str, rules: dict[str, Rule]) -> None:
        self.loaded = loaded
        self.scope = scope
        self.rules = rules
        self.findings: list[Finding] = []
        self.measures: dict[str, Mapping[str, Measure]] = {}

    def measure(self, name: str, values: Mapping[str, Measure]) -> None:
        """Record what was measured for ``name`` (e.g. an SLO), failing or not."""
        self.measures[name] = values

    def add(
        self,
        rule: str,
        path: PathKey,
        message: str,
        *,
        node: str | tuple[str, ...] = (),
        key: bool = False,
        details: str = "",
        values: Mapping[str, Measure] | None = None,
        elsewhere: tuple[tuple[str, int, int], ...] = (),
    ) -> None:
        """Record ``message`` for ``rule`` at ``path``; ``node`` (or any of several, e.g.
        both ends of an edge) may switch it off with its ``lint_ignore``, given a reason."""
        positions = self.loaded.positions
        mark = positions.key(path) if key else positions.value(path)
        suppressed = None
        nodes = self.loaded.model.nodes_by_id
        for node_id in (node,) if isinstance(node, str) else node:
            reason = nodes[node_id].lint_ignore.get(rule, "").strip() if node_id in nodes else ""
            if reason:
                suppressed = reason
                break
        self.findings.append(
            Finding(
                scope=self.scope,
                file=self.loaded.source,
                line=mark.line,
                column=mark.column,
                rule=rule,
                message=message,
                severity=self.rules[rule].severity,
                path=format_path(path),
                suppressed=suppressed,
                details=details,
                values=tuple((values or {}).items()),
                elsewhere=elsewhere,
            )
        )

    def scope_result(
        self, facts: tuple[tuple[str, str], ...] = (), slos: SloScope | None = None
    ) -> Scope:
        return Scope(
            self.scope,
            tuple(sorted(self.rules)),
            tuple(sorted(set(self.findings))),
            facts,
            tuple((name, tuple(values.items())) for name, values in sorted(self.measures.items())),
            slos,
        )
