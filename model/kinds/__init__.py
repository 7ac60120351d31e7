"""The catalogue of node kinds: one parameter model per kind, with AWS's defaults.

Parameters are the knobs of ``shared/design/aws-behaviors.md``; units are part of every
name (``_ms``, ``_s``, ``_per_s``) so that a model reads unambiguously. References to other
nodes are plain ids here and are checked by :mod:`archgen.model.validate`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from archgen.model.base import (
    MAX_MS,
    Duration,
    Id,
    Percent,
    Probability,
    Strict,
    Weight,
    ms,
)
from archgen.model.iam import PolicyDocument
from archgen.model.kind import EncryptableAtRest, KindParams, KindSpec, Protects, Ref, Zonal
from archgen.model.kinds.sqs import SqsParams as SqsParams
from archgen.model.registry import kinds

YEAR_S = 31_536_000
"""CloudFront's default maximum TTL; the bound of every cache lifetime."""
MAX_INSTANCES = 10_000
"""Bound of instances in one fleet or endpoint (each is simulated)."""
MAX_CONCURRENCY = 100_000
"""Bound of Lambda concurrency (AWS's default account quota is 1,000)."""
MAX_CAPACITY_UNITS = 1_000_000
"""Bound of a provisioned DynamoDB table's read or write capacity units."""

# --------------------------------------------------------------------------- client


class ClientLocation(Strict):
    """Where a share of the users sits, and its network round trip to each region group."""

    id: Id
    weight: Weight = 1.0
    latency_ms: dict[Id, Annotated[float, Field(ge=0, le=60_000)]] = Field(
        default_factory=dict,
        description="Round-trip time from here to each region group id (at most 60 s).",
    )


class ClientParams(KindParams):
    locations: tuple[ClientLocation, ...] = ()
    think_time: Duration = Field(
        default_factory=lambda: ms(8000, 1.0, "exponential"),
        description="Pause between two flows of a journey.",
    )
    timeout_ms: float = Field(10_000, gt=0, le=MAX_MS, description="At most a day.")


# --------------------------------------------------------------------------- edge & DNS


class RoutingPolicy(StrEnum):
    simple = "simple"
    latency = "latency"
    failover = "failover"
    weighted = "weighted"


class FailoverRole(StrEnum):
    primary = "primary"
    secondary = "secondary"


class DnsRecord(Strict):
    """One record of the routed name: where it points and how it is health-checked."""

    target: Id = Field(description="Node the answer points at (e.g. a regional load balancer).")
    region: Id | None = Field(None, description="Region group, for latency routing.")
    weight: int = Field(1, ge=0, le=255)
    failover: FailoverRole | None = None
    health_check: bool = True
    health_alarm: Id | None = Field(
        None, description="CloudWatch alarm whose ALARM state marks this record unhealthy."
    )


class Route53Params(KindParams):
    routing: RoutingPolicy = RoutingPolicy.latency
    ttl_s: int = Field(60, ge=0, le=172_800)
    health_check_interval_s: Literal[10, 30] = 30
    failure_threshold: int = Field(3, ge=1, le=10)
    records: tuple[DnsRecord, ...] = ()
    resolve: Duration = Field(default_factory=lambda: ms(20, 0.3))


class CloudFrontOrigin(Strict):
    target: Id
    failover: FailoverRole = FailoverRole.primary


class CloudFrontParams(KindParams):
    min_ttl_s: int = Field(0, ge=0, le=YEAR_S)
    default_ttl_s: int = Field(86_400, ge=0, le=YEAR_S)
    max_ttl_s: int = Field(YEAR_S, ge=0, le=YEAR_S, description="At most a year.")
    edge_locations: tuple[Id, ...] = Field(
        default=("edge",), description="Edge location names; each keeps its own cache."
    )
    cache_capacity_objects: int = Field(
        50_000,
        gt=0,
        le=1_000_000,
        description="Objects one edge location keeps before evicting (LRU; at most a million).",
    )
    origins: tuple[CloudFrontOrigin, ...] = ()
    stale_if_error_s: int = Field(
        0,
        ge=0,
        le=YEAR_S,
        description="How long an expired copy may still be served when the origin fails.",
    )
    origin_shield: bool = False
    hit: Duration = Field(default_factory=lambda: ms(15, 0.4))

    @model_validator(mode="after")
    def _ttl_order(self) -> CloudFrontParams:
        if not self.min_ttl_s <= self.default_ttl_s <= self.max_ttl_s:
            raise ValueError(
                f"TTLs must satisfy min_ttl_s <= default_ttl_s <= max_ttl_s, got "
                f"{self.min_ttl_s} / {self.default_ttl_s} / {self.max_ttl_s}"
            )
        return self


