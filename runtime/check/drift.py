"""Drift: the model against the infrastructure code it describes (``check --against``).

The CLI imports each template, plan or state in memory with the importers and hands their
models here, with where each imported node came from; several files are compared as one
system (stacks or states that each describe a part of it). Matching rule: a node of the
model stands for a resource of one of those files when both are of the same kind and one
of the node's names is one of the resource's names. The node's names are the last part of
its ``arn`` (first) and its id; a resource's names are the node id the importer gives it,
its logical id (or Terraform address), a Terraform resource's name, and its names in AWS:
the physical name its properties give (``TableName``, ``QueueName``, ``BucketName``…,
Terraform's ``name`` or ``bucket``) and the last part of the ARN a Terraform state
records. Nodes whose ``arn`` matches are paired before nodes matched by id, so a node
named after its real resource is not taken by another's id. Nodes of kinds no importer
reads (clients, external systems) are not compared. An aws-api edge is compared with the
IAM policies of the file its caller comes from, when its target comes from that file too.
A node's ``lint_ignore: {drift: reason}`` switches its findings off.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from archgen.model import LoadedModel
from archgen.model.kind import arn_name
from archgen.model.load import document_data
from archgen.model.loader import PathKey
from archgen.model.schema import AnyNode, Protocol
from archgen.runtime.check.report import FindingSink, Scope
from archgen.runtime.check.rules import DRIFT_RULES

ENCRYPTION = "kms_key"
"""The param that names a node's KMS key: compared as encryption, by the key it names."""

OUTSIDE = "(a node outside AWS)"
"""What a param naming a client or external node says, on either side."""

NOT_PARAMS = frozenset({"policies"})
"""Role policies are compared through the edges they must allow, not as text."""


@dataclass(frozen=True)
class Counterpart:
    """A resource of the template as the drift check sees it (an importer's ``Origin``)."""

    node: str
    label: str
    names: tuple[str, ...]
    line: int
    column: int
    values: tuple[tuple[str, int, int], ...] = ()
    """Property values written once in the template (lower-case text), keys' positions."""
    aws_names: tuple[str, ...] = ()
    """Its names in AWS (a ``TableName``, a state's ARN's last part): a node's id or arn
    may name it by them too."""
    template: str = ""
    """The file it comes from (set by :func:`drift`)."""

    def at(self, value: object) -> Counterpart:
        """Where the template writes ``value``: the property holding it when the template
        writes it there only, else the resource (an event source mapping, another resource,
        holds a function's batch size)."""
        if isinstance(value, bool | int | float | str):
            text = str(value).lower()
            found = [(line, column) for v, line, column in self.values if v == text]
            if len(found) == 1:
                line, column = found[0]
                return replace(self, line=line, column=column, values=())
        return self

    @property
    def key(self) -> tuple[str, str]:
        """Which resource it is across files (two files may give one node id)."""
        return (self.template, self.node)


@dataclass(frozen=True)
class Against:
    """One file ``check --against`` compares the model with: its imported model and the
    resources it holds."""

    template: str
    imported: LoadedModel
    resources: Sequence[Counterpart]


def drift(loaded: LoadedModel, against: Sequence[Against]) -> Scope:
    """The ``drift`` scope: nodes missing on every side, params and encryption that
    differ, and aws-api edges the files' IAM policies do not allow. Several files are one
    system: a node needs a resource in one of them, each resource a node."""
    return _Drift(loaded, against).run()


def node_names(node: AnyNode) -> tuple[str, ...]:
    """What a node of the model may be called in a template: the last part of its
    ``arn`` (first), and its id."""
    names = [arn_name(node.arn)] if node.arn else []
    return tuple(dict.fromkeys([*names, node.id]))


