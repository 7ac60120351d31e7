"""Renderers are plug-ins of the entry-point group ``archgen.renderers``.

The built-ins are registered in archgen's own pyproject, so they load exactly like a
third-party renderer; only the renderers asked for are imported.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import click

from archgen.model.errors import did_you_mean

GROUP = "archgen.renderers"

DEFAULT_FOR_FORMAT = {"svg": "diagrams", "png": "diagrams", "mermaid": "mermaid", "dot": "dot"}
"""Which renderer makes each format by default (no renderer is imported to know it)."""


class UnknownRenderer(click.ClickException):
    exit_code = 2


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=GROUP)}


def available_renderers() -> list[str]:
    return sorted(_entry_points())


@cache
def get_renderer(name: str) -> Any:
    """An instance of the renderer registered as ``name``."""
    points = _entry_points()
    if name not in points:
        raise UnknownRenderer(
            f"unknown renderer '{name}'{did_you_mean(name, points)}; "
            f"available: {', '.join(sorted(points)) or 'none'}"
        )
    return points[name].load()()


def available_formats() -> list[str]:
    """Formats of the built-ins, without loading anything."""
    return list(DEFAULT_FOR_FORMAT)


def renderer_for_format(fmt: str) -> Any:
    name = DEFAULT_FOR_FORMAT.get(fmt)
    if name is not None:
        return get_renderer(name)
    for candidate in available_renderers():  # a third-party format: look further
        renderer = get_renderer(candidate)
        if fmt in renderer.formats:
            return renderer
    raise UnknownRenderer(f"no renderer makes '{fmt}'{did_you_mean(fmt, DEFAULT_FOR_FORMAT)}")