class ShieldTier(StrEnum):
    standard = "standard"
    advanced = "advanced"


class ShieldParams(KindParams, Protects):
    tier: ShieldTier = ShieldTier.standard
    protects: Annotated[tuple[Id, ...], Ref(role="watches")] = Field(
        (), description="Nodes this protection is attached to."
    )


class WafRateRule(Strict):
    limit: int = Field(
        2_000,
        ge=10,
        le=2_000_000_000,
        description="Requests per key per window before blocking (AWS: 10 to 2 billion).",
    )
    window_s: Literal[60, 120, 300, 600] = 300
    key: Literal["ip", "forwarded_ip", "header"] = "ip"


class WafParams(KindParams, Protects):
    protects: Annotated[tuple[Id, ...], Ref(role="watches")] = ()
    rate_rule: WafRateRule = Field(default_factory=WafRateRule)
    evaluation_interval_s: int = Field(
        30,
        gt=0,
        le=600,
        description="Rate-based rules are enforced periodically, not per request (at most "
        "every 10 minutes).",
    )
    inspect: Duration = Field(default_factory=lambda: ms(1, 0.3))


class LbAlgorithm(StrEnum):
    round_robin = "round_robin"
    least_outstanding_requests = "least_outstanding_requests"


class AlbParams(KindParams):
    algorithm: LbAlgorithm = LbAlgorithm.round_robin
    health_check_interval_s: int = Field(30, ge=5, le=300)
    health_check_timeout_s: int = Field(5, ge=2, le=120)
    healthy_threshold: int = Field(5, ge=2, le=10)
    unhealthy_threshold: int = Field(2, ge=2, le=10)
    deregistration_delay_s: int = Field(300, ge=0, le=3600)
    idle_timeout_s: int = Field(60, ge=1, le=4000)
    overhead: Duration = Field(default_factory=lambda: ms(2, 0.3))

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> AlbParams:
        if self.health_check_timeout_s >= self.health_check_interval_s:
            raise ValueError("health_check_timeout_s must be less than health_check_interval_s")
        return self


# --------------------------------------------------------------------------- compute


class AutoScaling(Strict):
    min_instances: int = Field(1, ge=0, le=MAX_INSTANCES)
    max_instances: int = Field(10, gt=0, le=MAX_INSTANCES, description="At most 10,000.")
    desired_instances: int | None = Field(
        None,
        ge=0,
        le=MAX_INSTANCES,
        description="Instances at the start; defaults to min_instances.",
    )
    target_cpu_percent: Percent = 50
    launch_s: float = Field(
        60, ge=0, le=3_600, description="From launch to in service (boot; at most an hour)."
    )
    warmup_s: float = Field(
        300,
        ge=0,
        le=3_600,
        description="After boot, before the instance counts in the metric (at most an hour).",
    )
    scale_in_cooldown_s: float = Field(300, ge=0, le=86_400)
    metric_period_s: int = Field(60, gt=0, le=3_600)

    @model_validator(mode="after")
    def _bounds(self) -> AutoScaling:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"min_instances ({self.min_instances}) is greater than "
                f"max_instances ({self.max_instances})"
            )
        desired = self.desired_instances
        if desired is not None and not self.min_instances <= desired <= self.max_instances:
            raise ValueError(
                f"desired_instances ({desired}) must lie between min_instances "
                f"({self.min_instances}) and max_instances ({self.max_instances})"
            )
        return self

    @property
    def initial_instances(self) -> int:
        return self.min_instances if self.desired_instances is None else self.desired_instances


class Ec2Params(KindParams, Zonal):
    instance_type: str = Field("c5.xlarge", max_length=64)
    zones: tuple[Id, ...] = Field(
        (),
        description="Availability-zone groups the fleet spreads over (an AZ outage takes "
        "out its share).",
    )
    workers_per_instance: int = Field(
        8, gt=0, le=10_000, description="Requests one instance serves at once."
    )
    queue_capacity: int = Field(
        64,
        ge=0,
        le=100_000_000,
        description="Requests waiting per instance; beyond it requests are rejected (503). "
        "Memory is taken by the requests waiting, not by the capacity.",
    )
    service_time: Duration = Field(default_factory=lambda: ms(40, 0.6))
    autoscaling: AutoScaling = Field(default_factory=AutoScaling)


class LambdaEventSource(Strict):
    queue: Id
    batch_size: int = Field(10, ge=1, le=10_000)
    max_batching_window_s: float = Field(0, ge=0, le=300)
    report_batch_item_failures: bool = False


class LambdaAsync(Strict):
    max_retry_attempts: int = Field(2, ge=0, le=2)
    max_event_age_s: int = Field(21_600, ge=60, le=21_600)
    on_failure: Id | None = None


