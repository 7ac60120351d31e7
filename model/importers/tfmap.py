"""Terraform ``aws_*`` resources as the CloudFormation resources the kinds import.

Each type names its CloudFormation type and builds its properties with the CloudFormation
names (``visibility_timeout_seconds`` → ``VisibilityTimeout``); the kinds' ``CfnImport``
hooks do the rest, so a kind stays one unit. Resources that complete another in Terraform
(a bucket's encryption, a role's policy) are merged into it; the rest are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archgen.model.importers.context import Unmodeled
from archgen.model.importers.managed import aws_managed_name
from archgen.model.importers.template import Map, Pos, Seq, Text
from archgen.model.importers.terraform import Plan, Resource, decode, ref_map

REFS: dict[str, dict[str, str | None]] = {
    "aws_sqs_queue": {"arn": "Arn", "url": None, "id": None, "name": "QueueName"},
    "aws_sns_topic": {"arn": None, "id": None, "name": "TopicName"},
    "aws_lambda_function": {
        "arn": "Arn",
        "qualified_arn": "Arn",
        "invoke_arn": "Arn",
        "function_name": None,
        "id": None,
    },
    "aws_dynamodb_table": {"arn": "Arn", "stream_arn": "StreamArn", "name": None, "id": None},
    "aws_s3_bucket": {
        "arn": "Arn",
        "bucket": None,
        "id": None,
        "bucket_regional_domain_name": "RegionalDomainName",
        "bucket_domain_name": "DomainName",
    },
    "aws_kms_key": {"arn": "Arn", "key_id": None, "id": None},
    "aws_iam_role": {"arn": "Arn", "name": None, "id": None, "unique_id": "RoleId"},
    "aws_cloudwatch_metric_alarm": {"arn": "Arn", "alarm_name": None, "id": None},
    "aws_vpc": {"id": None},
    "aws_subnet": {"id": None},
    "aws_nat_gateway": {"id": None},
    "aws_vpc_endpoint": {"id": None, "arn": None},
    "aws_autoscaling_group": {"name": None, "id": None, "arn": "Arn"},
    "aws_launch_template": {"id": None, "arn": "Arn"},
    "aws_lb": {"arn": None, "id": None, "dns_name": "DNSName"},
    "aws_cloudfront_distribution": {"id": None, "arn": "Arn", "domain_name": "DomainName"},
    "aws_route53_health_check": {"id": None},
    "aws_rds_cluster": {"id": None, "arn": "Arn", "cluster_identifier": None},
    "aws_wafv2_web_acl": {"arn": "Arn", "id": None},
    "aws_lb_target_group": {"arn": None, "id": None},
    "aws_lb_listener": {"arn": None, "id": None},
    "aws_iam_policy": {"arn": "Arn", "id": "Arn", "name": None},
    "aws_api_gateway_rest_api": {"id": None, "root_resource_id": "RootResourceId"},
    "aws_apigatewayv2_api": {"id": None, "arn": None},
    "aws_ecs_service": {"id": None, "name": "Name"},
    "aws_ecs_task_definition": {"arn": None, "arn_without_revision": None},
    "aws_cloudwatch_event_bus": {"arn": "Arn", "name": None, "id": None},
    "aws_cloudwatch_event_rule": {"arn": "Arn", "name": None, "id": None},
    "aws_sfn_state_machine": {"arn": None, "id": None, "name": "Name"},
    "aws_elasticache_replication_group": {
        "id": None,
        "arn": "Arn",
        "primary_endpoint_address": "PrimaryEndPoint.Address",
        "reader_endpoint_address": "ReaderEndPoint.Address",
    },
    "aws_elasticache_cluster": {"id": None, "arn": "Arn"},
    "aws_elasticache_subnet_group": {"id": None, "name": None},
    "aws_secretsmanager_secret": {"arn": None, "id": None, "name": "Name"},
}
"""The attributes another resource refers to a resource by, as ``Ref`` (None) or
``Fn::GetAtt`` of the attribute named."""

DIMENSIONS = {
    "QueueName": "aws_sqs_queue",
    "FunctionName": "aws_lambda_function",
    "TableName": "aws_dynamodb_table",
    "TopicName": "aws_sns_topic",
    "AutoScalingGroupName": "aws_autoscaling_group",
    "BucketName": "aws_s3_bucket",
    "LoadBalancer": "aws_lb",
    "TargetGroup": "aws_lb_target_group",
}
"""CloudWatch dimension → the type of the resource its value names."""

ALIASES = {"aws_alb": "aws_lb", "aws_alb_target_group": "aws_lb_target_group"}
ALIASES["aws_alb_listener"] = "aws_lb_listener"
ALIASES["aws_alb_listener_rule"] = "aws_lb_listener_rule"

WHY_NOT = {
    "aws_lambda_permission": "a function's resource policy: the model has the caller's edge",
    "aws_sqs_queue_policy": "a queue's resource policy is not modeled (identity policies are)",
    "aws_sns_topic_policy": "a topic's resource policy is not modeled (identity policies are)",
    "aws_s3_bucket_policy": "a bucket's resource policy is not modeled (identity policies are)",
    "aws_kms_alias": "an alias names a key; the model names the key itself",
    "aws_cloudwatch_log_group": "log groups are not modeled",
    "aws_security_group": "security groups are not modeled: the edges say who calls whom",
    "aws_lb_target_group_attachment": "registers an instance; the model has fleets, not hosts",
    "aws_s3_bucket_public_access_block": "access settings of a bucket are not modeled",
    "aws_s3_bucket_versioning": "versioning is not modeled",
    "aws_api_gateway_method": "its integration is read from the aws_api_gateway_integration",
    "aws_api_gateway_deployment": "a deployment snapshots the API; the model has the API",
    "aws_secretsmanager_secret_version": "a secret's value is not modeled; the secret is",
    "aws_secretsmanager_secret_policy": "a secret's resource policy is not modeled (identity "
    "policies are)",
    "aws_ecs_cluster": "a Fargate cluster holds no capacity: its services are the nodes",
}


@dataclass
class Translated:
    """The template's resources, and what the model's comments and report say besides."""

    resources: Map
    labels: dict[str, str] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unmodeled: list[Unmodeled] = field(default_factory=list)


class Reader:
    """One resource's values as its builder reads them: plain, or as references."""

    def __init__(self, plan: Plan, resource: Resource, index: Index):
        self.plan = plan
        self.resource = resource
        self.index = index
        self.notes: list[str] = []

    def _unknown(self, path: tuple[object, ...]) -> bool:
        flags = self.resource.unknown
        for key in path:
            if flags is True:
                return True
            if isinstance(flags, dict) and isinstance(key, str):
                flags = flags.get(key)
            elif isinstance(flags, list) and isinstance(key, int) and key < len(flags):
                flags = flags[key]
            else:
                return False
        return flags is True or (isinstance(flags, list) and True in flags)

    def get(self, *path: object) -> object:
        """A known value, or None (absent, empty, or known only after apply)."""
        value: object = self.resource.values
        for key in path:
            if isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            elif isinstance(value, dict) and isinstance(key, str):
                value = value.get(key)
            else:
                return None
        return None if value in ("", None, [], {}) else value

    def keys(self, *path: object) -> list[str]:
        """The keys of the map at ``path``: known, then known only after apply."""
        known = self.get(*path)
        flags: object = self.resource.unknown
        for key in path:
            flags = flags.get(key) if isinstance(flags, dict) and isinstance(key, str) else None
        keys = [str(k) for k in known] if isinstance(known, dict) else []
        return keys + [str(k) for k in flags if k not in keys] if isinstance(flags, dict) else keys

    def count(self, *path: object) -> int:
        """How many items the list (of blocks) at ``path`` has."""
        value = self.get(*path)
        return len(value) if isinstance(value, list) else 0

    def pos(self, *path: object) -> Pos:
        value: object = self.resource.values
        for key in path:
            if isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            elif isinstance(value, dict) and isinstance(key, str):
                value = value.get(key)
        pos = getattr(value, "pos", None)
        return pos if isinstance(pos, Pos) else self.resource.pos

    def ref(self, *path: object, prefer: str = "") -> object:
        """A value naming another resource as a reference to it: a known ARN, id, name or URL
        matched (a name two resources share, to the one of type ``prefer``), else the
        resource its configuration expression references; the value itself if neither."""
        if self._unknown(path):
            found = self._configured(path, prefer)
            return found[0] if found else None
        value = self.convert(self.get(*path), prefer)
        if isinstance(value, str):
            found = self._configured(path)
            return found[0] if len(found) == 1 else value
        return value

    def refs(self, *path: object) -> Seq | None:
        """A list of values naming other resources, as references."""
        if self._unknown(path):
            return self._seq(self._configured(path), self.resource.pos)
        value = self.convert(self.get(*path))
        if value is None:
            return None
        return value if isinstance(value, Seq) else self._seq([value], self.pos(*path))

    def json(self, *path: object) -> object:
        """A JSON-encoded attribute decoded, its ARNs and names as references; a document
        known only after apply is noted (nothing is invented in its place)."""
        if self._unknown(path):
            if self.plan.expression(self.resource, path) is None:
                return None  # computed by the provider, not configured: nothing to say
            names = ", ".join(a for a, _ in self._refs(path)) or "no other resource"
            label = ".".join(str(p) for p in path)
            self.notes.append(
                f"{self.resource.address}: {label} is known only after apply "
                f"(it references {names}): not read"
            )
            return None
        where = f"{self.resource.address}.values.{'.'.join(map(str, path))}"
        return self.convert(decode(self.plan.file, self.get(*path), where))

    def _refs(self, path: tuple[object, ...]) -> list[tuple[str, str | None]]:
        """The resources the nearest configured expression at or above ``path`` names."""
        for end in range(len(path), 0, -1):
            expression = self.plan.expression(self.resource, path[:end])
            if expression is not None:
                return self.plan.references(expression, self.resource.module)
        return []

    def _configured(self, path: tuple[object, ...], prefer: str = "") -> list[object]:
        """References to the resources the expression at ``path`` names (those of type
        ``prefer`` if it names several types)."""
        out: list[object] = []
        typed: list[object] = []
        for address, attribute in self._refs(path):
            target = self.plan.instances(address)
            if len(target) == 1 and _primary(target[0]) in REFS:
                ref = ref_map(address, _ref_attribute(target[0], attribute), self.pos(*path))
                out.append(ref)
                if _primary(target[0]) == prefer:
                    typed.append(ref)
        return typed or out

    @staticmethod
    def _seq(items: list[object], pos: Pos) -> Seq:
        seq = Seq(items)
        seq.pos, seq.items_at = pos, [getattr(i, "pos", pos) for i in items]
        return seq

    def convert(self, value: object, prefer: str = "") -> object:
        """``value`` with each string naming another resource as a reference to it."""
        if isinstance(value, Map):
            out = Map({key: self.convert(item, prefer) for key, item in value.items()})
            out.pos, out.keys_at = value.pos, value.keys_at
            return out
        if isinstance(value, Seq):
            seq = Seq(self.convert(item, prefer) for item in value)
            seq.pos, seq.items_at = value.pos, value.items_at
            return seq
        if not isinstance(value, str) or not value:
            return value
        pos = value.pos if isinstance(value, Text) else self.resource.pos
        hits = [h for h in self.index.get(value, []) if h[0] != self.resource.address]
        if len(hits) > 1:
            hits = [h for h in hits if h[2] == prefer]
        if len(hits) == 1:
            return ref_map(hits[0][0], hits[0][1], pos)
        if value.startswith("arn:"):
            for arn, found in self.index.items():
                address, attribute, _ = found[0]
                if len(found) > 1 or address == self.resource.address:
                    continue
                if value.startswith((arn + "/", arn + ":")):
                    rest = Text(value[len(arn) :])
                    rest.pos = pos
                    parts = self._seq([ref_map(address, attribute, pos), rest], pos)
                    joined = self._seq([Text(""), parts], pos)
                    out = Map({"Fn::Join": joined})
                    out.pos, out.keys_at = pos, {"Fn::Join": pos}
                    return out
        return value


