"""``archgen import terraform``: the JSON of ``terraform show -json`` → a model's YAML text.

A plan (``planned_values``, ``resource_changes``, ``configuration``) or a state (``values``)
is translated into the CloudFormation template the kinds already import (``tfmap``: type
and property names), then the CloudFormation engine writes the model. A string equal to a
known ARN, id, name or URL of another resource becomes a ``Ref``/``Fn::GetAtt`` of it; a
value known only after apply takes the references of its ``configuration`` expression.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archgen.model.importers.cloudformation import ACCOUNT, Imported, Source, import_template
from archgen.model.importers.context import Unmodeled, kebab
from archgen.model.importers.template import Map, Pos, Seq, Text, fail, positioned
from archgen.model.importers.tfjson import read_plan
from archgen.model.kind import arn_name

_REF = re.compile(r"^((?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.(\w+))?")


@dataclass
class Resource:
    """One resource instance of the plan, where it is, and what is unknown of it."""

    address: str
    mode: str
    type: str
    name: str
    provider: str
    module: str
    """``module.a.module.b`` or empty."""
    values: Map
    unknown: object
    """``after_unknown``: ``True`` where a value is known only after apply."""
    pos: Pos
    index: object = None


@dataclass
class Plan:
    """The resources of one plan or state and its configuration, read once."""

    file: str
    resources: list[Resource]
    modules: dict[str, Map]
    """Module path → its ``configuration`` module (``resources``, ``module_calls``)."""
    deleted: list[Resource] = field(default_factory=list)
    region: str | None = None
    """The aws provider's region, if the configuration gives it as a constant."""

    def instances(self, address: str) -> list[Resource]:
        """The instances of ``address`` (one, or one per ``count``/``for_each`` key)."""
        return [
            r for r in self.resources if r.address == address or r.address.startswith(address + "[")
        ]

    def expression(self, resource: Resource, path: tuple[object, ...]) -> object:
        """The configuration expression of ``resource`` at ``path`` (blocks are lists)."""
        module = self.modules.get(re.sub(r"\[[^\]]*\]", "", resource.module), Map())
        relative = resource.address.removeprefix(f"{resource.module}.").split("[", 1)[0]
        configured = module.get("resources", [])
        found = next(
            (
                r
                for r in (configured if isinstance(configured, list) else [])
                if isinstance(r, dict)
                and r.get("address") == relative
                and r.get("mode", "managed") == resource.mode
            ),
            None,
        )
        value: object = found.get("expressions") if found else None
        for key in path:
            if isinstance(value, list) and isinstance(key, int):
                value = value[key] if key < len(value) else None
            elif isinstance(value, dict) and isinstance(key, str):
                value = value.get(key)
            else:
                return None
        return value

    def references(self, expression: object, module: str) -> list[tuple[str, str | None]]:
        """(resource address, attribute) of each resource an expression references, through
        module outputs and variables."""
        refs = expression.get("references") if isinstance(expression, dict) else None
        out: list[tuple[str, str | None]] = []
        for ref in refs if isinstance(refs, list) else []:
            for found in self._follow(str(ref), module):
                if found not in out and not any(a == found[0] for a, _ in out):
                    out.append(found)
        return out

    def _follow(self, ref: str, module: str) -> list[tuple[str, str | None]]:
        prefix = f"{module}." if module else ""
        parts = ref.split(".")
        if parts[0] == "module" and len(parts) >= 3:
            child = f"{prefix}module.{parts[1]}"
            outputs = self.modules.get(child, Map()).get("outputs")
            output = outputs.get(parts[2]) if isinstance(outputs, dict) else None
            expression = output.get("expression") if isinstance(output, dict) else None
            return self.references(expression, child)
        if parts[0] == "var" and len(parts) >= 2 and module:
            parent, _, name = module.rpartition(".")
            parent = parent.removesuffix(".module") if parent != "module" else ""
            call = self.modules.get(parent, Map()).get("module_calls")
            spec = call.get(name) if isinstance(call, dict) else None
            expressions = spec.get("expressions") if isinstance(spec, dict) else None
            given = expressions.get(parts[1]) if isinstance(expressions, dict) else None
            return self.references(given, parent)
        match = _REF.match(ref)
        if match is None or parts[0] in ("local", "each", "count", "path", "self", "terraform"):
            return []
        address = prefix + match.group(1)
        if not self.instances(address):
            return []
        return [(address, match.group(2))]


