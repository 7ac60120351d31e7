"""The built-in kinds: one module each (``model/kinds/<kind>.py``: its params, nested
models, validation hook and :class:`~archgen.model.kind.KindSpec`), registered as
``archgen.kinds`` entry points in ``pyproject.toml`` like any plug-in's.

This package re-exports the params classes so that code written against the built-in
kinds imports them from one place; the registry never reads this file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from archgen.model.base import MAX_INSTANCES as MAX_INSTANCES
from archgen.model.base import YEAR_S as YEAR_S
from archgen.model.kind import KindSpec
from archgen.model.kinds.alb import (
    AlbParams as AlbParams,
)
from archgen.model.kinds.alb import (
    LbAlgorithm as LbAlgorithm,
)
from archgen.model.kinds.apigateway import (
    ApiGatewayParams as ApiGatewayParams,
)
from archgen.model.kinds.apigateway import (
    ApiType as ApiType,
)
from archgen.model.kinds.client import (
    ClientLocation as ClientLocation,
)
from archgen.model.kinds.client import (
    ClientParams as ClientParams,
)
from archgen.model.kinds.cloudfront import (
    CloudFrontOrigin as CloudFrontOrigin,
)
from archgen.model.kinds.cloudfront import (
    CloudFrontParams as CloudFrontParams,
)
from archgen.model.kinds.cloudwatch import (
    Alarm as Alarm,
)
from archgen.model.kinds.cloudwatch import (
    AlarmAction as AlarmAction,
)
from archgen.model.kinds.cloudwatch import (
    AlarmActionType as AlarmActionType,
)
from archgen.model.kinds.cloudwatch import (
    CloudWatchParams as CloudWatchParams,
)
from archgen.model.kinds.cloudwatch import (
    Comparison as Comparison,
)
from archgen.model.kinds.cloudwatch import (
    Metric as Metric,
)
from archgen.model.kinds.cloudwatch import (
    MissingData as MissingData,
)
from archgen.model.kinds.cloudwatch import (
    Statistic as Statistic,
)
from archgen.model.kinds.dynamodb import (
    MAX_CAPACITY_UNITS as MAX_CAPACITY_UNITS,
)
from archgen.model.kinds.dynamodb import (
    BillingMode as BillingMode,
)
from archgen.model.kinds.dynamodb import (
    DynamoDbParams as DynamoDbParams,
)
from archgen.model.kinds.ec2 import (
    AutoScaling as AutoScaling,
)
from archgen.model.kinds.ec2 import (
    Ec2Params as Ec2Params,
)
from archgen.model.kinds.ecs import (
    EcsParams as EcsParams,
)
from archgen.model.kinds.ecs import (
    ScalingMetric as ScalingMetric,
)
from archgen.model.kinds.ecs import (
    ServiceAutoScaling as ServiceAutoScaling,
)
from archgen.model.kinds.elasticache import (
    CacheEngine as CacheEngine,
)
from archgen.model.kinds.elasticache import (
    ElastiCacheParams as ElastiCacheParams,
)
from archgen.model.kinds.elasticache import (
    EvictionPolicy as EvictionPolicy,
)
from archgen.model.kinds.eventbridge import (
    EventBridgeParams as EventBridgeParams,
)
from archgen.model.kinds.eventbridge import (
    EventRule as EventRule,
)
from archgen.model.kinds.eventbridge import (
    EventTarget as EventTarget,
)
from archgen.model.kinds.external import (
    ExternalParams as ExternalParams,
)
from archgen.model.kinds.iam_role import (
    IamRoleParams as IamRoleParams,
)
from archgen.model.kinds.kms import (
    KmsParams as KmsParams,
)
from archgen.model.kinds.lambda_ import (
    MAX_CONCURRENCY as MAX_CONCURRENCY,
)
from archgen.model.kinds.lambda_ import (
    LambdaAsync as LambdaAsync,
)
from archgen.model.kinds.lambda_ import (
    LambdaEventSource as LambdaEventSource,
)
from archgen.model.kinds.lambda_ import (
    LambdaParams as LambdaParams,
)
from archgen.model.kinds.nat_gateway import (
    NatGatewayParams as NatGatewayParams,
)
from archgen.model.kinds.rds import (
    RdsParams as RdsParams,
)
from archgen.model.kinds.route53 import (
    DnsRecord as DnsRecord,
)
from archgen.model.kinds.route53 import (
    FailoverRole as FailoverRole,
)
from archgen.model.kinds.route53 import (
    Route53Params as Route53Params,
)
from archgen.model.kinds.route53 import (
    RoutingPolicy as RoutingPolicy,
)
from archgen.model.kinds.s3 import (
    S3Params as S3Params,
)
from archgen.model.kinds.sagemaker_endpoint import (
    SageMakerParams as SageMakerParams,
)
from archgen.model.kinds.secretsmanager import (
    SecretsManagerParams as SecretsManagerParams,
)
from archgen.model.kinds.shield import (
    ShieldParams as ShieldParams,
)
from archgen.model.kinds.shield import (
    ShieldTier as ShieldTier,
)
from archgen.model.kinds.sns import (
    SnsParams as SnsParams,
)
from archgen.model.kinds.sns import (
    SnsProtocol as SnsProtocol,
)
from archgen.model.kinds.sns import (
    SnsSubscription as SnsSubscription,
)
from archgen.model.kinds.sqs import (
    SqsParams as SqsParams,
)
from archgen.model.kinds.stepfunctions import (
    StepFunctionsParams as StepFunctionsParams,
)
from archgen.model.kinds.stepfunctions import (
    WorkflowType as WorkflowType,
)
from archgen.model.kinds.vpc_endpoint import (
    EndpointType as EndpointType,
)
from archgen.model.kinds.vpc_endpoint import (
    VpcEndpointParams as VpcEndpointParams,
)
from archgen.model.kinds.waf import (
    WafParams as WafParams,
)
from archgen.model.kinds.waf import (
    WafRateRule as WafRateRule,
)
from archgen.model.registry import kinds

# --------------------------------------------------------------------------- the catalogue


class _Kinds(Mapping[str, KindSpec]):
    """``KINDS``: the registry, read lazily (a migration shim; new code imports
    :func:`archgen.model.registry.kinds`)."""

    def __getitem__(self, name: str) -> KindSpec:
        return kinds()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(kinds())

    def __len__(self) -> int:
        return len(kinds())


KINDS: Mapping[str, KindSpec] = _Kinds()
"""Every kind, in catalogue order (the ``archgen.kinds`` entry points)."""