def _primary(resource: Resource) -> str:
    return ALIASES.get(resource.type, resource.type)


def _ref_attribute(resource: Resource, attribute: str | None) -> str | None:
    refs = REFS.get(_primary(resource), {})
    if attribute in refs:
        return refs[attribute]
    return "Arn" if attribute and attribute.endswith("arn") else None


Index = dict[str, list[tuple[str, str | None, str]]]
"""A known value → each (address, CloudFormation attribute, Terraform type) it names."""


def _index(plan: Plan) -> Index:
    """Each known ARN, id, name or URL of a translated resource → what it names (a name
    two resources share names both: the reader picks by type, or neither)."""
    index: Index = {}
    for resource in plan.resources:
        if resource.mode != "managed":
            continue
        primary = _primary(resource)
        for attribute, cfn in REFS.get(primary, {}).items():
            value = resource.values.get(attribute)
            if not isinstance(value, str) or not value:
                continue
            hits = index.setdefault(value, [])
            if not any(h[0] == resource.address for h in hits):
                hits.append((resource.address, cfn, primary))
    return index


def put(properties: dict[str, object], key: str, value: object) -> None:
    if value is not None:
        properties[key] = value


def _queue(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "QueueName", t.get("name"))
    for key, name in (
        ("VisibilityTimeout", "visibility_timeout_seconds"),
        ("MessageRetentionPeriod", "message_retention_seconds"),
        ("ReceiveMessageWaitTimeSeconds", "receive_wait_time_seconds"),
        ("DelaySeconds", "delay_seconds"),
        ("FifoQueue", "fifo_queue"),
        ("ContentBasedDeduplication", "content_based_deduplication"),
        ("DeduplicationScope", "deduplication_scope"),
        ("FifoThroughputLimit", "fifo_throughput_limit"),
    ):
        put(props, key, t.get(name))
    put(props, "KmsMasterKeyId", t.ref("kms_master_key_id", prefer="aws_kms_key"))
    put(props, "RedrivePolicy", t.json("redrive_policy"))
    return props


