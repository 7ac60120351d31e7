"""AWS managed policies: the shipped documents are read into the roles that attach them
(CloudFormation ``ManagedPolicyArns``, Terraform ``managed_policy_arns`` and
attachments), so a poller's role allows its event source; one archgen does not ship is
reported, never guessed."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.importers.managed import aws_managed_name, lookup, table
from archgen.model.importers.terraform import import_terraform
from archgen.model.load import load_model_text
from tests.golden import assert_golden

DATA = Path(__file__).parent / "data"
POLLER = DATA / "poller.yaml"
FINDING = re.compile(r"^  (error|warning): .*?\[([a-z-]+)\]", re.M)
XRAY = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"


def check_findings(template: Path, tmp_path: Path) -> Counter[str]:
    model = tmp_path / "model.yaml"
    runner = CliRunner()
    args = ["import", "cloudformation", str(template), "-o", str(model)]
    assert runner.invoke(cli, args, catch_exceptions=False).exit_code == 0
    result = runner.invoke(cli, ["check", str(model)], catch_exceptions=False)
    return Counter(f"{level} {rule}" for level, rule in FINDING.findall(result.stdout))


def test_the_table_records_what_was_read() -> None:
    shipped = table()
    assert len(shipped) == 9
    basic = shipped["AWSLambdaBasicExecutionRole"]
    assert basic.arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert (basic.version, basic.edited, basic.label) == (
        "v1",
        "2015-04-09",
        "v1, edited 2015-04-09",
    )
    assert shipped["AmazonS3ReadOnlyAccess"].label == "v3, edited 2023-08-10"
    assert shipped["AWSLambdaSQSQueueExecutionRole"].label == "version unread"
    for policy in shipped.values():
        assert policy.document["Version"] == "2012-10-17", policy.name


def test_only_aws_managed_arns_are_looked_up() -> None:
    assert aws_managed_name("arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess") == (
        "AmazonS3ReadOnlyAccess"
    )
    assert lookup("arn:aws:iam::aws:policy/service-role/AWSLambdaRole") is not None
    assert aws_managed_name("arn:aws:iam::123456789012:policy/mine") is None
    assert lookup(XRAY) is None  # AWS managed, not shipped


def test_imported_model_is_the_golden() -> None:
    assert_golden(DATA / "poller.model.yaml", import_cloudformation(POLLER).text)


def test_managed_policies_are_read_in_and_an_unknown_one_is_reported() -> None:
    imported = import_cloudformation(POLLER)
    assert [(u.what, u.why) for u in imported.unresolved] == [
        (
            "AWS::IAM::Role WorkerRole",
            "AWS managed policy AWSXRayDaemonWriteAccess is not among those archgen ships: "
            "its statements are missing (add them inline to see them)",
        )
    ]
    assert imported.unmodeled == ()
    role = load_model_text(imported.text).model.nodes_by_id["worker-role"]
    actions = [s.actions() for p in role.params.policies for s in p.Statement]  # type: ignore[attr-defined]
    assert actions[0] == (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    )
    assert "dynamodb:GetItem" in actions[1]
    assert len(actions) == 2


def test_the_pollers_role_allows_its_event_source(tmp_path: Path) -> None:
    """Without its managed policies the role allows none of the three calls Lambda makes to
    poll the queue (a false iam-required-calls finding each); read in, none is left."""
    assert check_findings(POLLER, tmp_path)["error iam-required-calls"] == 0
    bare = tmp_path / "bare.yaml"
    text = POLLER.read_text(encoding="utf-8")
    start = text.index("      ManagedPolicyArns:")
    end = text.index("\n\n", start)
    bare.write_text(text[:start] + text[end + 1 :], encoding="utf-8")
    assert check_findings(bare, tmp_path)["error iam-required-calls"] == 3


def test_terraform_managed_policy_arns_are_read_in(tmp_path: Path) -> None:
    plan = json.loads((DATA / "ledger-plan.json").read_text(encoding="utf-8"))
    arns = ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", XRAY]
    for section in ("planned_values",):
        for resource in plan[section]["root_module"]["resources"]:
            if resource["address"] == "aws_iam_role.api":
                resource["values"]["managed_policy_arns"] = arns
    for change in plan["resource_changes"]:
        if change["address"] == "aws_iam_role.api":
            change["change"]["after"]["managed_policy_arns"] = arns
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    imported = import_terraform(path)
    assert [(u.what, u.why.split(":")[0]) for u in imported.unresolved] == [
        (
            "aws_iam_role.api",
            "AWS managed policy AWSXRayDaemonWriteAccess is not among those archgen ships",
        )
    ]
    assert (
        "  # managed policy AmazonSQSReadOnlyAccess (v4, edited 2024-05-24) read in inline "
        "(AWS's document)\n" in imported.text
    )
    # The attachment of AWSLambdaBasicExecutionRole reads it into the worker's role.
    assert (
        "  # from aws_iam_role.worker, aws_iam_role_policy.worker, "
        "aws_iam_role_policy_attachment.worker_logs (AWS::IAM::Role)\n" in imported.text
    )
