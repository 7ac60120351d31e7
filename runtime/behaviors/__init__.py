"""One behavior module per node kind; importing a module registers its kind.

``load_registry()`` imports every module of this package (so a new module is picked up
without editing this file) and returns kind → behavior class. Kinds without a module of
their own fall back to :class:`~archgen.runtime.behaviors.generic.Generic` only if they are
listed in ``generic.FALLBACK_KINDS`` (the kinds another module is expected to implement);
any other missing kind is an error listing the kinds available.
"""

from __future__ import annotations

import importlib
import pkgutil

from archgen.runtime.behavior import BEHAVIORS, Behavior


def load_registry() -> dict[str, type[Behavior]]:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
    from archgen.runtime.behaviors.generic import FALLBACK_KINDS, Generic

    registry = dict(BEHAVIORS)
    for kind in FALLBACK_KINDS:
        registry.setdefault(kind, Generic)
    return registry
