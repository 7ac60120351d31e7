"""IAM as the static rules see it: which requests a role's users need, and which statements
grant more than that.

Whether one request is allowed is the runtime's decision
(:func:`archgen.runtime.aws.iam.authorize`), so that the lint and a run can never disagree;
this module only adds what a run never asks: is a grant *used*? A role's users need what
their aws-api edges call (and the edges whose presigned URLs they sign), the KMS actions
those calls need on an SSE-KMS target's key (:func:`key_uses`), and the calls AWS makes with
the role because of a node's settings (``KindParams.required_calls``: a Lambda SQS event
source). Resources are compared by ARN (:func:`archgen.runtime.aws.arns.arn_of`), so
over-breadth is measured against the resources of the model itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from archgen.model import kinds as k
from archgen.model.iam import Effect, Statement, iam_action, wildcard
from archgen.model.kind import Capability
from archgen.model.loader import PathKey
from archgen.model.registry import kinds
from archgen.model.schema import AnyNode, Model, Protocol
from archgen.runtime.aws.arns import arn_of, region_code
from archgen.runtime.aws.iam import Decision, KeyUse, authorizer_for


def needs_role(node: AnyNode) -> bool:
    """Kinds running the model's own code, whose AWS API calls need an IAM role. Managed services
    (CloudFront fetching from S3, SQS redriving to a DLQ, CloudWatch alarm actions) call
    under AWS service principals authorized by resource policies the model does not spell
    out."""
    return kinds()[node.kind].has(Capability.runs_code)


@dataclass(frozen=True, order=True)
class Request:
    action: str
    resource: str


@dataclass(frozen=True)
class OverGrant:
    path: PathKey
    """Relative to the statement."""
    message: str


def request_for(model: Model, target: AnyNode, op: str) -> Request | None:
    """The IAM request an aws-api call of ``op`` on ``target`` makes."""
    service = k.KINDS[target.kind].iam_service
    arn = arn_of(model, target)
    if service is None or arn is None:
        return None
    return Request(iam_action(service, op), arn)


def authorized(model: Model, caller: AnyNode, target: AnyNode, op: str) -> Decision:
    """The runtime's IAM decision on one call's own action (the same one a run makes)."""
    return authorizer_for(model).identity_decision(caller.id, target.id, op)


def required(model: Model, node: AnyNode, target: AnyNode, op: str) -> Decision:
    """The runtime's IAM decision on a call AWS makes with ``node``'s role because of its
    settings (``KindParams.required_calls``), whatever protocol the model's edge has."""
    return authorizer_for(model).identity_decision(node.id, target.id, op, aws_call=True)


def key_uses(model: Model, caller: AnyNode, target: AnyNode, op: str) -> tuple[KeyUse, ...]:
    """The runtime's decisions on the KMS actions one call needs on its target's key."""
    return authorizer_for(model).key_uses(caller.id, target.id, op)


LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
"""What writing a node's logs to its log group asks of its role."""


def needed_requests(model: Model, users: Iterable[AnyNode]) -> frozenset[Request]:
    """Every request the declared aws-api edges of ``users`` make, and those of the edges
    whose presigned URLs a user signs (``presigned_by``: made with its role, whoever
    calls), and the logs actions on the log group AWS writes a user's logs to with its
    role (``KindParams.log_group``)."""
    nodes = model.nodes_by_id
    ids = {user.id for user in users}
    needed: set[Request] = set()
    for edge in model.edges:
        made_by: str | None = edge.presigned_by
        if made_by is None and edge.protocol is Protocol.aws_api:
            made_by = edge.source
        if made_by in ids:
            for op in edge.operations:
                request = request_for(model, nodes[edge.target], op)
                if request is not None:
                    needed.add(request)
                for use in key_uses(model, nodes[edge.source], nodes[edge.target], op):
                    needed.add(Request(use.action, use.decision.resource))
    for user in users:
        group = user.params.log_group(user.id)
        if group is not None:
            region, account = region_code(model, user), model.system.account_id
            arn = f"arn:aws:logs:{region}:{account}:log-group:{group}:*"
            needed.update(Request(action, arn) for action in LOG_ACTIONS)
        for call in user.params.required_calls():
            target = nodes.get(call.target)
            request = None if target is None else request_for(model, target, call.operation)
            if request is not None:
                needed.add(request)
    return frozenset(needed)


def resource_universe(model: Model) -> tuple[tuple[str, str], ...]:
    """(IAM service, ARN) of every node of the model that AWS authorizes requests on."""
    universe = []
    for node in model.nodes:
        service = k.KINDS[node.kind].iam_service
        arn = arn_of(model, node)
        if service is not None and arn is not None:
            universe.append((service, arn))
    return tuple(universe)


def over_grants(
    statement: Statement, needed: frozenset[Request], universe: tuple[tuple[str, str], ...]
) -> list[OverGrant]:
    """What an Allow statement grants beyond ``needed``, each with its place."""
    if statement.Effect is not Effect.Allow:
        return []
    problems: list[OverGrant] = []
    if statement.NotAction is not None:
        problems.append(
            OverGrant(
                ("NotAction",),
                "an Allow with NotAction grants every action "
                "except those listed; list the actions the edges need",
            )
        )
    if statement.NotResource is not None:
        problems.append(
            OverGrant(
                ("NotResource",),
                "an Allow with NotResource grants every "
                "resource except those listed; list the resources instead",
            )
        )
    if statement.Action is None or statement.Resource is None:
        return problems
    actions = statement.actions()
    granted = [r for r in needed if any(matches(a, r.action, ignore_case=True) for a in actions)]
    for index, action in enumerate(actions):
        path: PathKey = ("Action", index) if isinstance(statement.Action, tuple) else ("Action",)
        used = sorted({r.action for r in needed if matches(action, r.action, ignore_case=True)})
        if _is_pattern(action):
            need = ", ".join(used) if used else "none of them"
            problems.append(
                OverGrant(
                    path,
                    f"'{action}' is a wildcard: it allows actions no "
                    f"declared edge needs (the edges need: {need})",
                )
            )
        elif not used:
            problems.append(OverGrant(path, f"allows '{action}', which no declared edge needs"))
    services = {a.split(":", 1)[0].lower() if ":" in a else "*" for a in actions}
    needed_resources = {r.resource for r in granted}
    resources = statement.resources()
    for index, resource in enumerate(resources):
        path = ("Resource", index) if isinstance(statement.Resource, tuple) else ("Resource",)
        if not any(covers(resource, arn) for arn in needed_resources):
            if granted or not problems:
                problems.append(
                    OverGrant(
                        path,
                        f"grants on '{resource}', which no declared edge needs with these actions",
                    )
                )
            continue
        extra = sorted(
            arn
            for service, arn in universe
            if ("*" in services or _service_matches(services, service))
            and arn not in needed_resources
            and covers(resource, arn)
        )
        if extra:
            problems.append(
                OverGrant(
                    path,
                    f"'{resource}' also covers {', '.join(extra)}, "
                    "which no declared edge of the role's users needs",
                )
            )
    return problems


def covers(pattern: str, arn: str) -> bool:
    """Whether a Resource pattern matches ``arn`` or the objects inside it (S3 keys)."""
    return matches(pattern, arn) or matches(pattern, arn + "/*")


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match, exactly as the runtime's evaluator matches."""
    return wildcard(pattern, ignore_case).fullmatch(value) is not None


def _is_pattern(text: str) -> bool:
    return "*" in text or "?" in text


def _service_matches(services: set[str], service: str) -> bool:
    return any(matches(pattern, service, ignore_case=True) for pattern in services)