def read(path: Path) -> Plan:
    """The resources of the plan or state at ``path``, in the order Terraform wrote them."""
    root = read_plan(path)
    file = str(path)
    values = root.get("planned_values", root.get("values"))
    changes: dict[str, Map] = {}
    for change in _items(root.get("resource_changes")):
        if isinstance(change.get("address"), str):
            changes[str(change["address"])] = change
    resources = [
        _resource(file, item, changes)
        for item in _walk(values.get("root_module") if isinstance(values, Map) else None)
    ]
    seen: set[str] = set()
    for resource in resources:
        if resource.address in seen:
            raise fail(file, resource.pos, resource.address, "a second resource of this address")
        seen.add(resource.address)
    # A plan's data sources read while planning are in its prior state.
    prior = root.get("prior_state")
    prior_values = prior.get("values") if isinstance(prior, Map) else None
    for item in _walk(prior_values.get("root_module") if isinstance(prior_values, Map) else None):
        if item.get("mode") == "data" and item.get("address") not in seen:
            resources.append(_resource(file, item, changes))
    modules: dict[str, Map] = {}
    config = root.get("configuration")
    _modules(config.get("root_module") if isinstance(config, Map) else None, "", modules)
    planned = {r.address for r in resources}
    deleted = [
        _resource(file, change, {})
        for address, change in changes.items()
        if address not in planned and _actions(change) == ["delete"]
    ]
    return Plan(file, resources, modules, deleted, _provider_region(config))


def _provider_region(config: object) -> str | None:
    providers = config.get("provider_config") if isinstance(config, Map) else None
    aws = providers.get("aws") if isinstance(providers, Map) else None
    expressions = aws.get("expressions") if isinstance(aws, Map) else None
    region = expressions.get("region") if isinstance(expressions, Map) else None
    if isinstance(region, Map) and isinstance(region.get("constant_value"), str):
        return str(region["constant_value"])
    return None


def region_of(plan: Plan) -> tuple[str | None, str]:
    """The region the aws provider is configured with, else the one in known ARNs."""
    if plan.region:
        return plan.region, "the aws provider's region"
    for resource in plan.resources:
        arn = resource.values.get("arn")
        if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[3]:
            return arn.split(":")[3], "the region of the resources' ARNs"
    return None, ""


def account_of(plan: Plan) -> str | None:
    """The account in the resources' known ARNs (an AWS managed policy's ``aws`` is none)."""
    for resource in plan.resources:
        arn = resource.values.get("arn")
        fields = arn.split(":") if isinstance(arn, str) else []
        if len(fields) >= 6 and re.fullmatch(r"\d{12}", fields[4]):
            return fields[4]
    return None


def _actions(change: Map) -> list[str]:
    body = change.get("change")
    actions = body.get("actions") if isinstance(body, Map) else None
    return [str(a) for a in actions] if isinstance(actions, list) else []


def _items(value: object) -> Iterator[Map]:
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Map):
            yield item


def _walk(module: object) -> Iterator[Map]:
    """The resources of a module of ``planned_values``/``values`` and of its children."""
    if not isinstance(module, Map):
        return
    yield from _items(module.get("resources"))
    for child in _items(module.get("child_modules")):
        yield from _walk(child)


def _modules(module: object, path: str, out: dict[str, Map]) -> None:
    if not isinstance(module, Map):
        return
    out[path] = module
    calls = module.get("module_calls")
    for name, call in calls.items() if isinstance(calls, Map) else []:
        if isinstance(call, Map):
            child = f"{path}.module.{name}" if path else f"module.{name}"
            _modules(call.get("module"), child, out)


