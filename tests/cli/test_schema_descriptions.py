"""Every key a user writes or reads is explained: the schemas ``archgen schema`` publishes
(the model's and each run/check artefact's) have a description for every property and every
definition, which editors show on hover and the site's reference pages print."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from archgen.commands.schema import schema_text
from archgen.runtime.artefacts import ARTEFACTS


def _undescribed(schema: Any, where: str) -> Iterator[str]:
    """Paths of properties and definitions whose description is missing or blank."""
    if isinstance(schema, dict):
        for name, spec in schema.get("properties", {}).items():
            if not str(spec.get("description", "")).strip():
                yield f"{where}.properties.{name}"
        for name, spec in schema.get("$defs", {}).items():
            if not str(spec.get("description", "")).strip():
                yield f"$defs.{name}"
        for key, value in schema.items():
            yield from _undescribed(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _undescribed(value, f"{where}[{index}]")


@pytest.mark.parametrize("artefact", ["model", *ARTEFACTS])
def test_every_schema_property_and_definition_has_a_description(artefact: str) -> None:
    schema = json.loads(schema_text(artefact))
    assert sorted(set(_undescribed(schema, "#"))) == []
    # The walk sees the whole schema: a model has hundreds of properties, an artefact tens.
    count = schema_text(artefact).count('"description"')
    assert count > (400 if artefact == "model" else 8)


def test_the_walk_finds_an_empty_description() -> None:
    schema = {
        "properties": {"a": {"type": "string", "description": " "}, "b": {"type": "integer"}},
        "$defs": {"C": {"properties": {"d": {"description": "ok"}}}},
    }
    assert sorted(_undescribed(schema, "#")) == ["#.properties.a", "#.properties.b", "$defs.C"]
