"""A bad plan: one ``error: FILE:LINE:COL: path: message`` line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.tfjson import MAX_BYTES


def import_text(tmp_path: Path, text: str | bytes) -> tuple[int, str, bool]:
    path = tmp_path / "plan.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "model.yaml"
    args = ["import", "terraform", str(path), "-o", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stderr.replace(str(path), "plan.json"), out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{\n  "format_version": "1.2",\n  "planned_values": {,}\n}\n',
            "error: plan.json:3:22: not JSON: Expecting property name enclosed in double quotes",
        ),
        ("", "error: plan.json:1:1: not JSON: Expecting value"),
        (
            '{\n  "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}\n}\n',
            "error: plan.json:1:1: not a Terraform plan or state: the JSON of `terraform show "
            "-json` has a format_version",
        ),
        (
            "[1, 2]",
            "error: plan.json:1:1: not a Terraform plan or state: the JSON of `terraform show "
            "-json` has a format_version",
        ),
        (
            '{\n  "format_version": "2.0",\n  "values": {}\n}\n',
            "error: plan.json:2:3: format_version: a plan of another format version (2.0): "
            "archgen reads format version 1.x",
        ),
        (
            '{"format_version": "1.0", "values": {"root_module": {"resources": [\n'
            '  {"address": "aws_sqs_queue.jobs", "values": {}}]}}}\n',
            "error: plan.json:2:3: a resource needs an address, a type and a name",
        ),
        (
            '{"format_version": "1.0", "values": {"root_module": {"resources": [\n'
            '  {"address": "aws_iam_role.r", "type": "aws_iam_role", "name": "r",\n'
            '   "values": {"assume_role_policy": "{not json"}}]}}}\n',
            "error: plan.json:3:37: aws_iam_role.r.values.assume_role_policy: not a JSON "
            "document: Expecting property name enclosed in double quotes",
        ),
        (
            '{"format_version": "1.0", "values": {"root_module": {"resources": [\n'
            '  {"address": "aws_sqs_queue.a", "type": "aws_sqs_queue", "name": "a"},\n'
            '  {"address": "aws_sqs_queue.a", "type": "aws_sqs_queue", "name": "a"}]}}}\n',
            "error: plan.json:3:3: aws_sqs_queue.a: a second resource of this address",
        ),
        (b'{"format_version": "1.0\xff"}', "error: plan.json:1:1: not UTF-8 text (byte 23)"),
        (
            '{"format_version": "1.0"}' + " " * MAX_BYTES,
            "error: plan.json:1:1: the plan is 20,000,025 bytes, over the limit of 20,000,000",
        ),
    ],
)
def test_bad_plan(tmp_path: Path, text: str | bytes, message: str) -> None:
    assert import_text(tmp_path, text) == (2, message + "\n", False)


def test_missing_file(tmp_path: Path) -> None:
    args = ["import", "terraform", str(tmp_path / "none.json")]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.endswith(": cannot read the plan: No such file or directory\n")


def test_an_empty_state_imports_to_a_model_without_nodes(tmp_path: Path) -> None:
    """``terraform show -json`` of an empty state has no ``values``: a model with the
    client alone, which still validates (nothing to run)."""
    code, stderr, written = import_text(tmp_path, '{"format_version": "1.0"}')
    assert (code, written) == (0, True)
    assert (
        stderr
        == "plan.json: 0 resources → 0 nodes, 0 edges, 0 not modeled (wrote "
        + str(tmp_path / "model.yaml")
        + ")\n"
    )
