"""The built-in kinds not yet moved to a module of their own (migration step 2 splits this
file into ``model/kinds/<kind>.py``, one declaration each, like :mod:`.sqs`).

Each ``SPEC`` is registered in ``pyproject.toml`` under ``[project.entry-points."archgen.kinds"]``.
"""

from __future__ import annotations

from archgen.model import kinds as k
from archgen.model.kind import Arn, Capability, Checks, Node, Zonal, kind
from archgen.model.loader import PathKey
from archgen.model.schema import GroupKind

C = Capability
B = "archgen.runtime.behaviors."

# --------------------------------------------------------------------------- validation hooks
# (moved verbatim from validate._Checker.params_<kind>; step 2 moves each into its kind's file)


def validate_client(checks: Checks, path: PathKey, node: Node, params: k.ClientParams) -> None:
    for i, location in enumerate(params.locations):
        for region in location.latency_ms:
            checks.group_ref(
                (*path, "locations", i, "latency_ms", region), region, GroupKind.region
            )


def validate_route53(checks: Checks, path: PathKey, node: Node, params: k.Route53Params) -> None:
    alarms = checks.alarm_ids()
    for i, record in enumerate(params.records):
        checks.node_ref((*path, "records", i, "target"), record.target)
        if record.region is not None:
            checks.group_ref((*path, "records", i, "region"), record.region, GroupKind.region)
        elif params.routing is k.RoutingPolicy.latency:
            checks.report((*path, "records", i), "latency routing needs the record's region")
        if record.health_alarm:
            checks.ref((*path, "records", i, "health_alarm"), record.health_alarm, alarms, "alarm")
    if params.routing is k.RoutingPolicy.failover:
        roles = [record.failover for record in params.records]
        if roles.count(k.FailoverRole.primary) != 1:
            checks.report((*path, "records"), "failover routing needs exactly one primary record")


def validate_cloudfront(
    checks: Checks, path: PathKey, node: Node, params: k.CloudFrontParams
) -> None:
    for i, origin in enumerate(params.origins):
        if checks.node_ref((*path, "origins", i, "target"), origin.target):
            checks.edge_ref((*path, "origins", i, "target"), node.id, origin.target, "an origin")


def validate_shield(
    checks: Checks, path: PathKey, node: Node, params: k.ShieldParams | k.WafParams
) -> None:
    for i, protected in enumerate(params.protects):
        checks.node_ref((*path, "protects", i), protected)


def validate_ec2(checks: Checks, path: PathKey, node: Node, params: k.Ec2Params) -> None:
    _zones(checks, path, params)


def _zones(checks: Checks, path: PathKey, params: Zonal) -> None:
    for i, zone in enumerate(params.zones):
        checks.group_ref((*path, "zones", i), zone, GroupKind.availability_zone)


def validate_rds(checks: Checks, path: PathKey, node: Node, params: k.RdsParams) -> None:
    _zones(checks, path, params)
    if params.multi_az and len(params.zones) == 1:
        checks.report((*path, "zones"), "multi_az needs a standby zone after the primary")


def validate_lambda_(checks: Checks, path: PathKey, node: Node, params: k.LambdaParams) -> None:
    source = params.event_source
    if source and checks.node_ref((*path, "event_source", "queue"), source.queue, "sqs"):
        checks.edge_ref(
            (*path, "event_source", "queue"),
            node.id,
            source.queue,
            "an SQS event source (Lambda polls the queue)",
        )
        queue = checks.params_of(source.queue)
        assert isinstance(queue, k.SqsParams)
        if queue.fifo and source.batch_size > 10:
            checks.report(
                (*path, "event_source", "batch_size"),
                "a FIFO queue event source takes batches of at most 10",
            )
    on_failure = params.async_invocation.on_failure
    failure_path = (*path, "async_invocation", "on_failure")
    if checks.node_ref(failure_path, on_failure, "sqs", "sns", "lambda") and on_failure:
        checks.edge_ref(failure_path, node.id, on_failure, "an on-failure destination")


def validate_sns(checks: Checks, path: PathKey, node: Node, params: k.SnsParams) -> None:
    endpoint_kinds = {k.SnsProtocol.sqs: ("sqs",), k.SnsProtocol.lambda_: ("lambda",)}
    for i, sub in enumerate(params.subscriptions):
        sub_path = (*path, "subscriptions", i, "endpoint")
        if checks.node_ref(sub_path, sub.endpoint, *endpoint_kinds.get(sub.protocol, ())):
            checks.edge_ref(sub_path, node.id, sub.endpoint, "a subscription")
        dlq_path = (*path, "subscriptions", i, "dead_letter_queue")
        dlq = sub.dead_letter_queue
        if checks.node_ref(dlq_path, dlq, "sqs") and dlq:
            checks.edge_ref(dlq_path, node.id, dlq, "a subscription's dead-letter queue")


