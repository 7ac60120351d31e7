"""Import time of a 300-resource CloudFormation template (issue 14), against the anchor of
parsing the same template with libyaml's safe loader in the same run.

The template is generated: 30 services of ten resources each — a queue and its dead-letter
queue, a function with its role, event-source mapping and alarm, a table with its KMS key,
a topic and its subscription — the shapes of real serverless stacks, with references
between them so that edges and grants are inferred. ``archgen import`` then validates the
model it wrote, so the time includes loading the result.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 3
SERVICES = 30


def service(i: int) -> dict[str, Any]:
    """Ten resources of one service, named ``…{i}``."""
    queue, dlq, fn, role = f"Queue{i}", f"DeadLetters{i}", f"Worker{i}", f"WorkerRole{i}"
    table, key, topic = f"Table{i}", f"Key{i}", f"Topic{i}"
    return {
        dlq: {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600}},
        queue: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 60,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                    "maxReceiveCount": 5,
                },
            },
        },
        key: {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}
                            },
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ]
                }
            },
        },
        table: {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "SSESpecification": {
                    "SSEEnabled": True,
                    "SSEType": "KMS",
                    "KMSMasterKeyId": {"Ref": key},
                },
            },
        },
        role: {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ]
                },
                "Policies": [
                    {
                        "PolicyName": "work",
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "sqs:ReceiveMessage",
                                        "sqs:DeleteMessage",
                                        "sqs:GetQueueAttributes",
                                    ],
                                    "Resource": {"Fn::GetAtt": [queue, "Arn"]},
                                },
                                {
                                    "Effect": "Allow",
                                    "Action": ["dynamodb:PutItem"],
                                    "Resource": {"Fn::GetAtt": [table, "Arn"]},
                                },
                                {
                                    "Effect": "Allow",
                                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                                    "Resource": {"Fn::GetAtt": [key, "Arn"]},
                                },
                            ]
                        },
                    }
                ],
            },
        },
        fn: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "app.handler",
                "Code": {"ZipFile": "def handler(event, context): pass"},
                "Role": {"Fn::GetAtt": [role, "Arn"]},
                "Timeout": 30,
                "MemorySize": 512,
                "ReservedConcurrentExecutions": 20,
                "Environment": {"Variables": {"TABLE": {"Ref": table}}},
            },
        },
        f"{fn}Source": {
            "Type": "AWS::Lambda::EventSourceMapping",
            "Properties": {
                "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
                "FunctionName": {"Ref": fn},
                "BatchSize": 10,
            },
        },
        f"{fn}Errors": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": fn}}],
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "AlarmActions": [{"Ref": topic}],
            },
        },
        topic: {"Type": "AWS::SNS::Topic", "Properties": {}},
        f"{topic}Pager": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": topic},
                "Protocol": "email",
                "Endpoint": "on-call@example.com",
            },
        },
    }


def template() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for i in range(SERVICES):
        resources.update(service(i))
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def median(fn: Any) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    import yaml

    from archgen.model import load_model_text
    from archgen.model.importers.cloudformation import import_cloudformation

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "services.yaml"
        path.write_text(yaml.safe_dump(template(), sort_keys=False), encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        imported = import_cloudformation(path)
        load_model_text(imported.text)  # the result must be a valid model
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        anchor = median(lambda: yaml.load(text, Loader=loader))
        seconds = median(lambda: load_model_text(import_cloudformation(path).text))
    print(
        f"template: {imported.resources} resources, {len(text) / 1024:.0f} KB → "
        f"{imported.nodes} nodes, {imported.edges} edges, {len(imported.unmodeled)} not modeled"
    )
    print(f"anchor: YAML parse (libyaml) of it      median {anchor * 1000:7.1f} ms  ({RUNS} runs)")
    print(
        f"archgen import + validate             median {seconds * 1000:7.1f} ms  = "
        f"{seconds / anchor:4.1f}× the anchor"
    )


if __name__ == "__main__":
    sys.exit(main())
