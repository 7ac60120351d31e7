"""A third-party kind, as a plug-in package would ship it: DynamoDB Accelerator (DAX).

Two files: this declaration and :mod:`.behavior`. A distribution registers it with

    [project.entry-points."archgen.kinds"]
    dax = "archgen_dax:SPEC"
"""

from __future__ import annotations

from pydantic import Field

from archgen.model.base import Duration, Probability, ms
from archgen.model.kind import (
    Arn,
    Capability,
    Checks,
    EncryptableAtRest,
    KindParams,
    Node,
    Operations,
    Zonal,
    kind,
)
from archgen.model.loader import PathKey


class DaxParams(KindParams, Zonal, EncryptableAtRest):
    node_type: str = Field(
        "dax.r5.large", max_length=64, description="Node type of every cluster node."
    )
    replicas: int = Field(1, gt=0, le=5, description="Read replicas of the primary node.")
    zones: tuple[str, ...] = Field((), description="Availability zones of the replicas.")
    hit_ratio: Probability = Field(0.9, description="Share of reads answered from memory.")
    latency: Duration = Field(
        default_factory=lambda: ms(1, 0.3), description="Latency of one command."
    )
    kms_key: str | None = Field(None, description="KMS key node that encrypts the snapshots.")


def _validate(checks: Checks, path: PathKey, node: Node, params: DaxParams) -> None:
    if params.replicas > 1 and len(params.zones) == 1:
        checks.report((*path, "zones"), "replicas in one zone do not survive its outage")


SPEC = kind(
    "dax",
    DaxParams,
    title="DynamoDB Accelerator (DAX)",
    category="database",
    summary="Cache in front of DynamoDB: hits answer in a millisecond, misses read the table.",
    icon=("diagrams.aws.database", "DynamodbDax"),
    arn=Arn("dax", "cache/{id}"),
    iam_service="dax",
    operations=Operations(
        "DAX",
        "BatchGetItem BatchWriteItem DeleteItem GetItem PutItem Query Scan TransactGetItems "
        "TransactWriteItems UpdateItem",
    ),
    conditions=("cache_miss",),
    capabilities={Capability.data_store, Capability.emits_metrics},
    validate=_validate,
    behavior="archgen_dax.behavior:Dax",
)
