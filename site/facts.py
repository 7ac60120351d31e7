"""Facts about the model that pages show, gathered once: who calls whom, who uses what.

Pure functions of the model, kept apart from rendering so tests can check them directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from archgen.model.base import Duration
from archgen.model.iam import PolicyDocument
from archgen.model.kind import EncryptableAtRest, GrantsPolicies, ResourcePolicy, Zonal
from archgen.model.schema import AnyNode, Edge, Flow, Model


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str
    default: str
    description: str

    @property
    def changed(self) -> bool:
        return self.value != self.default


@dataclass(frozen=True)
class Policy:
    """An IAM policy document that applies to a node, and where it comes from."""

    source: str
    title: str
    document: str


def value_text(value: object) -> str:
    """A parameter value as a reader wants it: durations in words, models as compact JSON."""
    if value is None:
        return "—"
    if isinstance(value, Duration):
        shape = value.distribution.value
        if shape in {"constant", "exponential"}:
            return f"{shape}, mean {value.mean_ms:g} ms"
        return f"{shape}, mean {value.mean_ms:g} ms, cv {value.cv:g}"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json", by_alias=True), sort_keys=True)
    if isinstance(value, tuple | list | dict):
        return json.dumps(_plain(value), sort_keys=True)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def parameters(node: AnyNode) -> list[Parameter]:
    """Every parameter of the node's kind, its value here and the kind's default; nested
    settings (e.g. ``autoscaling``) are spelled out as ``autoscaling.min_instances``."""
    return _fields(node.params, None, "")


def _fields(values: BaseModel, defaults: BaseModel | None, prefix: str) -> list[Parameter]:
    result = []
    for name, field in type(values).model_fields.items():
        value = getattr(values, name)
        required = defaults is None and field.is_required()
        if defaults is not None:
            default = getattr(defaults, name)
        elif not required:
            default = field.get_default(call_default_factory=True)
        else:
            default = None
        if isinstance(value, BaseModel) and not isinstance(value, Duration):
            nested_default = default if isinstance(default, type(value)) else None
            result += _fields(value, nested_default, f"{prefix}{name}.")
            continue
        result.append(
            Parameter(
                name=prefix + name,
                value=value_text(value),
                default="required" if required else value_text(default),
                description=field.description or "",
            )
        )
    return result


def inbound(model: Model, node_id: str) -> list[Edge]:
    return sorted((e for e in model.edges if e.target == node_id), key=lambda e: e.source)


def outbound(model: Model, node_id: str) -> list[Edge]:
    return sorted((e for e in model.edges if e.source == node_id), key=lambda e: e.target)


def flows_using(model: Model, node_id: str) -> list[Flow]:
    """The flows with a step from or to the node; a replica's are its original's (flows
    name originals, and a session in the replica's region takes the replica)."""
    named = model.original_of(node_id)
    return [
        flow
        for flow in model.flows
        if any(named in (step.source, step.target) for step in flow.steps)
    ]


def _document(policy: PolicyDocument) -> str:
    return json.dumps(
        policy.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2, sort_keys=False
    )


def policies(model: Model, node: AnyNode) -> list[Policy]:
    """The policies of the node's role, its own (an IAM role) and its key policy (KMS)."""
    result: list[Policy] = []
    own = node.params.policies if isinstance(node.params, GrantsPolicies) else ()
    for index, policy in enumerate(own, start=1):
        result.append(Policy(node.id, f"Policy {index} of this role", _document(policy)))
    if node.role is not None and node.role in model.nodes_by_id:
        role = model.nodes_by_id[node.role]
        granted = role.params.policies if isinstance(role.params, GrantsPolicies) else ()
        for index, policy in enumerate(granted, start=1):
            result.append(
                Policy(role.id, f"Policy {index} of role {role.title}", _document(policy))
            )
    key_policy = node.params.key_policy if isinstance(node.params, ResourcePolicy) else None
    if isinstance(key_policy, PolicyDocument):
        result.append(Policy(node.id, "Key policy", _document(key_policy)))
    return result


@dataclass(frozen=True)
class Access:
    """One statement of a role's policy that allows or denies calls to a node."""

    role: str
    policy: int
    """1-based position of the policy in the role's ``policies``."""
    sid: str
    effect: str
    actions: tuple[str, ...]
    """The statement's actions on the node's service (``NotAction``: ``all but …``)."""
    condition: bool
    """The statement only applies under its ``Condition``."""


def access_to(model: Model, node: AnyNode) -> list[Access] | None:
    """The role statements whose resources take in the node's ARN (as the runtime's IAM
    evaluator matches them, S3 objects included) and whose actions name its service; None
    for a node IAM does not guard (no ARN or no IAM service: clients, externals)."""
    from archgen.model.iam import wildcard
    from archgen.model.kinds import KINDS
    from archgen.runtime.aws.arns import arn_of

    arn = arn_of(model, node)
    service = KINDS[node.kind].iam_service
    if arn is None or service is None:
        return None

    def covers(pattern: str) -> bool:
        rx = wildcard(pattern, False)
        return rx.fullmatch(arn) is not None or rx.fullmatch(arn + "/*") is not None

    def names_service(action: str) -> bool:
        prefix = action.split(":", 1)[0] if ":" in action else action
        return wildcard(prefix, True).fullmatch(service) is not None

    result = []
    for role in model.nodes:
        if not isinstance(role.params, GrantsPolicies):
            continue
        for number, policy in enumerate(role.params.policies, start=1):
            for statement in policy.Statement:
                resources = statement.resources()
                if statement.Resource is not None:
                    applies = any(covers(pattern) for pattern in resources)
                else:
                    applies = not any(covers(pattern) for pattern in resources)
                if statement.Action is not None:
                    actions = tuple(a for a in statement.actions() if names_service(a))
                    applies = applies and bool(actions)
                else:
                    actions = ("all but " + ", ".join(statement.actions()),)
                if applies:
                    result.append(
                        Access(
                            role.id,
                            number,
                            statement.Sid or "",
                            statement.Effect.value,
                            actions,
                            statement.Condition is not None,
                        )
                    )
    return result


def encrypts(model: Model, key_id: str) -> list[tuple[str, str | None]]:
    """(node id, writer) of what the key encrypts: a store's data at rest (its ``kms_key``;
    writer None) or what an edge's source writes to its target (``encrypted_with``) — the
    security view's "encrypts" links."""
    result: list[tuple[str, str | None]] = []
    for node in model.nodes:
        if isinstance(node.params, EncryptableAtRest) and node.params.kms_key == key_id:
            result.append((node.id, None))
    for edge in model.edges:
        if edge.encrypted_with == key_id:
            result.append((edge.target, edge.source))
    return result


def role_users(model: Model, role_id: str) -> list[AnyNode]:
    """Nodes whose calls the role authorizes."""
    return [node for node in model.nodes if node.role == role_id]


GROUP_KINDS = {
    "region": "AWS Region",
    "availability_zone": "Availability Zone",
    "vpc": "VPC",
    "subnet": "Subnet",
    "cluster": "Group",
}
"""How pages and hover cards name a group's kind, as AWS spells it (a kind not listed
shows its own name)."""


def group_members(model: Model, group_id: str) -> list[AnyNode]:
    """Nodes in the group or any group nested in it, and nodes spread over one of its zones
    (an ECS service's ``zones``: its tasks run there whatever group holds the node)."""
    inside = {group_id}
    changed = True
    while changed:
        changed = False
        for group in model.groups:
            if group.parent in inside and group.id not in inside:
                inside.add(group.id)
                changed = True
    return [
        node
        for node in model.nodes
        if node.group in inside
        or (isinstance(node.params, Zonal) and not inside.isdisjoint(node.params.zones))
    ]
