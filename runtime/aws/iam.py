"""IAM policy evaluation, as the IAM User Guide's "policy evaluation logic" describes it.

Within one account: an explicit ``Deny`` in any applicable policy wins; otherwise an
``Allow`` is needed; otherwise the request is implicitly denied. ``Action`` matches
case-insensitively, ``Resource`` case-sensitively, both with ``*`` and ``?`` wildcards;
``NotAction``/``NotResource`` invert the match. Condition operators are ANDed, the values
of one key ORed; ``…IfExists`` and the ``ForAnyValue:``/``ForAllValues:`` set prefixes are
understood, and negated operators match when the key is absent (AWS's rule).

Resource-based policies: a KMS key's ``key_policy`` is the primary authority for its key.
It may allow the caller's role directly, or delegate to IAM by allowing the account root
(``arn:aws:iam::<account>:root``), in which case the role's own policies decide.

Deliberately left out: policy variables (``${aws:username}``), date operators, permission
boundaries, SCPs and session policies (a model has one account and plain roles).
"""

from __future__ import annotations

import ipaddress
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from archgen.model.iam import ConditionValue, Effect, PolicyDocument, Statement, wildcard
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

    @property
    def applies(self) -> bool:
        """False when IAM does not govern the call (no role, not an AWS API)."""
        return self.reason != "not_applicable"

    @property
    def error(self) -> str | None:
        return None if self.allowed else ACCESS_DENIED


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


# --------------------------------------------------------------------------- the model


def governing_protocol(model: Model, caller: AnyNode, target: AnyNode) -> Protocol | None:
    """Protocol of the edge a call caller → target follows (``Model.declared_edge``)."""
    edge = model.declared_edge(caller.id, target.id)
    return None if edge is None else edge.protocol


def request_context(model: Model, caller: AnyNode, target: AnyNode) -> dict[str, ContextValue]:
    """The global condition keys a call between two nodes carries."""
    context: dict[str, ContextValue] = {
        "aws:principalaccount": model.system.account_id,
        "aws:resourceaccount": model.system.account_id,
        "aws:requestedregion": region_code(model, target),
    }
    role = model.nodes_by_id.get(caller.role) if caller.role else None
    if role is not None:
        principal = arn_of(model, role)
        if principal is not None:
            context["aws:principalarn"] = principal
    source = arn_of(model, caller)
    if source is not None:
        context["aws:sourcearn"] = source
    edge = model.declared_edge(caller.id, target.id)
    context["aws:securetransport"] = True if edge is None else edge.uses_tls
    return context


def authorize(model: Model, caller: AnyNode, target: AnyNode, op: str) -> Decision:
    """Authorize ``caller`` calling ``op`` on ``target`` by the caller's role.

    Not applicable (allowed) when the caller has no role, the target is not an AWS service
    (``iam_service`` None), or the declared edge is not an ``aws-api`` call.
    """
    return authorizer_for(model).decide(caller.id, target.id, op)


class Authorizer:
    """Authorizes calls of one model, caching decisions (they depend only on the model)
    and counting denials per (caller, target, op)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.denied: Counter[tuple[str, str, str]] = Counter()
        self._cache: dict[tuple[str, str, str], Decision] = {}

    def decide(self, caller_id: str, target_id: str, op: str) -> Decision:
        key = (caller_id, target_id, op)
        decision = self._cache.get(key)
        if decision is None:
            decision = self._decide(caller_id, target_id, op)
            self._cache[key] = decision
        return decision

    def authorize(self, caller_id: str, target_id: str, op: str) -> Decision:
        """Like :meth:`decide`, and count the call if it is denied."""
        decision = self.decide(caller_id, target_id, op)
        if not decision.allowed:
            self.denied[(caller_id, target_id, op)] += 1
        return decision

    def _decide(self, caller_id: str, target_id: str, op: str) -> Decision:
        model = self.model
        caller = model.nodes_by_id[caller_id]
        target = model.nodes_by_id[target_id]
        service = KINDS[target.kind].iam_service
        if caller.role is None or service is None:
            return NOT_APPLICABLE
        protocol = governing_protocol(model, caller, target)
        if protocol is not None and protocol is not Protocol.aws_api:
            return NOT_APPLICABLE
        action = f"{service}:{op}"
        resource = resource_arn(model, target, op) or ""
        role = model.nodes_by_id.get(caller.role)
        identity: list[tuple[str, PolicyDocument]] = []
        if role is not None and isinstance(role.params, GrantsPolicies):
            identity = [(role.id, p) for p in role.params.policies]
        context = request_context(model, caller, target)
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
