"""RDS / Aurora: a relational database, Multi-AZ with failover."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from archgen.model.base import (
    Duration,
    Id,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    EncryptableAtRest,
    Extent,
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

ENGINES = {
    "aurora": "aurora-mysql",
    "aurora-mysql": "aurora-mysql",
    "aurora-postgresql": "aurora-postgresql",
    "mysql": "mysql",
    "postgres": "postgres",
}
"""CloudFormation ``Engine`` values and the engine archgen simulates for each."""

READ_ONLY_POSTGRES = "read_only_sql_transaction"
"""PostgreSQL's condition name of SQLSTATE 25006: a write in a read-only transaction."""
READ_ONLY_MYSQL = "ER_OPTION_PREVENTS_STATEMENT"
"""MySQL error 1290: the server runs with ``--read-only`` and cannot execute the write."""


class RdsParams(KindParams, Zonal, EncryptableAtRest):
    """Settings of an RDS / Aurora database."""

    engine: Literal["aurora-mysql", "aurora-postgresql", "mysql", "postgres"] = Field(
        "aurora-mysql", description="Database engine."
    )
    instance_class: str = Field(
        "db.r6g.xlarge",
        max_length=64,
        description="DB instance class (shown; capacity comes from max_connections).",
    )
    max_connections: int = Field(
        1_000,
        gt=0,
        le=100_000,
        description="Connections open at once; beyond them queries are refused.",
    )
    read: Duration = Field(
        default_factory=lambda: ms(4, 0.5), description="Latency of a read query."
    )
    write: Duration = Field(
        default_factory=lambda: ms(10, 0.5), description="Latency of a write query."
    )
    multi_az: bool = Field(
        True, description="A synchronous standby in another zone takes over when the primary fails."
    )
    zones: tuple[Id, ...] = Field((), description="Primary zone first, then standby zones.")
    failover_s: float = Field(
        35,
        gt=0,
        le=3_600,
        description="How long a Multi-AZ failover takes (its primary's zone or instance "
        "fails: az_outage or node_outage); AWS: typically 60–120 s for a Multi-AZ DB "
        "instance, about 30 s or less for Aurora.",
    )
    kms_key: Annotated[Id | None, Ref(("kms",))] = Field(
        None, description="KMS key node that encrypts the storage at rest."
    )
    write_forwarding: Duration | None = Field(
        None,
        description=(
            "As a replica (an Aurora global database's secondary cluster): forward writes "
            "to the primary cluster, each taking this round trip to the primary's Region on "
            "top of the write (Aurora write forwarding); none: the secondary is read-only "
            "and refuses writes."
        ),
    )
    global_failover_s: float | None = Field(
        None,
        gt=0,
        le=86_400,
        description=(
            "As a replica: seconds after its primary becomes unavailable that this secondary "
            "is promoted and takes writes (a global database failover started by the "
            "operators' automation; AWS's own RTO is about a minute); none: it stays a "
            "secondary."
        ),
    )

    def replica_write_error(self) -> str | None:
        """A secondary without write forwarding is read-only; the engine refuses a write
        with PostgreSQL's SQLSTATE 25006 or MySQL's error 1290 (``--read-only``)."""
        if self.write_forwarding is not None:
            return None
        if self.engine.endswith(("postgresql", "postgres")):
            return READ_ONLY_POSTGRES
        return READ_ONLY_MYSQL

    def icon(self) -> tuple[str, str] | None:
        """Aurora engines draw the Aurora icon; MySQL and PostgreSQL keep RDS's."""
        return ("diagrams.aws.database", "Aurora") if self.engine.startswith("aurora") else None


def _validate(checks: Checks, path: PathKey, node: Node, params: RdsParams) -> None:
    check_zones(checks, path, params)
    replica = node.replica_of is not None
    forwarding, failover = params.write_forwarding, params.global_failover_s
    for field, value in (("write_forwarding", forwarding), ("global_failover_s", failover)):
        if value is not None and not replica:
            checks.report(
                (*path, field),
                "only a replica (an Aurora global database's secondary: set replica_of) "
                "forwards writes or is promoted",
            )
    if forwarding is not None and replica and not params.engine.startswith("aurora"):
        checks.report(
            (*path, "write_forwarding"),
            f"write forwarding is an Aurora feature; a {params.engine} read replica is read-only",
        )
    if params.multi_az and len(params.zones) == 1:
        checks.report((*path, "zones"), "multi_az needs a standby zone after the primary")


