"""SAM templates: expanded offline by aws-sam-translator, imported as CloudFormation; the
nodes name the SAM resource they came from, and the translator's complaints are one
``error:`` line at the SAM resource (or event) they concern."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.load import load_model_text

DATA = Path(__file__).parent / "data"

FUNCTION = (
    "  Worker:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties:\n"
    "      Runtime: python3.12\n"
    "      Handler: w.handler\n"
    "      CodeUri: src/\n"
)


def test_the_expanded_resources_keep_the_sam_resource_in_their_comment() -> None:
    """12 resources after expansion from 6: the functions' roles and mapping come from the
    SAM functions, Globals set timeout and memory, policy templates grant the edges."""
    imported = import_cloudformation(DATA / "ledger-sam.yaml")
    assert (imported.resources, imported.nodes, imported.edges) == (12, 8, 5)
    lines = imported.text.splitlines()
    assert "  # from SAM StoreFunction (AWS::Serverless::Function) → StoreFunctionRole " in [
        line.split("(AWS::IAM::Role)")[0] for line in lines
    ]
    model = load_model_text(imported.text).model
    store = model.nodes_by_id["store-function"]
    assert (store.role, store.params.timeout_s, store.params.memory_mb) == (  # type: ignore[attr-defined]
        "store-function-role",
        15,
        256,
    )
    assert store.params.event_source.queue == "ledger-queue"  # type: ignore[attr-defined]
    assert sorted((e.source, e.target) for e in model.edges) == [
        ("caller", "ledger-queue"),
        ("ledger-api", "submit-function"),
        ("ledger-queue", "ledger-dead-letters"),
        ("store-function", "ledger-queue"),
        ("store-function", "ledger-table"),
        ("submit-function", "ledger-queue"),
    ]
    assert [(u.type, u.logical_id) for u in imported.unmodeled] == [
        ("AWS::Lambda::Permission", "SubmitFunctionSubmitPermissionprod"),
        ("AWS::ApiGateway::Deployment", "LedgerApiDeploymenta20b2ced02"),
    ]
    # The API's stage throttling, and its Lambda proxy integration from the OpenAPI body.
    api = model.nodes_by_id["ledger-api"].params
    assert (api.api_type, api.rate_limit, api.burst_limit) == ("rest", 100, 200)  # type: ignore[attr-defined]


def test_managed_policies_by_name_need_no_network(tmp_path: Path) -> None:
    """A ``Policies`` entry naming an AWS managed policy resolves from a fixed map."""
    template = tmp_path / "t.yaml"
    template.write_text(
        "Transform: [AWS::Serverless-2016-10-31]\nResources:\n"
        + FUNCTION
        + "      Policies: [AWSLambdaBasicExecutionRole, AmazonDynamoDBReadOnlyAccess]\n",
        encoding="utf-8",
    )
    model = load_model_text(import_cloudformation(template).text).model
    assert model.nodes_by_id["worker"].role == "worker-role"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            "  Jobs: {Type: AWS::SQS::Queue}\n"
            + FUNCTION
            + "      Events:\n        FromJobs:\n          Type: SQS\n"
            "          Properties: {BatchSize: 10}\n",
            "t.yaml:11:9: Resources.Worker.Properties.Events.FromJobs: SAM: Missing required "
            "property 'Queue'.",
        ),
        (
            FUNCTION + "      Events:\n        Hourly:\n          Type: Schedule\n"
            "          Properties: {Schedule: 'rate(1 hour)', Enabled: maybe}\n"
            "  Table:\n    Type: AWS::Serverless::SimpleTable\n"
            "    Properties: {PrimaryKey: {Name: id, Type: Blob}}\n",
            "t.yaml:10:9: Resources.Worker.Properties.Events.Hourly: SAM: Type of property "
            "'Enabled' is invalid. (and 1 more)",
        ),
        (
            "  Table:\n    Type: AWS::Serverless::SimpleTable\n"
            "    Properties: {PrimaryKey: {Name: id, Type: Blob}}\n",
            "t.yaml:3:3: Resources.Table: SAM: Invalid 'Type' \"Blob\".",
        ),
        (
            "  Worker:\n    Type: AWS::Serverless::Function\n    DependsOn: Missing\n"
            "    Properties: {Runtime: python3.12, Handler: w.handler, CodeUri: src/}\n",
            "t.yaml:5:5: Resources.Worker.DependsOn: unknown resource 'Missing'",
        ),
    ],
)
def test_a_bad_sam_template_is_one_error_line(tmp_path: Path, body: str, error: str) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n" + body, encoding="utf-8"
    )
    out = tmp_path / "model.yaml"
    result = CliRunner().invoke(
        cli, ["import", "cloudformation", str(template), "-o", str(out)], catch_exceptions=False
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {tmp_path / error}\n"
    assert not out.exists()


def test_every_event_source_sam_knows_is_a_node_an_edge_or_reported() -> None:
    """HttpApi, SQS, SNS, DynamoDB stream and Schedule events with Globals and policy
    templates: 8 resources expand to 22; the stream mapping is reported, not dropped, and
    the schedule's rule is a rule of the default event bus."""
    imported = import_cloudformation(DATA / "events-sam.yaml")
    assert (imported.resources, imported.nodes, imported.edges) == (22, 15, 6)
    assert [(u.type, u.logical_id) for u in imported.unmodeled] == [
        ("AWS::Lambda::Permission", "HttpFunctionPostPermission"),
        ("AWS::Lambda::Permission", "AlertFunctionTopicPermission"),
        ("AWS::Lambda::EventSourceMapping", "LedgerFunctionStream"),
        ("AWS::Lambda::Permission", "NightlyFunctionNightlyPermission"),
    ]
    model = load_model_text(imported.text).model
    assert sorted((e.source, e.target) for e in model.edges) == [
        ("alerts", "alert-function"),
        ("caller", "alerts"),
        ("default-bus", "nightly-function"),
        ("http-function", "work"),
        ("nightly-function", "ledger"),
        ("serverless-http-api", "http-function"),
        ("worker-function", "work"),
    ]
    worker = model.nodes_by_id["worker-function"].params
    assert (worker.memory_mb, worker.timeout_s, worker.event_source.batch_size) == (512, 10, 5)  # type: ignore[attr-defined]
