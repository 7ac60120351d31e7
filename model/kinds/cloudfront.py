"""CloudFront: per-edge LRU caches with TTLs, origin failover and stale-if-error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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
    CfnImport,
    Checks,
    KindParams,
    Metrics,
    Node,
    Ref,
    Shape,
    Unit,
    kind,
    metric,
    object_kb,
)
from archgen.model.kinds.route53 import FailoverRole
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext, ImportedNode


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

    def objects_from(self) -> str | None:
        """A distribution hands on its primary origin's objects."""
        return next((o.target for o in self.origins if o.failover is FailoverRole.primary), None)

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
    primary = params.objects_from()
    size_kb = object_kb(bill.model.nodes_by_id, node)
    if size_kb is not None:
        bill.charge(
            "cloudfront.data_out.gb",
            requests * size_kb / 1024**2,
            f"every response one {size_kb:g} KB object of origin '{primary}'",
        )
    else:
        bill.leave_out("data transfer out: the origin declares no object size")


CACHE_POLICIES = {
    "658327ea-f89d-4fab-a63d-7e88639e58f6": ("CachingOptimized", 1, 86_400, YEAR_S),
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("CachingDisabled", 0, 0, 0),
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": (
        "CachingOptimizedForUncompressedObjects",
        1,
        86_400,
        YEAR_S,
    ),
}
"""AWS managed cache policies by id: name and min, default and max TTL (CloudFront
Developer Guide, managed cache policies)."""


def _origin_node(ctx: ImportContext, origin: dict[str, object]) -> ImportedNode | None:
    """The node an origin's ``DomainName`` names: a reference to the resource, or a domain
    name that starts with a node's id (``bucket.s3.amazonaws.com`` as the importer writes a
    bucket's ``DomainName``)."""
    domain = origin.get("DomainName")
    found = ctx.node(domain)
    if found is not None:
        return found
    text = ctx.text(domain) if domain is not None else ""
    head = text.split("/")[-1].split(".")[0]
    return next((n for n in ctx.graph.unique() if n.id == head and n.kind != "cloudfront"), None)


def _import_distribution(ctx: ImportContext) -> dict[str, object]:
    """``AWS::CloudFront::Distribution``: its origins (an origin group's members as primary
    and secondary, with an edge to each), the default cache behavior's TTLs (legacy
    settings, or an AWS managed cache policy), Origin Shield, and the web ACL it is
    attached to (the WAF node then protects it)."""
    this = ctx.this
    config = ctx.prop("DistributionConfig", default={})
    config = config if isinstance(config, dict) else {}
    params: dict[str, object] = {}
    origins = {ctx.text(o.get("Id")): o for o in config.get("Origins") or [] if isinstance(o, dict)}
    behavior = config.get("DefaultCacheBehavior")
    behavior = behavior if isinstance(behavior, dict) else {}
    target = ctx.text(behavior.get("TargetOriginId", ""))
    members = [target]
    groups = config.get("OriginGroups")
    items = groups.get("Items", []) if isinstance(groups, dict) else []
    for group in items if isinstance(items, list) else []:
        if isinstance(group, dict) and ctx.text(group.get("Id")) == target:
            listed = group.get("Members", {})
            entries = listed.get("Items", []) if isinstance(listed, dict) else []
            members = [ctx.text(m.get("OriginId")) for m in entries if isinstance(m, dict)]
    chosen: list[dict[str, object]] = []
    for index, origin_id in enumerate(members[:2]):
        origin = origins.get(origin_id)
        node = None if origin is None else _origin_node(ctx, origin)
        if origin is None or node is None or this is None:
            if this is not None:
                this.notes.append(f"origin {origin_id}: not a node of the model")
            continue
        role = "primary" if index == 0 else "secondary"
        chosen.append({"target": node.id, "failover": role})
        shield = origin.get("OriginShield")
        if isinstance(shield, dict) and str(shield.get("Enabled", "")).lower() == "true":
            params["origin_shield"] = True
        op = "GetObject" if node.kind == "s3" else "GET /"
        protocol = "aws-api" if node.kind == "s3" else "https"
        ctx.edge(this, node, [op], f"origin {origin_id} ({role})", protocol=protocol)
    if chosen:
        params["origins"] = chosen
    policy = ctx.text(behavior.get("CachePolicyId", ""))
    if policy in CACHE_POLICIES:
        _, low, default, high = CACHE_POLICIES[policy]
        params.update(min_ttl_s=low, default_ttl_s=default, max_ttl_s=high)
    elif policy and this is not None:
        this.notes.append(f"cache policy {policy}: not an AWS managed one, its TTLs are not read")
    legacy = (("MinTTL", "min_ttl_s"), ("DefaultTTL", "default_ttl_s"), ("MaxTTL", "max_ttl_s"))
    for key, field in legacy:
        value = behavior.get(key)
        if value is not None and not policy:
            params[field] = int(float(ctx.text(value)))
    acl = ctx.node(config.get("WebACLId"))
    if acl is not None and acl.kind == "waf" and this is not None:
        protects = acl.params.setdefault("protects", [])
        assert isinstance(protects, list)
        if this.id not in protects:
            protects.append(this.id)
    return params


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
    capabilities={
        Capability.waf_attachable,
        Capability.shield_protectable,
        Capability.triggered,
        Capability.global_service,
    },
    behavior="archgen.runtime.behaviors.cloudfront:CloudFront",
    validate=_validate,
    imports=(
        CfnImport("AWS::CloudFront::Distribution", _import_distribution, entry_operation="GET /"),
    ),
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
