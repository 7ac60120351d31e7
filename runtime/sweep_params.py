"""What a sweep varies: ``NODE.PARAM=V1,V2,…`` options, checked against the model before
anything runs, and the model of each configuration.

A parameter is addressed by the model's own ids: the node's id, then the path of the
param inside its ``params`` (``web.autoscaling.max_instances``). Node ids may hold dots,
so the node is the longest prefix that names one. Values are YAML scalars (``8``,
``0.5``, ``true``, ``c5.large``), checked by the kind's own pydantic params and then by
the whole model's rules, configuration by configuration: every problem is reported at
once, as ``error:`` lines, before the first run starts.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydantic
import yaml
from pydantic import BaseModel

from archgen.model import LoadedModel
from archgen.model.errors import ModelError, Problem, did_you_mean
from archgen.model.load import document_data, revalidate
from archgen.model.loader import format_path
from archgen.model.registry import spec

OPTION = "--vary"

Value = int | float | str | bool | None


@dataclass(frozen=True)
class Knob:
    """One varied parameter: a node, the path of a param in its ``params``, the values."""

    name: str
    """As the user wrote it: ``NODE.PARAM``."""
    node: str
    path: tuple[str, ...]
    values: tuple[Value, ...]


Configuration = tuple[tuple[str, Value], ...]
"""One value per knob, as ``(knob name, value)`` pairs in the order the knobs were given."""


def configurations(knobs: Sequence[Knob]) -> list[Configuration]:
    """The cross product of the knobs' values, the first knob varying slowest."""
    names = [knob.name for knob in knobs]
    return [
        tuple(zip(names, values, strict=True))
        for values in itertools.product(*(knob.values for knob in knobs))
    ]


def configuration_key(configuration: Configuration) -> str:
    """Canonical text of a configuration (part of each run's content hash)."""
    return json.dumps([[name, value] for name, value in configuration], sort_keys=True)


def parse_knobs(loaded: LoadedModel, specs: Sequence[str]) -> list[Knob]:
    """The ``--vary`` options as knobs; every malformed or unknown one at once
    (:class:`ModelError`)."""
    problems: list[Problem] = []
    knobs: list[Knob] = []
    seen: set[str] = set()
    for text in specs:
        knob = _parse_one(loaded, text, problems)
        if knob is None:
            continue
        if knob.name in seen:
            problems.append(_option_problem(f"{knob.name}: given twice; list its values once"))
            continue
        seen.add(knob.name)
        knobs.append(knob)
    for knob in knobs:
        problems += _value_problems(loaded, knob)
    if problems:
        raise ModelError(problems)
    return knobs


def _option_problem(message: str) -> Problem:
    return Problem(OPTION, 0, 0, "", message)


def _parse_one(loaded: LoadedModel, text: str, problems: list[Problem]) -> Knob | None:
    name, equals, listed = text.partition("=")
    name = name.strip()
    if not equals or not name or not listed.strip():
        problems.append(
            _option_problem(f"'{text}': expected NODE.PARAM=V1,V2,… (e.g. web.memory_mb=512,1024)")
        )
        return None
    model = loaded.model
    node_id = next(
        (
            candidate
            for cut in range(name.count("."), 0, -1)
            if (candidate := name.rsplit(".", cut)[0]) in model.nodes_by_id
        ),
        None,
    )
    if node_id is None:
        head = name.split(".", 1)[0]
        problems.append(
            _option_problem(
                f"{name}: no node '{head}' in the model{did_you_mean(head, model.nodes_by_id)}"
            )
        )
        return None
    path = tuple(name[len(node_id) + 1 :].split("."))
    if not all(path):
        problems.append(_option_problem(f"{name}: expected NODE.PARAM after the node's id"))
        return None
    node = model.nodes_by_id[node_id]
    unknown = _unknown_param(spec(node.kind).params, path, f"kind {node.kind}")
    if unknown is not None:
        problems.append(_node_problem(loaded, node_id, f"{OPTION} {name}: {unknown}"))
        return None
    values = tuple(_scalar(item.strip()) for item in listed.split(","))
    if any(item.strip() == "" for item in listed.split(",")):
        problems.append(_option_problem(f"{name}: an empty value in '{listed}'"))
        return None
    return Knob(name, node_id, path, values)


