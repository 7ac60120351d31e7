"""Importing EventBridge (issue 14): a custom bus and its rules, targets with retry policies
and dead-letter queues (edges that say why), a scheduled rule on the account's default bus,
from CloudFormation and from Terraform (rules, targets merged into them)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from archgen.main import cli
from archgen.model.iam import api_operation, iam_action
from archgen.model.importers.cloudformation import import_cloudformation
from archgen.model.importers.terraform import import_terraform
from archgen.model.load import load_model_text

DATA = Path(__file__).parent / "data"
ACCOUNT = "arn:aws:{service}:eu-west-1:111122223333:{resource}"


def test_rules_become_the_bus_params_and_their_targets_edges() -> None:
    imported = import_cloudformation(DATA / "shipments-events.yaml")
    assert (imported.resources, imported.nodes, imported.edges) == (9, 6, 4)
    assert [(u.type, u.logical_id) for u in imported.unmodeled] == [
        ("AWS::Lambda::Permission", "LabelPermission"),
        ("AWS::SQS::QueuePolicy", "CarrierQueuePolicy"),
    ]
    model = load_model_text(imported.text).model
    bus = model.nodes_by_id["shipment-bus"].params
    (rule,) = bus.rules  # type: ignore[attr-defined]
    assert rule.event_pattern == {
        "source": ["shipments.api"],
        "detail-type": ["ShipmentCreated"],
        "detail": {"weight_kg": [{"numeric": [">", 0]}]},
    }
    carrier, labels = rule.targets
    assert (carrier.target, carrier.dead_letter_queue) == ("carrier-queue", "events-dlq")
    policy = carrier.retry_policy
    assert (policy.maximum_event_age_s, policy.maximum_retry_attempts) == (3_600, 10)
    assert (labels.target, labels.dead_letter_queue) == ("label-function", None)
    assert labels.retry_policy.maximum_retry_attempts == 185
    default = model.nodes_by_id["default-bus"]
    assert default.arn is None
    (hourly,) = default.params.rules  # type: ignore[attr-defined]
    assert (hourly.id, hourly.schedule, hourly.event_pattern) == (
        "hourly-report",
        "rate(1 hour)",
        None,
    )
    edges = {(e.source, e.target): (list(e.operations), e.mode.value) for e in model.edges}
    assert edges[("shipment-bus", "carrier-queue")] == (["SendMessage"], "async")
    assert edges[("shipment-bus", "events-dlq")] == (["Redrive"], "async")
    assert edges[("shipment-bus", "label-function")] == (["Invoke"], "async")
    assert edges[("default-bus", "label-function")] == (["Invoke"], "async")
    assert (
        "  # rule ShipmentCreatedRule, target carrier: dead-letter queue of carrier-queue\n"
        in imported.text
    )


def test_a_rule_naming_its_bus_by_name_finds_the_declared_bus(tmp_path: Path) -> None:
    """``EventBusName: shipments`` (the bus's Name, not a Ref) is the declared bus; an
    undeclared bus name becomes a node of its own, saying so."""
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n"
        "  Bus: {Type: AWS::Events::EventBus, Properties: {Name: shipments}}\n"
        "  Q: {Type: AWS::SQS::Queue}\n"
        "  A:\n    Type: AWS::Events::Rule\n    Properties:\n"
        "      EventBusName: shipments\n      EventPattern: {source: [a]}\n"
        "      Targets: [{Id: q, Arn: !GetAtt Q.Arn}]\n"
        "  B:\n    Type: AWS::Events::Rule\n    Properties:\n"
        "      EventBusName: partners\n      EventPattern: {source: [b]}\n"
        "      Targets: [{Id: q, Arn: !GetAtt Q.Arn}]\n",
        encoding="utf-8",
    )
    imported = import_cloudformation(template)
    model = load_model_text(imported.text).model
    assert [r.id for r in model.nodes_by_id["bus"].params.rules] == ["a"]  # type: ignore[attr-defined]
    assert [r.id for r in model.nodes_by_id["partners"].params.rules] == ["b"]  # type: ignore[attr-defined]
    assert "  # event bus partners, which the template does not declare\n" in imported.text


def test_the_events_sam_schedule_is_a_rule_of_the_default_bus() -> None:
    imported = import_cloudformation(DATA / "events-sam.yaml")
    model = load_model_text(imported.text).model
    (rule,) = model.nodes_by_id["default-bus"].params.rules  # type: ignore[attr-defined]
    assert (rule.schedule, [t.target for t in rule.targets]) == (
        "cron(0 3 * * ? *)",
        ["nightly-function"],
    )


def _resource(type_: str, label: str, **values: object) -> dict[str, object]:
    return {
        "address": f"{type_}.{label}",
        "mode": "managed",
        "type": type_,
        "name": label,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "values": values,
    }


def test_terraform_rules_with_their_targets_merged_in(tmp_path: Path) -> None:
    """A state: aws_cloudwatch_event_bus, a rule on it by name with a JSON pattern, and two
    aws_cloudwatch_event_target (retry policy, dead-letter config) merged into the rule."""
    queue_arn = ACCOUNT.format(service="sqs", resource="carrier")
    dlq_arn = ACCOUNT.format(service="sqs", resource="events-dlq")
    function_arn = ACCOUNT.format(service="lambda", resource="function:labels")
    resources = [
        _resource(
            "aws_cloudwatch_event_bus",
            "shipments",
            name="shipments",
            arn=ACCOUNT.format(service="events", resource="event-bus/shipments"),
        ),
        _resource(
            "aws_cloudwatch_event_rule",
            "created",
            name="shipment-created",
            event_bus_name="shipments",
            event_pattern=json.dumps({"source": ["shipments.api"]}),
            arn=ACCOUNT.format(service="events", resource="rule/shipments/shipment-created"),
        ),
        _resource("aws_sqs_queue", "carrier", name="carrier", arn=queue_arn),
        _resource("aws_sqs_queue", "dlq", name="events-dlq", arn=dlq_arn),
        _resource("aws_lambda_function", "labels", function_name="labels", arn=function_arn),
        _resource(
            "aws_cloudwatch_event_target",
            "carrier",
            rule="shipment-created",
            event_bus_name="shipments",
            target_id="carrier",
            arn=queue_arn,
            retry_policy=[{"maximum_event_age_in_seconds": 600, "maximum_retry_attempts": 4}],
            dead_letter_config=[{"arn": dlq_arn}],
        ),
        _resource(
            "aws_cloudwatch_event_target",
            "labels",
            rule="shipment-created",
            target_id="labels",
            arn=function_arn,
        ),
    ]
    plan = tmp_path / "state.json"
    body = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
    plan.write_text(json.dumps(body), encoding="utf-8")
    imported = import_terraform(plan)
    assert imported.unmodeled == ()
    model = load_model_text(imported.text).model
    (rule,) = model.nodes_by_id["shipments"].params.rules  # type: ignore[attr-defined]
    assert (rule.id, rule.event_pattern) == ("shipment-created", {"source": ["shipments.api"]})
    carrier, labels = rule.targets
    assert (carrier.target, carrier.dead_letter_queue, labels.target) == (
        "carrier",
        "dlq",
        "labels",
    )
    assert (
        carrier.retry_policy.maximum_event_age_s,
        carrier.retry_policy.maximum_retry_attempts,
    ) == (
        600,
        4,
    )
    edges = sorted((e.source, e.target, tuple(e.operations)) for e in model.edges)
    assert edges == [
        ("caller", "shipments", ("PutEvents",)),
        ("shipments", "carrier", ("SendMessage",)),
        ("shipments", "dlq", ("Redrive",)),
        ("shipments", "labels", ("Invoke",)),
    ]
    assert (
        "  # rule aws_cloudwatch_event_rule.created, target carrier: dead-letter queue of carrier\n"
    ) in imported.text


def test_a_state_machine_becomes_its_states_and_an_edge_per_task() -> None:
    """The intake workflow: ASL names as ids, Retry/Catch/Choice/Parallel/Fail, the
    lambda:invoke, dynamodb:putItem and sqs:sendMessage integrations as edges, the
    Definition's !Sub references resolved; an EventBridge rule starts it."""
    imported = import_cloudformation(DATA / "intake-workflow.yaml")
    assert (imported.resources, imported.nodes, imported.edges, imported.unmodeled) == (
        8,
        8,
        4,
        (),
    )
    model = load_model_text(imported.text).model
    machine = model.nodes_by_id["intake-workflow"]
    params = machine.params
    assert machine.role == "intake-workflow-role"
    assert [(s.id, s.type.value, s.resource, s.next) for s in params.states] == [  # type: ignore[attr-defined]
        ("Validate-document", "task", "validate-function", "Is-valid"),
        ("Is-valid", "choice", None, None),
        ("Record", "parallel", None, None),
        ("Save", "task", "documents-table", None),
        ("Queue-for-review", "task", "review-queue", None),
        ("Rejected", "fail", None, None),
    ]
    (retrier,) = params.states[0].retry  # type: ignore[attr-defined]
    assert (retrier.interval_s, retrier.max_attempts, retrier.backoff_rate) == (2, 4, 2.0)
    assert params.states[0].catch[0].next == "Rejected"  # type: ignore[attr-defined]
    assert params.states[2].branches == ("Save", "Queue-for-review")  # type: ignore[attr-defined]
    assert (params.timeout_s, params.workflow_type.value) == (3_600, "standard")  # type: ignore[attr-defined]
    edges = {(e.source, e.target): tuple(e.operations) for e in model.edges}
    assert edges[("intake-workflow", "documents-table")] == ("PutItem",)
    assert edges[("intake-workflow", "review-queue")] == ("SendMessage",)
    assert edges[("default-bus", "intake-workflow")] == ("StartExecution",)


def test_sam_state_machine_expands_to_its_definition(tmp_path: Path) -> None:
    """AWS::Serverless::StateMachine with DefinitionSubstitutions and a policy template:
    an express machine whose task calls the function."""
    template = tmp_path / "sam.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Scorer:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: s.handler, InlineCode: x}\n"
        "  Scoring:\n"
        "    Type: AWS::Serverless::StateMachine\n"
        "    Properties:\n"
        "      Type: EXPRESS\n"
        "      Definition:\n"
        "        StartAt: Score\n"
        "        States:\n"
        "          Score:\n"
        "            Type: Task\n"
        "            Resource: arn:aws:states:::lambda:invoke\n"
        "            Parameters: {FunctionName: '${ScorerArn}'}\n"
        "            End: true\n"
        "      DefinitionSubstitutions: {ScorerArn: !GetAtt Scorer.Arn}\n"
        "      Policies: [{LambdaInvokePolicy: {FunctionName: !Ref Scorer}}]\n",
        encoding="utf-8",
    )
    model = load_model_text(import_cloudformation(template).text).model
    machine = model.nodes_by_id["scoring"].params
    assert machine.workflow_type.value == "express"  # type: ignore[attr-defined]
    assert [(s.id, s.resource) for s in machine.states] == [("Score", "scorer")]  # type: ignore[attr-defined]


