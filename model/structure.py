"""Turns pydantic's structural errors into positioned, readable problems.

pydantic reports a value that fits no member of a union once per member, each under a
label such as ``str`` or ``function-after[…]``; a user wrote one value, so they get one
problem, at the value, without pydantic's labels.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import pydantic
from pydantic import BaseModel

from archgen.model.errors import Problem, did_you_mean
from archgen.model.loader import Document, PathKey, format_path

if TYPE_CHECKING:
    from archgen.model.schema import Model


# What each of pydantic's type errors expected, in the words of YAML rather than Python.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "tuple_type": "a list",
    "list_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
}
_CONTAINER_TYPES = {
    kind for kind, expected in _EXPECTED.items() if expected in ("a list", "a mapping")
}
_SCALAR_LABELS = {"str", "int", "float", "bool", "none", "bytes"}
_TYPE_MISMATCHES = {*_EXPECTED, "literal_error", "enum", "is_instance_of", "none_required"}


@dataclass(frozen=True)
class _Located:
    """A pydantic error placed in the document, with the unions it went through."""

    item: Any
    path: PathKey
    owner: type[BaseModel] | None
    branches: tuple[tuple[PathKey, str], ...]  # (where the union's value is, member label)


def structural_problems(document: Document, error: pydantic.ValidationError) -> list[Problem]:
    from archgen.model.schema import Model

    located = [
        _Located(item, *_resolve(document.data, item["loc"], Model))
        for item in error.errors(include_url=False)
    ]
    located = [entry for entry in located if not _follows_from_its_items(entry, located)]
    problems: list[Problem] = []
    for entry in _one_per_union(located):
        if isinstance(entry, _Located):
            problems.append(_problem(document, entry.item, entry.path, entry.owner))
        else:
            problems.append(_union_problem(document, *entry))
    return problems


def _follows_from_its_items(entry: _Located, located: list[_Located]) -> bool:
    """A list that is too short only because some of its items failed (pydantic counts the
    items left "after validation"): the items' own problems say it all."""
    if entry.item["type"] != "too_short" or "after validation" not in entry.item["msg"]:
        return False
    loc = tuple(entry.item["loc"])
    return any(
        len(other.item["loc"]) > len(loc) and tuple(other.item["loc"][: len(loc)]) == loc
        for other in located
    )


def _one_per_union(
    located: list[_Located], level: int = 0
) -> list[_Located | tuple[PathKey, list[_Located]]]:
    """The errors to report: for each union a value fits no member of, the errors of the one
    member the value got into (it had that member's shape and failed inside), else one
    ``(where, errors)`` entry for "should be A or B"."""
    result: list[_Located | tuple[PathKey, list[_Located]]] = []
    unions: dict[PathKey, dict[str, list[_Located]]] = {}
    for entry in located:
        if len(entry.branches) <= level:
            result.append(entry)
        else:
            where, label = entry.branches[level]
            unions.setdefault(where, {}).setdefault(label, []).append(entry)
    for where, members in unions.items():
        entered = [
            errors for errors in members.values() if any(_went_in(entry, where) for entry in errors)
        ]
        if entered:
            result.extend(_one_per_union(min(entered, key=len), level + 1))
        else:
            result.append((where, [entry for errors in members.values() for entry in errors]))
    return result


def _went_in(entry: _Located, where: PathKey) -> bool:
    return len(entry.path) > len(where) or entry.item["type"] not in _TYPE_MISMATCHES


def _union_problem(document: Document, where: PathKey, errors: list[_Located]) -> Problem:
    expected = list(dict.fromkeys(_expected(entry.item) for entry in errors))
    if "a number" in expected and "an integer" in expected:
        expected.remove("an integer")  # every integer is a number
    either = expected[0] if len(expected) == 1 else ", ".join(expected[:-1]) + f" or {expected[-1]}"
    mark = document.positions.value(where)
    message = f"input should be {either}{_got(errors[0].item.get('input'))}"
    return Problem(document.source, mark.line, mark.column, format_path(where), message)


