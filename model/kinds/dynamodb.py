"""DynamoDB: a key-value table; provisioned or on-demand capacity throttles."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from archgen.model.base import (
    Duration,
    Id,
    Strict,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    EncryptableAtRest,
    KindParams,
    Metrics,
    Node,
    Operations,
    Ref,
    SseKms,
    Unit,
    kind,
    metric,
)

TABLE_KEY_CACHE_S = 300.0
"""DynamoDB Developer Guide, "Encryption at rest: how it works": DynamoDB caches the
plaintext table key for each caller and asks KMS again after 5 minutes (it does not call
KMS for every operation)."""

MAX_CAPACITY_UNITS = 1_000_000
"""Bound of a provisioned DynamoDB table's read or write capacity units."""

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class BillingMode(StrEnum):
    """How a DynamoDB table pays for capacity: on demand, or provisioned units per second."""

    on_demand = "on_demand"
    provisioned = "provisioned"


class CapacityScaling(Strict):
    """DynamoDB auto scaling of one capacity (reads or writes): Application Auto Scaling
    target tracking on consumed / provisioned capacity units."""

    min_units: int = Field(
        gt=0, le=MAX_CAPACITY_UNITS, description="Fewest units per second auto scaling keeps."
    )
    max_units: int = Field(
        gt=0, le=MAX_CAPACITY_UNITS, description="Most units per second auto scaling sets."
    )
    target_utilization_percent: float = Field(
        70,
        ge=20,
        le=90,
        description="Consumed / provisioned capacity the policy holds (AWS: 20-90 %, the "
        "console's default 70). Above it for 2 consecutive minutes: scale out; 20 points or "
        "more below it for 15 consecutive minutes: scale in (as the alarms DynamoDB creates).",
    )

    @model_validator(mode="after")
    def _bounds(self) -> CapacityScaling:
        if self.min_units > self.max_units:
            raise ValueError(
                f"min_units ({self.min_units}) is greater than max_units ({self.max_units})"
            )
        return self


class TableAutoScaling(Strict):
    """DynamoDB auto scaling of a provisioned table's read and/or write capacity."""

    reads: CapacityScaling | None = Field(
        None, description="Auto scaling of read capacity units; none: fixed."
    )
    writes: CapacityScaling | None = Field(
        None, description="Auto scaling of write capacity units; none: fixed."
    )


