"""``archgen check --against``: drift between a model and the template it describes.

The fixture template's imported model (lint switched off, ``ledger.model.yaml``) has no
drift; ``ledger-drifted.model.yaml`` is the same model with four differences planted: a
param changed, a node removed, a KMS key removed, an edge its template's role does not
allow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from tests.check.helpers import mutate

ROOT = Path(__file__).parents[2]
DATA = "tests/check/data/drift"
TEMPLATE = f"{DATA}/ledger.yaml"
CLEAN = f"{DATA}/ledger.model.yaml"
DRIFTED = f"{DATA}/ledger-drifted.model.yaml"

DRIFT_TEXT = f"""\
drift: FAIL (2 rules, 4 errors, 0 warnings)
  error: {DRIFTED}:14:1: nodes: [drift] Receipts (s3) of {TEMPLATE} has no node in the model (a node of kind s3 named 'receipts', or whose arn ends in it)
      template: {TEMPLATE}:69:3 (Receipts)
  error: {DRIFTED}:38:7: nodes[2].params: [drift] node 'ledger' is encrypted with no KMS key in the model, with KMS key 'ledger-key' in the template
      template: {TEMPLATE}:15:3 (Ledger)
  error: {DRIFTED}:48:29: nodes[3].params.reserved_concurrency: [drift] node 'worker' params.reserved_concurrency: the model says 50, the template says 25
      template: {TEMPLATE}:28:7 (Worker)
  error: {DRIFTED}:85:60: edges[3].operations[1]: [drift] edge worker -> ledger-table: the template's role WorkerRole does not allow dynamodb:GetItem on arn:aws:dynamodb:us-east-1:123456789012:table/ledger-table
      template: {TEMPLATE}:39:3 (WorkerRole)
check FAILED: 4 errors, 4 warnings, 5 suppressed
"""  # noqa: E501


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # relative paths in the findings, as CI shows them


def check(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_planted_differences_are_the_drift_findings() -> None:
    code, stdout, stderr = check(DRIFTED, "--against", TEMPLATE, "--lint-only")
    assert code == 1
    assert stdout.split("\n  warning:")[0].startswith("lint: ok (")
    assert stdout[stdout.index("drift: ") :] == DRIFT_TEXT
    assert stderr.startswith(f"checked {DRIFTED}: lint, drift and 0 runs in ")
    assert stderr.endswith("check failed: 4 errors (4 warnings, 5 suppressed)\n")


def test_sarif_locates_each_finding_in_the_model_and_in_the_template() -> None:
    code, stdout, _ = check(DRIFTED, "--against", TEMPLATE, "--lint-only", "-f", "sarif")
    assert code == 1
    run = json.loads(stdout)["runs"][0]
    assert run["artifacts"] == [{"location": {"uri": DRIFTED}}, {"location": {"uri": TEMPLATE}}]
    found = [
        [
            (
                loc["physicalLocation"]["artifactLocation"]["uri"],
                loc["physicalLocation"]["artifactLocation"]["index"],
                loc["physicalLocation"]["region"]["startLine"],
                loc["physicalLocation"]["region"]["startColumn"],
            )
            for loc in result["locations"]
        ]
        for result in run["results"]
        if result["ruleId"] == "drift"
    ]
    assert found == [
        [(DRIFTED, 0, 14, 1), (TEMPLATE, 1, 69, 3)],
        [(DRIFTED, 0, 38, 7), (TEMPLATE, 1, 15, 3)],
        [(DRIFTED, 0, 48, 29), (TEMPLATE, 1, 28, 7)],
        [(DRIFTED, 0, 85, 60), (TEMPLATE, 1, 39, 3)],
    ]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "drift")
    assert rule["properties"] == {"kind": "drift"}


def test_json_and_junit_carry_the_template_location_in_the_details() -> None:
    _, stdout, _ = check(DRIFTED, "--against", TEMPLATE, "--lint-only", "-f", "json")
    scope = next(s for s in json.loads(stdout)["scopes"] if s["name"] == "drift")
    assert [f["details"] for f in scope["findings"]] == [
        f"template: {TEMPLATE}:69:3 (Receipts)",
        f"template: {TEMPLATE}:15:3 (Ledger)",
        f"template: {TEMPLATE}:28:7 (Worker)",
        f"template: {TEMPLATE}:39:3 (WorkerRole)",
    ]
    _, stdout, _ = check(DRIFTED, "--against", TEMPLATE, "--lint-only", "-f", "junit")
    assert '<testsuite name="drift" tests="2" failures="1"' in stdout
    assert 'message="4 findings: Receipts (s3) of' in stdout


def test_no_drift_exits_0() -> None:
    code, stdout, _ = check(CLEAN, "--against", TEMPLATE, "--lint-only")
    assert code == 0
    assert "drift: ok (2 rules, 0 errors, 0 warnings)\n" in stdout


def test_the_imported_fixtures_have_no_drift_against_their_own_input() -> None:
    """Every importer fixture matches its own template or plan, node for node (lint aside)."""
    pairs = [
        ("readings", "readings.yaml"),
        ("thumbnails", "thumbnails.yaml"),
        ("web-fleet", "web-fleet.yaml"),
        ("thumbnails-state", "thumbnails-state.json"),
        ("web-plan", "web-plan.json"),
    ]
    for model, source in pairs:
        data = "tests/importers/data"
        _, stdout, _ = check(
            f"{data}/{model}.model.yaml", "--against", f"{data}/{source}", "--lint-only"
        )
        assert "drift: ok (2 rules, 0 errors, 0 warnings)\n" in stdout, model


def test_a_terraform_plan_is_compared_too() -> None:
    """The plan's worker role grants nothing on the queue its function polls: the drift
    check says so, as the imported model's own lint does."""
    data = "tests/importers/data"
    _, stdout, _ = check(
        f"{data}/ledger-plan.model.yaml", "--against", f"{data}/ledger-plan.json", "--lint-only"
    )
    drift = stdout[stdout.index("drift: ") :]
    assert drift.startswith("drift: FAIL (2 rules, 2 errors, 0 warnings)\n")
    assert "does not allow sqs:ReceiveMessage on " in drift


