"""An imported model that fails validation, told at the input's resources.

The importer writes a model and validates it before writing it anywhere; a problem found
then (a template's ``MemorySize: 99999`` is over Lambda's limit) would point at a line of a
model the user never sees. Each problem of a node (or of an edge, at its source node) is
moved to the resource it came from: the key of the property whose value the param holds
when the input writes that value once, else the resource's logical id or address.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import yaml

from archgen.model.errors import ModelError, Problem

if TYPE_CHECKING:
    from archgen.model.importers.cloudformation import Imported, Origin

_STEP = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_OWNER = re.compile(r"^(nodes|edges)\[(\d+)\]")


def at_the_input(error: ModelError, imported: Imported, input_file: str) -> ModelError:
    """``error`` with each problem it can trace to a resource at that resource in
    ``input_file``; the others as they were."""
    data = yaml.safe_load(imported.text)
    origins = {origin.node: origin for origin in imported.origins}
    return ModelError(_moved(problem, data, origins, input_file) for problem in error.problems)


def _moved(problem: Problem, data: object, origins: dict[str, Origin], file: str) -> Problem:
    owner = _OWNER.match(problem.path)
    if owner is None:
        return problem
    table, index = owner.groups()
    item = _at(data, f"{table}[{index}]")
    node = item.get("id" if table == "nodes" else "from") if isinstance(item, dict) else None
    origin = origins.get(node) if isinstance(node, str) else None
    if origin is None:
        return problem
    line, column = origin.line, origin.column
    value = _at(data, problem.path)
    if isinstance(value, bool | int | float | str):
        text = str(value).lower()
        found = [(at_line, at_column) for v, at_line, at_column in origin.values if v == text]
        line, column = found[0] if found else (line, column)
    return Problem(file, line, column, f"{origin.label} → {problem.path}", problem.message)


def _at(data: object, path: str) -> object:
    """The value at ``path`` (``nodes[2].params.memory_mb``) in ``data``; None if absent."""
    for index, key in _STEP.findall(path):
        if index and isinstance(data, list) and int(index) < len(data):
            data = data[int(index)]
        elif key and isinstance(data, dict):
            data = data.get(key)
        else:
            return None
    return data