class DynamoDbParams(KindParams, EncryptableAtRest):
    """Settings of a DynamoDB table."""

    billing_mode: BillingMode = Field(
        BillingMode.on_demand,
        description=(
            "On demand (serves at once up to twice its previous peak) or provisioned units."
        ),
    )
    read_capacity_units: int = Field(
        1_000,
        gt=0,
        le=MAX_CAPACITY_UNITS,
        description=(
            "Provisioned read capacity units per second (one: a strongly consistent read, or "
            "two eventually consistent ones); beyond them and the burst credit, throttled."
        ),
    )
    write_capacity_units: int = Field(
        1_000,
        gt=0,
        le=MAX_CAPACITY_UNITS,
        description=("Provisioned writes per second; beyond them and the burst credit, throttled."),
    )
    burst_s: int = Field(
        300,
        ge=0,
        le=300,
        description=(
            "Seconds of unused provisioned capacity kept for bursts (AWS keeps up to 300); "
            "full at the start, as for a table idle before the run; 0 models a table "
            "already running hot."
        ),
    )
    consistent_reads: bool = Field(
        False,
        description=(
            "Reads ask for strong consistency (ConsistentRead: 1 RCU per read of up to "
            "4 KB); the SDK default, eventually consistent, costs 0.5 RCU."
        ),
    )
    warm_read_units_per_s: int = Field(
        12_000,
        gt=0,
        le=MAX_CAPACITY_UNITS,
        description=(
            "On demand: reads per second the table serves at once (AWS: 12,000 for a new "
            "table; twice an earlier peak for one that had it)."
        ),
    )
    warm_write_units_per_s: int = Field(
        4_000,
        gt=0,
        le=MAX_CAPACITY_UNITS,
        description=(
            "On demand: writes per second the table serves at once (AWS: 4,000 for a new "
            "table; twice an earlier peak for one that had it)."
        ),
    )
    read: Duration = Field(
        default_factory=lambda: ms(5, 0.4), description="Latency of a read (GetItem, Query)."
    )
    write: Duration = Field(
        default_factory=lambda: ms(8, 0.4), description="Latency of a write (PutItem, UpdateItem)."
    )
    max_retries: int = Field(3, ge=0, le=10, description="SDK retries on throttling.")
    retry_base_ms: float = Field(
        25,
        gt=0,
        le=60_000,
        description="Base of the SDK's exponential backoff between retries (at most a minute).",
    )
    autoscaling: TableAutoScaling | None = Field(
        None,
        description="Provisioned tables: DynamoDB auto scaling of read/write capacity (target "
        "tracking; at most 4 decreases a UTC day, then one per hour without a decrease).",
    )
    global_table: bool = Field(
        False, description="Replicated to the table's replicas in other regions."
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None,
        description=(
            "KMS key node that encrypts the table at rest. DynamoDB caches the table key "
            "it decrypts with it for each caller and asks KMS again after 5 minutes, so a "
            "fault on the key reaches a caller's requests only when its table key is renewed."
        ),
    )

    def sse_kms_reuse_s(self) -> float | None:
        return TABLE_KEY_CACHE_S

    @model_validator(mode="after")
    def _scaling_needs_provisioned(self) -> DynamoDbParams:
        if self.autoscaling is not None and self.billing_mode is not BillingMode.provisioned:
            raise ValueError(
                "autoscaling adjusts provisioned capacity: it needs billing_mode provisioned "
                "(an on-demand table scales by itself)"
            )
        return self


def _import_table(ctx: ImportContext) -> dict[str, object]:
    """``AWS::DynamoDB::Table``: billing mode, provisioned capacity, encryption."""
    params: dict[str, object] = {}
    if ctx.text(ctx.prop("BillingMode", default="PROVISIONED")) == "PROVISIONED":
        params["billing_mode"] = "provisioned"
        for key, name in (
            ("ReadCapacityUnits", "read_capacity_units"),
            ("WriteCapacityUnits", "write_capacity_units"),
        ):
            value = ctx.number("ProvisionedThroughput", key)
            if value is not None:
                params[name] = int(value)
    kms = ctx.node(ctx.prop("SSESpecification", "KMSMasterKeyId"))
    if kms is not None:
        params["kms_key"] = kms.id
    return params


def _cost(bill: Bill, node: Node, params: DynamoDbParams) -> None:
    """On demand: the request units served; provisioned: the capacity held, per hour."""
    if params.billing_mode is BillingMode.on_demand:
        for kind, what in (("read", "eventually consistent read = 0.5"), ("write", "write = 1")):
            units = bill.real(bill.value("consumed", f"{kind}_units"))
            bill.charge(
                f"dynamodb.on_demand.{kind}_request_unit",
                units,
                f"{kind} request units served ({what}; items up to 4 KB / 1 KB)",
            )
    else:
        for short, units in (
            ("rcu", params.read_capacity_units),
            ("wcu", params.write_capacity_units),
        ):
            bill.charge(
                f"dynamodb.provisioned.{short}_hour",
                units * bill.hours,
                f"{units:,} {short.upper()} provisioned",
            )
    bill.leave_out("storage (GB-month): table sizes are not modelled")
    if params.global_table:
        bill.leave_out("global-table replicated writes: replication is not simulated")