class LambdaParams(KindParams):
    memory_mb: int = Field(128, ge=128, le=10_240)
    timeout_s: float = Field(3, gt=0, le=900)
    reserved_concurrency: int | None = Field(None, ge=0, le=MAX_CONCURRENCY)
    account_concurrency_limit: int = Field(
        1_000, gt=0, le=MAX_CONCURRENCY, description="At most 100,000."
    )
    duration: Duration = Field(default_factory=lambda: ms(50, 0.5))
    cold_start: Duration = Field(default_factory=lambda: ms(250, 0.3))
    idle_environment_s: float = Field(
        600, gt=0, le=86_400, description="How long an idle environment stays warm (≤ a day)."
    )
    error_rate: Probability = 0.0
    event_source: LambdaEventSource | None = None
    async_invocation: LambdaAsync = Field(default_factory=LambdaAsync)

    @model_validator(mode="after")
    def _reserved_within_account(self) -> LambdaParams:
        reserved = self.reserved_concurrency
        if reserved is not None and reserved > self.account_concurrency_limit:
            raise ValueError(
                f"reserved_concurrency ({reserved}) exceeds account_concurrency_limit "
                f"({self.account_concurrency_limit})"
            )
        return self


class SageMakerParams(KindParams):
    instance_type: str = Field("ml.c5.xlarge", max_length=64)
    instances: int = Field(2, gt=0, le=MAX_INSTANCES)
    concurrency_per_instance: int = Field(4, gt=0, le=1_000)
    inference: Duration = Field(default_factory=lambda: ms(25, 0.4))
    top_k: int = Field(10, ge=1, le=100, description="Recommendations returned per request.")
    algorithm: Literal["item_cooccurrence"] = "item_cooccurrence"


# --------------------------------------------------------------------------- data


class S3Params(KindParams, EncryptableAtRest):
    objects: int = Field(
        100_000, ge=0, le=10**12, description="Objects stored at the start (at most 10^12)."
    )
    object_size_kb: float = Field(
        200, gt=0, le=5 * 2**30, description="At most 5 TiB, S3's largest object."
    )
    get: Duration = Field(default_factory=lambda: ms(30, 0.5))
    put: Duration = Field(default_factory=lambda: ms(45, 0.5))
    availability_percent: Percent = Field(99.9, description="SLA target of the storage class.")
    encryption: Literal["sse-s3", "sse-kms"] = "sse-s3"
    kms_key: Annotated[Id | None, Ref(("kms",))] = None
    cache_max_age_s: int | None = Field(
        None,
        ge=0,
        le=YEAR_S,
        description="Cache-Control max-age sent with objects; none → CDN default TTL.",
    )


class BillingMode(StrEnum):
    on_demand = "on_demand"
    provisioned = "provisioned"


class DynamoDbParams(KindParams, EncryptableAtRest):
    billing_mode: BillingMode = BillingMode.on_demand
    read_capacity_units: int = Field(1_000, gt=0, le=MAX_CAPACITY_UNITS)
    write_capacity_units: int = Field(1_000, gt=0, le=MAX_CAPACITY_UNITS)
    read: Duration = Field(default_factory=lambda: ms(5, 0.4))
    write: Duration = Field(default_factory=lambda: ms(8, 0.4))
    max_retries: int = Field(3, ge=0, le=10, description="SDK retries on throttling.")
    retry_base_ms: float = Field(25, gt=0, le=60_000)
    global_table: bool = False
    kms_key: Annotated[Id | None, Ref(("kms",))] = None


