"""A model with a script-injection payload in every free-text field, made from the schema.

The fields are found by walking the JSON Schema (a string with no ``pattern``, ``enum``,
``const`` or ``format`` is free text), so a field added to the schema later is planted
too. Ids are restricted by their pattern and stay as they are. Equal strings get equal
payloads, so an edge's operation and the flow step that names it still match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

BASE_MODEL = Path(__file__).parent / "models" / "telemetry.yaml"

MARK = "quokka"
"""A word in every payload: what the browser test types into the search box."""

PAYLOADS = (
    f'{MARK} <img src=x onerror="window.__xss=1">',
    f"{MARK} <script>window.__xss=1</script>",
    f'{MARK} "><svg onload=window.__xss=1>',
    f"{MARK} [go](javascript:window.__xss=1) <a href=javascript:window.__xss=1>a</a>",
    f"{MARK} {{{{ 7*7 }}}} {{% if 1 %}}j{{% endif %}} ${{7*7}}",
    f"{MARK} </title><script>window.__xss=1</script>",
    f"{MARK} R&D <team> &amp; 'q' *b* | `c` # %}} \\",
)
"""Raw HTML (tags, attributes, a closing ``</title>``), Markdown links to ``javascript:``,
template syntax that must show literally, and characters that must not be escaped twice."""

RAW = ("<img src=x", "<script>window.__xss", "<svg onload", "<a href=javascript", "</title><script")
"""Payload fragments that must never appear unescaped in a built file."""

NOT_FREE_TEXT = {
    "Step.when": "a condition the target's kind decides",
}
"""Strings the schema leaves free but the model's rules constrain (definition.field)."""

OPERATION_FIELDS = {"Edge.operations", "Step.op", "EndToEnd.op"}
"""Operation names: free text for the kinds whose operations the model names (an HTTP
route, SQL), an AWS API's own name otherwise, which validation holds to the service's."""


def payload_model_text() -> str:
    """The base model with every free-text field planted, as YAML."""
    from archgen.model import load_model

    model = load_model(BASE_MODEL).model
    schema = type(model).model_json_schema(by_alias=True)
    planter = _Planter(schema)
    planted = planter.plant(model)
    data = planted.model_dump(mode="json", by_alias=True, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)


class _Planter:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.by_original: dict[str, str] = {}
        self.count = 0
        self.planted: list[str] = []
        """Declaring class.field of every planted field (``NodeBase.label``)."""
        self.planted_in: set[str] = set()
        """Schema definition.field of every planted field (``AlbNode.label``)."""

    def mark(self, original: str, limit: int, where: str = "") -> str:
        """``original`` and a payload (the next in turn that fits in ``limit`` characters);
        an AWS service's operation name stays as it is."""
        if where in OPERATION_FIELDS and original in _aws_operations():
            return original
        if original in self.by_original:
            return self.by_original[original]
        turn = [PAYLOADS[(self.count + i) % len(PAYLOADS)] for i in range(len(PAYLOADS))]
        self.count += 1
        candidates = [f"{original} {p}" if original else p for p in turn] + turn
        result = next(c for c in candidates if len(c) <= limit)
        if original:
            self.by_original[original] = result
        return result

    def spec_of(self, obj: BaseModel) -> dict[str, Any]:
        name = type(obj).__name__
        if name == self.schema.get("title"):
            return self.schema
        spec: dict[str, Any] = self.defs.get(name, {})
        return spec

    def plant(self, obj: BaseModel) -> BaseModel:
        spec = self.spec_of(obj)
        properties = spec.get("properties", {})
        updates: dict[str, Any] = {}
        for name, field in type(obj).model_fields.items():
            key = field.alias or name
            value = getattr(obj, name)
            where = f"{_owner(type(obj), name)}.{key}"
            prop = properties.get(key, {})
            # An absent optional string (None) stays absent: setting it changes meaning.
            if where not in NOT_FREE_TEXT and _free_text(prop) and isinstance(value, str):
                updates[name] = self.mark(value, _limit(prop), where)
                self.planted.append(where)
                self.planted_in.add(f"{type(obj).__name__}.{key}")
            elif where not in NOT_FREE_TEXT and _free_text_items(prop) and _strings(value):
                updates[name] = type(value)(self.mark(item, _limit(prop), where) for item in value)
                self.planted.append(where)
                self.planted_in.add(f"{type(obj).__name__}.{key}")
            else:
                updates[name] = self.walk(value)
        return obj.model_copy(update=updates)

    def walk(self, value: Any) -> Any:
        if isinstance(value, BaseModel):
            return self.plant(value)
        if isinstance(value, tuple | list):
            return type(value)(self.walk(item) for item in value)
        if isinstance(value, dict):
            return {key: self.walk(item) for key, item in value.items()}
        return value


def _aws_operations() -> frozenset[str]:
    """Every operation name of an AWS service kind (:class:`archgen.model.kind.Operations`)."""
    from archgen.model.registry import kinds

    return frozenset(
        name for spec in kinds().values() if spec.operations for name in spec.operations.names
    )


def _owner(cls: type[BaseModel], name: str) -> str:
    """The class that declares the field (``NodeBase`` for every node kind's ``label``)."""
    for base in reversed(cls.__mro__):
        if isinstance(base, type) and name in getattr(base, "__annotations__", {}):
            return base.__name__
    return cls.__name__


def _free_text(spec: dict[str, Any]) -> bool:
    if spec.get("type") == "string":
        return not any(key in spec for key in ("pattern", "enum", "const", "format"))
    return any(_free_text(option) for option in spec.get("anyOf", ()))


def _limit(spec: dict[str, Any]) -> int:
    """The shortest ``maxLength`` of the string (or its items) the schema allows."""
    limits = [_limit(part) for part in (*spec.get("anyOf", ()), spec.get("items", {})) if part]
    return min([int(spec.get("maxLength", 10_000)), *limits])


def _free_text_items(spec: dict[str, Any]) -> bool:
    if spec.get("type") == "array":
        return _free_text(spec.get("items", {}))
    return any(_free_text_items(option) for option in spec.get("anyOf", ()))


def _strings(value: Any) -> bool:
    return isinstance(value, tuple | list) and all(isinstance(item, str) for item in value)