# DynamoDB API and IAM reference.
_OPERATIONS = Operations(
    "DynamoDB",
    """
    BatchExecuteStatement BatchGetItem BatchWriteItem ConditionCheckItem CreateBackup
    CreateGlobalTable CreateTable CreateTableReplica DeleteBackup DeleteItem
    DeleteResourcePolicy DeleteTable DeleteTableReplica DescribeBackup DescribeContinuousBackups
    DescribeContributorInsights DescribeEndpoints DescribeExport DescribeGlobalTable
    DescribeGlobalTableSettings DescribeImport DescribeKinesisStreamingDestination
    DescribeLimits DescribeReservedCapacity DescribeReservedCapacityOfferings DescribeStream
    DescribeTable DescribeTableReplicaAutoScaling DescribeTimeToLive
    DisableKinesisStreamingDestination EnableKinesisStreamingDestination ExecuteStatement
    ExecuteTransaction ExportTableToPointInTime GetAbacStatus GetItem GetRecords
    GetResourcePolicy GetShardIterator ImportTable ListBackups ListContributorInsights
    ListExports ListGlobalTables ListImports ListStreams ListTables ListTagsOfResource
    PartiQLDelete PartiQLInsert PartiQLSelect PartiQLUpdate PutItem PutResourcePolicy Query
    RestoreTableFromAwsBackup RestoreTableFromBackup RestoreTableToPointInTime Scan
    StartAwsBackupJob TagResource TransactGetItems TransactWriteItems UntagResource
    UpdateContinuousBackups UpdateContributorInsights UpdateGlobalTable
    UpdateGlobalTableSettings UpdateItem UpdateKinesisStreamingDestination UpdateTable
    UpdateTableReplicaAutoScaling UpdateTimeToLive
    """,
)


SPEC = kind(
    "dynamodb",
    DynamoDbParams,
    title="DynamoDB table",
    category="database",
    order=110,
    summary="Key-value table; capacity (provisioned or on demand) throttles.",
    icon=("diagrams.aws.database", "Dynamodb"),
    arn=Arn("dynamodb", "table/{id}"),
    iam_service="dynamodb",
    operations=_OPERATIONS,
    # DynamoDB Developer Guide, "Encryption at rest": with a customer managed key, every
    # read and write uses the table key, which DynamoDB has KMS decrypt on the caller's
    # behalf (kms:Decrypt, kms:ViaService dynamodb.<region>.amazonaws.com).
    sse_kms=SseKms((("*", ("kms:Decrypt",)),), error="AccessDeniedException"),
    conditions=("throttled",),
    capabilities={Capability.data_store, Capability.emits_metrics},
    behavior="archgen.runtime.behaviors.dynamodb:DynamoDb",
    metrics=Metrics(
        "AWS/DynamoDB",
        ("TableName",),
        (
            metric(
                "ThrottledRequests",
                Unit.count,
                "Requests the table refused over its capacity (provisioned plus burst, or an "
                "on-demand table's ceiling) or by a throttling fault; each SDK retry is a new "
                "request.",
            ),
            metric("ReadThrottleEvents", Unit.count, "Throttled read requests."),
            metric("WriteThrottleEvents", Unit.count, "Throttled write requests."),
            metric(
                "ConsumedReadCapacityUnits",
                Unit.count,
                "Read capacity units used by successful reads of up to 4 KB: 0.5 eventually "
                "consistent, 1 strongly consistent, 2 transactional.",
            ),
            metric(
                "ConsumedWriteCapacityUnits",
                Unit.count,
                "Write capacity units used by successful writes of up to 1 KB: 1, or 2 "
                "transactional.",
            ),
            metric(
                "SuccessfulRequestLatency",
                Unit.milliseconds,
                "Time the table took to serve a successful request (its read or write "
                "latency, SDK backoff excluded).",
            ),
            metric(
                "SystemErrors",
                Unit.count,
                "Requests that failed with a 5xx at the table (an outage).",
            ),
        ),
    ),
    imports=(
        CfnImport(
            "AWS::DynamoDB::Table",
            _import_table,
            entry_operation="PutItem",
            physical_name="TableName",
        ),
    ),
    cost=_cost,
)
