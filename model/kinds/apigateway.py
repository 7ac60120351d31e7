"""API Gateway: a REST or HTTP API whose stage throttles with a token bucket and whose
integrations (a Lambda proxy, a direct SQS SendMessage…) are the flow's nested steps.

The whole declaration of the kind: its parameters, how it is drawn, its ARN, its metrics,
what it costs and the CloudFormation types it reads.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import Field

from archgen.model.base import Duration, ms
from archgen.model.cost import Bill
from archgen.model.kind import (
    Arn,
    Capability,
    CfnImport,
    Checks,
    KindParams,
    Metrics,
    Node,
    Unit,
    kind,
    metric,
)
from archgen.model.loader import PathKey

if TYPE_CHECKING:
    from archgen.model.importers.context import ImportContext, ImportedNode

ACCOUNT_RATE_LIMIT = 10_000
"""Requests per second an account's APIs share in a region (AWS's default quota)."""
ACCOUNT_BURST_LIMIT = 5_000
"""Burst (bucket size) of the account's regional quota."""
MAX_INTEGRATION_TIMEOUT_MS = 29_000
"""The integration timeout's default and maximum (HTTP APIs: 30,000; a REST API's can be
raised by a quota request, which this kind does not model)."""


class ApiType(StrEnum):
    """Which kind of API: REST APIs (v1) or HTTP APIs (v2)."""

    rest = "rest"
    http = "http"


class ApiGatewayParams(KindParams):
    """Settings of an API Gateway API and its stage."""

    api_type: ApiType = Field(
        ApiType.rest,
        description="REST API (AWS::ApiGateway::RestApi) or HTTP API (AWS::ApiGatewayV2::Api).",
    )
    rate_limit: float = Field(
        ACCOUNT_RATE_LIMIT,
        gt=0,
        le=1_000_000,
        description=(
            "Stage throttling: requests per second that refill the token bucket (default: "
            "the account's regional quota, 10,000)."
        ),
    )
    burst_limit: int = Field(
        ACCOUNT_BURST_LIMIT,
        ge=0,
        le=1_000_000,
        description=(
            "Stage throttling: size of the token bucket, full at the start (default: the "
            "account's 5,000); an empty bucket answers 429 TooManyRequestsException."
        ),
    )
    integration_timeout_ms: int = Field(
        MAX_INTEGRATION_TIMEOUT_MS,
        ge=50,
        le=30_000,
        description=(
            "How long the API waits for its integration before answering 504 (AWS: 50 ms "
            "to 29 s; HTTP APIs up to 30 s)."
        ),
    )
    overhead: Duration = Field(
        default_factory=lambda: ms(5, 0.3),
        description="Latency API Gateway adds to each request before its integration.",
    )


def _validate(checks: Checks, path: PathKey, node: Node, params: ApiGatewayParams) -> None:
    """AWS refuses a REST API integration timeout over 29 s (without a quota increase)."""
    if (
        params.api_type is ApiType.rest
        and params.integration_timeout_ms > MAX_INTEGRATION_TIMEOUT_MS
    ):
        checks.report(
            (*path, "integration_timeout_ms"),
            "a REST API's integration timeout is at most 29,000 ms",
        )


def _api_type(ctx: ImportContext) -> ApiType:
    return ApiType.rest if ctx.type.startswith("AWS::ApiGateway::") else ApiType.http


def _import_api(ctx: ImportContext) -> dict[str, object]:
    """``AWS::ApiGateway::RestApi`` / ``AWS::ApiGatewayV2::Api``: REST or HTTP API, and
    the integrations of an OpenAPI ``Body`` (what SAM writes)."""
    this = ctx.this
    if ctx.type == "AWS::ApiGatewayV2::Api":
        protocol = ctx.text(ctx.prop("ProtocolType", default="HTTP"))
        if protocol != "HTTP" and this is not None:
            this.notes.append(f"{protocol} API simulated as an HTTP API")
    paths = ctx.prop("Body", "paths", default={})
    for methods in paths.values() if isinstance(paths, dict) and this is not None else []:
        for operation in methods.values() if isinstance(methods, dict) else []:
            integration = (
                operation.get("x-amazon-apigateway-integration")
                if isinstance(operation, dict)
                else None
            )
            if isinstance(integration, dict) and this is not None:
                uri = integration.get("uri")
                service = "sqs" if ":sqs:" in (ctx.text(uri) if uri is not None else "") else ""
                timeout = _num(integration.get("timeoutInMillis"))
                _integrate(ctx, this, service or "lambda", uri, timeout)
    return {"api_type": _api_type(ctx).value}


def _api(ctx: ImportContext, key: str) -> ImportedNode | None:
    api = ctx.node(ctx.prop(key))
    return api if api is not None and api.kind == "apigateway" else None


def _throttle(api: ImportedNode, rate: float | None, burst: float | None) -> None:
    if rate is not None:
        api.params["rate_limit"] = rate
    if burst is not None:
        api.params["burst_limit"] = int(burst)


def _import_stage(ctx: ImportContext) -> None:
    """``AWS::ApiGateway::Stage`` (the ``/*/*`` method setting) and
    ``AWS::ApiGatewayV2::Stage`` (``DefaultRouteSettings``): the stage's throttling."""
    if ctx.type == "AWS::ApiGateway::Stage":
        api = _api(ctx, "RestApiId")
        settings = ctx.prop("MethodSettings", default=[])
        for setting in settings if isinstance(settings, list) else []:
            if not isinstance(setting, dict):
                continue
            if ctx.text(setting.get("ResourcePath", "/*")) != "/*":
                continue
            if api is not None:
                rate = _num(setting.get("ThrottlingRateLimit"))
                _throttle(api, rate, _num(setting.get("ThrottlingBurstLimit")))
        return
    api = _api(ctx, "ApiId")
    if api is not None:
        _throttle(
            api,
            ctx.number("DefaultRouteSettings", "ThrottlingRateLimit"),
            ctx.number("DefaultRouteSettings", "ThrottlingBurstLimit"),
        )