def _expected(item: Any) -> str:
    known = _EXPECTED.get(item["type"])
    if known is not None:
        return known
    text = str(item["msg"]).removeprefix("Input should be ")
    return text[:1].lower() + text[1:]


def _got(value: Any) -> str:
    if _is_scalar(value):
        return f" (got {_show(value)})"
    if isinstance(value, list | tuple):
        return " (got a list)"
    return " (got a mapping)" if isinstance(value, dict) else ""


def salvage(
    document: Document, error: pydantic.ValidationError
) -> tuple[Model, dict[str, list[int]], frozenset[str]] | None:
    """The model with its broken parts taken out, for a second, semantic pass.

    A field that fails is removed from its item (its default then applies), so that the
    item's other fields are still checked: a node with an unknown parameter and a dangling
    ``kms_key`` gets both problems in one pass. An item that is still broken without such
    fields (a required field failed) is left out whole. Returns the model, for each pruned
    section the original index of every kept item, and the ids of the items left out;
    ``None`` when the failure is not confined to list items.
    """
    import copy

    from archgen.model.schema import Model

    data = document.data
    pruned = copy.deepcopy(dict(data))
    broken: dict[str, set[int]] = {}
    errors = error.errors(include_url=False)
    for _ in range(_REPAIR_ROUNDS):
        for item in errors:
            loc = item["loc"]
            if len(loc) < 2 or not isinstance(loc[1], int):
                return None
            if not isinstance(data.get(loc[0]), list):
                return None
            section, index = str(loc[0]), loc[1]
            if index in broken.get(section, ()):
                continue
            if not _remove_field(pruned, loc, item["type"]):
                broken.setdefault(section, set()).add(index)
        try:
            model = Model.model_validate(_without(pruned, broken))
        except pydantic.ValidationError as again:
            errors = _reindexed(again.errors(include_url=False), pruned, broken)
            continue
        break
    else:
        return None
    kept = {
        section: [i for i in range(len(data[section])) if i not in indexes]
        for section, indexes in broken.items()
    }
    dropped = {
        str(data[section][i]["id"])
        for section, indexes in broken.items()
        for i in indexes
        if isinstance(data[section][i], dict) and "id" in data[section][i]
    }
    return model, kept, frozenset(dropped)


_REPAIR_ROUNDS = 8
"""Removing a field can reveal another problem (a required field it defaulted): a few rounds
settle every model met; a model that does not settle gets no semantic pass."""


def _remove_field(data: dict[str, Any], loc: tuple[int | str, ...], kind: str) -> bool:
    """Remove the failing field at ``loc`` from its item; False when the item itself must go
    (a required field is missing, or the failure is the item as a whole)."""
    if kind in ("missing", "union_tag_invalid", "union_tag_not_found"):
        return False
    section, index = str(loc[0]), loc[1]
    path, _, _ = _resolve(data[section][index], loc[2:], _item_class(section))
    # The innermost mapping key on the path: a bad list element takes its list with it.
    while path and not isinstance(path[-1], str):
        path = path[:-1]
    if not path or path[-1] in ("id", "kind"):
        return False
    parent: Any = data[section][index]
    for part in path[:-1]:
        present = part in parent if isinstance(parent, dict) else _has_index(parent, part)
        if not present:
            return True  # an enclosing field was set aside already (two errors inside it)
        parent = parent[part]
    if not isinstance(parent, dict):
        return False
    parent.pop(path[-1], None)  # gone already when another error removed it
    return True


def _has_index(value: Any, part: str | int) -> bool:
    return isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)


def _item_class(section: str) -> Any:
    from archgen.model.schema import Model

    return _item_annotation(Model.model_fields[section].annotation)


def _without(data: dict[str, Any], broken: dict[str, set[int]]) -> dict[str, Any]:
    result = dict(data)
    for section, indexes in broken.items():
        result[section] = [item for i, item in enumerate(data[section]) if i not in indexes]
    return result


