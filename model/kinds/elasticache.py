"""ElastiCache (Valkey / Redis OSS, cluster mode disabled): one shard, a primary and up to
five read replicas, whose memory (the node type's, less the reserved share) bounds how many
items it keeps; Multi-AZ automatic failover promotes a replica when the primary fails.

The whole declaration of the kind: its parameters, how it is drawn, its ARN, its metrics,
what it costs and the CloudFormation types it reads.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from archgen.model.base import YEAR_S, Duration, Id, ms
from archgen.model.cost import Bill
from archgen.model.errors import did_you_mean
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    EncryptableAtRest,
    KindParams,
    Metrics,
    Node,
    Ref,
    Shape,
    Unit,
    Zonal,
    check_zones,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext

GIB = 1024**3

NODE_MEMORY_GIB: dict[str, float] = {
    "cache.t3.micro": 0.5,
    "cache.t3.small": 1.37,
    "cache.t3.medium": 3.09,
    "cache.t4g.micro": 0.5,
    "cache.t4g.small": 1.37,
    "cache.t4g.medium": 3.09,
    "cache.m5.large": 6.38,
    "cache.m5.xlarge": 12.93,
    "cache.m5.2xlarge": 26.04,
    "cache.m5.4xlarge": 52.26,
    "cache.m6g.large": 6.38,
    "cache.m6g.xlarge": 12.93,
    "cache.m6g.2xlarge": 26.04,
    "cache.m6g.4xlarge": 52.26,
    "cache.m7g.large": 6.38,
    "cache.m7g.xlarge": 12.93,
    "cache.m7g.2xlarge": 26.05,
    "cache.m7g.4xlarge": 52.26,
    "cache.r5.large": 13.07,
    "cache.r5.xlarge": 26.32,
    "cache.r5.2xlarge": 52.82,
    "cache.r5.4xlarge": 105.81,
    "cache.r6g.large": 13.07,
    "cache.r6g.xlarge": 26.32,
    "cache.r6g.2xlarge": 52.82,
    "cache.r6g.4xlarge": 105.81,
    "cache.r7g.large": 13.07,
    "cache.r7g.xlarge": 26.32,
    "cache.r7g.2xlarge": 52.82,
    "cache.r7g.4xlarge": 105.81,
}
"""Memory of a node (``maxmemory`` before the reserved share), by node type, from the
ElastiCache User Guide's node-type-specific parameters
(docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html)."""

MAX_REPLICAS = 5
"""Read replicas a shard may have (cluster mode disabled)."""


class CacheEngine(StrEnum):
    """The engine: Valkey (AWS's recommended one) or Redis OSS; same commands."""

    valkey = "valkey"
    redis = "redis"


class EvictionPolicy(StrEnum):
    """``maxmemory-policy``: which keys may go when memory is full."""

    volatile_lru = "volatile-lru"
    allkeys_lru = "allkeys-lru"
    noeviction = "noeviction"


class ElastiCacheParams(KindParams, Zonal, EncryptableAtRest):
    """Settings of an ElastiCache replication group (cluster mode disabled)."""

    engine: CacheEngine = Field(CacheEngine.valkey, description="Valkey or Redis OSS.")
    node_type: str = Field(
        "cache.r7g.large",
        max_length=64,
        pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$",
        description="Node type of the primary and every replica; its memory bounds what "
        "the cache keeps.",
    )
    replicas: int = Field(
        1, ge=0, le=MAX_REPLICAS, description="Read replicas of the primary (0 to 5)."
    )
    multi_az: bool = Field(
        True,
        description="Multi-AZ with automatic failover: a replica in another zone is "
        "promoted when the primary fails (needs a replica).",
    )
    zones: tuple[Id, ...] = Field(
        (), description="Availability zones: the primary's first, then the replicas'."
    )
    failover_s: float = Field(
        30,
        gt=0,
        le=600,
        description="Time from the primary's failure until a replica is promoted and takes "
        "writes (tens of seconds).",
    )
    reserved_memory_percent: int = Field(
        25,
        ge=0,
        le=100,
        description="Share of a node's memory kept for replication and snapshots, not data "
        "(parameter reserved-memory-percent; ElastiCache's default 25).",
    )
    maxmemory_policy: EvictionPolicy = Field(
        EvictionPolicy.volatile_lru,
        description="What goes when memory is full: the least recently used key with a "
        "TTL (volatile-lru, ElastiCache's default), of all keys (allkeys-lru), or none: "
        "writes fail with OOM (noeviction).",
    )
    item_size_bytes: int = Field(
        1024,
        ge=1,
        le=512 * 1024**2,
        description="Memory one cached item takes, its key and overhead included.",
    )
    ttl_s: int | None = Field(
        3600,
        ge=1,
        le=YEAR_S,
        description="Expiry the application's SET gives an item (EX); none: items never "
        "expire (and volatile-lru cannot evict them).",
    )
    engine_ops_per_s: float = Field(
        100_000,
        gt=0,
        le=10_000_000,
        description="Commands the engine thread executes per second at 100 % "
        "EngineCPUUtilization; beyond it commands queue.",
    )
    max_connections: int = Field(
        65_000,
        gt=0,
        le=65_000,
        description="Client connections a node accepts (maxclients, 65,000); each command "
        "in flight holds one.",
    )
    latency: Duration = Field(
        default_factory=lambda: ms(0.5, 0.3),
        description="Round trip of one command from the application, engine time aside.",
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None, description="KMS key node that encrypts the data at rest (snapshots, swap)."
    )

    def memory_bytes(self) -> int:
        """What the engine may fill with data: the node's memory less the reserved share."""
        total = NODE_MEMORY_GIB.get(self.node_type, 0.0) * GIB
        return int(total * (100 - self.reserved_memory_percent) / 100)

    def capacity_items(self) -> int:
        """How many items of ``item_size_bytes`` fit in :meth:`memory_bytes`."""
        return self.memory_bytes() // self.item_size_bytes


def _validate(checks: Checks, path: PathKey, node: Node, params: ElastiCacheParams) -> None:
    if params.node_type not in NODE_MEMORY_GIB:
        hint = did_you_mean(params.node_type, list(NODE_MEMORY_GIB))
        checks.report((*path, "node_type"), f"unknown node type '{params.node_type}'{hint}")
    elif params.capacity_items() < 1:
        checks.report(
            (*path, "item_size_bytes"), "an item is larger than the memory the node leaves"
        )
    if params.multi_az and params.replicas < 1:
        checks.report((*path, "multi_az"), "Multi-AZ automatic failover needs a replica")
    check_zones(checks, path, params)
    if params.multi_az and len(params.zones) == 1:
        checks.report((*path, "zones"), "multi_az needs a replica zone after the primary's")


_POLICIES = {p.value: p.value for p in EvictionPolicy}


def _import_group(ctx: ImportContext) -> dict[str, object]:
    """``AWS::ElastiCache::ReplicationGroup`` / ``CacheCluster``: engine, node type,
    replicas, Multi-AZ, encryption."""
    params: dict[str, object] = {}
    engine = ctx.text(ctx.prop("Engine", default="redis")).lower()
    this = ctx.this
    if engine == "memcached":
        if this is not None:
            this.notes.append("Memcached simulated as a Valkey cache without replicas")
        engine = "valkey"
    params["engine"] = "valkey" if engine == "valkey" else "redis"
    node_type = ctx.prop("CacheNodeType")
    if node_type is not None:
        params["node_type"] = ctx.text(node_type)
    if ctx.type == "AWS::ElastiCache::ReplicationGroup":
        replicas = ctx.number("ReplicasPerNodeGroup")
        clusters = ctx.number("NumCacheClusters")
        if replicas is None and clusters is not None:
            replicas = clusters - 1
        params["replicas"] = int(replicas or 0)
        failover = ctx.flag("AutomaticFailoverEnabled")
        multi_az = ctx.flag("MultiAZEnabled")
        params["multi_az"] = bool(failover or multi_az) and int(replicas or 0) > 0
        shards = ctx.number("NumNodeGroups")
        if shards is not None and shards > 1 and this is not None:
            this.notes.append(f"{int(shards)} shards (cluster mode) simulated as one")
    else:
        params["replicas"] = 0
        params["multi_az"] = False
    kms = ctx.node(ctx.prop("KmsKeyId"))
    if kms is not None:
        params["kms_key"] = kms.id
    subnets = ctx.properties_of(ctx.prop("CacheSubnetGroupName")).get("SubnetIds")
    ctx.in_subnets(subnets)
    _callers(ctx)
    return params


def _mentions(value: object, logical_id: str) -> bool:
    """Whether a resolved property holds a ``Ref``/``Fn::GetAtt`` of ``logical_id``."""
    from archgen.model.importers.intrinsics import ResourceRef

    if isinstance(value, ResourceRef):
        return value.logical_id == logical_id
    if isinstance(value, dict):
        return any(_mentions(item, logical_id) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, logical_id) for item in value)
    return False