class RdsParams(KindParams, Zonal, EncryptableAtRest):
    engine: Literal["aurora-mysql", "aurora-postgresql", "mysql", "postgres"] = "aurora-mysql"
    instance_class: str = Field("db.r6g.xlarge", max_length=64)
    max_connections: int = Field(1_000, gt=0, le=100_000)
    read: Duration = Field(default_factory=lambda: ms(4, 0.5))
    write: Duration = Field(default_factory=lambda: ms(10, 0.5))
    multi_az: bool = True
    zones: tuple[Id, ...] = Field((), description="Primary zone first, then standby zones.")
    failover_s: float = Field(
        35, gt=0, le=3_600, description="Multi-AZ failover takes tens of seconds."
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = None


# --------------------------------------------------------------------------- security


class KmsParams(KindParams):
    key_spec: Literal["SYMMETRIC_DEFAULT"] = "SYMMETRIC_DEFAULT"
    requests_per_s_quota: int = Field(
        10_000,
        gt=0,
        le=1_000_000,
        description="Shared quota of cryptographic operations per second.",
    )
    latency: Duration = Field(default_factory=lambda: ms(6, 0.4))
    rotation: bool = True
    key_policy: PolicyDocument | None = None


class IamRoleParams(KindParams):
    policies: tuple[PolicyDocument, ...] = ()
    assumed_by: tuple[str, ...] = Field(
        (), description="Service principals that may assume the role (ec2.amazonaws.com…)."
    )


# --------------------------------------------------------------------------- messaging


class SnsProtocol(StrEnum):
    sqs = "sqs"
    lambda_ = "lambda"
    email = "email"
    sms = "sms"
    https = "https"


class SnsSubscription(Strict):
    endpoint: Id = Field(description="Node that receives the notifications.")
    protocol: SnsProtocol
    filter_policy: dict[str, tuple[str | int | float | bool, ...]] | None = Field(
        None, description="Message attribute → accepted values: keys AND, values OR."
    )
    raw_message_delivery: bool = False
    dead_letter_queue: Id | None = Field(
        None, description="SQS queue that keeps messages whose delivery retries ran out."
    )


class SnsParams(KindParams, EncryptableAtRest):
    fifo: bool = False
    subscriptions: tuple[SnsSubscription, ...] = ()
    latency: Duration = Field(default_factory=lambda: ms(30, 0.5))
    kms_key: Annotated[Id | None, Ref(("kms",))] = None


# --------------------------------------------------------------------------- observability


class Comparison(StrEnum):
    greater_than = "GreaterThanThreshold"
    greater_or_equal = "GreaterThanOrEqualToThreshold"
    less_than = "LessThanThreshold"
    less_or_equal = "LessThanOrEqualToThreshold"


class MissingData(StrEnum):
    missing = "missing"
    not_breaching = "notBreaching"
    breaching = "breaching"
    ignore = "ignore"


class Statistic(StrEnum):
    average = "Average"
    sum = "Sum"
    minimum = "Minimum"
    maximum = "Maximum"
    sample_count = "SampleCount"
    p99 = "p99"


class MetricName(StrEnum):
    """Metrics the simulated services publish; names follow AWS's namespaces loosely."""

    cpu_utilization = "CPUUtilization"
    request_count = "RequestCount"
    errors_5xx = "HTTPCode_5XX_Count"
    latency = "Latency"
    healthy_hosts = "HealthyHostCount"
    throttles = "Throttles"
    errors = "Errors"
    queue_depth = "ApproximateNumberOfMessagesVisible"
    oldest_message_age = "ApproximateAgeOfOldestMessage"
    cache_hit_rate = "CacheHitRate"
    blocked_requests = "BlockedRequests"
    concurrent_executions = "ConcurrentExecutions"
    database_connections = "DatabaseConnections"


class Metric(Strict):
    id: Id
    node: Id
    name: MetricName
    statistic: Statistic = Statistic.average


class AlarmActionType(StrEnum):
    scale = "scale"
    failover = "failover"
    notify = "notify"


class AlarmAction(Strict):
    type: AlarmActionType
    target: Id = Field(description="Fleet to scale, Route 53 node to fail over, topic to notify.")
    adjustment: int = Field(
        0, ge=-MAX_INSTANCES, le=MAX_INSTANCES, description="Instances to add (scale actions)."
    )


class Alarm(Strict):
    id: Id
    metric: Id
    comparison: Comparison = Comparison.greater_than
    threshold: float = Field(ge=-1e15, le=1e15)
    evaluation_periods: int = Field(1, gt=0, le=1_440)
    datapoints_to_alarm: int | None = Field(None, gt=0, le=1_440)
    treat_missing_data: MissingData = MissingData.missing
    actions: tuple[AlarmAction, ...] = ()
    ok_actions: tuple[AlarmAction, ...] = ()

    @model_validator(mode="after")
    def _m_of_n(self) -> Alarm:
        m = self.datapoints_to_alarm
        if m is not None and m > self.evaluation_periods:
            raise ValueError(
                f"datapoints_to_alarm ({m}) exceeds evaluation_periods ({self.evaluation_periods})"
            )
        return self


class CloudWatchParams(KindParams):
    period_s: int = Field(60, gt=0, le=86_400, description="At most a day.")
    metrics: tuple[Metric, ...] = ()
    alarms: tuple[Alarm, ...] = ()


class ExternalRole(StrEnum):
    warehouse = "warehouse"
    delivery = "delivery"
    email = "email"
    sms = "sms"
    payment_processor = "payment_processor"
    operator = "operator"
    other = "other"


class ExternalParams(KindParams):
    role: ExternalRole = ExternalRole.other
    latency: Duration = Field(default_factory=lambda: ms(120, 0.6))
    error_rate: Probability = 0.0


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
