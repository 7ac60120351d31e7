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
from archgen.model.kind import GrantsPolicies, ResourcePolicy
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
    return [
        flow
        for flow in model.flows
        if any(node_id in (step.source, step.target) for step in flow.steps)
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


def role_users(model: Model, role_id: str) -> list[AnyNode]:
    """Nodes whose calls the role authorizes."""
    return [node for node in model.nodes if node.role == role_id]


def group_members(model: Model, group_id: str) -> list[AnyNode]:
    """Nodes in the group or any group nested in it."""
    inside = {group_id}
    changed = True
    while changed:
        changed = False
        for group in model.groups:
            if group.parent in inside and group.id not in inside:
                inside.add(group.id)
                changed = True
    return [node for node in model.nodes if node.group in inside]
