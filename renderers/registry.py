"""Renderers are plug-ins of the entry-point group ``archgen.renderers``.

The built-ins are registered in archgen's own pyproject, so they load exactly like a
third-party renderer. Each renderer class declares what the CLI needs to know: its
``formats``, its ``position`` among the others (entry points have no order), and whether it
``needs_dot`` (Graphviz's ``dot`` on PATH). The set of formats is therefore only known by
loading the renderer classes; their modules import nothing heavy at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from archgen.model.errors import SetupError, did_you_mean

GROUP = "archgen.renderers"


class UnknownRenderer(SetupError):  # noqa: N818 - the name plug-in authors know
    """No installed renderer of that name or format, or a plug-in that cannot be loaded."""


@dataclass(frozen=True)
class FormatInfo:
    """One output format: the renderer that makes it and whether that needs Graphviz."""

    name: str
    renderer: str
    needs_dot: bool


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {point.name: point for point in entry_points(group=GROUP)}


def available_renderers() -> list[str]:
    return sorted(_entry_points())


@cache
def _renderer_class(name: str) -> Any:
    points = _entry_points()
    if name not in points:
        raise UnknownRenderer(
            f"unknown renderer '{name}'{did_you_mean(name, points)}; "
            f"available: {', '.join(sorted(points)) or 'none'}"
        )
    try:
        return points[name].load()
    except Exception as error:  # a broken plug-in is a bad environment, not a crash
        raise UnknownRenderer(
            f"renderer plug-in '{name}' ({points[name].value}) cannot be loaded: {error}"
        ) from None


@cache
def get_renderer(name: str) -> Any:
    """An instance of the renderer registered as ``name``."""
    return _renderer_class(name)()


@cache
def format_table() -> dict[str, FormatInfo]:
    """Every format, in the order the renderers declare (``position``, then name). When two
    renderers make one format, the first in that order makes it."""
    classes = {name: _renderer_class(name) for name in _entry_points()}
    order = sorted(classes, key=lambda name: (getattr(classes[name], "position", 100), name))
    table: dict[str, FormatInfo] = {}
    for name in order:
        cls = classes[name]
        for fmt in cls.formats:
            if fmt not in table:
                table[fmt] = FormatInfo(fmt, name, bool(getattr(cls, "needs_dot", False)))
    return table


def available_formats() -> list[str]:
    """Every format some renderer makes, in the renderers' order."""
    return list(format_table())


def dot_formats() -> frozenset[str]:
    """The formats whose renderer needs Graphviz's ``dot``."""
    return frozenset(fmt for fmt, info in format_table().items() if info.needs_dot)


def renderer_for_format(fmt: str) -> Any:
    table = format_table()
    if fmt not in table:
        raise UnknownRenderer(f"no renderer makes '{fmt}'{did_you_mean(fmt, table)}")
    return get_renderer(table[fmt].renderer)


def refresh() -> None:
    """Forget what was discovered: after a plug-in was installed (or a test registered one)."""
    for cached in (_entry_points, _renderer_class, get_renderer, format_table):
        cached.cache_clear()