class _Drift:
    def __init__(self, loaded: LoadedModel, against: Sequence[Against]) -> None:
        self.loaded = loaded
        self.theirs = {one.template: one.imported.model for one in against}
        self.resources = [
            replace(r, template=one.template) for one in against for r in one.resources
        ]
        self.files = " or ".join(one.template for one in against)
        self.sink = FindingSink(loaded, "drift", DRIFT_RULES)
        self.set_params: dict[tuple[str, str], dict[str, object]] = {
            (one.template, str(node["id"])): dict(node.get("params") or {})
            for one in against
            for node in document_data(one.imported).get("nodes", [])
        }
        self.pairs: dict[str, Counterpart] = {}
        self.stated: dict[str, object] = {
            str(node["id"]): node.get("params") or {}
            for node in document_data(loaded).get("nodes", [])
            if isinstance(node, dict) and "id" in node
        }
        """The params each node of the model writes: a difference where it writes none is
        archgen's default against the template's (a warning: the defaults are not always
        CloudFormation's, a key's rotation on here, off there)."""

    def kind_of(self, resource: Counterpart) -> str:
        return self.theirs[resource.template].nodes_by_id[resource.node].kind

    def where(self, resource: Counterpart) -> tuple[tuple[str, int, int], ...]:
        return ((resource.template, resource.line, resource.column),)

    def details(self, resource: Counterpart) -> str:
        return f"template: {resource.template}:{resource.line}:{resource.column} ({resource.label})"

    def add(
        self, path: PathKey, message: str, node: str, at: Counterpart, rule: str = "drift"
    ) -> None:
        self.sink.add(
            rule,
            path,
            message,
            node=node,
            details=self.details(at),
            elsewhere=self.where(at),
        )

    def pair(self, importable: set[str]) -> None:
        """Each node with the first free resource of its kind it names: nodes by their arn
        first, then by their id."""
        model = self.loaded.model
        taken: set[tuple[str, str]] = set()
        compared = [node for node in model.nodes if node.kind in importable]
        for by_arn in (True, False):
            for node in compared:
                if node.id in self.pairs or (by_arn and not node.arn):
                    continue
                name = arn_name(node.arn) if by_arn and node.arn else node.id
                found = next(
                    (
                        r
                        for r in self.resources
                        if r.key not in taken
                        and self.kind_of(r) == node.kind
                        and (name in r.names or name in r.aws_names)
                    ),
                    None,
                )
                if found is not None:
                    taken.add(found.key)
                    self.pairs[node.id] = found

    def run(self) -> Scope:
        from archgen.model.registry import kinds

        importable = {name for name, spec in kinds().items() if spec.imports}
        model = self.loaded.model
        self.pair(importable)
        for index, node in enumerate(model.nodes):
            if node.kind not in importable or node.id in self.pairs:
                continue
            named = " or ".join(f"'{name}'" for name in node_names(node))
            self.sink.add(
                "drift",
                ("nodes", index),
                f"{node.kind} node '{node.id}' has no resource in {self.files} "
                f"(none of kind {node.kind} named {named})",
                node=node.id,
            )
        paired = {r.key for r in self.pairs.values()}
        for resource in self.resources:
            kind = self.kind_of(resource)
            if resource.key in paired or kind not in importable:
                continue
            aws = [n for n in resource.aws_names if n != resource.node]
            named = " or ".join(f"'{name}'" for name in [resource.node, *aws])
            self.sink.add(
                "drift",
                ("nodes",),
                f"{resource.label} ({kind}) of {resource.template} has no node in the model "
                f"(a node of kind {kind} named {named}, or whose arn ends in "
                f"{'it' if not aws else 'one of them'})",
                key=True,
                details=self.details(resource),
                elsewhere=self.where(resource),
            )
        for index, node in enumerate(model.nodes):
            if node.id in self.pairs:
                self.params(index, node.id, importable)
        self.edges()
        return self.sink.scope_result()

    def params(self, index: int, node_id: str, importable: set[str]) -> None:
        resource = self.pairs[node_id]
        model, theirs_model = self.loaded.model, self.theirs[resource.template]
        # The file's ids as the model's (a dead-letter queue, a key): the same resource
        # under the model's name is no difference. Nodes outside AWS are not paired (an
        # inbox has no name in the template): any of them stands for any other where a
        # param names one (a topic's email subscriber).
        rename = {r.node: ours for ours, r in self.pairs.items() if r.template == resource.template}
        rename |= {n.id: OUTSIDE for n in theirs_model.nodes if n.kind not in importable}
        own = {n.id: OUTSIDE for n in model.nodes if n.kind not in importable}
        params = model.nodes_by_id[node_id].params
        ours = _renamed(params.model_dump(mode="json", exclude_none=True), own)
        assert isinstance(ours, dict)
        theirs = _renamed(
            theirs_model.nodes_by_id[resource.node].params.model_dump(
                mode="json", exclude_none=True
            ),
            rename,
        )
        assert isinstance(theirs, dict)
        base = ("nodes", index, "params")
        mine, other = ours.get(ENCRYPTION), theirs.get(ENCRYPTION)
        if mine != other:
            said = f"KMS key '{mine}'" if mine else "no KMS key"
            they = f"KMS key '{other}'" if other else "no KMS key"
            self.add(
                (*base, ENCRYPTION) if mine else base,
                f"node '{node_id}' is encrypted with {said} in the model, with {they} in "
                f"the template",
                node_id,
                resource,
            )
        stated = self.stated.get(node_id, {})
        for key in self.set_params.get(resource.key, {}):
            if key in NOT_PARAMS or key == ENCRYPTION:
                continue
            for path, a, b in _differences((key,), ours.get(key), theirs.get(key)):
                dotted = ".".join(str(part) for part in path)
                written = _writes(stated, path)
                self.add(
                    (*base, *path) if written else base,
                    f"node '{node_id}' params.{dotted}: the model {_said(a, written)}, the "
                    f"template says {_show(b)}",
                    node_id,
                    resource.at(b),
                    "drift" if written else "drift-default",
                )

    def edges(self) -> None:
        """Each aws-api edge's operations, allowed by the template's role of its caller; an
        edge with a presigned URL, by the template's role of its signer (the caller, a
        client, has no resource)."""
        from archgen.runtime.check.access import authorized, required

        model = self.loaded.model
        roles = {r.key: r for r in self.resources}
        for index, edge in enumerate(model.edges):
            signer = edge.presigned_by
            who = signer or edge.source
            source, target = self.pairs.get(who), self.pairs.get(edge.target)
            if edge.protocol is not Protocol.aws_api and signer is None:
                continue
            if source is None or target is None:
                continue
            if source.template != target.template:
                continue  # one file's policies cannot be judged on another's resource
            theirs = self.theirs[source.template]
            if model.nodes_by_id[who].role is None:
                continue  # the model claims no IAM for this caller
            via = "" if signer is None else f" (presigned by '{signer}')"
            caller = theirs.nodes_by_id[source.node]
            if caller.role is None:
                self.add(
                    ("edges", index),
                    f"edge {edge.source} -> {edge.target}{via}: the template gives "
                    f"'{who}' no IAM role",
                    who,
                    source,
                )
                continue
            callee = theirs.nodes_by_id[target.node]
            at = roles.get((source.template, caller.role), source)
            for op_index, op in enumerate(edge.operations):
                # The signer makes no call in the template: ask its role as AWS would.
                decision = (
                    authorized(theirs, caller, callee, op)
                    if signer is None
                    else required(theirs, caller, callee, op)
                )
                if not decision.allowed:
                    self.add(
                        ("edges", index, "operations", op_index),
                        f"edge {edge.source} -> {edge.target}{via}: the template's role "
                        f"{at.label} does not allow {decision.action} on {decision.resource}",
                        who,
                        at,
                    )


