"""IAM policy evaluation, as the IAM User Guide's "policy evaluation logic" describes it.

Within one account: an explicit ``Deny`` in any applicable policy wins; otherwise an
``Allow`` is needed; otherwise the request is implicitly denied. ``Action`` matches
case-insensitively, ``Resource`` case-sensitively, both with ``*`` and ``?`` wildcards;
``NotAction``/``NotResource`` invert the match. Condition operators are ANDed, the values
of one key ORed; ``…IfExists`` and the ``ForAnyValue:``/``ForAllValues:`` set prefixes are
understood, and negated operators match when the key is absent (AWS's rule).

Resource-based policies: a KMS key's ``key_policy`` is the primary authority for its key.
It may allow the caller's role directly, or delegate to IAM by allowing the account root
(``arn:aws:iam::<account>:root``), in which case the role's own policies decide. A key
without one has AWS's default key policy, which delegates to IAM and names no service.

Server-side encryption with a customer managed key (SSE-KMS: an SQS queue, SNS topic, S3
bucket or DynamoDB table whose kind declares :class:`~archgen.model.kind.SseKms`): the
service uses the key on the caller's behalf, so a call needs, besides its own action, the
KMS actions its kind lists for the operation, allowed to the caller's principal on the key
(``kms:ViaService`` and ``kms:CallerAccount`` are in the request context). A managed
service without a role (SNS writing to an encrypted queue, a CloudWatch alarm publishing
to an encrypted topic) calls as its kind's service principal, which only a key policy
statement naming it allows. A refusal answers the target's error code
(``KMS.AccessDeniedException`` for SQS…).

A presigned URL (an edge's ``presigned_by``: a client puts an object into S3 with a URL a
function signed) carries its signer's credentials: whoever calls with it is authorised as
the signer's role, for the call's own action and for the SSE-KMS key use, whatever the
edge's protocol (the URL is a request to the service's API). The URL's expiry and the
``s3:authType``/``s3:signatureAge`` condition keys are not modelled.

Deliberately left out: policy variables (``${aws:username}``), date operators, permission
boundaries, SCPs and session policies (a model has one account and plain roles).
"""

from __future__ import annotations

import ipaddress
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from archgen.model.iam import (
    ConditionValue,
    Effect,
    PolicyDocument,
    Statement,
    iam_action,
    wildcard,
)
from archgen.model.kind import GrantsPolicies, ResourcePolicy
from archgen.model.kinds import KINDS
from archgen.model.schema import AnyNode, Model, Protocol
from archgen.runtime.aws.arns import arn_of, region_code, resource_arn

