"""IAM evaluation rules, on policies as AWS spells them and on the reference model."""

from __future__ import annotations

from typing import Any

import pytest

from archgen.model import LoadedModel
from archgen.model.iam import PolicyDocument
from archgen.runtime.aws.arns import arn_of, derived_arn
from archgen.runtime.aws.iam import authorize, condition_holds, evaluate

QUEUE = "arn:aws:sqs:us-east-1:123456789012:orders"


def doc(*statements: dict[str, Any]) -> list[tuple[str, PolicyDocument]]:
    return [("role", PolicyDocument.model_validate({"Statement": list(statements)}))]


def test_explicit_deny_beats_an_allow() -> None:
    policies = doc(
        {"Sid": "All", "Effect": "Allow", "Action": "sqs:*", "Resource": "*"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "sqs:DeleteMessage", "Resource": QUEUE},
    )
    denied = evaluate(policies, "sqs:DeleteMessage", QUEUE)
    assert (denied.allowed, denied.reason, denied.error) == (False, "explicit_deny", "AccessDenied")
    assert denied.statement == "role.policies[0].Statement[1] (NoDelete)"
    allowed = evaluate(policies, "sqs:SendMessage", QUEUE)
    assert (allowed.allowed, allowed.reason) == (True, "allow")


def test_implicit_deny_without_a_matching_allow() -> None:
    decision = evaluate(
        doc({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE}),
        "sqs:ReceiveMessage",
        QUEUE,
    )
    assert (decision.allowed, decision.reason, decision.statement) == (False, "implicit_deny", None)


@pytest.mark.parametrize(
    ("action_pattern", "resource_pattern", "action", "resource", "allowed"),
    [
        ("sqs:*", "*", "sqs:SendMessage", QUEUE, True),
        ("SQS:sendmessage", QUEUE, "sqs:SendMessage", QUEUE, True),  # actions ignore case
        ("sqs:*Message", QUEUE, "sqs:SendMessage", QUEUE, True),
        ("sqs:?endMessage", QUEUE, "sqs:SendMessage", QUEUE, True),
        ("sqs:?Message", QUEUE, "sqs:SendMessage", QUEUE, False),  # ? is one character
        ("sqs:*", "arn:aws:sqs:*:123456789012:order?", "sqs:SendMessage", QUEUE, True),
        ("sqs:*", "arn:aws:sqs:*:123456789012:ORDERS", "sqs:SendMessage", QUEUE, False),
        ("sqs:*", "arn:aws:sqs:us-west-2:*", "sqs:SendMessage", QUEUE, False),
    ],
)
def test_wildcards(
    action_pattern: str, resource_pattern: str, action: str, resource: str, allowed: bool
) -> None:
    policies = doc({"Effect": "Allow", "Action": action_pattern, "Resource": resource_pattern})
    assert evaluate(policies, action, resource).allowed is allowed


def test_not_action_and_not_resource_invert_the_match() -> None:
    policies = doc(
        {"Effect": "Allow", "NotAction": "sqs:DeleteQueue", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:sqs:*:*:orders*"},
    )
    assert evaluate(policies, "sqs:SendMessage", QUEUE).allowed
    assert not evaluate(policies, "sqs:DeleteQueue", QUEUE).allowed
    assert evaluate(policies, "sqs:SendMessage", "arn:aws:sqs:x:1:other").reason == "explicit_deny"


def test_conditions_and_across_operators_or_across_values() -> None:
    ctx = {"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": True}
    assert condition_holds("StringEquals", {"aws:RequestedRegion": ("eu-west-1", "us-east-1")}, ctx)
    assert not condition_holds("StringEquals", {"aws:RequestedRegion": "eu-west-1"}, ctx)
    assert condition_holds("StringLike", {"aws:requestedregion": "us-*"}, ctx)  # keys ignore case
    assert condition_holds("Bool", {"aws:SecureTransport": "true"}, ctx)
    # A missing key fails a positive operator, satisfies a negated one and IfExists.
    assert not condition_holds("StringEquals", {"aws:SourceVpc": "vpc-1"}, ctx)
    assert condition_holds("StringNotEquals", {"aws:SourceVpc": "vpc-1"}, ctx)
    assert condition_holds("StringEqualsIfExists", {"aws:SourceVpc": "vpc-1"}, ctx)
    assert condition_holds("Null", {"aws:SourceVpc": "true"}, ctx)
    assert condition_holds("NumericLessThan", {"n": 5}, {"n": 3})
    assert condition_holds(
        "IpAddress", {"aws:SourceIp": "10.0.0.0/8"}, {"aws:sourceip": "10.1.2.3"}
    )
    both = {
        "Effect": "Allow",
        "Action": "sqs:*",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:RequestedRegion": "us-east-1"},
            "Bool": {"aws:SecureTransport": "false"},
        },
    }
    assert not evaluate(doc(both), "sqs:SendMessage", QUEUE, ctx).allowed  # AND of operators