def validate_cloudwatch(
    checks: Checks, path: PathKey, node: Node, params: k.CloudWatchParams
) -> None:
    metric_ids = [metric.id for metric in params.metrics]
    for i, metric in enumerate(params.metrics):
        checks.node_ref((*path, "metrics", i, "node"), metric.node)
    for i, alarm in enumerate(params.alarms):
        checks.ref((*path, "alarms", i, "metric"), alarm.metric, metric_ids, "metric")
        for field in ("actions", "ok_actions"):
            for j, action in enumerate(getattr(alarm, field)):
                _alarm_action(checks, (*path, "alarms", i, field, j, "target"), node.id, action)


def _alarm_action(checks: Checks, path: PathKey, source: str, action: k.AlarmAction) -> None:
    expected = {
        k.AlarmActionType.scale: ("ec2",),
        k.AlarmActionType.failover: ("route53",),
        k.AlarmActionType.notify: ("sns",),
    }[action.type]
    if checks.node_ref(path, action.target, *expected):
        checks.edge_ref(path, source, action.target, f"a {action.type.value} action")


CLIENT = kind(
    "client", k.ClientParams, title="Client", category="edge",
    order=10,
    summary="Users' devices, spread over locations.",
    icon=("diagrams.aws.general", "Users"),
    capabilities={C.traffic_source}, behavior=B + "client:Client",
    validate=validate_client,
)  # fmt: skip
ROUTE53 = kind(
    "route53", k.Route53Params, title="Route 53", category="network",
    order=20,
    summary="DNS with latency, failover and weighted routing and health checks.",
    icon=("diagrams.aws.network", "Route53"),
    arn=Arn("route53", "hostedzone/{id}", regional=False, with_account=False),
    iam_service="route53", conditions=("failover",),
    capabilities={C.dns}, behavior=B + "route53:Route53",
    validate=validate_route53,
)  # fmt: skip
CLOUDFRONT = kind(
    "cloudfront", k.CloudFrontParams, title="CloudFront", category="network",
    order=30,
    summary="CDN: per-edge LRU caches with TTLs, origin failover, stale-if-error.",
    icon=("diagrams.aws.network", "CloudFront"),
    arn=Arn("cloudfront", "distribution/{id}", regional=False),
    iam_service="cloudfront", conditions=("cache_miss", "cache_hit", "origin_error"),
    capabilities={C.waf_attachable}, behavior=B + "cloudfront:CloudFront",
    validate=validate_cloudfront,
)  # fmt: skip
SHIELD = kind(
    "shield", k.ShieldParams, title="Shield", category="security",
    order=40,
    summary="DDoS protection of the nodes it protects.",
    icon=("diagrams.aws.security", "Shield"),
    arn=Arn("shield", "protection/{id}", regional=False),
    iam_service="shield", capabilities={C.security}, behavior=B + "shield:Shield",
    validate=validate_shield,
)  # fmt: skip
WAF = kind(
    "waf", k.WafParams, title="WAF", category="security",
    order=50,
    summary="Web ACL with rate-based rules.",
    icon=("diagrams.aws.security", "WAF"),
    arn=Arn("wafv2", "regional/webacl/{id}"),
    iam_service="wafv2", conditions=("blocked",),
    capabilities={C.security}, behavior=B + "waf:Waf",
    validate=validate_shield,
)  # fmt: skip
ALB = kind(
    "alb", k.AlbParams, title="Application Load Balancer", category="network",
    order=60,
    summary="Round robin or least outstanding requests over healthy targets.",
    icon=("diagrams.aws.network", "ALB"),
    arn=Arn("elasticloadbalancing", "loadbalancer/app/{id}"),
    conditions=("no_healthy_target",),
    capabilities={C.waf_attachable}, behavior=B + "alb:Alb",
)  # fmt: skip
EC2 = kind(
    "ec2", k.Ec2Params, title="EC2 Auto Scaling fleet", category="compute",
    order=70,
    summary="Instances with workers and queues, scaled by target tracking.",
    icon=("diagrams.aws.compute", "EC2AutoScaling"),
    arn=Arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/{id}"),
    iam_service="autoscaling",
    capabilities={C.runs_code, C.emits_metrics}, behavior=B + "ec2:Ec2Fleet",
    validate=validate_ec2,
)  # fmt: skip
LAMBDA = kind(
    "lambda", k.LambdaParams, title="Lambda", category="compute",
    order=80,
    summary="Functions with concurrency limits, cold starts, retries, SQS event sources.",
    icon=("diagrams.aws.compute", "Lambda"),
    arn=Arn("lambda", "function:{id}"),
    iam_service="lambda", conditions=("throttled",),
    capabilities={C.runs_code, C.emits_metrics}, behavior=B + "lambda_:Lambda",
    validate=validate_lambda_,
)  # fmt: skip
SAGEMAKER_ENDPOINT = kind(
    "sagemaker_endpoint", k.SageMakerParams, title="SageMaker endpoint", category="ml",
    order=90,
    summary="Real-time inference endpoint serving a recommender.",
    icon=("diagrams.aws.ml", "Sagemaker"),
    arn=Arn("sagemaker", "endpoint/{id}"),
    iam_service="sagemaker",
    capabilities={C.runs_code, C.emits_metrics},
    behavior=B + "sagemaker_endpoint:SageMakerEndpoint",
)  # fmt: skip
S3 = kind(
    "s3", k.S3Params, title="S3 bucket", category="storage", summary="Object store.",
    order=100,
    icon=("diagrams.aws.storage", "S3"),
    arn=Arn("s3", "{id}", regional=False, with_account=False, object_ops=(
        "GetObject", "PutObject", "DeleteObject", "HeadObject", "CopyObject",
        "RestoreObject", "GetObjectAcl", "PutObjectAcl", "AbortMultipartUpload",
    )),
    iam_service="s3", conditions=("not_found",),
    capabilities={C.data_store, C.emits_metrics}, behavior=B + "s3:S3",
)  # fmt: skip
DYNAMODB = kind(
    "dynamodb", k.DynamoDbParams, title="DynamoDB table", category="database",
    order=110,
    summary="Key-value table; provisioned capacity throttles.",
    icon=("diagrams.aws.database", "Dynamodb"),
    arn=Arn("dynamodb", "table/{id}"),
    iam_service="dynamodb", conditions=("throttled",),
    capabilities={C.data_store, C.emits_metrics}, behavior=B + "dynamodb:DynamoDb",
)  # fmt: skip
RDS = kind(
    "rds", k.RdsParams, title="RDS / Aurora", category="database",
    order=120,
    summary="Relational database, Multi-AZ.",
    icon=("diagrams.aws.database", "RDS"),
    arn=Arn("rds-db", "dbuser:{id}/*"),
    iam_service="rds-db",
    capabilities={C.data_store, C.emits_metrics}, behavior=B + "rds:Rds",
    validate=validate_rds,
)  # fmt: skip
KMS = kind(
    "kms", k.KmsParams, title="KMS key", category="security",
    order=130,
    summary="Envelope encryption key.",
    icon=("diagrams.aws.security", "KMS"),
    arn=Arn("kms", "key/{id}"),
    iam_service="kms", conditions=("throttled",),
    capabilities={C.security}, behavior=B + "kms:Kms",
)  # fmt: skip
IAM_ROLE = kind(
    "iam_role", k.IamRoleParams, title="IAM role", category="security",
    order=140,
    summary="Role with policy documents.",
    icon=("diagrams.aws.security", "IAMRole"),
    arn=Arn("iam", "role/{id}", regional=False),
    iam_service="iam", capabilities={C.security}, behavior=B + "iam_role:IamRole",
)  # fmt: skip
SNS = kind(
    "sns", k.SnsParams, title="SNS topic", category="integration",
    order=160,
    summary="Fan-out with filter policies.",
    icon=("diagrams.aws.integration", "SNS"),
    arn=Arn("sns", "{id}"),
    iam_service="sns",
    capabilities={C.async_fanout, C.data_store}, behavior=B + "sns:Sns",
    validate=validate_sns,
)  # fmt: skip
CLOUDWATCH = kind(
    "cloudwatch", k.CloudWatchParams, title="CloudWatch", category="management",
    order=170,
    summary="Metrics, M-of-N alarms and their actions.",
    icon=("diagrams.aws.management", "Cloudwatch"),
    arn=Arn("cloudwatch", "alarm:{id}"),
    iam_service="cloudwatch", conditions=("alarm",),
    capabilities={C.collects_metrics}, behavior=B + "cloudwatch:CloudWatch",
    validate=validate_cloudwatch,
)  # fmt: skip
EXTERNAL = kind(
    "external", k.ExternalParams, title="External system", category="external",
    order=180,
    summary="Something outside the system: warehouse, delivery partner, email or SMS "
    "recipients.",
    icon=("diagrams.aws.general", "GenericOfficeBuilding"),
    behavior=B + "external:External",
)  # fmt: skip