def test_a_bad_template_is_the_importers_error_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "stack.yaml"
    bad.write_text("Resources: [1]\n", encoding="utf-8")
    code, stdout, stderr = check(CLEAN, "--against", str(bad), "--lint-only")
    assert (code, stdout) == (2, "")
    assert (
        stderr == f"error: {bad}:1:1: not a CloudFormation template: it needs a Resources mapping\n"
    )
    bad.write_text("Resources:\n  Q: {Type: AWS::SQS::Queue, Properties: {X: !Nope 1}}\n")
    code, _, stderr = check(CLEAN, "--against", str(bad))  # before any scenario runs
    assert code == 2
    assert stderr == (
        f"error: {bad}:2:46: unknown tag !Nope: a template may use CloudFormation's short "
        "forms (!Ref, !GetAtt, !Sub, !If…) only\n"
    )
    plan = tmp_path / "plan.json"
    plan.write_text('{\n  "format_version": "2.0"\n}\n', encoding="utf-8")
    code, _, stderr = check(CLEAN, "--against", str(plan), "--lint-only")
    assert code == 2
    assert stderr == (
        f"error: {plan}:2:3: format_version: a plan of another format version (2.0): "
        "archgen reads format version 1.x\n"
    )


def test_lint_only_runs_no_scenario_with_against() -> None:
    _, stdout, stderr = check(CLEAN, "--against", TEMPLATE, "--lint-only", "-f", "json")
    assert [s["name"] for s in json.loads(stdout)["scopes"]] == ["lint", "drift"]
    assert "lint, drift and 0 runs" in stderr


def test_a_node_whose_arn_names_the_resource_matches_it(tmp_path: Path) -> None:
    """The matching rule: kind plus name, the name being the last part of the node's arn."""
    text = (ROOT / CLEAN).read_text(encoding="utf-8")
    renamed = text.replace(
        "id: worker\n", "id: handler\n    arn: arn:aws:lambda:::function:worker\n"
    )
    renamed = renamed.replace("from: worker,", "from: handler,")
    model = tmp_path / "m.yaml"
    model.write_text(renamed, encoding="utf-8")
    code, stdout, _ = check(str(model), "--against", TEMPLATE, "--lint-only")
    assert "drift: ok (2 rules, 0 errors, 0 warnings)\n" in stdout, stdout
    assert code == 0


def _drift_text(stdout: str) -> str:
    return stdout[stdout.index("drift: ") : stdout.index("check ")]