def _renamed(value: object, rename: dict[str, str]) -> object:
    """The template's values with its node ids written as the model's (a dead-letter
    queue, a key): the same resource under the model's name is no difference."""
    if isinstance(value, dict):
        return {key: _renamed(item, rename) for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, rename) for item in value]
    if isinstance(value, str):
        return rename.get(value, value)
    return value


def _said(value: object, written: bool) -> str:
    if written:
        return f"says {_show(value)}"
    if value is None:
        return "does not write it (archgen's default: none)"
    return f"leaves it to archgen's default {_show(value)}"


def _writes(stated: object, path: tuple[str | int, ...]) -> bool:
    """Whether the model's own text writes the param at ``path`` (else archgen's default
    stands there)."""
    for part in path:
        if isinstance(stated, dict) and isinstance(part, str):
            if part not in stated:
                return False
            stated = stated[part]
        elif isinstance(stated, list) and isinstance(part, int):
            if part >= len(stated):
                return False
            stated = stated[part]
        else:
            return True
    return True


def _differences(
    path: tuple[str | int, ...], ours: object, theirs: object
) -> list[tuple[tuple[str | int, ...], object, object]]:
    """Each leaf that differs: mappings key by key, lists of one length item by item, any
    other difference as a whole."""
    if ours == theirs:
        return []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in [*ours, *(k for k in theirs if k not in ours)]:
            found += _differences((*path, key), ours.get(key), theirs.get(key))
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        found = []
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found += _differences((*path, i), a, b)
        return found
    return [(path, ours, theirs)]


def _show(value: object) -> str:
    return "nothing" if value is None else json.dumps(value, sort_keys=True)
