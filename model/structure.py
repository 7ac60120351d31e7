"""Turns pydantic's structural errors into positioned, readable problems."""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, Union

import pydantic
from pydantic import BaseModel

from archgen.model.errors import Problem, did_you_mean
from archgen.model.loader import Document, PathKey, format_path

if TYPE_CHECKING:
    from archgen.model.schema import Model


def structural_problems(document: Document, error: pydantic.ValidationError) -> list[Problem]:
    from archgen.model.schema import Model

    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        path, owner = _resolve(document.data, item["loc"], Model)
        problems.append(_problem(document, item, path, owner))
    return problems


def salvage(
    document: Document, error: pydantic.ValidationError
) -> tuple[Model, dict[str, list[int]], frozenset[str]] | None:
    """The model without the list items that failed, for a second, semantic pass.

    Returns the model, for each pruned section the original index of every kept item, and
    the ids of the dropped items; ``None`` when the failure is not confined to list items.
    """
    from archgen.model.schema import Model

    data = document.data
    broken: dict[str, set[int]] = {}
    for item in error.errors(include_url=False):
        loc = item["loc"]
        if len(loc) < 2 or not isinstance(loc[1], int) or not isinstance(data.get(loc[0]), list):
            return None
        broken.setdefault(str(loc[0]), set()).add(loc[1])
    pruned = dict(data)
    kept: dict[str, list[int]] = {}
    dropped: set[str] = set()
    for section, indexes in broken.items():
        items = data[section]
        kept[section] = [i for i in range(len(items)) if i not in indexes]
        pruned[section] = [items[i] for i in kept[section]]
        dropped.update(
            str(items[i]["id"]) for i in indexes if isinstance(items[i], dict) and "id" in items[i]
        )
    try:
        model = Model.model_validate(pruned)
    except pydantic.ValidationError:
        return None
    return model, kept, frozenset(dropped)


def _problem(
    document: Document, item: Any, path: PathKey, owner: type[BaseModel] | None
) -> Problem:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    positions = document.positions
    mark = positions.value(path)
    shown = path
    if kind == "missing":
        name = path[-1]
        mark = positions.value(path[:-1])
        shown = path[:-1]
        message = f"missing required field '{name}'"
    elif kind == "extra_forbidden":
        name = str(path[-1])
        mark = positions.key(path)
        fields = _field_names(owner) if owner else []
        message = f"unknown field '{name}'{did_you_mean(name, fields)}"
        if not did_you_mean(name, fields) and fields:
            message += f"; expected one of: {', '.join(fields)}"
    elif kind == "union_tag_invalid":
        tag, expected = str(ctx.get("tag")), str(ctx.get("expected_tags", ""))
        choices = [choice.strip(" '") for choice in expected.split(",")]
        discriminator = str(ctx.get("discriminator", "kind")).strip("'")
        path_to_tag = (*path, discriminator)
        mark = positions.value(path_to_tag)
        shown = path_to_tag
        hint = did_you_mean(tag, choices) or f"; known: {', '.join(sorted(choices))}"
        message = f"unknown {discriminator} '{tag}'{hint}"
    elif kind == "union_tag_not_found":
        discriminator = str(ctx.get("discriminator", "kind")).strip("'")
        message = f"missing required field '{discriminator}'"
    else:
        message = item["msg"].removeprefix("Value error, ")
        message = (
            message[0].lower() + message[1:] if message[:2] != message[:2].upper() else message
        )
        value = item.get("input")
        if kind not in {"value_error", "assertion_error"} and _is_scalar(value):
            message += f" (got {_show(value)})"
    return Problem(document.source, mark.line, mark.column, format_path(shown), message)


def _resolve(
    data: Any, loc: tuple[int | str, ...], root: type[BaseModel]
) -> tuple[PathKey, type[BaseModel] | None]:
    """Map pydantic's ``loc`` onto the document's path, dropping union tags, and find the
    schema class that owns the last component (for "did you mean" on unknown fields)."""
    path: list[str | int] = []
    current: Any = data
    annotation: Any = root
    owner: type[BaseModel] | None = root
    for part in loc:
        if isinstance(current, dict) and part in current:
            owner = _as_model(annotation)
            annotation = _field_annotation(annotation, str(part), current)
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            annotation = _item_annotation(annotation)
            path.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str):
            selected = _select_member(annotation, part)
            if selected is not None:
                annotation = selected  # a discriminator tag: not part of the document
                continue
            owner = _as_model(annotation)
            path.append(part)
            current = None
        else:
            path.append(part)
            current = None
    return tuple(path), owner


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete alternatives of an annotation (Annotated, Optional and unions opened)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        return [alt for arg in typing.get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _as_model(annotation: Any) -> type[BaseModel] | None:
    models = [alt for alt in _unwrap(annotation) if _is_model(alt)]
    return models[0] if len(models) == 1 else None


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _field_annotation(annotation: Any, name: str, value: dict[str, Any]) -> Any:
    for alt in _unwrap(annotation):
        if _is_model(alt):
            for field_name, info in alt.model_fields.items():
                if name in (field_name, info.alias):
                    return info.annotation
    return Any


def _item_annotation(annotation: Any) -> Any:
    for alt in _unwrap(annotation):
        args = typing.get_args(alt)
        if typing.get_origin(alt) in (tuple, list) and args:
            return args[0]
    return Any


def _select_member(annotation: Any, tag: str) -> Any:
    members = [alt for alt in _unwrap(annotation) if _is_model(alt)]
    if len(members) < 2:
        return None
    for member in members:
        for field_name in ("kind", "type"):
            info = member.model_fields.get(field_name)
            if info is not None and tag in typing.get_args(info.annotation):
                return member
    return None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
