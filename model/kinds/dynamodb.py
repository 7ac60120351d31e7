"""DynamoDB: a key-value table; provisioned capacity throttles."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from archgen.model.base import (
    Duration,
    Id,
    ms,
)
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    EncryptableAtRest,
    KindParams,
    Metrics,
    Ref,
    Unit,
    kind,
    metric,
)

MAX_CAPACITY_UNITS = 1_000_000
"""Bound of a provisioned DynamoDB table's read or write capacity units."""

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext


class BillingMode(StrEnum):
    """How a DynamoDB table pays for capacity: on demand, or provisioned units per second."""

    on_demand = "on_demand"
    provisioned = "provisioned"


class DynamoDbParams(KindParams, EncryptableAtRest):
    """Settings of a DynamoDB table."""

    billing_mode: BillingMode = Field(
        BillingMode.on_demand,
        description="On demand (no throttling by capacity) or provisioned units.",
    )
    read_capacity_units: int = Field(
        1_000,
        gt=0,
        le=MAX_CAPACITY_UNITS,
        description="Provisioned reads per second; beyond them reads are throttled.",
    )
    write_capacity_units: int = Field(
        1_000,
        gt=0,
        le=MAX_CAPACITY_UNITS,
        description="Provisioned writes per second; beyond them writes are throttled.",
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
    global_table: bool = Field(
        False, description="Replicated to the table's replicas in other regions."
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None, description="KMS key node that encrypts the table at rest."
    )


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


SPEC = kind(
    "dynamodb",
    DynamoDbParams,
    title="DynamoDB table",
    category="database",
    order=110,
    summary="Key-value table; provisioned capacity throttles.",
    icon=("diagrams.aws.database", "Dynamodb"),
    arn=Arn("dynamodb", "table/{id}"),
    iam_service="dynamodb",
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
                "Requests the table refused over its provisioned capacity (or a throttling "
                "fault); each SDK retry is a new request.",
            ),
            metric("ReadThrottleEvents", Unit.count, "Throttled read requests."),
            metric("WriteThrottleEvents", Unit.count, "Throttled write requests."),
            metric(
                "ConsumedReadCapacityUnits",
                Unit.count,
                "Read capacity units used by successful reads (one per read: items up to "
                "4 KB, strongly consistent).",
            ),
            metric(
                "ConsumedWriteCapacityUnits",
                Unit.count,
                "Write capacity units used by successful writes (one per write: up to 1 KB).",
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
    imports=(CfnImport("AWS::DynamoDB::Table", _import_table, entry_operation="PutItem"),),
)
