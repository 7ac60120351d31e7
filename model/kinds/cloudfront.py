"""CloudFront: per-edge LRU caches with TTLs, origin failover and stale-if-error."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from archgen.model.base import (
    YEAR_S,
    Duration,
    Id,
    Strict,
    ms,
)
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    Checks,
    KindParams,
    Metrics,
    Node,
    Ref,
    Shape,
    Unit,
    kind,
    metric,
)
from archgen.model.kinds.route53 import FailoverRole
from archgen.model.loader import PathKey


class CloudFrontOrigin(Strict):
    """Where a CloudFront distribution fetches what it does not have cached."""

    target: Annotated[Id, Ref()] = Field(description="Node that serves the distribution's misses.")
    failover: FailoverRole = Field(
        FailoverRole.primary,
        description="Primary origin, or the secondary one used when the primary fails.",
    )


class CloudFrontParams(KindParams):
    """Settings of a CloudFront distribution: caches, TTLs and origins."""

    min_ttl_s: int = Field(
        0,
        ge=0,
        le=YEAR_S,
        description="Shortest time an object stays cached, whatever its Cache-Control says.",
    )
    default_ttl_s: int = Field(
        86_400, ge=0, le=YEAR_S, description="Cache lifetime of objects sent without a max-age."
    )
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
    origins: tuple[CloudFrontOrigin, ...] = Field(
        (), description="Where misses go: a primary origin and optionally a failover one."
    )
    stale_if_error_s: int = Field(
        0,
        ge=0,
        le=YEAR_S,
        description="How long an expired copy may still be served when the origin fails.",
    )
    origin_shield: bool = Field(
        False,
        description="Origin Shield: one more cache between every edge location and the "
        "origin, so the misses of several edges for one object cost one origin fetch.",
    )
    hit: Duration = Field(
        default_factory=lambda: ms(15, 0.4),
        description="Latency of a request answered from an edge cache.",
    )

    @model_validator(mode="after")
    def _ttl_order(self) -> CloudFrontParams:
        if not self.min_ttl_s <= self.default_ttl_s <= self.max_ttl_s:
            raise ValueError(
                f"TTLs must satisfy min_ttl_s <= default_ttl_s <= max_ttl_s, got "
                f"{self.min_ttl_s} / {self.default_ttl_s} / {self.max_ttl_s}"
            )
        return self


def _validate(checks: Checks, path: PathKey, node: Node, params: CloudFrontParams) -> None:
    for i, origin in enumerate(params.origins):
        if checks.node_ref((*path, "origins", i, "target"), origin.target):
            checks.edge_ref((*path, "origins", i, "target"), node.id, origin.target, "an origin")


def _cost(bill: Bill, node: Node, params: CloudFrontParams) -> None:
    """Viewer requests, and the bytes served when the primary origin says its object size."""
    requests = bill.calls()
    bill.charge("cloudfront.request.https", requests, "HTTPS requests from viewers")
    primary = next((o.target for o in params.origins if o.failover is FailoverRole.primary), None)
    origin = bill.model.nodes_by_id.get(primary) if primary else None
    size_kb = origin.params.served_object_kb() if origin is not None else None
    if size_kb is not None:
        bill.charge(
            "cloudfront.data_out.gb",
            requests * size_kb / 1024**2,
            f"every response one {size_kb:g} KB object of origin '{primary}'",
        )
    else:
        bill.leave_out("data transfer out: the origin declares no object size")


SPEC = kind(
    "cloudfront",
    CloudFrontParams,
    title="CloudFront",
    category="network",
    order=30,
    summary="CDN: per-edge LRU caches with TTLs, origin failover, stale-if-error.",
    icon=("diagrams.aws.network", "CloudFront"),
    arn=Arn("cloudfront", "distribution/{id}", regional=False),
    iam_service="cloudfront",
    # Origin access control reads an SSE-KMS bucket as cloudfront.amazonaws.com: the key
    # policy must allow it kms:Decrypt.
    service_principal="cloudfront.amazonaws.com",
    conditions=("cache_miss", "cache_hit", "origin_error"),
    capabilities={Capability.waf_attachable},
    behavior="archgen.runtime.behaviors.cloudfront:CloudFront",
    validate=_validate,
    metrics=Metrics(
        "AWS/CloudFront",
        ("DistributionId", "Region"),
        (
            metric("Requests", Unit.count, "Viewer requests the distribution answered."),
            metric(
                "4xxErrorRate",
                Unit.percent,
                "Share of the period's viewer requests answered with a 4xx.",
                shape=Shape.gauge,
            ),
            metric(
                "5xxErrorRate",
                Unit.percent,
                "Share of the period's viewer requests answered with a 5xx.",
                shape=Shape.gauge,
            ),
            metric(
                "TotalErrorRate",
                Unit.percent,
                "Share of the period's viewer requests answered with any error.",
                shape=Shape.gauge,
            ),
            metric(
                "CacheHitRate",
                Unit.percent,
                "Share of the period's cacheable requests served from a cache (an edge or the "
                "Origin Shield).",
                shape=Shape.gauge,
            ),
            metric(
                "OriginLatency",
                Unit.milliseconds,
                "Time from forwarding a cache miss to the origin until the origin answered.",
            ),
        ),
    ),
    cost=_cost,
)
