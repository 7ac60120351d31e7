"""Every built-in kind is one declaration: a module of its own under ``model/kinds/``,
registered as an ``archgen.kinds`` entry point, whose params say what each field means."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from archgen.model import registry
from archgen.model.kind import KindSpec

KINDS_DIR = Path(__file__).parents[2] / "model" / "kinds"


def _own_models(spec: KindSpec) -> list[type[BaseModel]]:
    """The params class and the models nested in it that the kind's module declares
    (shared models such as ``Duration`` or IAM's ``PolicyDocument`` are described where
    they are declared)."""
    found: list[type[BaseModel]] = []

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found and annotation.__module__ == spec.params.__module__:
                found.append(annotation)
                for info in annotation.model_fields.values():
                    visit(info.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(spec.params)
    return found


def test_every_params_field_has_a_description() -> None:
    missing = [
        f"{spec.name}: {model.__name__}.{name}"
        for spec in registry.kinds().values()
        for model in _own_models(spec)
        for name, info in model.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert missing == []


def test_the_walk_sees_nested_models() -> None:
    models = {m.__name__ for spec in registry.kinds().values() for m in _own_models(spec)}
    assert {"DnsRecord", "AutoScaling", "LambdaEventSource", "Alarm", "AlarmAction"} <= models


def test_one_module_per_built_in_kind() -> None:
    built_in = {
        ep.name: ep.value
        for ep in registry.entry_points()
        if ep.dist is not None and ep.dist.name == registry.OWN_DISTRIBUTION
    }
    assert len(built_in) == 18
    for name, value in built_in.items():
        module = value.removesuffix(":SPEC")
        assert module == f"archgen.model.kinds.{name}" + ("_" if name == "lambda" else "")
        assert (KINDS_DIR / f"{module.rsplit('.', 1)[1]}.py").is_file()
    modules = {p.stem for p in KINDS_DIR.glob("*.py")} - {"__init__"}
    assert modules == {value.removesuffix(":SPEC").rsplit(".", 1)[1] for value in built_in.values()}
