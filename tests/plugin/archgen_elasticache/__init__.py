"""A third-party kind, as a plug-in package would ship it: ElastiCache (Redis).

Two files: this declaration and :mod:`.behavior`. A distribution registers it with

    [project.entry-points."archgen.kinds"]
    elasticache = "archgen_elasticache:SPEC"
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
    Zonal,
    kind,
)
from archgen.model.loader import PathKey


class ElastiCacheParams(KindParams, Zonal, EncryptableAtRest):
    node_type: str = Field(
        "cache.r6g.large", max_length=64, description="Instance class of every cache node."
    )
    replicas: int = Field(1, gt=0, le=5, description="Read replicas per shard.")
    zones: tuple[str, ...] = Field((), description="Availability zones of the replicas.")
    hit_ratio: Probability = Field(0.9, description="Share of GETs answered from memory.")
    latency: Duration = Field(
        default_factory=lambda: ms(1, 0.3), description="Latency of one command."
    )
    kms_key: str | None = Field(None, description="KMS key node that encrypts the snapshots.")


def _validate(checks: Checks, path: PathKey, node: Node, params: ElastiCacheParams) -> None:
    if params.replicas > 1 and len(params.zones) == 1:
        checks.report((*path, "zones"), "replicas in one zone do not survive its outage")


SPEC = kind(
    "elasticache",
    ElastiCacheParams,
    title="ElastiCache (Redis)",
    category="database",
    summary="In-memory cache: hits answer in a millisecond, misses fall through.",
    icon=("diagrams.aws.database", "ElasticacheForRedis"),
    arn=Arn("elasticache", "cluster:{id}"),
    iam_service="elasticache",
    conditions=("cache_miss",),
    capabilities={Capability.data_store, Capability.emits_metrics},
    validate=_validate,
    behavior="archgen_elasticache.behavior:ElastiCache",
)