def _reindexed(errors: list[Any], data: dict[str, Any], broken: dict[str, set[int]]) -> list[Any]:
    """``errors`` (of the model without the ``broken`` items) with the list indexes of the
    full document again, so the next round prunes the right items."""
    kept = {
        section: [i for i in range(len(data[section])) if i not in indexes]
        for section, indexes in broken.items()
    }
    result: list[Any] = []
    for item in errors:
        loc = item["loc"]
        if len(loc) >= 2 and isinstance(loc[1], int) and str(loc[0]) in kept:
            loc = (loc[0], kept[str(loc[0])][loc[1]], *loc[2:])
        result.append({**item, "loc": loc})
    return result


RENAMED_FIELDS = {"article_step": "story_step", "catalogue": "items"}
"""Fields of earlier schema versions → their new names, for a clear error on old models."""


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
        renamed = RENAMED_FIELDS.get(name)
        if renamed is not None and renamed in fields:
            message = f"unknown field '{name}': renamed, write '{renamed}'"
        elif not did_you_mean(name, fields) and fields:
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
    elif kind in _CONTAINER_TYPES:
        message = f"input should be {_EXPECTED[kind]}{_got(item.get('input'))}"
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
) -> tuple[PathKey, type[BaseModel] | None, tuple[tuple[PathKey, str], ...]]:
    """Map pydantic's ``loc`` onto the document's path, dropping union labels; find the
    schema class that owns the last component (for "did you mean" on unknown fields) and
    the non-discriminated unions the error went through."""
    path: list[str | int] = []
    current: Any = data
    annotation: Any = root
    owner: type[BaseModel] | None = root
    branches: list[tuple[PathKey, str]] = []
    for part in loc:
        if isinstance(part, str) and len(_members(annotation)) > 1:
            # pydantic labels the member of a union that an error comes from.
            selected = _select_member(annotation, part)
            if selected is None:
                branches.append((tuple(path), part))
                selected = _labelled_member(annotation, part)
            annotation = selected
            continue
        if isinstance(current, dict) and part in current:
            owner = _as_model(annotation)
            annotation = _field_annotation(annotation, str(part), current)
            path.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            annotation = _item_annotation(annotation)
            path.append(part)
            current = current[part]
        elif isinstance(part, str) and _looks_like_a_label(part):
            # A union whose annotation was not followed (e.g. behind a validator).
            branches.append((tuple(path), part))
            annotation = Any
        elif isinstance(current, dict) and isinstance(part, str):
            owner = _as_model(annotation)
            path.append(part)
            current = None
        else:
            path.append(part)
            current = None
    return tuple(path), owner, tuple(branches)


def _looks_like_a_label(part: str) -> bool:
    """pydantic's name for a union member; never a field name of the schema."""
    return "[" in part or part in _SCALAR_LABELS


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete alternatives of an annotation (Annotated, Optional and unions opened)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        for meta in annotation.__metadata__:
            if hasattr(meta, "members"):  # registry.KindUnion: the node classes of every kind
                return list(meta.members())
        return _unwrap(typing.get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        return [alt for arg in typing.get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


def _members(annotation: Any) -> list[Any]:
    """The members of a union (``None`` aside: pydantic makes ``X | None`` no union)."""
    return [alt for alt in _unwrap(annotation) if alt is not type(None)]


def _labelled_member(annotation: Any, label: str) -> Any:
    """The member pydantic names ``label``: ``str``, ``tuple[str, ...]``, a class name or
    ``function-after[…, Name]`` for a class with validators."""
    lowered = label.lower()
    for member in _members(annotation):
        if _is_model(member):
            if member.__name__.lower() in re.split(r"[\[\], ]+", lowered):
                return member
            continue
        origin = typing.get_origin(member) or member
        name = str(getattr(origin, "__name__", "") or getattr(origin, "_name", "")).lower()
        if name and (lowered == name or lowered.startswith(f"{name}[")):
            return member
    return Any


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
        elif typing.get_origin(alt) is dict and len(typing.get_args(alt)) == 2:
            return typing.get_args(alt)[1]
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
