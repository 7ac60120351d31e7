"""The kinds archgen knows: found through the entry-point group ``archgen.kinds``.

Every entry point names one :class:`~archgen.model.kind.KindSpec` (``name = "pkg.mod:SPEC"``,
the entry point's name being the kind's name). Built-in kinds are registered in archgen's
own ``pyproject.toml`` exactly like a third-party package's; kinds sort by their spec's
``order`` (the built-ins' catalogue order: reference page, JSON Schema ``oneOf``), then by
name; setuptools sorts ``entry_points.txt`` alphabetically, so file order means nothing.

Discovery is lazy: nothing is read until the first call of :func:`kinds` (which
``archgen.model.schema`` makes when it builds ``Model``), so ``archgen --help`` pays
nothing. :func:`refresh` re-discovers (a package installed at run time, a test adding a
``*.dist-info`` to ``sys.path``) and rebuilds ``Model``'s validator and JSON Schema.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from archgen.model.errors import SetupError
from archgen.model.kind import (
    FIELD_CAPABILITIES,
    Capability,
    KindParams,
    KindSpec,
    Node,
    StartsSessions,
)

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema

GROUP = "archgen.kinds"
OWN_DISTRIBUTION = "archgen"

_specs: dict[str, KindSpec] | None = None
_extra: dict[str, KindSpec] = {}


class KindError(SetupError):
    """A kind declaration that archgen cannot use (a plug-in's bug, not the user's)."""


def kinds() -> Mapping[str, KindSpec]:
    """Kind name → spec, built-ins first in catalogue order."""
    global _specs  # noqa: PLW0603 - one registry per process, filled lazily
    if _specs is None:
        _specs = _discover()
    return MappingProxyType(_specs)


def spec(name: str) -> KindSpec:
    return kinds()[name]


def names() -> tuple[str, ...]:
    return tuple(kinds())


def with_capability(capability: Capability) -> tuple[str, ...]:
    """The kinds that declare ``capability``, in catalogue order."""
    return tuple(name for name, one in kinds().items() if one.has(capability))


def has(node_kind: str, capability: Capability) -> bool:
    """Whether ``node_kind`` declares ``capability`` (False for a kind nobody registered)."""
    found = kinds().get(node_kind)
    return found is not None and found.has(capability)


def entry_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points as found

    own: list[EntryPoint] = []
    others: list[EntryPoint] = []
    for ep in found(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else ""
        (own if dist == OWN_DISTRIBUTION else others).append(ep)
    return own + others  # our own win a name clash


def _discover() -> dict[str, KindSpec]:
    specs: dict[str, KindSpec] = {}
    for ep in entry_points():
        if ep.name in specs:  # the same name in two distributions: first on sys.path wins
            continue
        specs[ep.name] = check(ep.load(), ep.name, ep.value)
    for name, extra in _extra.items():
        specs[name] = extra
    return dict(sorted(specs.items(), key=lambda item: (item[1].order, item[0])))


def check(obj: object, name: str, where: str) -> KindSpec:
    """The spec an entry point names, or a :class:`KindError` saying what is wrong."""
    if not isinstance(obj, KindSpec):
        raise KindError(f"{GROUP} entry point {name} = {where}: not a KindSpec")
    if obj.name != name:
        raise KindError(f"{GROUP} entry point {name} = {where}: declares kind '{obj.name}'")
    if not (isinstance(obj.params, type) and issubclass(obj.params, KindParams)):
        raise KindError(f"kind '{name}': params must subclass archgen.model.kind.KindParams")
    for capability in FIELD_CAPABILITIES:
        if issubclass(obj.params, capability):
            fields: tuple[str, ...] = getattr(capability, "FIELDS", ())
            missing = [f for f in fields if f not in obj.params.model_fields]
            if missing:
                raise KindError(
                    f"kind '{name}': {capability.__name__} needs params field(s) {missing}"
                )
    if obj.has(Capability.traffic_source) and not issubclass(obj.params, StartsSessions):
        raise KindError(
            f"kind '{name}': a traffic_source kind's params need the StartsSessions mixin"
        )
    return obj


def register(*specs: KindSpec) -> None:
    """Add kinds programmatically (what an entry point does, without a distribution)."""
    for one in specs:
        _extra[one.name] = check(one, one.name, "register()")
    refresh()


def unregister(*names_: str) -> None:
    for name in names_:
        _extra.pop(name, None)
    refresh()


def refresh() -> None:
    """Forget what was discovered; rebuild ``Model`` if it exists already."""
    global _specs  # noqa: PLW0603
    _specs = None
    schema = sys.modules.get("archgen.model.schema")
    if schema is not None:
        schema.Model.model_rebuild(force=True)


def node_classes() -> Iterable[type[Node]]:
    return (one.node_class for one in kinds().values())


class KindUnion:
    """``Annotated[Node, KindUnion()]``: a node of any registered kind, discriminated on
    ``kind`` (pydantic's tagged union: the same errors and the same JSON Schema ``oneOf``
    with a ``discriminator`` as a static ``Union`` of the node classes)."""

    def members(self) -> list[type[Node]]:
        """The node classes, for :mod:`archgen.model.structure`'s error paths."""
        return list(node_classes())

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        from pydantic_core import core_schema

        choices: dict[Any, CoreSchema] = {
            name: handler.generate_schema(one.node_class) for name, one in kinds().items()
        }
        return core_schema.tagged_union_schema(choices, discriminator="kind")

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema)