ContextValue = str | int | float | bool | tuple[str | int | float | bool, ...]
Reason = Literal["allow", "explicit_deny", "implicit_deny", "not_applicable"]
ACCESS_DENIED = "AccessDenied"


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one authorization, with the statement that decided it."""

    allowed: bool
    reason: Reason
    action: str = ""
    resource: str = ""
    statement: str | None = None
    code: str = ACCESS_DENIED
    """The error code a refusal answers with (the service's own for a KMS refusal)."""
    key: str | None = None
    """The KMS key node decided on, when the call needed its target's key (SSE-KMS)."""

    @property
    def applies(self) -> bool:
        """False when IAM does not govern the call (no role, not an AWS API)."""
        return self.reason != "not_applicable"

    @property
    def error(self) -> str | None:
        return None if self.allowed else self.code


@dataclass(frozen=True, slots=True)
class KeyUse:
    """One KMS action a call needs on the key its target encrypts with (SSE-KMS), asked
    for by ``principal`` (the caller's role id, or its kind's service principal)."""

    key: str
    action: str
    principal: str
    decision: Decision


NOT_APPLICABLE = Decision(allowed=True, reason="not_applicable")


# --------------------------------------------------------------------------- matching
# ``wildcard`` (IAM's ``*``/``?`` patterns) lives with the policy grammar in archgen.model.iam,
# so that the importer, below the runtime, matches ARNs exactly as the evaluator does.


def _matches_any(patterns: Sequence[str], value: str, ignore_case: bool) -> bool:
    return any(wildcard(p, ignore_case).fullmatch(value) for p in patterns)


def _as_values(value: ConditionValue | ContextValue) -> tuple[str | int | float | bool, ...]:
    return value if isinstance(value, tuple) else (value,)


def _text(value: str | int | float | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _number(value: str | int | float | bool) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare_one(
    op: str, policy_value: str | int | float | bool, actual: str | int | float | bool
) -> bool:
    """A positive (non-negated) operator applied to one policy value and one context value."""
    if op == "StringEquals":
        return _text(actual) == _text(policy_value)
    if op == "StringEqualsIgnoreCase":
        return _text(actual).lower() == _text(policy_value).lower()
    if op in ("StringLike", "ArnLike", "ArnEquals"):
        return wildcard(_text(policy_value)).fullmatch(_text(actual)) is not None
    if op == "Bool":
        return _text(actual).lower() == _text(policy_value).lower()
    if op.startswith("Numeric"):
        left, right = _number(actual), _number(policy_value)
        if left is None or right is None:
            return False
        return {
            "NumericEquals": left == right,
            "NumericLessThan": left < right,
            "NumericLessThanEquals": left <= right,
            "NumericGreaterThan": left > right,
            "NumericGreaterThanEquals": left >= right,
        }.get(op, False)
    if op == "IpAddress":
        try:
            return ipaddress.ip_address(_text(actual)) in ipaddress.ip_network(
                _text(policy_value), strict=False
            )
        except ValueError:
            return False
    return False  # unknown operators never match (AWS would reject the policy)


_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "NotIpAddress": "IpAddress",
}


def condition_holds(
    operator: str, expected: Mapping[str, ConditionValue], context: Mapping[str, ContextValue]
) -> bool:
    """One condition block entry: every key must hold (AND); any value may match (OR)."""
    context = {k.lower(): v for k, v in context.items()}
    op = operator
    set_mode = ""
    if ":" in op:
        set_mode, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    if if_exists:
        op = op[: -len("IfExists")]
    for key, wanted in expected.items():
        actual = context.get(key.lower())
        if op == "Null":
            absent = actual is None
            if not any(
                _text(v).lower() == ("true" if absent else "false") for v in _as_values(wanted)
            ):
                return False
            continue
        if actual is None:
            if if_exists or op in _NEGATIONS:
                continue
            return False
        negated = op in _NEGATIONS
        base = _NEGATIONS.get(op, op)
        actual_values = _as_values(actual)
        wanted_values = _as_values(wanted)

        def one(
            value: str | int | float | bool,
            base: str = base,
            wanted_values: tuple[str | int | float | bool, ...] = wanted_values,
        ) -> bool:
            return any(_compare_one(base, w, value) for w in wanted_values)

        if set_mode == "ForAllValues":
            hit = all(one(v) for v in actual_values)
        else:
            hit = any(one(v) for v in actual_values)
        if hit == negated:
            return False
    return True


# --------------------------------------------------------------------------- evaluation


def _statement_matches(
    statement: Statement, action: str, resource: str, context: Mapping[str, ContextValue]
) -> bool:
    if statement.Action is not None:
        if not _matches_any(statement.actions(), action, ignore_case=True):
            return False
    elif _matches_any(statement.actions(), action, ignore_case=True):
        return False
    if statement.Resource is not None:
        if not _matches_any(statement.resources(), resource, ignore_case=False):
            return False
    elif statement.NotResource is not None and _matches_any(
        statement.resources(), resource, ignore_case=False
    ):
        return False
    return all(
        condition_holds(op, block, context) for op, block in (statement.Condition or {}).items()
    )


def _label(source: str, policy: int, index: int, statement: Statement) -> str:
    sid = f" ({statement.Sid})" if statement.Sid else ""
    return f"{source}.policies[{policy}].Statement[{index}]{sid}"


def evaluate(
    policies: Iterable[tuple[str, PolicyDocument]],
    action: str,
    resource: str,
    context: Mapping[str, ContextValue] | None = None,
) -> Decision:
    """Evaluate identity policies (``(source label, document)`` pairs) for one request."""
    ctx = {k.lower(): v for k, v in (context or {}).items()}
    allow: str | None = None
    for source_index, (source, document) in enumerate(policies):
        for index, statement in enumerate(document.Statement):
            if not _statement_matches(statement, action, resource, ctx):
                continue
            label = _label(source, source_index, index, statement)
            if statement.Effect is Effect.Deny:
                return Decision(False, "explicit_deny", action, resource, label)
            allow = allow or label
    if allow is not None:
        return Decision(True, "allow", action, resource, allow)
    return Decision(False, "implicit_deny", action, resource, None)


def _principal_matches(statement: Statement, role_arn: str, account: str) -> tuple[bool, bool]:
    """Whether a resource-policy statement names the role; and whether it names the account."""
    principal = statement.Principal
    if principal is None:
        return False, False
    if principal == "*":
        return True, False
    if isinstance(principal, str):
        return False, False
    values = _as_values(principal.get("AWS", ()))
    root = f"arn:aws:iam::{account}:root"
    names_role = any(v in ("*", role_arn) for v in values)
    names_account = any(v in (root, account) for v in values)
    return names_role, names_account


def evaluate_with_resource_policy(
    identity: Sequence[tuple[str, PolicyDocument]],
    resource_policy: PolicyDocument,
    resource_label: str,
    role_arn: str,
    account: str,
    action: str,
    resource: str,
    context: Mapping[str, ContextValue] | None = None,
) -> Decision:
    """KMS-style evaluation: the key policy decides, possibly delegating to IAM."""
    ctx = {k.lower(): v for k, v in (context or {}).items()}
    direct: str | None = None
    delegated = False
    for index, statement in enumerate(resource_policy.Statement):
        names_role, names_account = _principal_matches(statement, role_arn, account)
        if not (names_role or names_account):
            continue
        if not _statement_matches(statement, action, resource, ctx):
            continue
        label = _label(resource_label, 0, index, statement)
        if statement.Effect is Effect.Deny:
            return Decision(False, "explicit_deny", action, resource, label)
        if names_role:
            direct = direct or label
        else:
            delegated = True
    own = evaluate(identity, action, resource, ctx)
    if own.reason == "explicit_deny":
        return own
    if direct is not None:
        return Decision(True, "allow", action, resource, direct)
    if delegated and own.allowed:
        return own
    return Decision(False, "implicit_deny", action, resource, None)


def _names_service(statement: Statement, service: str) -> bool:
    principal = statement.Principal
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return service in _as_values(principal.get("Service", ())) or "*" in _as_values(
        principal.get("AWS", ())
    )


def evaluate_for_service(
    resource_policy: PolicyDocument | None,
    resource_label: str,
    service: str,
    action: str,
    resource: str,
    context: Mapping[str, ContextValue] | None = None,
) -> Decision:
    """A service principal (``sns.amazonaws.com``) has no identity policy: only statements
    of the resource policy that name it can allow it (the default key policy names none)."""
    if resource_policy is None:
        return Decision(False, "implicit_deny", action, resource, None)
    ctx = {k.lower(): v for k, v in (context or {}).items()}
    allow: str | None = None
    for index, statement in enumerate(resource_policy.Statement):
        if not _names_service(statement, service):
            continue
        if not _statement_matches(statement, action, resource, ctx):
            continue
        label = _label(resource_label, 0, index, statement)
        if statement.Effect is Effect.Deny:
            return Decision(False, "explicit_deny", action, resource, label)
        allow = allow or label
    if allow is not None:
        return Decision(True, "allow", action, resource, allow)
    return Decision(False, "implicit_deny", action, resource, None)


@lru_cache(maxsize=16)
def default_key_policy(account: str) -> PolicyDocument:
    """AWS's default key policy: the account root may use the key, i.e. IAM decides."""
    return PolicyDocument.model_validate(
        {
            "Statement": {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        }
    )


# --------------------------------------------------------------------------- the model


def governing_protocol(model: Model, caller: AnyNode, target: AnyNode) -> Protocol | None:
    """Protocol of the edge a call caller → target follows (``Model.declared_edge``)."""
    edge = model.declared_edge(caller.id, target.id)
    return None if edge is None else edge.protocol


def request_context(
    model: Model, caller: AnyNode, target: AnyNode, principal: AnyNode | None = None
) -> dict[str, ContextValue]:
    """The global condition keys a call between two nodes carries; ``principal``: the node
    whose role makes the request, when not the caller (the signer of a presigned URL)."""
    context: dict[str, ContextValue] = {
        "aws:principalaccount": model.system.account_id,
        "aws:resourceaccount": model.system.account_id,
        "aws:requestedregion": region_code(model, target),
    }
    who = principal or caller
    role = model.nodes_by_id.get(who.role) if who.role else None
    if role is not None:
        role_arn = arn_of(model, role)
        if role_arn is not None:
            context["aws:principalarn"] = role_arn
    source = arn_of(model, caller)
    if source is not None:
        context["aws:sourcearn"] = source
    edge = model.declared_edge(caller.id, target.id)
    context["aws:securetransport"] = True if edge is None else edge.uses_tls
    return context


def authorize(model: Model, caller: AnyNode, target: AnyNode, op: str) -> Decision:
    """Authorize ``caller`` calling ``op`` on ``target`` by the caller's role, and its use
    of the target's SSE-KMS key (:meth:`Authorizer.decide`).

    Not applicable (allowed) when the caller has no role, the target is not an AWS service
    (``iam_service`` None), or the declared edge is not an ``aws-api`` call; a managed
    service's writes to an SSE-KMS target are still decided by the key policy. A call with
    a presigned URL (the edge's ``presigned_by``) is decided as the signer's role.
    """
    return authorizer_for(model).decide(caller.id, target.id, op)


class Authorizer:
    """Authorizes calls of one model, caching decisions (they depend only on the model)
    and counting denials per (caller, target, op)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.denied: Counter[tuple[str, str, str]] = Counter()
        self._cache: dict[tuple[str, str, str], Decision] = {}

        self._keys: dict[tuple[str, str, str], tuple[KeyUse, ...]] = {}

    def decide(self, caller_id: str, target_id: str, op: str) -> Decision:
        """The whole decision a call gets: its own action, then the KMS actions its
        target's SSE-KMS key needs (the first refusal, with the target's error code)."""
        key = (caller_id, target_id, op)
        decision = self._cache.get(key)
        if decision is None:
            decision = self.identity_decision(caller_id, target_id, op)
            if decision.allowed:
                refused = (u.decision for u in self.key_uses(*key) if not u.decision.allowed)
                decision = next(refused, decision)
            self._cache[key] = decision
        return decision

    def key_uses(self, caller_id: str, target_id: str, op: str) -> tuple[KeyUse, ...]:
        """The KMS actions a call needs on its target's SSE-KMS key(s), each decided."""
        key = (caller_id, target_id, op)
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = tuple(self._key_uses(caller_id, target_id, op))
        return found

    def authorize(self, caller_id: str, target_id: str, op: str) -> Decision:
        """Like :meth:`decide`, and count the call if it is denied."""
        decision = self.decide(caller_id, target_id, op)
        if not decision.allowed:
            self.denied[(caller_id, target_id, op)] += 1
        return decision

    def identity_decision(
        self, caller_id: str, target_id: str, op: str, *, aws_call: bool = False
    ) -> Decision:
        """The decision on the call's own action (``<service>:<op>`` on the target);
        ``aws_call``: AWS makes it with the role (an event source's poll), whatever the
        model's edge says."""
        model = self.model
        caller = model.nodes_by_id[caller_id]
        target = model.nodes_by_id[target_id]
        service = KINDS[target.kind].iam_service
        signer = model.presigner(caller_id, target_id)
        principal = signer or caller
        if principal.role is None or service is None:
            return NOT_APPLICABLE
        protocol = governing_protocol(model, caller, target)
        aws_call = aws_call or signer is not None  # a presigned URL calls the service API
        if protocol is not None and protocol is not Protocol.aws_api and not aws_call:
            return NOT_APPLICABLE
        action = iam_action(service, op)
        resource = resource_arn(model, target, op) or ""
        role = model.nodes_by_id.get(principal.role)
        identity: list[tuple[str, PolicyDocument]] = []
        if role is not None and isinstance(role.params, GrantsPolicies):
            identity = [(role.id, p) for p in role.params.policies]
        context = request_context(model, caller, target, principal)
        if isinstance(target.params, ResourcePolicy) and target.params.key_policy is not None:
            role_arn = (arn_of(model, role) if role is not None else None) or ""
            return evaluate_with_resource_policy(
                identity,
                target.params.key_policy,
                f"{target.id}.key_policy",
                role_arn,
                model.system.account_id,
                action,
                resource,
                context,
            )
        return evaluate(identity, action, resource, context)

    def _key_uses(self, caller_id: str, target_id: str, op: str) -> Iterable[KeyUse]:
        model = self.model
        caller = model.nodes_by_id[caller_id]
        target = model.nodes_by_id[target_id]
        spec = KINDS[target.kind]
        actions = spec.sse_kms.needs(op) if spec.sse_kms is not None else ()
        edge = model.declared_edge(caller_id, target_id)
        signer = model.presigner(caller_id, target_id)
        if not actions or edge is None:
            return
        if edge.protocol is not Protocol.aws_api and signer is None:
            return
        who = signer or caller  # a presigned URL: the key is used as the signer's role
        if who.role is not None:
            principal = who.role
        elif KINDS[who.kind].service_principal is not None:
            principal = KINDS[who.kind].service_principal or ""
        else:
            return  # code without a role: the lint says so; no service principal to ask
        assert spec.sse_kms is not None
        for key_id in sse_keys(model, caller, target):
            key = model.nodes_by_id[key_id]
            for action in actions:
                decision = self._key_decision(caller, target, key, action, who)
                yield KeyUse(
                    key_id,
                    action,
                    principal,
                    replace(decision, code=spec.sse_kms.error, key=key_id),
                )

    def _key_decision(
        self, caller: AnyNode, target: AnyNode, key: AnyNode, action: str, who: AnyNode
    ) -> Decision:
        """``who``'s use of ``key`` for ``action`` when ``caller`` calls ``target``: the
        caller itself, or the signer of the presigned URL it calls with."""
        model = self.model
        account = model.system.account_id
        policy = key.params.key_policy if isinstance(key.params, ResourcePolicy) else None
        resource = arn_of(model, key) or ""
        context = request_context(model, caller, key, who)
        service = KINDS[target.kind].iam_service or ""
        context["kms:viaservice"] = f"{service}.{region_code(model, target)}.amazonaws.com"
        context["kms:calleraccount"] = account
        label = f"{key.id}.key_policy"
        role = model.nodes_by_id.get(who.role) if who.role else None
        if who.role is None:
            context["aws:sourceaccount"] = account
            principal = KINDS[who.kind].service_principal or ""
            return evaluate_for_service(policy, label, principal, action, resource, context)
        identity: list[tuple[str, PolicyDocument]] = []
        if role is not None and isinstance(role.params, GrantsPolicies):
            identity = [(role.id, p) for p in role.params.policies]
        role_arn = (arn_of(model, role) if role is not None else None) or ""
        if policy is None:
            policy, label = default_key_policy(account), f"{label} (default)"
        return evaluate_with_resource_policy(
            identity, policy, label, role_arn, account, action, resource, context
        )


def sse_keys(model: Model, caller: AnyNode, target: AnyNode) -> list[str]:
    """The KMS key nodes a call from ``caller`` has ``target`` use on its behalf: the
    target's own SSE-KMS key, and an edge's ``encrypted_with`` key that the caller does not
    ask for a data key itself (then the service encrypts with it: SSE-KMS with that key,
    see :func:`archgen.runtime.store.record_write`); a key in another region stands for
    its replica in the target's."""
    keys: list[str] = []
    own = target.params.sse_kms_key()
    if own is not None:
        keys.append(own)
    edge = model.declared_edge(caller.id, target.id)
    named = edge.encrypted_with if edge is not None else None
    if named is not None:
        region = model.region_of(target.group)
        named = model.replica_in(model.original_of(named), region.id if region else None)
        own_call = model.declared_edge(caller.id, named)
        if named not in keys and not (own_call is not None and own_call.carries("GenerateDataKey")):
            keys.append(named)
    return keys


def access_denied_codes() -> frozenset[str]:
    """Every error code a refusal by IAM or by a key answers with."""
    codes = {ACCESS_DENIED}
    codes.update(spec.sse_kms.error for spec in KINDS.values() if spec.sse_kms is not None)
    return frozenset(codes)


_AUTHORIZERS: dict[int, Authorizer] = {}


def authorizer_for(model: Model) -> Authorizer:
    """The shared, cached authorizer of a model (dropped when the model is collected)."""
    key = id(model)
    found = _AUTHORIZERS.get(key)
    if found is None or found.model is not model:
        found = Authorizer(model)
        _AUTHORIZERS[key] = found
        weakref.finalize(model, _AUTHORIZERS.pop, key, None)
    return found
