"""RDS / Aurora: a relational database, Multi-AZ with failover."""

from __future__ import annotations

from typing import Annotated, Literal

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
        35, gt=0, le=3_600, description="Multi-AZ failover takes tens of seconds."
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