def test_a_physical_name_matches_a_node_by_id_or_by_arn(tmp_path: Path) -> None:
    """A resource's name in AWS (QueueName, TableName) is one of its names: the queue
    matches a node whose id is that name, the table a node whose arn ends in it."""
    template = (ROOT / TEMPLATE).read_text(encoding="utf-8")
    template = mutate(
        template,
        "      VisibilityTimeout: 120\n",
        "      VisibilityTimeout: 120\n      QueueName: ledger-jobs\n",
    )
    template = mutate(
        template,
        "      BillingMode: PAY_PER_REQUEST\n",
        "      BillingMode: PAY_PER_REQUEST\n      TableName: LedgerRecords\n",
    )
    named = tmp_path / "ledger.yaml"
    named.write_text(template, encoding="utf-8")
    text = (ROOT / CLEAN).read_text(encoding="utf-8")
    text = mutate(text, "  - id: ledger\n", "  - id: ledger-jobs\n")
    text = mutate(text, "        queue: ledger\n", "        queue: ledger-jobs\n")
    text = text.replace("to: ledger,", "to: ledger-jobs,")
    text = text.replace("ledger-table", "records")
    table_arn = "    arn: arn:aws:dynamodb:us-east-1:123456789012:table/LedgerRecords\n"
    matched = mutate(text, "  - id: records\n", f"  - id: records\n{table_arn}")
    model = tmp_path / "m.yaml"
    model.write_text(matched, encoding="utf-8")
    _, stdout, _ = check(str(model), "--against", str(named), "--lint-only")
    assert _drift_text(stdout) == "drift: ok (2 rules, 0 errors, 0 warnings)\n"

    wrong = table_arn.replace("LedgerRecords", "LedgerRecs")
    model.write_text(mutate(text, "  - id: records\n", f"  - id: records\n{wrong}"))
    _, stdout, _ = check(str(model), "--against", str(named), "--lint-only", "-f", "json")
    scope = next(s for s in json.loads(stdout)["scopes"] if s["name"] == "drift")
    assert [f["message"] for f in scope["findings"]] == [
        f"LedgerTable (dynamodb) of {named} has no node in the model (a node of kind dynamodb "
        "named 'ledger-table' or 'LedgerRecords', or whose arn ends in one of them)",
        f"dynamodb node 'records' has no resource in {named} (none of kind dynamodb named "
        "'LedgerRecs' or 'records')",
    ]


def test_a_state_arn_matches_a_kms_key_by_its_key_id(tmp_path: Path) -> None:
    """A key's ARN ends in its key id: a node with the real ARN matches the state's key."""
    data = "tests/importers/data"
    text = (ROOT / f"{data}/thumbnails-state.model.yaml").read_text(encoding="utf-8")
    key = "arn:aws:kms:us-west-2:111122223333:key/5e1d4a02-8c7b-4f0e-9d3a-1b2c3d4e5f60"
    text = mutate(text, "  - id: data\n", f"  - id: thumbs-key\n    arn: {key}\n")
    text = text.replace("kms_key: data\n", "kms_key: thumbs-key\n")
    text = text.replace("to: data,", "to: thumbs-key,")
    model = tmp_path / "m.yaml"
    model.write_text(text, encoding="utf-8")
    _, stdout, _ = check(str(model), "--against", f"{data}/thumbnails-state.json", "--lint-only")
    assert _drift_text(stdout) == "drift: ok (2 rules, 0 errors, 0 warnings)\n"


AUDIT = """\
Resources:
  Audit:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: ledger-audit
      VisibilityTimeout: 60
"""
AUDIT_NODE = (
    "  - {id: ledger-audit, kind: sqs, group: us-east-1, params: {visibility_timeout_s: 60}}\n"
)