def _topic(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "TopicName", t.get("name"))
    put(props, "FifoTopic", t.get("fifo_topic"))
    put(props, "KmsMasterKeyId", t.ref("kms_master_key_id", prefer="aws_kms_key"))
    return props


def _subscription(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "TopicArn", t.ref("topic_arn", prefer="aws_sns_topic"))
    put(props, "Protocol", t.get("protocol"))
    put(props, "Endpoint", t.ref("endpoint"))
    put(props, "RawMessageDelivery", t.get("raw_message_delivery"))
    put(props, "FilterPolicy", t.json("filter_policy"))
    return props


def _function(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("FunctionName", "function_name"),
        ("Runtime", "runtime"),
        ("Handler", "handler"),
        ("MemorySize", "memory_size"),
        ("Timeout", "timeout"),
    ):
        put(props, key, t.get(name))
    reserved = t.get("reserved_concurrent_executions")
    if isinstance(reserved, int) and reserved >= 0:  # -1: unreserved
        props["ReservedConcurrentExecutions"] = reserved
    put(props, "Role", t.ref("role", prefer="aws_iam_role"))
    subnets = t.refs("vpc_config", 0, "subnet_ids")
    if subnets is not None:
        props["VpcConfig"] = {"SubnetIds": subnets}
    variables = {
        name: value
        for name in t.keys("environment", 0, "variables")
        if not isinstance(value := t.ref("environment", 0, "variables", name), str | None)
    }
    if variables:  # only those naming another resource (a cache's endpoint): its callers
        props["Environment"] = {"Variables": variables}
    return props


def _event_source(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "FunctionName", t.ref("function_name", prefer="aws_lambda_function"))
    put(props, "EventSourceArn", t.ref("event_source_arn"))
    put(props, "BatchSize", t.get("batch_size"))
    put(props, "MaximumBatchingWindowInSeconds", t.get("maximum_batching_window_in_seconds"))
    put(props, "FunctionResponseTypes", t.get("function_response_types"))
    return props


