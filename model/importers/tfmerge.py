"""Terraform resources that complete another: merged into the CloudFormation properties of
their host (a bucket's encryption and notifications, a role's policies), as CloudFormation
writes them inline."""

from __future__ import annotations

from collections.abc import Callable

from archgen.model.importers.managed import aws_managed_name
from archgen.model.importers.template import Map, Seq
from archgen.model.importers.tfmap import Reader, encryption, positioned

Hosts = tuple[list[str], str]
"""The hosts a resource was merged into, or none and why."""


def _address(value: object) -> str | None:
    """The resource a ``Ref``/``Fn::GetAtt`` names."""
    if isinstance(value, Map) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, Map) and isinstance(value.get("Fn::GetAtt"), Seq):
        pair = value["Fn::GetAtt"]
        assert isinstance(pair, Seq)
        return str(pair[0])
    return None


def _host(t: Reader, attribute: str, cfn: str, resources: Map, prefer: str) -> str | None:
    address = _address(t.ref(attribute, prefer=prefer))
    body = resources.get(address) if address else None
    if isinstance(body, Map) and body.get("Type") == cfn:
        return address
    return None


def _properties(resources: Map, host: str) -> Map:
    body = resources[host]
    assert isinstance(body, Map)
    properties = body["Properties"]
    assert isinstance(properties, Map)
    return properties


def _set(t: Reader, properties: Map, key: str, value: object) -> None:
    properties[key] = positioned(value, t.resource.values.pos)
    properties.keys_at[key] = t.resource.pos


def _bucket_encryption(t: Reader, resources: Map) -> Hosts:
    host = _host(t, "bucket", "AWS::S3::Bucket", resources, "aws_s3_bucket")
    if host is None:
        return [], "its bucket is not in the plan"
    rules = encryption(t)
    if rules:
        config = {"ServerSideEncryptionConfiguration": rules}
        _set(t, _properties(resources, host), "BucketEncryption", config)
    return [host], ""


def _bucket_notification(t: Reader, resources: Map) -> Hosts:
    host = _host(t, "bucket", "AWS::S3::Bucket", resources, "aws_s3_bucket")
    if host is None:
        return [], "its bucket is not in the plan"
    config: dict[str, object] = {}
    for block, arn, section, field in (
        ("lambda_function", "lambda_function_arn", "LambdaConfigurations", "Function"),
        ("queue", "queue_arn", "QueueConfigurations", "Queue"),
        ("topic", "topic_arn", "TopicConfigurations", "Topic"),
    ):
        items: list[object] = []
        for i in range(t.count(block)):
            target = t.ref(block, i, arn)
            events = t.get(block, i, "events")
            for event in events if isinstance(events, list) else []:
                items.append({field: target, "Event": event})
        if items:
            config[section] = items
    if config:
        _set(t, _properties(resources, host), "NotificationConfiguration", config)
    return [host], ""


def _add_policy(t: Reader, properties: Map, name: object, document: object) -> None:
    policies = properties.get("Policies")
    kept = [
        p
        for p in (policies if isinstance(policies, list) else [])
        if not (isinstance(p, dict) and p.get("PolicyName") == name)
    ]
    kept.append({"PolicyName": name, "PolicyDocument": document})
    _set(t, properties, "Policies", kept)


def _role_policy(t: Reader, resources: Map) -> Hosts:
    host = _host(t, "role", "AWS::IAM::Role", resources, "aws_iam_role")
    if host is None:
        return [], "its role is not in the plan"
    document = t.json("policy")
    if document is not None:
        _add_policy(t, _properties(resources, host), t.get("name"), document)
    return [host], ""


def _attachment(t: Reader, resources: Map) -> Hosts:
    arn = t.get("policy_arn")
    policy = _address(t.ref("policy_arn", prefer="aws_iam_policy"))
    found = next((r for r in t.plan.resources if r.address == policy), None)
    host = _host(t, "role", "AWS::IAM::Role", resources, "aws_iam_role")
    outside = found is None or found.type != "aws_iam_policy"
    if outside and host is not None and isinstance(arn, str) and aws_managed_name(arn):
        # An AWS managed policy: the role's import reads it in (or reports it).
        properties = _properties(resources, host)
        listed = properties.get("ManagedPolicyArns")
        arns = list(listed) if isinstance(listed, list) else []
        if arn not in arns:
            _set(t, properties, "ManagedPolicyArns", [*arns, arn])
        return [host], ""
    if found is None or outside:
        short = str(arn).rsplit("/", 1)[-1] if arn else "known only after apply"
        return [], f"managed policy {short} is neither in the plan nor an AWS managed policy"
    if host is None:
        return [], "its role is not in the plan"
    reader = Reader(t.plan, found, t.index)
    document = reader.json("policy")
    t.notes += reader.notes
    if document is not None:
        name = reader.get("name") or found.address
        _add_policy(t, _properties(resources, host), name, document)
    return [host], ""


def _policy(t: Reader, resources: Map) -> Hosts:
    """A customer managed policy: merged into the roles that attach it (by its attachments,
    which say so); one attached to no role of the plan is reported."""
    roles: list[str] = []
    for other in t.plan.resources:
        if other.type != "aws_iam_role_policy_attachment":
            continue
        attachment = Reader(t.plan, other, t.index)
        if _address(attachment.ref("policy_arn")) == t.resource.address:
            host = _host(attachment, "role", "AWS::IAM::Role", resources, "aws_iam_role")
            if host is not None and host not in roles:
                roles.append(host)
    return roles, "attached to no role of the plan: a policy alone grants nothing"


def _event_target(t: Reader, resources: Map) -> Hosts:
    """A rule's target, appended to the rule's ``Targets`` as CloudFormation lists them."""
    host = _host(t, "rule", "AWS::Events::Rule", resources, "aws_cloudwatch_event_rule")
    if host is None:
        return [], "its rule is not in the plan"
    target: dict[str, object] = {"Id": t.get("target_id") or t.resource.name}
    target["Arn"] = t.ref("arn")
    retry: dict[str, object] = {}
    for key, name in (
        ("MaximumEventAgeInSeconds", "maximum_event_age_in_seconds"),
        ("MaximumRetryAttempts", "maximum_retry_attempts"),
    ):
        value = t.get("retry_policy", 0, name)
        if value is not None:
            retry[key] = value
    if retry:
        target["RetryPolicy"] = retry
    dlq = t.ref("dead_letter_config", 0, "arn", prefer="aws_sqs_queue")
    if dlq is not None:
        target["DeadLetterConfig"] = {"Arn": dlq}
    properties = _properties(resources, host)
    listed = properties.get("Targets")
    _set(t, properties, "Targets", [*(listed if isinstance(listed, list) else []), target])
    return [host], ""


Merge = Callable[[Reader, Map], Hosts]

MERGES: dict[str, Merge] = {
    "aws_s3_bucket_server_side_encryption_configuration": _bucket_encryption,
    "aws_s3_bucket_notification": _bucket_notification,
    "aws_iam_role_policy": _role_policy,
    "aws_iam_role_policy_attachment": _attachment,
    "aws_iam_policy": _policy,
    "aws_cloudwatch_event_target": _event_target,
}


def merge(reader: Reader, resources: Map) -> Hosts:
    """Merge the resource ``reader`` reads into its host(s)."""
    return MERGES[reader.resource.type](reader, resources)