def _resource(file: str, item: Map, changes: dict[str, Map]) -> Resource:
    address, type_, name = (item.get(key) for key in ("address", "type", "name"))
    if not (isinstance(address, str) and isinstance(type_, str) and isinstance(name, str)):
        raise fail(file, item.pos, "", "a resource needs an address, a type and a name")
    change = changes.get(address)
    body = change.get("change") if change is not None else None
    unknown = body.get("after_unknown", {}) if isinstance(body, Map) else {}
    values = item.get("values")
    if not isinstance(values, Map):
        values = Map()
        values.pos, values.keys_at = item.pos, {}
    prefix = re.match(r"(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*", address)
    module = prefix.group().rstrip(".") if prefix else ""
    return Resource(
        address=address,
        mode=str(item.get("mode", "managed")),
        type=type_,
        name=name,
        provider=str(item.get("provider_name", "")),
        module=module,
        values=values,
        unknown=unknown,
        pos=item.pos,
        index=item.get("index"),
    )


def node_name(resource: Resource) -> str:
    """``module.orders.aws_sqs_queue.jobs["eu"]`` → ``orders-jobs-eu``."""
    modules = re.findall(r"module\.([\w-]+)", resource.module)
    index = [] if resource.index is None else [str(resource.index)]
    return kebab("-".join([*modules, resource.name, *index]).replace("_", "-"))


def import_terraform(path: Path, region: str | None = None) -> Imported:
    """Read the plan or state at ``path`` and write the model it describes."""
    from archgen.model.importers.tfmap import translate

    plan = read(path)
    found, note = region_of(plan)
    chosen = region or found or "us-east-1"
    why = "--region" if region else note or "the default region (no region in the plan)"
    translated = translate(plan)
    template = Map({"Resources": translated.resources})
    template.pos, template.keys_at = Pos(1, 1), {"Resources": Pos(1, 1)}
    order = [r.address for r in plan.resources] + [r.address for r in plan.deleted]
    unmodeled = translated.unmodeled + [
        Unmodeled("", r.address, "planned for deletion") for r in plan.deleted
    ]
    source = Source(
        file=plan.file,
        name=path.name.split(".", 1)[0],
        header=(
            f"# Imported by `archgen import terraform {path.name}`.",
            "# Nodes, params and edges come from the plan; flows, journeys and scenarios",
            "# cannot be inferred from infrastructure: the starter ones below are TODOs.",
        ),
        region_note=why,
        labels=translated.labels,
        names={r.address: node_name(r) for r in plan.resources},
        notes=translated.notes,
        order=tuple(order),
        unmodeled=tuple(unmodeled),
        resources=len(order),
        account=account_of(plan) or ACCOUNT,
        addresses=True,
        # A state records each resource's ARN: its last part is the name (or a key's id)
        # a node's arn ends in.
        aws_names={
            r.address: (arn_name(arn),)
            for r in plan.resources
            if isinstance(arn := r.values.get("arn"), str) and arn.startswith("arn:")
        },
    )
    return import_template(template, source, chosen)


def ref_map(address: str, attribute: str | None, pos: Pos) -> Map:
    """``{"Ref": address}`` or ``{"Fn::GetAtt": [address, attribute]}`` at ``pos``."""
    if attribute is None:
        return _map({"Ref": Text(address)}, pos)
    pair = Seq([address, attribute])
    pair.pos, pair.items_at = pos, [pos, pos]
    return _map({"Fn::GetAtt": pair}, pos)


def _map(items: dict[str, object], pos: Pos) -> Map:
    out = Map(items)
    out.pos, out.keys_at = pos, dict.fromkeys(out, pos)
    return out


def decode(file: str, value: object, where: str) -> object:
    """A JSON-encoded attribute (a policy, a redrive policy) as positioned values."""
    if not isinstance(value, str) or not value.strip():
        return None
    pos = value.pos if isinstance(value, Text) else Pos(1, 1)
    try:
        return positioned(json.loads(value), pos)
    except json.JSONDecodeError as error:
        raise fail(file, pos, where, f"not a JSON document: {error.msg}") from None