def test_derived_arns_follow_aws_formats(reference: LoadedModel) -> None:
    model = reference.model
    nodes = model.nodes_by_id
    assert arn_of(model, nodes["orders-queue"]) == QUEUE  # the model's own ARN wins
    assert (
        derived_arn(model, nodes["orders-queue"])
        == "arn:aws:sqs:us-east-1:123456789012:orders-queue"
    )
    assert derived_arn(model, nodes["order-processor"]) == (
        "arn:aws:lambda:us-east-1:123456789012:function:order-processor"
    )
    assert derived_arn(model, nodes["web-role"]) == "arn:aws:iam::123456789012:role/web-role"
    assert arn_of(model, nodes["shopper"]) is None


def test_reference_model_web_tier_is_denied_the_card_key(reference: LoadedModel) -> None:
    model = reference.model
    n = model.nodes_by_id
    denied = authorize(model, n["web-use1"], n["card-key"], "GenerateDataKey")
    assert (denied.allowed, denied.reason) == (False, "explicit_deny")
    assert denied.statement is not None
    assert "NeverSeeCardData" in denied.statement
    ok = authorize(model, n["payments-use1"], n["card-key"], "GenerateDataKey")
    assert (ok.allowed, ok.action, ok.resource) == (
        True,
        "kms:GenerateDataKey",
        "arn:aws:kms:us-east-1:123456789012:key/mrk-card-data",
    )
    # The replica in us-west-2 is allowed through the wildcard region; the condition on
    # RequestedRegion holds there too.
    assert authorize(model, n["web-usw2"], n["orders-queue-usw2"], "SendMessage").allowed
    # Not IAM-governed: HTTPS to a load balancer, and callers without a role.
    assert not authorize(model, n["alb-use1"], n["web-use1"], "GET /search").applies
    assert not authorize(model, n["shopper"], n["alb-use1"], "GET /search").applies
    # SQL to the orders database is not an AWS API call either.
    assert not authorize(model, n["order-processor"], n["orders-db"], "INSERT order").applies


def test_kms_key_policy_decides_and_can_delegate_to_iam() -> None:
    from archgen.runtime.aws.iam import evaluate_with_resource_policy

    role = "arn:aws:iam::123456789012:role/app"
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    identity = doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    direct_only = PolicyDocument.model_validate(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:role/other"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        }
    )
    # The key policy names another role and does not delegate: the role's own Allow is not enough.
    decision = evaluate_with_resource_policy(
        identity, direct_only, "k", role, "123456789012", "kms:Decrypt", key
    )
    assert decision.reason == "implicit_deny"
    delegate = PolicyDocument.model_validate(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        }
    )
    assert evaluate_with_resource_policy(
        identity, delegate, "k", role, "123456789012", "kms:Decrypt", key
    ).allowed
    assert not evaluate_with_resource_policy(
        [], delegate, "k", role, "123456789012", "kms:Decrypt", key
    ).allowed