def _table(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {"BillingMode": t.get("billing_mode") or "PROVISIONED"}
    put(props, "TableName", t.get("name"))
    capacity: dict[str, object] = {}
    put(capacity, "ReadCapacityUnits", t.get("read_capacity"))
    put(capacity, "WriteCapacityUnits", t.get("write_capacity"))
    if capacity:
        props["ProvisionedThroughput"] = capacity
    if t.get("server_side_encryption", 0, "enabled"):
        sse: dict[str, object] = {"SSEEnabled": True}
        put(
            sse,
            "KMSMasterKeyId",
            t.ref("server_side_encryption", 0, "kms_key_arn", prefer="aws_kms_key"),
        )
        props["SSESpecification"] = sse
    return props


def encryption(t: Reader, *prefix: object) -> list[object]:
    """``rule[].apply_server_side_encryption_by_default[0]`` as CloudFormation's rules."""
    out: list[object] = []
    for i in range(t.count(*prefix, "rule")):
        default = (*prefix, "rule", i, "apply_server_side_encryption_by_default", 0)
        algorithm = t.get(*default, "sse_algorithm")
        if algorithm is None:
            continue
        body: dict[str, object] = {"SSEAlgorithm": algorithm}
        put(body, "KMSMasterKeyID", t.ref(*default, "kms_master_key_id", prefer="aws_kms_key"))
        out.append({"ServerSideEncryptionByDefault": body})
    return out


def _bucket(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "BucketName", t.get("bucket"))
    rules = encryption(t, "server_side_encryption_configuration", 0)
    if rules:
        props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": rules}
    return props


def _key(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {"EnableKeyRotation": bool(t.get("enable_key_rotation"))}
    put(props, "KeyPolicy", t.json("policy"))
    return props


def _role(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "RoleName", t.get("name"))
    put(props, "AssumeRolePolicyDocument", t.json("assume_role_policy"))
    policies: list[object] = []
    for i in range(t.count("inline_policy")):
        document = t.json("inline_policy", i, "policy")
        if document is not None:
            name = t.get("inline_policy", i, "name")
            policies.append({"PolicyName": name, "PolicyDocument": document})
    if policies:
        props["Policies"] = policies
    managed = t.get("managed_policy_arns")
    # Those of the plan are merged through their attachments; AWS managed ones are read
    # in by the role's import (or reported there).
    listed = managed if isinstance(managed, list) else []
    outside = [str(arn) for arn in listed if str(arn) not in t.index]
    aws = [arn for arn in outside if aws_managed_name(arn) is not None]
    put(props, "ManagedPolicyArns", aws or None)
    others = [arn for arn in outside if arn not in aws]
    if others:
        t.notes.append(f"managed policies not modeled: {', '.join(others)}")
    return props


def _alarm(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("MetricName", "metric_name"),
        ("Namespace", "namespace"),
        ("Statistic", "statistic"),
        ("ExtendedStatistic", "extended_statistic"),
        ("ComparisonOperator", "comparison_operator"),
        ("Threshold", "threshold"),
        ("EvaluationPeriods", "evaluation_periods"),
        ("DatapointsToAlarm", "datapoints_to_alarm"),
        ("TreatMissingData", "treat_missing_data"),
        ("Period", "period"),
    ):
        value = t.get(name)
        put(props, key, None if value == 0 and key == "DatapointsToAlarm" else value)  # 0: unset
    dimensions = t.keys("dimensions")
    if dimensions:
        props["Dimensions"] = [
            {"Name": name, "Value": t.ref("dimensions", name, prefer=DIMENSIONS.get(name, ""))}
            for name in dimensions
        ]
    put(props, "AlarmActions", t.refs("alarm_actions"))
    put(props, "OKActions", t.refs("ok_actions"))
    return props


def _vpc(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "CidrBlock", t.get("cidr_block"))
    return props


def _subnet(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "VpcId", t.ref("vpc_id", prefer="aws_vpc"))
    put(props, "CidrBlock", t.get("cidr_block"))
    put(props, "AvailabilityZone", t.get("availability_zone"))
    put(props, "MapPublicIpOnLaunch", t.get("map_public_ip_on_launch") or None)
    return props


def _distribution(t: Reader) -> dict[str, object]:
    origins = [
        {"Id": t.get("origin", i, "origin_id"), "DomainName": t.ref("origin", i, "domain_name")}
        | (
            {"OriginShield": {"Enabled": t.get("origin", i, "origin_shield", 0, "enabled")}}
            if t.count("origin", i, "origin_shield")
            else {}
        )
        for i in range(t.count("origin"))
    ]
    groups = [
        {
            "Id": t.get("origin_group", i, "origin_id"),
            "Members": {
                "Items": [
                    {"OriginId": t.get("origin_group", i, "member", j, "origin_id")}
                    for j in range(t.count("origin_group", i, "member"))
                ]
            },
        }
        for i in range(t.count("origin_group"))
    ]
    behavior: dict[str, object] = {}
    for key, name in (
        ("TargetOriginId", "target_origin_id"),
        ("CachePolicyId", "cache_policy_id"),
        ("MinTTL", "min_ttl"),
        ("DefaultTTL", "default_ttl"),
        ("MaxTTL", "max_ttl"),
    ):
        put(behavior, key, t.get("default_cache_behavior", 0, name))
    config: dict[str, object] = {"Origins": origins, "DefaultCacheBehavior": behavior}
    if groups:
        config["OriginGroups"] = {"Items": groups}
    put(config, "WebACLId", t.ref("web_acl_id", prefer="aws_wafv2_web_acl"))
    return {"DistributionConfig": config}


def _record(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (("Name", "name"), ("Type", "type"), ("TTL", "ttl")):
        put(props, key, t.get(name))
    put(props, "SetIdentifier", t.get("set_identifier"))
    if t.count("alias"):
        props["AliasTarget"] = {
            "DNSName": t.ref("alias", 0, "name"),
            "EvaluateTargetHealth": t.get("alias", 0, "evaluate_target_health"),
        }
    failover = t.get("failover_routing_policy", 0, "type")
    put(props, "Failover", failover)
    put(props, "Region", t.get("latency_routing_policy", 0, "region"))
    put(props, "Weight", t.get("weighted_routing_policy", 0, "weight"))
    put(props, "HealthCheckId", t.ref("health_check_id", prefer="aws_route53_health_check"))
    return props


def _health_check(t: Reader) -> dict[str, object]:
    config: dict[str, object] = {}
    for key, name in (
        ("Type", "type"),
        ("RequestInterval", "request_interval"),
        ("FailureThreshold", "failure_threshold"),
        ("ResourcePath", "resource_path"),
    ):
        put(config, key, t.get(name))
    return {"HealthCheckConfig": config}


def _web_acl(t: Reader) -> dict[str, object]:
    rules: list[object] = []
    for i in range(t.count("rule")):
        statement: dict[str, object] = {}
        if t.count("rule", i, "statement", 0, "rate_based_statement"):
            rate: dict[str, object] = {}
            base = ("rule", i, "statement", 0, "rate_based_statement", 0)
            put(rate, "Limit", t.get(*base, "limit"))
            put(rate, "AggregateKeyType", t.get(*base, "aggregate_key_type"))
            put(rate, "EvaluationWindowSec", t.get(*base, "evaluation_window_sec"))
            statement["RateBasedStatement"] = rate
        rules.append({"Name": t.get("rule", i, "name"), "Statement": statement})
    return {"Rules": rules}


def _web_acl_association(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "ResourceArn", t.ref("resource_arn"))
    put(props, "WebACLArn", t.ref("web_acl_arn", prefer="aws_wafv2_web_acl"))
    return props


def _rds_cluster(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Engine", t.get("engine"))
    put(props, "KmsKeyId", t.ref("kms_key_id", prefer="aws_kms_key"))
    put(props, "GlobalClusterIdentifier", t.get("global_cluster_identifier"))
    return props


def _rds_cluster_instance(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "DBClusterIdentifier", t.ref("cluster_identifier", prefer="aws_rds_cluster"))
    put(props, "DBInstanceClass", t.get("instance_class"))
    put(props, "Engine", t.get("engine"))
    return props


def _nat_gateway(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "SubnetId", t.ref("subnet_id", prefer="aws_subnet"))
    put(props, "ConnectivityType", t.get("connectivity_type"))
    put(props, "SecondaryPrivateIpAddressCount", t.get("secondary_private_ip_address_count"))
    return props


def _vpc_endpoint(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "VpcId", t.ref("vpc_id", prefer="aws_vpc"))
    put(props, "ServiceName", t.get("service_name"))
    endpoint_type = t.get("vpc_endpoint_type")
    put(props, "VpcEndpointType", endpoint_type)
    put(props, "SubnetIds", t.refs("subnet_ids") or None)
    return props


def _fleet(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("MinSize", "min_size"),
        ("MaxSize", "max_size"),
        ("DesiredCapacity", "desired_capacity"),
        ("DefaultInstanceWarmup", "default_instance_warmup"),
    ):
        put(props, key, t.get(name))
    put(props, "VPCZoneIdentifier", t.refs("vpc_zone_identifier"))
    template = t.ref("launch_template", 0, "id")
    if template is not None:
        props["LaunchTemplate"] = {"LaunchTemplateId": template}
    put(props, "TargetGroupARNs", t.refs("target_group_arns"))
    return props


def _ecs_service(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("ServiceName", "name"),
        ("DesiredCount", "desired_count"),
        ("HealthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
        ("LaunchType", "launch_type"),
    ):
        put(props, key, t.get(name))
    put(props, "TaskDefinition", t.ref("task_definition", prefer="aws_ecs_task_definition"))
    subnets = t.refs("network_configuration", 0, "subnets")
    public = t.get("network_configuration", 0, "assign_public_ip")
    if subnets is not None or public is not None:
        awsvpc: dict[str, object] = {}
        put(awsvpc, "Subnets", subnets)
        if public is not None:
            awsvpc["AssignPublicIp"] = "ENABLED" if public is True else "DISABLED"
        props["NetworkConfiguration"] = {"AwsvpcConfiguration": awsvpc}
    groups = [
        t.ref("load_balancer", i, "target_group_arn", prefer="aws_lb_target_group")
        for i in range(t.count("load_balancer"))
    ]
    if groups:
        props["LoadBalancers"] = [{"TargetGroupArn": group} for group in groups]
    return props


def _task_definition(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Family", t.get("family"))
    put(props, "Cpu", t.get("cpu"))
    put(props, "Memory", t.get("memory"))
    put(props, "TaskRoleArn", t.ref("task_role_arn", prefer="aws_iam_role"))
    arch = t.get("runtime_platform", 0, "cpu_architecture")
    if arch is not None:
        props["RuntimePlatform"] = {"CpuArchitecture": arch}
    return props


def _scalable_target(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("ServiceNamespace", "service_namespace"),
        ("ScalableDimension", "scalable_dimension"),
        ("ResourceId", "resource_id"),
        ("MinCapacity", "min_capacity"),
        ("MaxCapacity", "max_capacity"),
    ):
        put(props, key, t.get(name))
    return props


def _app_scaling_policy(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("PolicyType", "policy_type"),
        ("ServiceNamespace", "service_namespace"),
        ("ScalableDimension", "scalable_dimension"),
        ("ResourceId", "resource_id"),
    ):
        put(props, key, t.get(name))
    tracking = ("target_tracking_scaling_policy_configuration", 0)
    config: dict[str, object] = {}
    metric = t.get(*tracking, "predefined_metric_specification", 0, "predefined_metric_type")
    if metric is not None:
        config["PredefinedMetricSpecification"] = {"PredefinedMetricType": metric}
    for key, name in (
        ("TargetValue", "target_value"),
        ("ScaleInCooldown", "scale_in_cooldown"),
        ("ScaleOutCooldown", "scale_out_cooldown"),
        ("DisableScaleIn", "disable_scale_in"),
    ):
        put(config, key, t.get(*tracking, name))
    if config:
        props["TargetTrackingScalingPolicyConfiguration"] = config
    return props


def _launch_template(t: Reader) -> dict[str, object]:
    data: dict[str, object] = {}
    put(data, "InstanceType", t.get("instance_type"))
    return {"LaunchTemplateData": data}


def _scaling_policy(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(
        props,
        "AutoScalingGroupName",
        t.ref("autoscaling_group_name", prefer="aws_autoscaling_group"),
    )
    put(props, "PolicyType", t.get("policy_type"))
    put(props, "EstimatedInstanceWarmup", t.get("estimated_instance_warmup"))
    tracking = ("target_tracking_configuration", 0)
    metric = t.get(*tracking, "predefined_metric_specification", 0, "predefined_metric_type")
    target = t.get(*tracking, "target_value")
    if metric is not None or target is not None:
        config: dict[str, object] = {"TargetValue": target}
        config["PredefinedMetricSpecification"] = {"PredefinedMetricType": metric}
        props["TargetTrackingConfiguration"] = config
    return props


def _balancer(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {"Type": t.get("load_balancer_type") or "application"}
    put(props, "Subnets", t.refs("subnets"))
    idle = t.get("idle_timeout")
    if idle is not None:
        props["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": str(idle)}
        ]
    return props


def _target_group(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Protocol", t.get("protocol"))
    for key, name in (
        ("HealthCheckIntervalSeconds", "interval"),
        ("HealthCheckTimeoutSeconds", "timeout"),
        ("HealthyThresholdCount", "healthy_threshold"),
        ("UnhealthyThresholdCount", "unhealthy_threshold"),
    ):
        put(props, key, t.get("health_check", 0, name))
    attributes: list[object] = []
    delay = t.get("deregistration_delay")
    if delay is not None:
        attributes.append({"Key": "deregistration_delay.timeout_seconds", "Value": str(delay)})
    algorithm = t.get("load_balancing_algorithm_type")
    if algorithm is not None:
        attributes.append({"Key": "load_balancing.algorithm.type", "Value": algorithm})
    if attributes:
        props["TargetGroupAttributes"] = attributes
    return props


def _listener(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "LoadBalancerArn", t.ref("load_balancer_arn"))
    props["DefaultActions"] = _forwards(t, "default_action")
    return props


def _listener_rule(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "ListenerArn", t.ref("listener_arn", prefer="aws_lb_listener"))
    props["Actions"] = _forwards(t, "action")
    return props


def _forwards(t: Reader, block: str) -> list[object]:
    """The forward actions of a listener's (or rule's) action blocks."""
    actions: list[object] = []
    for i in range(t.count(block)):
        group = t.ref(block, i, "target_group_arn")
        if t.get(block, i, "type") == "forward" and group is not None:
            actions.append({"Type": "forward", "TargetGroupArn": group})
    return actions


Builder = Callable[[Reader], dict[str, object]]


def _event_bus(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Name", t.get("name"))
    return props


def _event_rule(t: Reader) -> dict[str, object]:
    """A rule; its targets (``aws_cloudwatch_event_target``) are merged into it."""
    props: dict[str, object] = {}
    put(props, "Name", t.get("name"))
    put(props, "EventBusName", t.ref("event_bus_name", prefer="aws_cloudwatch_event_bus"))
    put(props, "EventPattern", t.json("event_pattern"))
    put(props, "ScheduleExpression", t.get("schedule_expression"))
    state = t.get("state")
    if state is None and t.get("is_enabled") is False:
        state = "DISABLED"
    put(props, "State", state)
    return props


def _state_machine(t: Reader) -> dict[str, object]:
    """Its definition stays the JSON string it is (ARNs in it name the tasks' nodes)."""
    props: dict[str, object] = {}
    put(props, "StateMachineName", t.get("name"))
    put(props, "DefinitionString", t.get("definition"))
    kind = t.get("type")
    put(props, "StateMachineType", str(kind).upper() if kind is not None else None)
    put(props, "RoleArn", t.ref("role_arn", prefer="aws_iam_role"))
    return props


def _rest_api(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Name", t.get("name"))
    return props


def _http_api(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Name", t.get("name"))
    put(props, "ProtocolType", t.get("protocol_type"))
    return props


def _api_resource(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "RestApiId", t.ref("rest_api_id", prefer="aws_api_gateway_rest_api"))
    put(props, "PathPart", t.get("path_part"))
    return props


def _api_integration(t: Reader) -> dict[str, object]:
    """An integration as the CloudFormation method that carries it."""
    props: dict[str, object] = {}
    put(props, "RestApiId", t.ref("rest_api_id", prefer="aws_api_gateway_rest_api"))
    put(props, "HttpMethod", t.get("http_method"))
    integration: dict[str, object] = {}
    put(integration, "Type", t.get("type"))
    put(integration, "Uri", t.ref("uri"))
    put(integration, "TimeoutInMillis", t.get("timeout_milliseconds"))
    props["Integration"] = integration
    return props


def _method_settings(t: Reader) -> dict[str, object]:
    """Method settings of every method (``*/*``) as the stage's ``/*`` setting."""
    props: dict[str, object] = {}
    put(props, "RestApiId", t.ref("rest_api_id", prefer="aws_api_gateway_rest_api"))
    if t.get("method_path") == "*/*":
        setting: dict[str, object] = {"ResourcePath": "/*", "HttpMethod": "*"}
        put(setting, "ThrottlingRateLimit", t.get("settings", 0, "throttling_rate_limit"))
        put(setting, "ThrottlingBurstLimit", t.get("settings", 0, "throttling_burst_limit"))
        props["MethodSettings"] = [setting]
    return props


def _replication_group(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    for key, name in (
        ("Engine", "engine"),
        ("CacheNodeType", "node_type"),
        ("NumCacheClusters", "num_cache_clusters"),
        ("NumNodeGroups", "num_node_groups"),
        ("ReplicasPerNodeGroup", "replicas_per_node_group"),
        ("AutomaticFailoverEnabled", "automatic_failover_enabled"),
        ("MultiAZEnabled", "multi_az_enabled"),
    ):
        put(props, key, t.get(name))
    put(props, "KmsKeyId", t.ref("kms_key_id", prefer="aws_kms_key"))
    put(props, "CacheSubnetGroupName", t.ref("subnet_group_name", prefer=SUBNET_GROUP))
    return props


def _cache_cluster(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Engine", t.get("engine"))
    put(props, "CacheNodeType", t.get("node_type"))
    put(props, "NumCacheNodes", t.get("num_cache_nodes"))
    put(props, "CacheSubnetGroupName", t.ref("subnet_group_name", prefer=SUBNET_GROUP))
    return props


def _cache_subnet_group(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "SubnetIds", t.refs("subnet_ids"))
    return props


SUBNET_GROUP = "aws_elasticache_subnet_group"


def _secret(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "Name", t.get("name"))
    put(props, "KmsKeyId", t.ref("kms_key_id", prefer="aws_kms_key"))
    return props


def _secret_rotation(t: Reader) -> dict[str, object]:
    props: dict[str, object] = {}
    put(props, "SecretId", t.ref("secret_id", prefer="aws_secretsmanager_secret"))
    put(props, "RotationLambdaARN", t.ref("rotation_lambda_arn", prefer="aws_lambda_function"))
    rules: dict[str, object] = {}
    put(rules, "AutomaticallyAfterDays", t.get("rotation_rules", 0, "automatically_after_days"))
    put(rules, "ScheduleExpression", t.get("rotation_rules", 0, "schedule_expression"))
    if rules:
        props["RotationRules"] = rules
    return props


TYPES: dict[str, tuple[str, Builder]] = {
    "aws_sqs_queue": ("AWS::SQS::Queue", _queue),
    "aws_sns_topic": ("AWS::SNS::Topic", _topic),
    "aws_sns_topic_subscription": ("AWS::SNS::Subscription", _subscription),
    "aws_lambda_function": ("AWS::Lambda::Function", _function),
    "aws_lambda_event_source_mapping": ("AWS::Lambda::EventSourceMapping", _event_source),
    "aws_dynamodb_table": ("AWS::DynamoDB::Table", _table),
    "aws_s3_bucket": ("AWS::S3::Bucket", _bucket),
    "aws_kms_key": ("AWS::KMS::Key", _key),
    "aws_iam_role": ("AWS::IAM::Role", _role),
    "aws_cloudwatch_metric_alarm": ("AWS::CloudWatch::Alarm", _alarm),
    "aws_vpc": ("AWS::EC2::VPC", _vpc),
    "aws_subnet": ("AWS::EC2::Subnet", _subnet),
    "aws_nat_gateway": ("AWS::EC2::NatGateway", _nat_gateway),
    "aws_cloudfront_distribution": ("AWS::CloudFront::Distribution", _distribution),
    "aws_rds_cluster": ("AWS::RDS::DBCluster", _rds_cluster),
    "aws_rds_cluster_instance": ("AWS::RDS::DBInstance", _rds_cluster_instance),
    "aws_route53_record": ("AWS::Route53::RecordSet", _record),
    "aws_route53_health_check": ("AWS::Route53::HealthCheck", _health_check),
    "aws_wafv2_web_acl": ("AWS::WAFv2::WebACL", _web_acl),
    "aws_wafv2_web_acl_association": ("AWS::WAFv2::WebACLAssociation", _web_acl_association),
    "aws_vpc_endpoint": ("AWS::EC2::VPCEndpoint", _vpc_endpoint),
    "aws_autoscaling_group": ("AWS::AutoScaling::AutoScalingGroup", _fleet),
    "aws_launch_template": ("AWS::EC2::LaunchTemplate", _launch_template),
    "aws_autoscaling_policy": ("AWS::AutoScaling::ScalingPolicy", _scaling_policy),
    "aws_ecs_service": ("AWS::ECS::Service", _ecs_service),
    "aws_ecs_task_definition": ("AWS::ECS::TaskDefinition", _task_definition),
    "aws_appautoscaling_target": ("AWS::ApplicationAutoScaling::ScalableTarget", _scalable_target),
    "aws_appautoscaling_policy": (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        _app_scaling_policy,
    ),
    "aws_lb": ("AWS::ElasticLoadBalancingV2::LoadBalancer", _balancer),
    "aws_lb_target_group": ("AWS::ElasticLoadBalancingV2::TargetGroup", _target_group),
    "aws_lb_listener": ("AWS::ElasticLoadBalancingV2::Listener", _listener),
    "aws_lb_listener_rule": ("AWS::ElasticLoadBalancingV2::ListenerRule", _listener_rule),
    "aws_api_gateway_rest_api": ("AWS::ApiGateway::RestApi", _rest_api),
    "aws_apigatewayv2_api": ("AWS::ApiGatewayV2::Api", _http_api),
    "aws_api_gateway_resource": ("AWS::ApiGateway::Resource", _api_resource),
    "aws_api_gateway_integration": ("AWS::ApiGateway::Method", _api_integration),
    "aws_api_gateway_method_settings": ("AWS::ApiGateway::Stage", _method_settings),
    "aws_cloudwatch_event_bus": ("AWS::Events::EventBus", _event_bus),
    "aws_cloudwatch_event_rule": ("AWS::Events::Rule", _event_rule),
    "aws_sfn_state_machine": ("AWS::StepFunctions::StateMachine", _state_machine),
    "aws_elasticache_replication_group": (
        "AWS::ElastiCache::ReplicationGroup",
        _replication_group,
    ),
    "aws_elasticache_cluster": ("AWS::ElastiCache::CacheCluster", _cache_cluster),
    SUBNET_GROUP: ("AWS::ElastiCache::SubnetGroup", _cache_subnet_group),
    "aws_secretsmanager_secret": ("AWS::SecretsManager::Secret", _secret),
    "aws_secretsmanager_secret_rotation": (
        "AWS::SecretsManager::RotationSchedule",
        _secret_rotation,
    ),
}
"""Terraform type → (CloudFormation type, the builder of its properties)."""


def translate(plan: Plan) -> Translated:
    """The template of a plan's resources; merged ones into their host, the rest reported."""
    from archgen.model.importers.tfmerge import MERGES, merge

    index = _index(plan)
    out = Translated(Map())
    out.resources.pos, out.resources.keys_at = Pos(1, 1), {}
    notes: dict[str, list[str]] = {}
    merged: list[Reader] = []
    for resource in plan.resources:
        why = _why_not(resource)
        primary = _primary(resource)
        if why is None and primary in MERGES:
            merged.append(Reader(plan, resource, index))
            continue
        if why is not None or primary not in TYPES:
            reason = why or WHY_NOT.get(primary, "no archgen kind imports this type yet")
            out.unmodeled.append(Unmodeled("", resource.address, reason))
            continue
        cfn, build = TYPES[primary]
        reader = Reader(plan, resource, index)
        properties = positioned(build(reader), resource.values.pos)
        body = Map({"Type": Text(cfn), "Properties": properties})
        body.pos, body.keys_at = resource.pos, {"Type": resource.pos, "Properties": resource.pos}
        out.resources[resource.address] = body
        out.resources.keys_at[resource.address] = resource.pos
        notes[resource.address] = reader.notes
    for reader in merged:
        hosts, why = merge(reader, out.resources)
        if not hosts:
            out.unmodeled.append(Unmodeled("", reader.resource.address, why))
            continue
        for host in hosts:
            label = out.labels.get(host, host)
            out.labels[host] = f"{label}, {reader.resource.address}"
            notes.setdefault(host, []).extend(reader.notes)
    out.notes = {address: tuple(items) for address, items in notes.items() if items}
    return out


def _why_not(resource: Resource) -> str | None:
    if resource.mode == "data":
        return "a data source reads what exists: its values are read where they are used"
    provider = resource.provider.rsplit("/", 1)[-1]
    if provider and provider != "aws":
        return f"a resource of the {provider} provider: archgen imports AWS resources only"
    if not resource.type.startswith("aws_"):
        return "archgen imports AWS resources only"
    return None


def positioned(value: object, pos: Pos) -> object:
    """Plain dicts and lists a builder made, as template values at ``pos``."""
    if isinstance(value, Map | Seq):
        return value
    if isinstance(value, dict):
        out = Map({key: positioned(item, getattr(item, "pos", pos)) for key, item in value.items()})
        out.pos = pos
        out.keys_at = {key: getattr(item, "pos", pos) for key, item in value.items()}
        return out
    if isinstance(value, list):
        seq = Seq(positioned(item, getattr(item, "pos", pos)) for item in value)
        seq.pos, seq.items_at = pos, [getattr(item, "pos", pos) for item in value]
        return seq
    return value