def _num(value: object) -> float | None:
    try:
        number = float(str(value)) if value is not None else None
    except ValueError:
        return None
    return None if number is None else (int(number) if number.is_integer() else number)


_LAMBDA_URI = re.compile(r"functions/(arn:[^/]+)/invocations")


def _integrate(
    ctx: ImportContext, api: ImportedNode, kind_: str, uri: object, timeout: float | None
) -> None:
    """One integration: the edge to its Lambda function (AWS_PROXY) or queue (SQS)."""
    if timeout is not None:
        api.params["integration_timeout_ms"] = int(timeout)
    target = ctx.node(uri)
    text = ctx.text(uri) if uri is not None else ""
    if target is None:
        found = _LAMBDA_URI.search(text)
        target = ctx.node(found.group(1)) if found else None
    if target is None and kind_ == "sqs":
        name = text.rstrip("/").rsplit("/", 1)[-1]
        target = next(
            (n for n in ctx.graph.unique() if n.kind == "sqs" and n.arn.endswith(":" + name)),
            None,
        )
    if target is None:
        return
    if target.kind == "lambda":
        why = f"integration {ctx.logical_id}: AWS_PROXY to {target.id}"
        ctx.edge(api, target, ["Invoke"], why)
    elif target.kind == "sqs":
        why = f"integration {ctx.logical_id}: SendMessage to {target.id}"
        ctx.edge(api, target, ["SendMessage"], why)


def _import_resource(ctx: ImportContext) -> None:
    """``AWS::ApiGateway::Resource``: a path of the API, noted on its node (the model's
    operations name paths themselves)."""
    api = _api(ctx, "RestApiId")
    if api is not None:
        api.notes.append(f"path part /{ctx.text(ctx.prop('PathPart'))} ({ctx.logical_id})")


def _import_method(ctx: ImportContext) -> None:
    """``AWS::ApiGateway::Method``: its integration (Lambda proxy, or SQS)."""
    api = _api(ctx, "RestApiId")
    if api is None:
        return
    uri = ctx.prop("Integration", "Uri")
    service = "sqs" if ":sqs:" in (ctx.text(uri) if uri is not None else "") else "lambda"
    _integrate(ctx, api, service, uri, ctx.number("Integration", "TimeoutInMillis"))


def _import_integration(ctx: ImportContext) -> None:
    """``AWS::ApiGatewayV2::Integration``: a Lambda proxy, or ``SQS-SendMessage``."""
    api = _api(ctx, "ApiId")
    if api is None:
        return
    if ctx.text(ctx.prop("IntegrationSubtype", default="")).startswith("SQS-SendMessage"):
        uri = ctx.prop("RequestParameters", "QueueUrl")
        _integrate(ctx, api, "sqs", uri, ctx.number("TimeoutInMillis"))
        return
    _integrate(ctx, api, "lambda", ctx.prop("IntegrationUri"), ctx.number("TimeoutInMillis"))


def _cost(bill: Bill, node: Node, params: ApiGatewayParams) -> None:
    """Requests received, at the REST or HTTP API price."""
    if params.api_type is ApiType.rest:
        bill.charge(
            "apigateway.rest.request",
            bill.calls(),
            "requests received, throttled ones included (an upper bound)",
        )
    else:
        bill.charge(
            "apigateway.http.request",
            bill.calls(),
            "requests received (each up to 512 KB: sizes are not modelled)",
        )
    bill.leave_out("caching, data transfer out")


SPEC = kind(
    "apigateway",
    ApiGatewayParams,
    title="API Gateway",
    order=55,
    category="network",
    summary="REST or HTTP API: stage throttling (token bucket), integration timeout.",
    icon=("diagrams.aws.network", "APIGateway"),
    arn=Arn("execute-api", "{id}"),
    iam_service=None,
    capabilities={Capability.emits_metrics},
    validate=_validate,
    behavior="archgen.runtime.behaviors.apigateway:ApiGateway",
    metrics=Metrics(
        "AWS/ApiGateway",
        ("ApiName",),
        (
            metric("Count", Unit.count, "Requests the API received, throttled ones included."),
            metric(
                "4XXError",
                Unit.count,
                "Requests answered with a 4xx: throttled (429) or refused by the integration.",
            ),
            metric(
                "5XXError",
                Unit.count,
                "Requests answered with a 5xx: integration timeout (504) or failure.",
            ),
            metric(
                "Latency",
                Unit.milliseconds,
                "Time from receiving a request to answering it (throttled ones included).",
            ),
            metric(
                "IntegrationLatency",
                Unit.milliseconds,
                "Time from forwarding a request to its integration to the answer, for "
                "requests the integration answered before the timeout.",
            ),
        ),
    ),
    imports=(
        CfnImport("AWS::ApiGateway::RestApi", _import_api, entry_operation="POST /"),
        CfnImport("AWS::ApiGatewayV2::Api", _import_api, entry_operation="POST /"),
        CfnImport("AWS::ApiGateway::Stage", _import_stage, creates_node=False),
        CfnImport("AWS::ApiGatewayV2::Stage", _import_stage, creates_node=False),
        CfnImport("AWS::ApiGateway::Resource", _import_resource, creates_node=False),
        CfnImport("AWS::ApiGateway::Method", _import_method, creates_node=False),
        CfnImport("AWS::ApiGatewayV2::Integration", _import_integration, creates_node=False),
    ),
    cost=_cost,
)