def _cost(bill: Bill, node: Node, params: RdsParams) -> None:
    """Instance-hours of its class: a Multi-AZ standby (or Aurora replica) is a second one."""
    instances = 2 if params.multi_az else 1
    bill.charge_hours(
        f"rds.{params.engine}",
        params.instance_class,
        instances * bill.hours,
        f"{instances} instance{'s' if instances > 1 else ''} ({params.engine})",
    )
    bill.leave_out("storage, I/O and backups: database size and I/O are not modelled")


def _import_cluster(ctx: ImportContext) -> dict[str, object]:
    """``AWS::RDS::DBCluster`` (Aurora): its engine and KMS key; its instances
    (``AWS::RDS::DBInstance`` naming it) give the instance class and Multi-AZ (a second
    instance is the failover target); a global cluster is noted."""
    this = ctx.this
    engine = ctx.text(ctx.prop("Engine", default="aurora-mysql"))
    params: dict[str, object] = {"engine": ENGINES.get(engine, "aurora-mysql")}
    if engine not in ENGINES and this is not None:
        this.notes.append(f"engine {engine} simulated as aurora-mysql")
    key = ctx.node(ctx.prop("KmsKeyId"))
    if key is not None and key.kind == "kms":
        params["kms_key"] = key.id
    from archgen.model.importers.intrinsics import ResourceRef

    members = [
        ctx.properties_of(ResourceRef(logical_id))
        for logical_id, body in ctx.resolver.resources.items()
        if isinstance(body, dict) and body.get("Type") == "AWS::RDS::DBInstance"
    ]
    members = [m for m in members if _names(m.get("DBClusterIdentifier"), ctx.logical_id)]
    params["multi_az"] = len(members) >= 2
    classes = [ctx.text(m["DBInstanceClass"]) for m in members if "DBInstanceClass" in m]
    if classes:
        params["instance_class"] = classes[0]
    if ctx.prop("GlobalClusterIdentifier") is not None and this is not None:
        this.notes.append(
            "member of a global database: its other Regions' clusters are not in this template"
        )
    return params


def _names(value: object, logical_id: str) -> bool:
    """Whether a resolved ``DBClusterIdentifier`` refers to cluster ``logical_id``."""
    from archgen.model.importers.intrinsics import ResourceRef

    return isinstance(value, ResourceRef) and value.logical_id == logical_id


def _import_instance(ctx: ImportContext) -> None:
    """``AWS::RDS::DBInstance``: an Aurora cluster's instance is read into its cluster; a
    standalone instance is reported (not imported yet)."""
    cluster = ctx.node(ctx.prop("DBClusterIdentifier"))
    if cluster is None or cluster.kind != "rds":
        ctx.skip("a DB instance outside an Aurora cluster of the template is not imported yet")


def _import_global(ctx: ImportContext) -> None:
    """``AWS::RDS::GlobalCluster``: noted on its source cluster; the secondary Regions'
    clusters are other stacks."""
    source = ctx.node(ctx.prop("SourceDBClusterIdentifier"))
    if source is None or source.kind != "rds":
        ctx.skip("its source cluster is not in the template")
        return
    source.notes.append(f"global database {ctx.logical_id}: its primary cluster")


SPEC = kind(
    "rds",
    RdsParams,
    title="RDS / Aurora",
    category="database",
    order=120,
    summary="Relational database, Multi-AZ.",
    icon=("diagrams.aws.database", "RDS"),
    arn=Arn("rds-db", "dbuser:{id}/*"),
    iam_service="rds-db",
    capabilities={Capability.data_store, Capability.emits_metrics},
    behavior="archgen.runtime.behaviors.rds:Rds",
    validate=_validate,
    imports=(
        CfnImport(
            "AWS::RDS::DBCluster",
            _import_cluster,
            entry_operation="Query",
            physical_name="DBClusterIdentifier",
        ),
        CfnImport("AWS::RDS::DBInstance", _import_instance, creates_node=False),
        CfnImport("AWS::RDS::GlobalCluster", _import_global, creates_node=False),
    ),
    metrics=Metrics(
        "AWS/RDS",
        ("DBClusterIdentifier",),
        (
            metric(
                "DatabaseConnections",
                Unit.count,
                "Most connections open at once during the period.",
                shape=Shape.gauge,
                statistic="Maximum",
                extent=Extent.servers,
            ),
            metric(
                "ReadLatency",
                Unit.seconds,
                "Time the database took per read it served.",
            ),
            metric(
                "WriteLatency",
                Unit.seconds,
                "Time the database took per write it served.",
            ),
        ),
    ),
    cost=_cost,
)
