"""CDK synth output (``cdk.out/*.template.json``): the construct tree gives what the
logical ids hide.

Each resource's ``Metadata: {aws:cdk:path: Stack/Construct/…/Resource}`` names its node
(``OrdersQueue8A2B3C4D`` → ``orders-queue``), and a construct one level below the stack
that holds several nodes (a function and its role) becomes a ``cluster`` group. The
``AWS::CDK::Metadata`` resource (CDK's usage analytics) is left out silently; the
``DefaultPolicy`` a grant attaches to a role is read into that role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archgen.model.importers.context import kebab
from archgen.model.importers.template import Map, Seq

PATH = "aws:cdk:path"
ANALYTICS = "AWS::CDK::Metadata"
_HASH = re.compile(r"(?<=[a-z])(?=[0-9A-F]*[0-9])[0-9A-F]{8}$")
"""The 8 hex digits CDK appends to a unique id (``LedgerStackLedgerQueue5E6F7A8B``)."""
_INNER = {"Resource", "Default"}
"""Construct ids CDK gives the L1 resource of an L2 construct, or its default child."""


@dataclass(frozen=True)
class Cdk:
    """A synthesized template made ready for the CloudFormation engine."""

    template: Map
    names: dict[str, str]
    """Logical id → node id from the construct path."""
    labels: dict[str, str]
    """Logical id → what a node's ``# from`` comment says."""
    constructs: dict[str, str]
    """Logical id → the construct one level below the stack (``LedgerStack/Worker``)."""
    order: tuple[str, ...]
    """The resources in order, the analytics one left out."""
    notes: dict[str, tuple[str, ...]]
    """Role logical id → the attached policies read into it."""


def is_cdk(template: Map) -> bool:
    """Some resource carries a construct path: the template is ``cdk synth`` output."""
    return any(_path(body) for body in _resources(template).values())


def prepare(template: Map) -> Cdk:
    """The template without CDK's analytics resource and with each role's attached
    policies inline, and the names the construct tree gives its resources."""
    resources = _resources(template)
    kept = Map()
    kept.pos, kept.keys_at = resources.pos, {}
    names: dict[str, str] = {}
    labels: dict[str, str] = {}
    constructs: dict[str, str] = {}
    for logical_id, body in resources.items():
        if isinstance(body, Map) and body.get("Type") == ANALYTICS:
            continue
        kept[logical_id], kept.keys_at[logical_id] = body, resources.keys_at[logical_id]
        path = _path(body)
        if path is None:
            continue
        parts = path.split("/")
        inner = [part for part in parts[1:] if part not in _INNER]
        if inner:
            names[logical_id] = "-".join(kebab(_HASH.sub("", part)) for part in inner)
            constructs[logical_id] = "/".join(parts[:2])
        labels[logical_id] = f"{path}, logical id {logical_id}"
    notes: dict[str, tuple[str, ...]] = {}
    merged = _inline_policies(kept, notes)
    for logical_id in merged:
        del kept[logical_id]
    _drop_depends_on(kept, set(merged))
    out = Map(template)
    out.pos, out.keys_at = template.pos, dict(template.keys_at)
    out["Resources"] = kept
    order = tuple(str(key) for key in kept) + tuple(merged)
    return Cdk(out, names, labels, constructs, order, notes)


def construct_name(construct: str) -> str:
    """A cluster's id: its construct's id, kebab-cased, without a hash suffix."""
    return kebab(_HASH.sub("", construct.rsplit("/", maxsplit=1)[-1]))


def _resources(template: Map) -> Map:
    resources = template["Resources"]
    assert isinstance(resources, Map)
    return resources


def _path(body: object) -> str | None:
    metadata = body.get("Metadata") if isinstance(body, Map) else None
    path = metadata.get(PATH) if isinstance(metadata, Map) else None
    return str(path) if isinstance(path, str) else None


def _inline_policies(resources: Map, notes: dict[str, tuple[str, ...]]) -> list[str]:
    """Each ``AWS::IAM::Policy`` whose roles are all in the template, appended to their
    ``Policies`` (as CloudFormation applies it); the merged policies' logical ids."""
    merged: list[str] = []
    for logical_id, body in resources.items():
        props = body.get("Properties") if isinstance(body, Map) else None
        if not isinstance(body, Map) or body.get("Type") != "AWS::IAM::Policy":
            continue
        roles = props.get("Roles") if isinstance(props, Map) else None
        hosts = (
            [r.get("Ref") for r in roles if isinstance(r, Map)] if isinstance(roles, Seq) else []
        )
        found = [resources.get(str(h)) for h in hosts]
        if not found or not all(
            isinstance(r, Map) and r.get("Type") == "AWS::IAM::Role" for r in found
        ):
            continue
        assert isinstance(props, Map)
        for host, role in zip(hosts, found, strict=True):
            assert isinstance(role, Map)
            _add_policy(role, props)
            note = f"policy {logical_id} (AWS::IAM::Policy) attached to it, read in inline"
            notes[str(host)] = (*notes.get(str(host), ()), note)
        merged.append(str(logical_id))
    return merged


def _add_policy(role: Map, policy: Map) -> None:
    properties = role.get("Properties")
    if not isinstance(properties, Map):
        properties = Map()
        properties.pos, properties.keys_at = role.pos, {}
        role["Properties"], role.keys_at["Properties"] = properties, role.pos
    policies = properties.get("Policies")
    if not isinstance(policies, Seq):
        policies = Seq()
        policies.pos, policies.items_at = policy.pos, []
        properties["Policies"], properties.keys_at["Policies"] = policies, policy.pos
    entry = Map({k: policy[k] for k in ("PolicyName", "PolicyDocument") if k in policy})
    entry.pos, entry.keys_at = policy.pos, {k: policy.keys_at[k] for k in entry}
    policies.append(entry)
    policies.items_at.append(policy.pos)


def _drop_depends_on(resources: Map, gone: set[str]) -> None:
    """A resource deployed after a policy now inline in its role depends on the role."""
    for body in resources.values():
        value = body.get("DependsOn") if isinstance(body, Map) else None
        if isinstance(value, Seq) and any(name in gone for name in value):
            left = Seq(name for name in value if name not in gone)
            left.pos = value.pos
            left.items_at = [p for n, p in zip(value, value.items_at, strict=True) if n not in gone]
            assert isinstance(body, Map)
            if left:
                body["DependsOn"] = left
            else:
                del body["DependsOn"]
        elif isinstance(value, str) and value in gone:
            assert isinstance(body, Map)
            del body["DependsOn"]
