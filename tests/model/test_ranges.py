"""Every number of a model has a finite range a run can honour, and texts a bounded length.

The schema is walked as pydantic sees it, so a field added later without bounds fails here
instead of turning into a run that never ends.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import annotated_types
import pydantic
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from archgen.main import cli
from archgen.model.registry import KindUnion
from archgen.model.schema import Model


@dataclass(frozen=True)
class NumberField:
    """A numeric field (or dict value, or tuple item) somewhere in the schema."""

    where: str
    kind: type
    lower: Any
    lower_open: bool
    upper: Any
    upper_open: bool
    annotation: Any


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` (collecting its constraints) and ``Optional``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            base, *extra = typing.get_args(annotation)
            for item in extra:
                metadata = [*metadata, *(item.metadata if isinstance(item, FieldInfo) else [item])]
            annotation = base
        elif origin is Union or isinstance(annotation, types.UnionType):
            members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation, metadata
            annotation = members[0]
        else:
            return annotation, metadata


def _numbers(model: type[BaseModel], prefix: str, seen: set[type]) -> list[NumberField]:
    if model in seen:
        return []
    seen.add(model)
    found: list[NumberField] = []
    for name, info in model.model_fields.items():
        found += _walk(
            info.annotation, list(info.metadata), f"{prefix}{model.__name__}.{name}", seen
        )
    return found


def _walk(annotation: Any, metadata: list[Any], where: str, seen: set[type]) -> list[NumberField]:
    annotation, metadata = _unwrap(annotation, metadata)
    union = next((item for item in metadata if isinstance(item, KindUnion)), None)
    if union is not None:  # the nodes: one member per registered kind
        return [field for member in union.members() for field in _walk(member, [], where, seen)]
    origin = typing.get_origin(annotation)
    if annotation in (int, float):
        return [_field(annotation, metadata, where)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _numbers(annotation, "", seen)
    if origin is dict:
        _, value = typing.get_args(annotation)
        return _walk(value, [], f"{where}[*]", seen)
    if origin is tuple:
        return _walk(typing.get_args(annotation)[0], [], f"{where}[*]", seen)
    if origin is Union or isinstance(annotation, types.UnionType):
        members = typing.get_args(annotation)
        if str in members or any(typing.get_origin(m) is tuple for m in members):
            return []  # free values (IAM conditions, SNS filters): compared, never counted
        return [field for member in members for field in _walk(member, [], where, seen)]
    return []  # str, bool, enums, literals


def _field(kind: type, metadata: list[Any], where: str) -> NumberField:
    lower: Any = -math.inf
    upper: Any = math.inf
    lower_open = upper_open = False
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            lower, lower_open = item.ge, False
        elif isinstance(item, annotated_types.Gt):
            lower, lower_open = item.gt, True
        elif isinstance(item, annotated_types.Le):
            upper, upper_open = item.le, False
        elif isinstance(item, annotated_types.Lt):
            upper, upper_open = item.lt, True
    annotation = typing.Annotated[kind, *metadata] if metadata else kind
    return NumberField(where, kind, lower, lower_open, upper, upper_open, annotation)


NUMBERS = _numbers(Model, "", set())


def test_the_walk_finds_the_numbers_of_every_part() -> None:
    names = {field.where for field in NUMBERS}
    assert len(NUMBERS) >= 90
    for expected in (
        "Scenario.duration_s",
        "Scenario.scale",
        "Traffic.sessions_per_s",
        "Traffic.mix[*]",
        "Attack.sources",
        "LambdaParams.timeout_s",
        "Duration.mean_ms",
        "ClientLocation.latency_ms[*]",
        "Alarm.threshold",
    ):
        assert expected in names


@pytest.mark.parametrize("field", NUMBERS, ids=lambda field: field.where)
def test_every_number_has_a_finite_range(field: NumberField) -> None:
    assert math.isfinite(field.lower), f"{field.where} has no lower bound"
    assert math.isfinite(field.upper), f"{field.where} has no upper bound"
    assert field.lower < field.upper


@pytest.mark.parametrize("field", NUMBERS, ids=lambda field: field.where)
def test_the_bounds_are_enforced_and_a_closed_bound_is_accepted(field: NumberField) -> None:
    adapter = TypeAdapter(field.annotation)
    for bound, open_ in ((field.lower, field.lower_open), (field.upper, field.upper_open)):
        value = field.kind(bound)
        if open_:
            with pytest.raises(pydantic.ValidationError):
                adapter.validate_python(value)
        else:
            assert adapter.validate_python(value) == value
    below = field.lower - max(1.0, abs(field.lower))
    above = field.upper + max(1.0, abs(field.upper))
    for outside in (below, above):
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_python(field.kind(outside))


def _inside(field: NumberField) -> st.SearchStrategy[float | int]:
    if field.kind is int:
        low = int(field.lower) + (1 if field.lower_open else 0)
        high = int(field.upper) - (1 if field.upper_open else 0)
        return st.integers(min_value=low, max_value=high)
    return st.floats(
        min_value=field.lower,
        max_value=field.upper,
        exclude_min=field.lower_open,
        exclude_max=field.upper_open,
        allow_nan=False,
        allow_infinity=False,
    )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NUMBERS).flatmap(lambda f: st.tuples(st.just(f), _inside(f))))
def test_any_value_in_range_is_accepted(case: tuple[NumberField, float | int]) -> None:
    field, value = case
    assert TypeAdapter(field.annotation).validate_python(value) == value


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize(
    "field",
    [field for field in NUMBERS if field.kind is float],
    ids=lambda field: field.where,
)
def test_no_float_takes_a_non_finite_value(field: NumberField, value: float) -> None:
    with pytest.raises(pydantic.ValidationError):
        TypeAdapter(field.annotation).validate_python(value)


def test_a_model_refuses_non_finite_numbers_given_as_python_values() -> None:
    # The loader refuses .inf and .nan first; the schema refuses them too (JSON, Python).
    with pytest.raises(pydantic.ValidationError, match="finite number"):
        Model.model_validate(
            {
                "system": {"id": "s", "name": "S"},
                "nodes": [{"id": "n", "kind": "client", "params": {"timeout_ms": math.inf}}],
            }
        )


# --------------------------------------------------------------------------- texts


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_a_100_000_character_label_is_refused_at_validation(tmp_path: Path) -> None:
    model = tmp_path / "label.yaml"
    model.write_text(
        "system: {id: shop, name: Shop}\n"
        "nodes:\n"
        f"  - {{id: web, kind: ec2, label: {'x' * 100_000}}}\n",
        encoding="utf-8",
    )
    code, out, err = _run(["validate", str(model)])
    assert (code, out) == (2, "")
    assert err == (
        f"error: {model}:3:33: nodes[0].label: string should have at most 200 characters "
        "(got 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...)\n"
    )


def test_a_long_description_is_refused_and_a_long_enough_one_kept(tmp_path: Path) -> None:
    model = tmp_path / "text.yaml"
    text = "system: {{id: shop, name: Shop, description: {}}}\nnodes: [{{id: a, kind: client}}]\n"
    model.write_text(text.format("d" * 10_000), encoding="utf-8")
    assert _run(["validate", "-q", str(model)]) == (0, "", "")
    model.write_text(text.format("d" * 10_001), encoding="utf-8")
    code, _, err = _run(["validate", str(model)])
    assert code == 2
    assert "system.description: string should have at most 10000 characters" in err