def _scalar(text: str) -> Value:
    """A value as YAML reads it (``8`` → 8, ``true`` → True), else the text itself."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, int | float | str | bool) or value is None else text


def _unknown_param(params: type[BaseModel], path: tuple[str, ...], kind: str) -> str | None:
    """Why ``path`` names no param of ``params`` (None when it does, or when it enters a
    free-form mapping, whose keys the kind's validation judges)."""
    model: type[BaseModel] | None = params
    for depth, part in enumerate(path):
        if model is None:
            return None
        fields = model.model_fields
        if part not in fields:
            where = ".".join(path[:depth]) or kind
            names = sorted(fields)
            return (
                f"'{part}' is not a param of {where}{did_you_mean(part, names)}; it has: "
                + ", ".join(names)
            )
        model = _model_of(fields[part].annotation)
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (``X`` or ``X | None``), else None."""
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _node_index(loaded: LoadedModel, node_id: str) -> int:
    return next(i for i, node in enumerate(loaded.model.nodes) if node.id == node_id)


def _node_problem(loaded: LoadedModel, node_id: str, message: str) -> Problem:
    path = ("nodes", _node_index(loaded, node_id), "params")
    mark = loaded.positions.key(path)
    return Problem(loaded.source, mark.line, mark.column, format_path(path), message)


def _raw_params(data: Any, index: int) -> dict[str, Any]:
    node = data["nodes"][index]
    params = node.get("params")
    if params is None:
        params = node["params"] = {}
    return params  # type: ignore[no-any-return]


def _set(params: dict[str, Any], path: tuple[str, ...], value: Value) -> None:
    for part in path[:-1]:
        inner = params.get(part)
        if not isinstance(inner, dict):
            inner = params[part] = {}
        params = inner
    params[path[-1]] = value


def _value_problems(loaded: LoadedModel, knob: Knob) -> list[Problem]:
    """Each value of ``knob`` that the kind's params refuse, with the kind's own message."""
    index = _node_index(loaded, knob.node)
    params_class = spec(loaded.model.nodes_by_id[knob.node].kind).params
    data = document_data(loaded)
    problems = []
    for value in knob.values:
        params = copy.deepcopy(_raw_params(copy.deepcopy(data), index))
        _set(params, knob.path, value)
        try:
            params_class.model_validate(params)
        except pydantic.ValidationError as error:
            for detail in error.errors():
                where = ".".join(str(part) for part in detail["loc"])
                problems.append(
                    _node_problem(
                        loaded,
                        knob.node,
                        f"{OPTION} {knob.name}={value}: params.{where}: "
                        + detail["msg"].removeprefix("Value error, "),
                    )
                )
    return problems


def configured(loaded: LoadedModel, knobs: Sequence[Knob], values: Configuration) -> LoadedModel:
    """The model with ``values`` set, validated as a file would be (its problems positioned
    in the original file); the model itself without values."""
    if not values:
        return loaded
    data = document_data(loaded)
    by_name = {knob.name: knob for knob in knobs}
    for name, value in values:
        knob = by_name[name]
        _set(_raw_params(data, _node_index(loaded, knob.node)), knob.path, value)
    return revalidate(loaded, data)


def check_configurations(
    loaded: LoadedModel, knobs: Sequence[Knob], chosen: Sequence[Configuration]
) -> None:
    """Refuse (one :class:`ModelError`, every problem) any configuration the model's
    rules refuse as a whole (``min_instances`` above a swept ``max_instances``…)."""
    problems: list[Problem] = []
    for values in chosen:
        try:
            configured(loaded, knobs, values)
        except ModelError as error:
            shown = ", ".join(f"{name}={value}" for name, value in values)
            problems += [
                Problem(p.file, p.line, p.column, p.path, f"with {shown}: {p.message}")
                for p in error.problems
            ]
    if problems:
        raise ModelError(problems)