def test_terraform_state_machine_reads_its_definition(tmp_path: Path) -> None:
    function_arn = ACCOUNT.format(service="lambda", resource="function:score")
    definition = {
        "StartAt": "Score",
        "States": {"Score": {"Type": "Task", "Resource": function_arn, "End": True}},
    }
    resources = [
        _resource("aws_lambda_function", "score", function_name="score", arn=function_arn),
        _resource(
            "aws_sfn_state_machine",
            "scoring",
            name="scoring",
            type="EXPRESS",
            definition=json.dumps(definition),
            arn=ACCOUNT.format(service="states", resource="stateMachine:scoring"),
        ),
    ]
    plan = tmp_path / "state.json"
    body = {"format_version": "1.0", "values": {"root_module": {"resources": resources}}}
    plan.write_text(json.dumps(body), encoding="utf-8")
    imported = import_terraform(plan)
    assert imported.unmodeled == ()
    model = load_model_text(imported.text).model
    machine = model.nodes_by_id["scoring"].params
    assert machine.workflow_type.value == "express"  # type: ignore[attr-defined]
    assert [(s.id, s.resource, s.operation) for s in machine.states] == [  # type: ignore[attr-defined]
        ("Score", "score", "Invoke")
    ]
    edges = {(e.source, e.target): tuple(e.operations) for e in model.edges}
    assert edges[("scoring", "score")] == ("Invoke",)


def test_lambda_invoke_is_authorized_as_invoke_function() -> None:
    assert iam_action("lambda", "Invoke") == "lambda:InvokeFunction"
    assert iam_action("sqs", "SendMessage") == "sqs:SendMessage"
    assert api_operation("lambda:InvokeFunction") == "Invoke"
    assert api_operation("states:StartExecution") == "StartExecution"


def test_the_imported_workflow_runs_and_agrees_with_its_template(tmp_path: Path) -> None:
    """Round trip: its role's lambda:InvokeFunction allows the Invoke task (no denial in
    the run, no drift); the starter run (events through the default bus into the state
    machine) has no finding."""
    out = tmp_path / "model.yaml"
    source = str(DATA / "intake-workflow.yaml")
    runner = CliRunner()
    assert runner.invoke(cli, ["import", "cloudformation", source, "-o", str(out)]).exit_code == 0
    result = runner.invoke(cli, ["check", str(out), "--against", source, "--format", "json"])
    scopes = {s["name"]: s["findings"] for s in json.loads(result.stdout)["scopes"]}
    assert (scopes["starter"], scopes["drift"]) == ([], [])
