"""The official AWS icon of every kind, taken from the diagrams (mingrammer) library.

Only the icon files are used: archgen writes the Graphviz source itself, so node ids are
stable and nothing is written to the working directory. Icons are named relative to
diagrams' ``resources/`` folder (``aws/compute/lambda.png``); :data:`RESOURCES` is passed
to Graphviz as its image path.
"""

from __future__ import annotations

import base64
import importlib
from functools import cache
from pathlib import Path

FALLBACK = ("diagrams.aws.general", "General")
"""For a kind a newer model knows and this table does not yet."""


@cache
def resources_dir() -> Path:
    """diagrams' icon folder (a top-level ``resources/`` beside the package)."""
    import diagrams

    return Path(diagrams.__file__).resolve().parent.parent / "resources"


@cache
def icon_path(kind: str) -> str:
    """The icon of ``kind``, relative to :func:`resources_dir` (e.g. ``aws/ml/sagemaker.png``).

    ``kind`` may also name a diagrams class itself, ``module:Class`` (a node's own icon,
    :attr:`archgen.renderers.views.ViewNode.icon`)."""
    from archgen.model.registry import kinds

    if ":" in kind:
        module, name = kind.split(":", 1)
    else:
        spec = kinds().get(kind)
        module, name = (spec.icon.module, spec.icon.name) if spec is not None else FALLBACK
    node_class = getattr(importlib.import_module(module), name)
    folder = str(node_class._icon_dir).removeprefix("resources/")
    return f"{folder}/{node_class._icon}"


@cache
def icon_data_uri(relative: str) -> str:
    """A ``data:`` URI of an icon, so a published SVG needs no file beside it."""
    path = (resources_dir() / relative).resolve()
    if not path.is_relative_to(resources_dir()) or path.suffix != ".png":
        raise ValueError(f"not an icon of diagrams' resources folder: {relative}")
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
