"""CDK synth output: node ids from the construct paths, a cluster group per construct that
holds several nodes, CDK's analytics resource left out silently, the policies grants attach
to roles read into them; and the round trip of both new fixtures (SAM, CDK): import →
validate → render → run → check."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.load import load_model_text
from tests.golden import assert_golden

DATA = Path(__file__).parent / "data"
CDK = DATA / "LedgerStack.template.json"
FINDING = re.compile(r"^  (error|warning): .*?\[([a-z-]+)\]", re.M)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_imported_model_is_the_golden() -> None:
    assert_golden(DATA / "LedgerStack.model.yaml", import_cloudformation(CDK).text)


def test_ids_come_from_the_construct_paths_without_hashes() -> None:
    imported = import_cloudformation(CDK)
    assert (imported.resources, imported.nodes, imported.edges) == (14, 7, 4)
    model = load_model_text(imported.text).model
    assert model.system.id == "ledger-stack"
    assert [(n.id, n.group) for n in model.nodes] == [
        ("caller", None),
        ("ledger-dead-letters", "us-east-1"),
        ("ledger-queue", "us-east-1"),
        ("ledger-table", "us-east-1"),
        ("store-function-service-role", "store-function-cluster"),
        ("store-function", "store-function-cluster"),
        ("api-role", None),
        ("ledger-api", "us-east-1"),
    ]
    assert [(g.id, g.kind.value, g.parent) for g in model.groups] == [
        ("us-east-1", "region", None),
        ("store-function-cluster", "cluster", "us-east-1"),
    ]
    text = imported.text
    assert (
        "  # from LedgerStack/LedgerQueue/Resource, logical id LedgerQueue8A2B3C4D "
        "(AWS::SQS::Queue)\n  - id: ledger-queue\n" in text
    )
    assert "  # from LedgerStack/StoreFunction (CDK construct)\n" in text


def test_analytics_is_silent_and_attached_policies_are_read_into_their_roles() -> None:
    """The grant a CDK ``DefaultPolicy`` carries is an edge; nothing reports the analytics
    resource or the merged policies; the function depends on its role only."""
    imported = import_cloudformation(CDK)
    assert [u.type for u in imported.unmodeled] == ["AWS::ApiGateway::Deployment"]
    assert "CDKMetadata" not in imported.text
    model = load_model_text(imported.text).model
    edge = next(
        e for e in model.edges if (e.source, e.target) == ("store-function", "ledger-table")
    )
    assert list(edge.operations) == ["BatchWriteItem", "DeleteItem", "PutItem", "UpdateItem"]
    assert "  # deployed after StoreFunctionServiceRole5D6E7F80 (DependsOn)\n" in imported.text
    assert (
        "  # policy ApiRoleDefaultPolicy1F2E3D4C (AWS::IAM::Policy) attached to it, "
        "read in inline\n  - id: api-role\n" in imported.text
    )


def test_a_template_without_construct_paths_is_plain_cloudformation(tmp_path: Path) -> None:
    template = json.loads(CDK.read_text(encoding="utf-8"))
    for body in template["Resources"].values():
        body.pop("Metadata", None)
    plain = tmp_path / "LedgerStack.template.json"
    plain.write_text(json.dumps(template), encoding="utf-8")
    imported = import_cloudformation(plain)
    assert "  - id: ledger-queue8-a2-b3-c4-d\n" in imported.text
    assert "AWS::CDK::Metadata CDKMetadata: no archgen kind imports this type yet" in imported.text


@pytest.mark.parametrize(
    ("template", "resources", "findings"),
    [
        (
            "ledger-sam.yaml",
            "ledger-sam.yaml: 12 resources → 8 nodes, 5 edges, 2 not modeled",
            {
                # Lambda writes its logs with the role: the logs actions are needed.
                "error iam-least-privilege": 3,
                # The API node: not alarmed, its integration edge in no flow.
                "error monitored": 6,
                "warning edge-coverage": 4,
                "warning flow-participation": 6,
            },
        ),
        (
            "LedgerStack.template.json",
            "LedgerStack.template.json: 14 resources → 7 nodes, 4 edges, 1 not modeled",
            {
                "error iam-least-privilege": 3,
                # The API node (now the starter's entry): not alarmed, its SQS edge unused.
                "error monitored": 5,
                "warning edge-coverage": 3,
                "warning flow-participation": 6,
                "warning visibility-timeout-margin": 1,
            },
        ),
    ],
)
def test_round_trip(
    template: str, resources: str, findings: dict[str, int], tmp_path: Path
) -> None:
    """Import, validate, render, run the starter scenario, check: the lint findings of a
    fresh import are what a reviewer is told to fix first, pinned by rule."""
    model = tmp_path / "model.yaml"
    code, _, stderr = invoke("import", "cloudformation", str(DATA / template), "-o", str(model))
    assert (code, stderr.splitlines()[0]) == (0, f"{resources} (wrote {model})")
    assert invoke("validate", str(model))[0] == 0
    code, _, _ = invoke("render", str(model), "-f", "mermaid", "-o", str(tmp_path / "views"))
    assert code == 0
    views = tmp_path / "views"
    assert sorted(p.name for p in views.glob("*.mmd")) == [
        "flow-starter.mmd",
        "flow-starter.sequence.mmd",
        "overview.mmd",
        "region-us-east-1.mmd",
        "security.mmd",
    ]
    code, stdout, stderr = invoke("run", str(model), "-o", str(tmp_path / "run"))
    assert code == 0, stderr
    assert "violations 0, availability 100.000 %" in stdout
    code, stdout, _ = invoke("check", str(model))
    assert code == 1
    assert dict(Counter(f"{level} {rule}" for level, rule in FINDING.findall(stdout))) == findings
