"""A report as text (people), JSON (scripts), JUnit XML (CI systems) and SARIF 2.1.0
(code hosts, which annotate the model's YAML lines with it).

Every format is a pure function of the report: same report, same bytes. No timestamps,
no durations: the time a check took is printed by the CLI, never written into a report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import PurePath
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from archgen.model.errors import escape_terminal
from archgen.runtime.artefacts import SCHEMA_VERSION, FindingRecord
from archgen.runtime.check.report import Finding, Report, Rule, Severity, SloScope, plural
from archgen.runtime.check.rules import ALL_RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "archgen"
TOOL_URI = "https://pypi.org/project/archgen/"


def to_text(report: Report, tool_version: str = "") -> str:
    del tool_version
    lines: list[str] = []
    for scope in report.scopes:
        failing = [f for f in scope.findings if f.suppressed is None]
        suppressed = len(scope.findings) - len(failing)
        errors = sum(f.severity is Severity.error for f in failing)
        warnings = len(failing) - errors
        status = "FAIL" if errors else "ok"
        extra = f", {suppressed} suppressed" if suppressed else ""
        if scope.slos is not None and not scope.slos.evaluated:
            extra += ", no SLO applies"
        lines.append(
            f"{scope.name}: {status} ({plural(len(scope.rules), 'rule')}, "
            f"{plural(errors, 'error')}, {plural(warnings, 'warning')}{extra})"
        )
        for finding in failing:
            lines.append(f"  {finding}")
            lines.extend(f"      {line}" for line in finding.details.splitlines())
        lines.extend(f"  {name}: {value}" for name, value in scope.facts)
    counts = report.counts()
    verdict = "FAILED" if report.failed else "passed"
    lines.append(
        f"check {verdict}: {plural(counts['errors'], 'error')}, "
        f"{plural(counts['warnings'], 'warning')}, {counts['suppressed']} suppressed"
    )
    # Messages quote the model's free text: nothing in it may drive the reader's terminal.
    return "\n".join(escape_terminal(line) for line in lines) + "\n"


def to_json(report: Report, tool_version: str = "") -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "model": report.model_file,
        "passed": not report.failed,
        "counts": report.counts(),
        "scopes": [
            {
                "name": scope.name,
                "rules": list(scope.rules),
                "facts": dict(scope.facts),
                "measures": {name: dict(values) for name, values in scope.measures},
                "findings": [_finding_json(finding) for finding in scope.findings],
                "slos": _slos_json(scope.slos),
            }
            for scope in report.scopes
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _slos_json(slos: SloScope | None) -> dict[str, Any] | None:
    """The flows whose SLOs a run's check judged, and the others with the scenarios their
    SLO is limited to; null for a scope that judges no SLO (lint, coverage)."""
    if slos is None:
        return None
    return {
        "evaluated": list(slos.evaluated),
        "out_of_scope": {flow: list(scenarios) for flow, scenarios in slos.out_of_scope},
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    """The finding as its published schema (``archgen schema --artefact finding``) says."""
    record = FindingRecord(
        rule=finding.rule,
        severity=finding.severity.value,
        message=finding.message,
        file=finding.file,
        line=finding.line,
        column=finding.column,
        path=finding.path,
        suppressed=finding.suppressed,
        details=finding.details,
        values=dict(finding.values),
    )
    return record.model_dump(mode="json")


def to_junit(report: Report, tool_version: str = "") -> str:
    """One test suite per scope, one test case per rule; a rule's error findings are its
    failures, its warnings and suppressed findings go to ``system-out``."""
    del tool_version
    suites = ET.Element("testsuites", name=f"{TOOL_NAME} check")
    total = total_failures = 0
    for scope in report.scopes:
        by_rule: dict[str, list[Finding]] = {rule: [] for rule in scope.rules}
        for finding in scope.findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        failures = sum(any(f.failing for f in found) for found in by_rule.values())
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=scope.name,
            tests=str(len(by_rule)),
            failures=str(failures),
            errors="0",
            skipped="0",
            time="0",
        )
        if scope.facts:
            properties = ET.SubElement(suite, "properties")
            for name, value in scope.facts:
                ET.SubElement(properties, "property", name=name, value=value)
        for rule_id, found in by_rule.items():
            rule = ALL_RULES.get(rule_id)
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{rule_id}: {rule.title}" if rule else rule_id,
                classname=f"{TOOL_NAME}.check.{scope.name}",
                time="0",
            )
            failing = [f for f in found if f.failing]
            if failing:
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=rule_id,
                    message=f"{len(failing)} finding{'s' if len(failing) != 1 else ''}: "
                    f"{failing[0].message}",
                )
                failure.text = "\n".join(
                    "\n".join([str(f), *f.details.splitlines()]) for f in failing
                )
            others = [f for f in found if not f.failing]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(
                    f"{f} (suppressed: {f.suppressed})" if f.suppressed else str(f) for f in others
                )
        total += len(by_rule)
        total_failures += failures
    suites.set("tests", str(total))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def to_sarif(report: Report, tool_version: str = "") -> str:
    """SARIF 2.1.0: one run, the rules that ran, one result per finding located at the
    model file's line and column (suppressed findings carry their lint_ignore reason)."""
    rule_ids = sorted(
        {rule for scope in report.scopes for rule in scope.rules}
        | {finding.rule for finding in report.findings}
    )
    index = {rule: i for i, rule in enumerate(rule_ids)}
    uri = artifact_uri(report.model_file)
    artifacts = [uri]
    for finding in report.findings:
        for file, _, _ in finding.elsewhere:
            if artifact_uri(file) not in artifacts:
                artifacts.append(artifact_uri(file))
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "informationUri": TOOL_URI,
        "rules": [_sarif_rule(rule_id) for rule_id in rule_ids],
    }
    if tool_version:
        driver["version"] = tool_version
    results = []
    for finding in report.findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": finding.severity.value,
            "message": {
                "text": f"{finding.message}\n{finding.details}"
                if finding.details
                else finding.message
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "index": 0},
                        "region": {"startLine": finding.line, "startColumn": finding.column},
                    },
                    **(
                        {"logicalLocations": [{"fullyQualifiedName": finding.path}]}
                        if finding.path
                        else {}
                    ),
                },
                *(
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": artifact_uri(file),
                                "index": artifacts.index(artifact_uri(file)),
                            },
                            "region": {"startLine": line, "startColumn": column},
                        }
                    }
                    for file, line, column in finding.elsewhere
                ),
            ],
            "properties": {"scope": finding.scope},
        }
        if finding.suppressed is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "artifacts": [{"location": {"uri": artifact}} for artifact in artifacts],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _sarif_rule(rule_id: str) -> dict[str, Any]:
    rule: Rule | None = ALL_RULES.get(rule_id)
    if rule is None:
        return {"id": rule_id}
    return {
        "id": rule.id,
        "name": "".join(part.title() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {
            "kind": "drift" if rule.against else "dynamic" if rule.dynamic else "static"
        },
    }


def artifact_uri(file: str) -> str:
    """A URI reference for the model file: relative paths stay relative (code hosts resolve
    them against the repository root), absolute ones become ``file://`` URIs."""
    path = PurePath(file)
    if path.is_absolute():
        return "file://" + quote(path.as_posix())
    return quote(path.as_posix())


FORMATS: dict[str, Callable[[Report, str], str]] = {
    "text": to_text,
    "json": to_json,
    "junit": to_junit,
    "sarif": to_sarif,
}
