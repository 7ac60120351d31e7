"""Renderers: views computed from the model, then one plug-in renderer per format.

``render_view(model, view, fmt)`` is the convenience most callers need; renderers are
loaded through the ``archgen.renderers`` entry points (see :mod:`.registry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archgen.model.schema import Model
    from archgen.renderers.views import ComputedView


def render_view(model: Model, view: ComputedView | str, fmt: str) -> bytes:
    """``view`` (or the view with that id) drawn as ``fmt``: svg, png, mermaid or dot."""
    from archgen.renderers.registry import renderer_for_format
    from archgen.renderers.views import compute_view

    computed = compute_view(model, view) if isinstance(view, str) else view
    data: bytes = renderer_for_format(fmt).render(model, computed, fmt)
    return data


__all__ = ["render_view"]
