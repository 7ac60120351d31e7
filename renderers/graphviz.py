"""The ``diagrams`` renderer: PNG and SVG with diagrams' official AWS icons.

The SVG is made self-contained: Graphviz writes icon file paths, which are replaced by
``data:`` URIs, so the file shows its icons anywhere (also as an ``<img>`` on a web page)
and carries no path of this machine.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from archgen.renderers.base import Renderer
from archgen.renderers.dot import LAYOUT_REVISION, dot_source
from archgen.renderers.icons import icon_data_uri, icon_path, resources_dir
from archgen.renderers.layout import dot_program, graphviz_version, run_dot

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.renderers.views import ComputedView

_IMAGE_HREF = re.compile(rb'xlink:href="([^"]+)"')


def inline_icons(svg: bytes) -> bytes:
    """Replace every icon reference of a Graphviz SVG by the icon itself."""

    def replace(match: re.Match[bytes]) -> bytes:
        target = match.group(1).decode("utf-8")
        if target.startswith(("data:", "#", "http:", "https:")):
            return match.group(0)
        root = str(resources_dir()) + "/"
        relative = target.removeprefix(root)
        return b'xlink:href="' + icon_data_uri(relative).encode("ascii") + b'"'

    return _IMAGE_HREF.sub(replace, svg)


class DiagramsRenderer(Renderer):
    name: ClassVar[str] = "diagrams"
    formats: ClassVar[tuple[str, ...]] = ("svg", "png")
    position: ClassVar[int] = 10
    needs_dot: ClassVar[bool] = True

    @cached_property
    def version(self) -> str:
        from importlib.metadata import version

        return (
            f"{super().version}; layout {LAYOUT_REVISION}; diagrams {version('diagrams')}; "
            f"{graphviz_version(dot_program())}"
        )

    def render(self, model: Model, view: ComputedView, fmt: str) -> bytes:
        self.check_format(fmt)
        drawn = run_dot(dot_source(view, icon_path), fmt, str(resources_dir()))
        return inline_icons(drawn) if fmt == "svg" else drawn
