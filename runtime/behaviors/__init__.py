"""Behaviors of the kinds: each kind's spec names its behavior as ``"module:Class"``.

``load_registry()`` imports the behavior of every registered kind (built-in or from an
``archgen.kinds`` entry point) and returns kind → behavior class. A kind without a
behavior is left out; a run refuses a model with such a kind, listing the kinds available.
"""

from __future__ import annotations

import importlib

from archgen.model.errors import SetupError
from archgen.model.registry import kinds
from archgen.runtime.behavior import BEHAVIORS, Behavior


class BehaviorError(SetupError):
    """A kind's ``behavior`` that does not name a Behavior subclass (a plug-in's bug)."""


def resolve(ref: str) -> type[Behavior]:
    module, _, name = ref.partition(":")
    found = getattr(importlib.import_module(module), name, None)
    if not (isinstance(found, type) and issubclass(found, Behavior)):
        raise BehaviorError(f"{ref} is not a subclass of archgen.runtime.behavior.Behavior")
    return found


def load_registry() -> dict[str, type[Behavior]]:
    registry: dict[str, type[Behavior]] = {}
    for name, spec in kinds().items():
        if spec.behavior is not None:
            registry[name] = resolve(spec.behavior)
        elif name in BEHAVIORS:  # @register("kind"): the old way, kept while migrating
            registry[name] = BEHAVIORS[name]
    return registry
