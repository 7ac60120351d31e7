"""The reference page of every registered kind, generated from its declaration.

Everything comes from the kind's :class:`~archgen.model.kind.KindSpec`, its params class
(field descriptions, defaults, types, its declared CloudWatch metrics) and its behavior's
docstring (the rules it follows, what it leaves out), so the page says what the code does.
A site gets a page for every kind archgen knows, whether its model uses the kind or not.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import sys
import textwrap
import types
import typing
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup
from pydantic import BaseModel

from archgen.model.base import Duration
from archgen.model.kind import FIELD_CAPABILITIES, Capability, KindSpec
from archgen.site.facts import value_text
from archgen.site.templating import inline

_UNIT_SUFFIXES = (
    ("_per_s_quota", "per second"),
    ("_capacity_units", "per second"),
    ("_percent", "%"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_mb", "MB"),
    ("_kb", "KB"),
)
"""A field's unit, from how its name ends (the schema's naming convention)."""


@dataclass(frozen=True)
class ParamRow:
    name: str
    schema: dict[str, object]
    """The field's JSON Schema (its type, with ``$ref`` to the model's definitions)."""
    unit: str
    default: str
    description: str


@dataclass(frozen=True)
class Trait:
    name: str
    meaning: str


@dataclass(frozen=True)
class BehaviorDoc:
    """A behavior's docstring, split the way its kind page shows it."""

    rules: str
    left_out: str
    metrics: str


def unit(name: str, annotation: object) -> str:
    if _is_duration(annotation):
        return "ms"
    for suffix, symbol in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return symbol
    return ""


def _is_duration(annotation: object) -> bool:
    return annotation is Duration or any(_is_duration(a) for a in typing.get_args(annotation))


def _nested(annotation: object) -> tuple[type[BaseModel], str] | None:
    """The settings model a field holds (``autoscaling``) or lists (``records``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None if annotation is Duration else (annotation, ".")
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _nested(args[0])
    if origin is typing.Annotated and args:
        return _nested(args[0])
    if origin in (tuple, list) and args:
        found = _nested(args[0])
        return None if found is None else (found[0], "[].")
    return None


def param_rows(params: type[BaseModel], prefix: str = "") -> list[ParamRow]:
    """Every field of ``params`` in declaration order; nested settings are spelled out after
    their field (``autoscaling.min_instances``, ``records[].target``)."""
    schema = params.model_json_schema(by_alias=True)
    properties = typing.cast(dict[str, dict[str, object]], schema.get("properties", {}))
    rows = []
    for name, field in params.model_fields.items():
        key = field.alias or name
        if field.is_required():
            default = "required"
        else:
            default = value_text(field.get_default(call_default_factory=True))
        rows.append(
            ParamRow(
                name=prefix + key,
                schema=properties.get(key, {}),
                unit=unit(name, field.annotation),
                default=default,
                description=field.description or "",
            )
        )
        nested = _nested(field.annotation)
        if nested is not None:
            rows += param_rows(nested[0], f"{prefix}{key}{nested[1]}")
    return rows


def capability_meanings() -> dict[str, str]:
    """Capability → what it means, from the attribute docstrings of :class:`Capability`
    and the class docstrings of the field capabilities (first sentence of each)."""
    result = {name: _first_sentence(doc) for name, doc in _attribute_docs(Capability).items()}
    for mixin in FIELD_CAPABILITIES:
        result[mixin.__name__] = _first_sentence(inspect.getdoc(mixin) or "")
    return result


def traits(spec: KindSpec) -> list[Trait]:
    """The kind's field capabilities (mixins of its params) and flag capabilities."""
    meanings = capability_meanings()
    found = [
        Trait(mixin.__name__, meanings[mixin.__name__])
        for mixin in FIELD_CAPABILITIES
        if issubclass(spec.params, mixin)
    ]
    found += [
        Trait(capability.value, meanings.get(capability.name, ""))
        for capability in Capability
        if capability in spec.capabilities
    ]
    return found


def arn_template(spec: KindSpec) -> str:
    """The ARN a node of the kind gets, with ``<placeholders>``; empty without one."""
    if spec.arn is None:
        return ""
    fmt = spec.arn
    region = "<region>" if fmt.regional else ""
    account = "<account>" if fmt.with_account else ""
    return f"arn:aws:{fmt.service}:{region}:{account}:{fmt.resource.format(id='<id>')}"


_SECTION = re.compile(r"^(Left out|Metrics):\s*", re.MULTILINE)


def split_behavior_doc(doc: str) -> BehaviorDoc:
    """``doc`` without its ``Left out:`` and ``Metrics:`` paragraphs, and those two.

    Each starts a line and runs to the next blank line or the next such heading."""
    doc = inspect.cleandoc(doc)
    sections = {"Left out": "", "Metrics": ""}
    rules: list[str] = []
    position = 0
    for match in _SECTION.finditer(doc):
        rules.append(doc[position : match.start()])
        rest = doc[match.end() :]
        stop = min(
            (i for i in (rest.find("\n\n"), _next_heading(rest)) if i >= 0), default=len(rest)
        )
        words = " ".join(rest[:stop].split())
        sections[match.group(1)] = words[:1].upper() + words[1:]
        position = match.end() + stop
    rules.append(doc[position:])
    return BehaviorDoc("".join(rules).strip(), sections["Left out"], sections["Metrics"])


def _next_heading(rest: str) -> int:
    found = _SECTION.search(rest)
    return found.start() if found else -1


def behavior_doc(behavior: type) -> str:
    """What a behavior says of itself: its module's docstring (the rules it follows), then
    its class's own docstring when it has one."""
    module = sys.modules[behavior.__module__].__doc__ or ""
    own = behavior.__dict__.get("__doc__") or ""
    parts = [inspect.cleandoc(part) for part in (module, own) if part and part.strip()]
    return "\n\n".join(dict.fromkeys(parts))


@cache
def _attribute_docs(cls: type) -> dict[str, str]:
    """``name = value`` followed by a string literal, in ``cls``'s source: name → string."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.targets[0].id] = following.value.value
    return docs


_HISTORY = re.compile(r"\s*\(was [^)]*\)")


def _first_sentence(doc: str) -> str:
    """The first sentence of ``doc`` in one line, without the "(was …)" notes of the
    declaration's history."""
    flat = " ".join(_HISTORY.sub("", doc).split())
    match = re.match(r"(.+?\.)(\s|$)", flat)
    return match.group(1) if match else flat


_ROLE = re.compile(r":(?:mod|class|func|meth|attr|data):`~?([^`]+)`")


def paragraphs(doc: str) -> list[Markup]:
    """A docstring as Markdown blocks: paragraphs, and ``- item`` lines as lists."""
    result = []
    for block in _ROLE.sub(r"``\1``", inspect.cleandoc(doc)).split("\n\n"):
        intro: list[str] = []
        items: list[list[str]] = []
        for line in block.splitlines():
            stripped = line.strip()
            if stripped.startswith("- "):
                items.append([stripped[2:]])
            elif items:
                items[-1].append(stripped)
            elif stripped:
                intro.append(stripped)
        if intro:
            result.append(inline(" ".join(intro)))
        if items:
            result.append(
                Markup("\n").join(Markup("- ") + inline(" ".join(item)) for item in items)
            )
    return result
