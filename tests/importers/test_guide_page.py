"""site/docs/guide/importing.md stays true: its template is the fixture, its model is what
the importer writes from it, its report is what the CLI prints, its error lines are the
importer's, and the page is in the site's nav."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "site" / "docs" / "guide" / "importing.md"
BLOCK = re.compile(r"^(?:<!-- (file|stderr): (\S+) -->\n)?```(\w*)\n(.*?)^```$", re.M | re.S)


def blocks() -> list[tuple[str, str, str]]:
    text = PAGE.read_text(encoding="utf-8")
    return [(mode, path, code) for mode, path, _, code in BLOCK.findall(text)]


def test_the_page_shows_the_fixture_and_what_it_imports_to() -> None:
    marked = [(mode, path) for mode, path, _ in blocks() if mode]
    assert marked == [
        ("file", "tests/importers/data/readings.yaml"),
        ("stderr", "tests/importers/data/readings.yaml"),
        ("file", "tests/importers/data/readings.model.yaml"),
        ("stderr", "tests/importers/data/poller.yaml"),
        ("stderr", "tests/importers/data/ledger-sam.yaml"),
        ("stderr", "tests/importers/data/ledger-plan.json"),
    ]
    for mode, path, code in blocks():
        if mode == "file":
            assert code == (ROOT / path).read_text(encoding="utf-8"), path
    template, model = ROOT / marked[0][1], ROOT / marked[2][1]
    assert import_cloudformation(template).text == model.read_text(encoding="utf-8")


def test_the_report_is_what_the_cli_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stderr, poller_stderr, sam_stderr, plan_stderr = [
        code for mode, _, code in blocks() if mode == "stderr"
    ]
    monkeypatch.chdir(tmp_path)
    template = ROOT / "tests/importers/data/readings.yaml"
    args = ["import", "cloudformation", str(template), "--out", "readings.model.yaml"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, stderr)
    plan = ROOT / "tests/importers/data/ledger-plan.json"
    result = CliRunner().invoke(cli, ["import", "terraform", str(plan)], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, plan_stderr)
    poller = ROOT / "tests/importers/data/poller.yaml"
    result = CliRunner().invoke(cli, ["import", "cloudformation", str(poller)])
    assert (result.exit_code, result.stderr) == (0, poller_stderr)
    sam = ROOT / "tests/importers/data/ledger-sam.yaml"
    args = ["import", "cloudformation", str(sam), "--region", "us-east-1"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (0, sam_stderr)


def test_the_error_lines_are_the_importers(tmp_path: Path) -> None:
    """Each error line of the page comes out of the importer for a template planted with it."""
    errors, _, _ = [code for mode, _, code in blocks() if not mode and code.startswith("error:")]
    stack = tmp_path / "stack.yaml"
    base = (
        "Parameters:\n  Stage: {Type: String}\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
        "    Properties:\n      VisibilityTimeout: %s\n"
    )
    values = ["!Timeout 60", "!Ref Missing", "!Ref Stage"]
    lines = []
    for value in values:
        stack.write_text(base % value, encoding="utf-8")
        result = CliRunner().invoke(
            cli, ["import", "cloudformation", str(stack)], catch_exceptions=False
        )
        assert result.exit_code == 2
        lines.append(result.stderr.replace(str(stack), "stack.yaml"))
    assert "".join(lines) == errors


def test_named_modules_exist() -> None:
    paths = re.findall(r"`((?:cli|model|tests)/[\w/]+\.py)`", PAGE.read_text(encoding="utf-8"))
    assert paths
    assert [p for p in paths if not (ROOT / p).is_file()] == []


def test_the_page_is_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    guide = next(entry["Guide"] for entry in config["nav"] if "Guide" in entry)
    assert {"Importing CloudFormation and Terraform": "guide/importing.md"} in guide


def test_the_terraform_error_lines_are_the_importers(tmp_path: Path) -> None:
    """Each Terraform error line of the page comes out of the importer for a planted plan."""
    _, _, errors = [code for mode, _, code in blocks() if not mode and code.startswith("error:")]
    plan = tmp_path / "plan.json"
    texts = [
        '{\n  "format_version": "1.2",\n  "planned_values": {,}\n}\n',
        '{"Resources": {}}',
        '{\n  "format_version": "2.0",\n  "values": {}\n}\n',
        '{"format_version": "1.0"}' + " " * 20_000_000,
    ]
    lines = []
    for text in texts:
        plan.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["import", "terraform", str(plan)], catch_exceptions=False)
        assert result.exit_code == 2
        lines.append(result.stderr.replace(str(plan), "plan.json"))
    assert "".join(lines) == errors


def test_the_sam_error_lines_are_the_importers(tmp_path: Path) -> None:
    """Each SAM error line of the page comes out of the importer for a planted template."""
    _, errors, _ = [code for mode, _, code in blocks() if not mode and code.startswith("error:")]
    stack = tmp_path / "stack.yaml"
    function = (
        "  Jobs: {Type: AWS::SQS::Queue}\n  Worker:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Runtime: python3.12\n      Handler: w.handler\n"
        "      CodeUri: src/\n      Events:\n        FromJobs: {Type: SQS, Properties: {}}\n"
    )
    table = "  Table:\n    Type: AWS::Serverless::SimpleTable\n"
    table += "    Properties: {PrimaryKey: {Name: id, Type: Blob}}\n"
    lines = []
    for body in (function, table):
        stack.write_text(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n" + body, encoding="utf-8"
        )
        result = CliRunner().invoke(
            cli, ["import", "cloudformation", str(stack)], catch_exceptions=False
        )
        assert result.exit_code == 2
        lines.append(result.stderr.replace(str(stack), "stack.yaml"))
    assert "".join(lines) == errors
