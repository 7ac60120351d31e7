"""WAF: a web ACL with a rate-based rule, screening calls to the nodes it protects."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

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
    Checks,
    KindParams,
    Metrics,
    Node,
    Protects,
    Ref,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey
from archgen.model.regions import GLOBAL_HOME, is_global, region_code

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext

WINDOWS = (60, 120, 300, 600)
KEYS = {"IP": "ip", "FORWARDED_IP": "forwarded_ip", "CUSTOM_KEYS": "header"}


class WafRateRule(Strict):
    """A rate-based rule: a source over the limit within the window is blocked."""

    limit: int = Field(
        2_000,
        ge=10,
        le=2_000_000_000,
        description="Requests per key per window before blocking (AWS: 10 to 2 billion).",
    )
    window_s: Literal[60, 120, 300, 600] = Field(
        300, description="Length of the counting window in seconds (60, 120, 300 or 600)."
    )
    key: Literal["ip", "forwarded_ip", "header"] = Field(
        "ip", description="What requests are counted by: source IP, forwarded IP or a header."
    )


class WafParams(KindParams, Protects):
    """Settings of an AWS WAF web ACL: the nodes it protects and its rate rule."""

    protects: Annotated[tuple[Id, ...], Ref(role="watches")] = Field(
        (), description="Nodes the web ACL is attached to (CloudFront, ALB)."
    )
    rate_rule: WafRateRule = Field(
        default_factory=WafRateRule,
        description="The rate-based rule: how many requests per key a window allows.",
    )
    evaluation_interval_s: int = Field(
        30,
        gt=0,
        le=600,
        description="Rate-based rules are enforced periodically, not per request (at most "
        "every 10 minutes).",
    )
    inspect: Duration = Field(
        default_factory=lambda: ms(1, 0.3),
        description="Latency WAF adds to each request it screens, allowed or blocked, "
        "before the protected node sees it.",
    )


def _validate(checks: Checks, path: PathKey, node: Node, params: WafParams) -> None:
    """A web ACL has one scope (AWS WAF Developer Guide, "Web ACL scope"): CloudFront, for
    distributions only and created in us-east-1, or regional, for resources of the web ACL's
    own Region. AWS refuses the association otherwise, so one node cannot stand for both."""
    model = checks.model
    own = region_code(model, node.id)
    first: tuple[int, str, str] | None = None  # index, node, its scope
    for i, protected in enumerate(params.protects):
        if protected not in model.nodes_by_id:
            continue  # reported by the reference check
        scope = "global" if is_global(model, protected) else region_code(model, protected)
        if scope is None:
            continue  # the model places it in no Region: nothing to compare
        where = (*path, "protects", i)
        if scope == "global" and own not in (None, GLOBAL_HOME):
            checks.report(
                where,
                f"'{protected}' is a global service: the web ACL protecting it has CloudFront "
                f"scope and lives in {GLOBAL_HOME}, but waf node '{node.id}' is in {own}",
            )
        elif scope != "global" and own is not None and scope != own:
            checks.report(
                where,
                f"a regional web ACL protects resources of its own Region only: waf node "
                f"'{node.id}' is in {own}, '{protected}' in {scope}",
            )
        if first is None:
            first = (i, protected, scope)
        elif scope != first[2]:
            checks.report(where, _mixed(node.id, first[1], first[2], protected, scope))


def _mixed(acl: str, first: str, first_scope: str, other: str, other_scope: str) -> str:
    if "global" in (first_scope, other_scope):
        what = "a web ACL has CloudFront scope (distributions only) or regional scope, not both"
    else:
        what = "a regional web ACL protects resources of one Region only"
    return (
        f"{what}: waf node '{acl}' protects '{first}' ({first_scope}) and '{other}' "
        f"({other_scope}); give each scope and Region its own waf node"
    )


def _cost(bill: Bill, node: Node, params: WafParams) -> None:
    """The web ACL, its rate rule, and every request it inspected."""
    bill.charge("waf.web_acl_month", bill.months, "the web ACL")
    bill.charge("waf.rule_month", bill.months, "its rate-based rule")
    bill.charge("waf.request", bill.real(bill.value("inspected")), "requests inspected")


def _import_web_acl(ctx: ImportContext) -> dict[str, object]:
    """``AWS::WAFv2::WebACL``: its first rate-based rule (limit, window, key); other rules
    are noted. What it protects comes from the associations and distributions naming it."""
    this = ctx.this
    rules = ctx.prop("Rules", default=[])
    params: dict[str, object] = {}
    for rule in rules if isinstance(rules, list) else []:
        statement = rule.get("Statement") if isinstance(rule, dict) else None
        rate = statement.get("RateBasedStatement") if isinstance(statement, dict) else None
        name = ctx.text(rule.get("Name")) if isinstance(rule, dict) else "?"
        if not isinstance(rate, dict) or "rate_rule" in params:
            if this is not None:
                this.notes.append(f"rule {name}: not simulated (only a rate-based rule is)")
            continue
        read: dict[str, object] = {"limit": int(float(ctx.text(rate.get("Limit", 2000))))}
        window = rate.get("EvaluationWindowSec")
        if window is not None and int(float(ctx.text(window))) in WINDOWS:
            read["window_s"] = int(float(ctx.text(window)))
        key = KEYS.get(ctx.text(rate.get("AggregateKeyType", "IP")))
        if key is not None:
            read["key"] = key
        params["rate_rule"] = read
    return params


def _import_association(ctx: ImportContext) -> None:
    """``AWS::WAFv2::WebACLAssociation``: the web ACL protects the resource (a load balancer,
    an API stage)."""
    acl, target = ctx.node(ctx.prop("WebACLArn")), ctx.node(ctx.prop("ResourceArn"))
    if acl is None or acl.kind != "waf" or target is None:
        ctx.skip("its web ACL or resource is not a node of the model")
        return
    protects = acl.params.setdefault("protects", [])
    assert isinstance(protects, list)
    if target.id not in protects:
        protects.append(target.id)


SPEC = kind(
    "waf",
    WafParams,
    title="WAF",
    category="security",
    order=50,
    summary="Web ACL with rate-based rules.",
    icon=("diagrams.aws.security", "WAF"),
    arn=Arn("wafv2", "regional/webacl/{id}"),
    iam_service="wafv2",
    conditions=("blocked",),
    capabilities={Capability.security, Capability.web_acl},
    behavior="archgen.runtime.behaviors.waf:Waf",
    validate=_validate,
    screen_order=1,
    imports=(
        CfnImport("AWS::WAFv2::WebACL", _import_web_acl),
        CfnImport("AWS::WAFv2::WebACLAssociation", _import_association, creates_node=False),
    ),
    metrics=Metrics(
        "AWS/WAFV2",
        ("WebACL", "Rule"),
        (
            metric(
                "AllowedRequests",
                Unit.count,
                "Requests to the protected nodes the web ACL let through.",
            ),
            metric(
                "BlockedRequests",
                Unit.count,
                "Requests the rate-based rule blocked (403).",
            ),
        ),
    ),
    cost=_cost,
)
