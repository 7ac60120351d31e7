"""One behavior module per node kind; importing a module registers its kind.

``load_registry()`` imports every module of this package (so a new module is picked up
without editing this file) and returns kind → behavior class. A run refuses a model with a
kind that has no behavior, listing the kinds available.
"""

from __future__ import annotations

import importlib
import pkgutil

from archgen.runtime.behavior import BEHAVIORS, Behavior


def load_registry() -> dict[str, type[Behavior]]:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
    return dict(BEHAVIORS)