def _callers(ctx: ImportContext) -> None:
    """An edge from every node running code whose environment names this cache (its
    endpoint address): the application that sends it commands."""
    from archgen.model.importers.intrinsics import ResourceRef
    from archgen.model.registry import kinds

    this = ctx.this
    if this is None:
        return
    for node in ctx.graph.unique():
        if not kinds()[node.kind].has(Capability.runs_code):
            continue
        environment = ctx.properties_of(ResourceRef(node.logical_id)).get("Environment")
        if _mentions(environment, ctx.logical_id):
            why = f"the environment of {node.logical_id} names {ctx.logical_id}'s endpoint"
            ctx.edge(node, this, ["GET", "SET"], why, protocol="tcp")


def _import_subnet_group(ctx: ImportContext) -> None:
    """``AWS::ElastiCache::SubnetGroup``: where the nodes may go; not a node."""
    ctx.skip("read into the caches placed in its subnets")


def _cost(bill: Bill, node: Node, params: ElastiCacheParams) -> None:
    """Node-hours of its type: the primary and every replica."""
    nodes = 1 + params.replicas
    bill.charge_hours(
        f"elasticache.{params.engine.value}",
        params.node_type,
        nodes * bill.hours,
        f"{nodes} node{'s' if nodes > 1 else ''} ({params.engine.value})",
    )
    bill.leave_out("backup storage and data transfer between zones")


