"""The model reference page, generated from the model's JSON Schema.

The schema is what editors validate against, so documenting it (rather than the Python
classes) keeps the page true to what a model file may contain.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from archgen.site.templating import text

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Property:
    name: str
    type: Markup
    required: bool
    default: str
    description: str


@dataclass(frozen=True)
class Definition:
    name: str
    anchor: str
    description: str
    properties: tuple[Property, ...]
    values: tuple[str, ...]
    """Allowed values, for enumerations."""


def model_schema() -> JsonObject:
    from archgen.model.schema import Model

    return Model.model_json_schema(by_alias=True)


def anchor(name: str, prefix: str = "def-") -> str:
    return prefix + "".join(char if char.isalnum() else "-" for char in name.lower())


Link = Callable[[str], Markup]
"""Definition name → a link to where it is described."""


def same_page(prefix: str = "def-") -> Link:
    def link(name: str) -> Markup:
        return Markup('<a href="#{}">{}</a>').format(anchor(name, prefix), text(name))

    return link


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_text(schema: JsonObject, link: Link | None = None) -> Markup:
    """A reader's description of a schema type; references link to their definition."""
    link = link or same_page()
    if "$ref" in schema:
        return link(_ref_name(schema["$ref"]))
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return Markup(" or ").join(type_text(option, link) for option in schema[combinator])
    if "const" in schema:
        return Markup("<code>{}</code>").format(json.dumps(schema["const"]))
    if "enum" in schema:
        return Markup("one of ") + Markup(", ").join(
            Markup("<code>{}</code>").format(json.dumps(value)) for value in schema["enum"]
        )
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return Markup("list of ") + (type_text(items, link) if items else Markup("anything"))
    if kind == "object":
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            return Markup("map of string → ") + type_text(values, link)
        return Markup("object")
    if isinstance(kind, list):
        return Markup(" or ").join(text(part) for part in kind)
    if kind is None:
        return Markup("anything")
    return text(kind)


def _properties(schema: JsonObject, link: Link) -> tuple[Property, ...]:
    required = set(schema.get("required", ()))
    return tuple(
        Property(
            name=name,
            type=type_text(spec, link),
            required=name in required,
            default=json.dumps(spec["default"], sort_keys=True) if "default" in spec else "",
            description=str(spec.get("description", "")),
        )
        for name, spec in schema.get("properties", {}).items()
    )


def definitions(schema: JsonObject | None = None, prefix: str = "def-") -> list[Definition]:
    """The root ``Model`` first, then every ``$defs`` entry by name; anchors start with
    ``prefix`` (several schemas on one page need one each)."""
    schema = model_schema() if schema is None else schema
    link = same_page(prefix)
    root_name = str(schema.get("title", "Model"))
    result = [
        Definition(
            root_name,
            anchor(root_name, prefix),
            str(schema.get("description", "")),
            _properties(schema, link),
            (),
        )
    ]
    for name, spec in sorted(schema.get("$defs", {}).items()):
        result.append(
            Definition(
                name,
                anchor(name, prefix),
                str(spec.get("description", "")),
                _properties(spec, link),
                tuple(json.dumps(value) for value in spec.get("enum", ())),
            )
        )
    return result