def test_several_files_are_one_system(tmp_path: Path) -> None:
    """Two stacks, each a part of the system: every node has its resource in one of them,
    and a resource of either without a node is named with its own file."""
    audit = tmp_path / "audit.yaml"
    audit.write_text(AUDIT, encoding="utf-8")
    text = (ROOT / CLEAN).read_text(encoding="utf-8")
    model = tmp_path / "m.yaml"
    model.write_text(mutate(text, "  - id: ledger-table\n", f"{AUDIT_NODE}  - id: ledger-table\n"))
    _, stdout, _ = check(str(model), "--against", TEMPLATE, "--against", str(audit), "--lint-only")
    assert _drift_text(stdout) == "drift: ok (2 rules, 0 errors, 0 warnings)\n"
    _, stdout, _ = check(str(model), "--against", str(audit), "--lint-only", "-f", "json")
    scope = next(s for s in json.loads(stdout)["scopes"] if s["name"] == "drift")
    # The ledger's six nodes, without their template: the second file is needed.
    assert len(scope["findings"]) == 6

    _, stdout, _ = check(CLEAN, "--against", TEMPLATE, "--against", str(audit), "--lint-only")
    assert _drift_text(stdout) == (
        "drift: FAIL (2 rules, 1 error, 0 warnings)\n"
        f"  error: {CLEAN}:11:1: nodes: [drift] Audit (sqs) of {audit} has no node in the model "
        "(a node of kind sqs named 'audit' or 'ledger-audit', or whose arn ends in one of them)\n"
        f"      template: {audit}:2:3 (Audit)\n"
    )
    model.write_text(
        mutate(
            text,
            "  - id: ledger-table\n",
            f"{AUDIT_NODE.replace('ledger-audit', 'audit-2')}  - id: ledger-table\n",
        )
    )
    _, stdout, _ = check(
        str(model), "--against", TEMPLATE, "--against", str(audit), "--lint-only", "-f", "json"
    )
    scope = next(s for s in json.loads(stdout)["scopes"] if s["name"] == "drift")
    assert [f["message"] for f in scope["findings"]] == [
        f"Audit (sqs) of {audit} has no node in the model (a node of kind sqs named 'audit' "
        "or 'ledger-audit', or whose arn ends in one of them)",
        f"sqs node 'audit-2' has no resource in {TEMPLATE} or {audit} (none of kind sqs named "
        "'audit-2')",
    ]


def test_one_file_given_twice_is_refused() -> None:
    code, stdout, stderr = check(CLEAN, "--against", TEMPLATE, "--against", TEMPLATE)
    assert (code, stdout) == (2, "")
    assert stderr.splitlines()[0] == f"error: --against: {TEMPLATE} given more than once"


def test_the_guide_shows_these_findings() -> None:
    page = (ROOT / "site/docs/guide/importing.md").read_text(encoding="utf-8")
    assert f"```text\n{DRIFT_TEXT}```" in page
    assert "## Catching drift" in page


def test_a_param_points_at_the_property_that_holds_it(tmp_path: Path) -> None:
    """The template position of a differing param is its property's key when the resource
    writes that value once; else the resource (a batch size sits in the event source
    mapping, another resource)."""
    text = (ROOT / CLEAN).read_text(encoding="utf-8")
    text = text.replace("visibility_timeout_s: 120", "visibility_timeout_s: 90")
    text = text.replace("batch_size: 10", "batch_size: 5")
    model = tmp_path / "m.yaml"
    model.write_text(text, encoding="utf-8")
    _, stdout, _ = check(str(model), "--against", TEMPLATE, "--lint-only", "-f", "json")
    scope = next(s for s in json.loads(stdout)["scopes"] if s["name"] == "drift")
    assert [(f["path"], f["message"], f["details"]) for f in scope["findings"]] == [
        (
            "nodes[2].params.visibility_timeout_s",
            "node 'ledger' params.visibility_timeout_s: the model says 90, the template says 120",
            f"template: {TEMPLATE}:18:7 (Ledger)",
        ),
        (
            "nodes[3].params.event_source.batch_size",
            "node 'worker' params.event_source.batch_size: the model says 5, the template says 10",
            f"template: {TEMPLATE}:21:3 (Worker)",
        ),
    ]


def test_a_topic_s_recipient_outside_aws_is_no_drift(tmp_path: Path) -> None:
    """The template's inline email subscription imports as an external node named after
    the address; the model's own recipient node, named otherwise, stands for it: no
    finding on the subscription, none for the external node."""
    template = tmp_path / "alerts.yaml"
    template.write_text(
        "Resources:\n"
        "  Alerts:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Properties:\n"
        "      Subscription:\n"
        "        - {Protocol: email, Endpoint: ops@example.net}\n",
        encoding="utf-8",
    )
    model = tmp_path / "model.yaml"
    model.write_text(
        "archgen: 1\n"
        "system: {id: alerts, name: Alerts}\n"
        "groups:\n"
        "  - {id: euw1, kind: region, code: eu-west-1}\n"
        "nodes:\n"
        "  - {id: alerts, kind: sns, group: euw1,\n"
        "     params: {subscriptions: [{endpoint: pager, protocol: email}]}}\n"
        "  - {id: pager, kind: external, params: {role: email, appearance: person}}\n"
        "edges:\n"
        "  - {from: alerts, to: pager, operations: [Deliver], protocol: smtp, mode: async}\n",
        encoding="utf-8",
    )
    _, stdout, _ = check(str(model), "--against", str(template), "--lint-only")
    assert "drift: ok (2 rules, 0 errors, 0 warnings)\n" in stdout