SPEC = kind(
    "elasticache",
    ElastiCacheParams,
    title="ElastiCache",
    category="database",
    order=125,
    summary="Valkey/Redis OSS cache: LRU memory by node type, TTLs, Multi-AZ failover.",
    icon=("diagrams.aws.database", "ElasticacheForRedis"),
    arn=Arn("elasticache", "replicationgroup:{id}"),
    # Commands are the engine's protocol over TCP, not AWS API calls: IAM is not asked.
    iam_service=None,
    conditions=("cache_miss", "cache_hit"),
    capabilities={Capability.data_store, Capability.emits_metrics},
    validate=_validate,
    behavior="archgen.runtime.behaviors.elasticache:ElastiCache",
    metrics=Metrics(
        "AWS/ElastiCache",
        ("CacheClusterId",),
        (
            metric("CacheHits", Unit.count, "Successful read-only key lookups."),
            metric("CacheMisses", Unit.count, "Unsuccessful read-only key lookups."),
            metric(
                "Evictions",
                Unit.count,
                "Keys evicted because memory was full (maxmemory-policy).",
            ),
            metric(
                "CurrConnections",
                Unit.count,
                "Most client connections open at once during the period (each command in "
                "flight holds one).",
                shape=Shape.gauge,
                statistic="Maximum",
            ),
            metric(
                "EngineCPUUtilization",
                Unit.percent,
                "Share of the period the engine thread spent executing commands.",
                shape=Shape.gauge,
            ),
        ),
    ),
    imports=(
        CfnImport("AWS::ElastiCache::ReplicationGroup", _import_group, entry_operation="GET"),
        CfnImport("AWS::ElastiCache::CacheCluster", _import_group, entry_operation="GET"),
        CfnImport("AWS::ElastiCache::SubnetGroup", _import_subnet_group, creates_node=False),
    ),
    cost=_cost,
)
