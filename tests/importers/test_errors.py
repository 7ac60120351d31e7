"""A bad template: one ``error: FILE:LINE:COL: path: message`` line, exit 2, nothing
written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli

GOOD = """\
Parameters:
  Stage: {Type: String, Default: prod}
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      Tags: [{Key: stage, Value: !Ref Stage}]
"""


def import_text(tmp_path: Path, text: str | bytes) -> tuple[int, str, bool]:
    path = tmp_path / "t.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "model.yaml"
    args = ["import", "cloudformation", str(path), "-o", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stderr.replace(str(path), "t.yaml"), out.exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "VisibilityTimeout: 60",
            "VisibilityTimeout: !Timeout 60",
            "error: t.yaml:7:26: unknown tag !Timeout: a template may use CloudFormation's "
            "short forms (!Ref, !GetAtt, !Sub, !If…) only",
        ),
        (
            "VisibilityTimeout: 60",
            "VisibilityTimeout: !Ref Missing",
            "error: t.yaml:7:26: Resources.Queue.Properties.VisibilityTimeout.Ref: unknown "
            "parameter or resource 'Missing'",
        ),
        (
            "VisibilityTimeout: 60",
            "VisibilityTimeout: {'Fn::Frobnicate': 1}",
            "error: t.yaml:7:27: Resources.Queue.Properties.VisibilityTimeout.Fn::Frobnicate: "
            "unknown intrinsic function 'Fn::Frobnicate' (archgen resolves Ref, Fn::GetAtt, "
            "Fn::Sub, Fn::If, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::GetAZs, "
            "Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Base64, Fn::ImportValue)",
        ),
        (
            "Default: prod",
            "Description: no default",
            "error: t.yaml:2:10: Parameters.Stage: the parameter has no Default: archgen "
            "imports a template with its defaults",
        ),
        (
            "VisibilityTimeout: 60",
            "VisibilityTimeout: !GetAtt Nothing.Arn",
            "error: t.yaml:7:26: Resources.Queue.Properties.VisibilityTimeout.Fn::GetAtt: "
            "unknown resource 'Nothing'",
        ),
        (
            "    Properties:",
            "    DependsOn: [Ghost]\n    Properties:",
            "error: t.yaml:6:5: Resources.Queue.DependsOn: unknown resource 'Ghost'",
        ),
        (
            "    Type: AWS::SQS::Queue",
            "    Condition: Loop\n    Type: AWS::SQS::Queue",
            "error: t.yaml:1:1: Conditions.Loop.Condition: circular condition: Loop -> Loop",
        ),
        (
            "VisibilityTimeout: 60",
            "VisibilityTimeout: [60",
            "error: t.yaml:8:11: not YAML or JSON: expected ',' or ']', but got ':'",
        ),
        (
            "    Type: AWS::SQS::Queue\n",
            "",
            "error: t.yaml:5:5: Resources.Queue: a resource needs a Type",
        ),
    ],
)
def test_bad_template(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = GOOD.replace(old, new)
    if "Loop" in new:
        text = "Conditions:\n  Loop: !Condition Loop\n" + text
        message = "error: t.yaml:2:9: Conditions.Loop.Condition: circular condition: Loop -> Loop"
    assert text != GOOD
    assert import_text(tmp_path, text) == (2, message + "\n", False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "error: t.yaml:1:1: the template is empty"),
        (
            "AWSTemplateFormatVersion: '2010-09-09'\n",
            "error: t.yaml:1:1: not a CloudFormation template: it needs a Resources mapping",
        ),
        (
            "[1, 2]\n",
            "error: t.yaml:1:1: not a CloudFormation template: it needs a Resources mapping",
        ),
        (b"Resources: \xff\n", "error: t.yaml:1:1: not UTF-8 text (byte 11)"),
        (
            "Resources: {}\n" + "#" * 1_000_000,
            "error: t.yaml:1:1: the template is 1,000,014 bytes, over CloudFormation's limit "
            "of 1,000,000",
        ),
        (
            "Resources: {A: {Type: X}}\nResources: {}\n",
            "error: t.yaml:2:1: duplicate key 'Resources'",
        ),
    ],
)
def test_not_a_template(tmp_path: Path, text: str | bytes, message: str) -> None:
    assert import_text(tmp_path, text) == (2, message + "\n", False)


def test_missing_file(tmp_path: Path) -> None:
    args = ["import", "cloudformation", str(tmp_path / "none.yaml")]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.endswith(": cannot read the template: No such file or directory\n")


OVER_LIMITS = """\
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60000
  Worker:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: x.h
      MemorySize: 99999
      Timeout: 9000
      Code: {ZipFile: "x"}
      Role: arn:aws:iam::123456789012:role/x
"""


def test_a_model_that_fails_validation_is_told_at_the_template(tmp_path: Path) -> None:
    """Values AWS would refuse make an invalid model: each problem points at the property
    it came from in the template (the key of the value), not at the model never written."""
    code, stderr, written = import_text(tmp_path, OVER_LIMITS)
    assert (code, written) == (2, False)
    assert stderr == (
        "error: t.yaml:5:7: Queue → nodes[1].params.visibility_timeout_s: input should be "
        "less than or equal to 43200 (got 60000)\n"
        "error: t.yaml:11:7: Worker → nodes[2].params.memory_mb: input should be less than "
        "or equal to 10240 (got 99999)\n"
        "error: t.yaml:12:7: Worker → nodes[2].params.timeout_s: input should be less than "
        "or equal to 900 (got 9000)\n"
    )


def test_a_value_written_twice_is_told_at_its_resource(tmp_path: Path) -> None:
    """A Terraform plan writes a value in its planned values and in its changes: the
    problem points at the resource (its values), where the plan's first copy is."""
    source = Path(__file__).parent / "data" / "ledger-plan.json"
    plan = tmp_path / "plan.json"
    plan.write_text(
        source.read_text(encoding="utf-8").replace('"memory_size": 512', '"memory_size": 77777'),
        encoding="utf-8",
    )
    args = ["import", "terraform", str(plan), "-o", str(tmp_path / "m.yaml")]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.replace(str(plan), "plan.json") == (
        "error: plan.json:254:21: aws_lambda_function.worker → nodes[7].params.memory_mb: "
        "input should be less than or equal to 10240 (got 77777)\n"
    )