KEY_TEMPLATE = """\
Resources:
  ArchiveKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::123456789012:root"}
            Action: "kms:*"
            Resource: "*"
"""

KEY_MODEL = """\
archgen: 1
system: {id: archive, name: Archive}
groups:
  - {id: euw1, kind: region, code: eu-west-1}
nodes:
  - id: archive-key
    kind: kms
    group: euw1
"""


def test_params_the_model_leaves_to_archgen_s_defaults_are_warnings(tmp_path: Path) -> None:
    """The model sets neither rotation (archgen's default on, CloudFormation's off) nor a
    key policy: each is a drift-default warning that says it is archgen's default (the
    trial read 'rotation: the model says true' of a model that never said it), and check
    passes. Set, they are drift errors, and a policy prints without the keys it leaves out
    (no "Id": null, "Condition": null)."""
    template = tmp_path / "key.yaml"
    template.write_text(KEY_TEMPLATE, encoding="utf-8")
    quiet = tmp_path / "quiet.yaml"
    quiet.write_text(KEY_MODEL, encoding="utf-8")
    code, stdout, _ = check(str(quiet), "--against", str(template), "--lint-only")
    assert code == 0
    assert "drift: ok (2 rules, 0 errors, 2 warnings)\n" in stdout
    defaults = [
        line.split("[drift-default] ", 1)[1]
        for line in stdout.splitlines()
        if "[drift-default]" in line
    ]
    policy = '{"Statement": [{"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Resource": "*"}], "Version": "2012-10-17"}'  # noqa: E501
    assert defaults == [
        "node 'archive-key' params.key_policy: the model does not write it (archgen's default:"
        f" none), the template says {policy}",
        "node 'archive-key' params.rotation: the model leaves it to archgen's default true, the"
        " template says false",
    ]
    stated = tmp_path / "stated.yaml"
    stated.write_text(
        KEY_MODEL + "    params:\n"
        "      rotation: true\n"
        "      key_policy:\n"
        "        Statement:\n"
        '          - {Effect: Allow, Principal: {AWS: "arn:aws:iam::123456789012:root"},\n'
        '             Action: "kms:*", Resource: "*"}\n'
        "          - {Effect: Allow, Principal: {Service: logs.amazonaws.com},\n"
        '             Action: "kms:Decrypt", Resource: "*"}\n',
        encoding="utf-8",
    )
    code, stdout, _ = check(str(stated), "--against", str(template), "--lint-only")
    assert code == 1
    found = [line.split("[drift] ", 1)[1] for line in stdout.splitlines() if "[drift]" in line]
    root = '{"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Resource": "*"}'  # noqa: E501
    logs = '{"Action": "kms:Decrypt", "Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Resource": "*"}'  # noqa: E501
    assert found == [
        "node 'archive-key' params.rotation: the model says true, the template says false",
        f"node 'archive-key' params.key_policy.Statement: the model says [{root}, {logs}], "
        f"the template says [{root}]",
    ]
    assert "null" not in stdout


def test_a_db_cluster_matches_the_node_its_identifier_names(tmp_path: Path) -> None:
    """``DBClusterIdentifier`` is an Aurora cluster's name in AWS: a node named after it
    stands for the cluster (before, the cluster and the node were each reported missing)."""
    from archgen.model.importers.cloudformation import import_cloudformation

    template = tmp_path / "ledger-stack.yaml"
    template.write_text(
        "Resources:\n"
        "  LedgerCluster:\n"
        "    Type: AWS::RDS::DBCluster\n"
        "    Properties: {DBClusterIdentifier: ledger-db, Engine: aurora-postgresql}\n",
        encoding="utf-8",
    )
    text = import_cloudformation(template).text.replace("ledger-cluster", "ledger-db")
    model = tmp_path / "ledger.yaml"
    model.write_text(text, encoding="utf-8")
    _, stdout, _ = check(str(model), "--against", str(template), "--lint-only")
    assert _drift_text(stdout) == "drift: ok (2 rules, 0 errors, 0 warnings)\n"
