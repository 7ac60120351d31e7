"""The diagrams the site shows: the renderers' views plus one per node and one per group.

Node and group diagrams are ordinary declared views (``ViewSpec``) added to a copy of the
model, so the renderers draw them exactly like the views a model declares. Each SVG is
cached under a hash of its computed view and the renderer's version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial

from archgen.model.schema import Model, ViewSpec
from archgen.renderers.views import ComputedView, compute_views
from archgen.site.cache import Cache, archgen_version, content_key


def node_spec_id(node_id: str) -> str:
    return f"site.node.{node_id}"


def group_spec_id(group_id: str) -> str:
    return f"site.group.{group_id}"


def node_view_id(node_id: str) -> str:
    return f"view-{node_spec_id(node_id)}"


def group_view_id(group_id: str) -> str:
    return f"view-{group_spec_id(group_id)}"


def _neighbours(model: Model, node_id: str) -> tuple[str, ...]:
    around = {node_id}
    for edge in model.edges:
        if node_id in edge.key:
            around.update(edge.key)
    return tuple(sorted(around))


def _site_specs(model: Model) -> Iterable[ViewSpec]:
    # model_construct: the ids are derived from valid ids but may exceed the 64-character
    # limit of hand-written ones; they never reach a model file.
    for node in model.nodes:
        yield ViewSpec.model_construct(
            id=node_spec_id(node.id),
            title=f"{node.title} and its neighbours",
            description="",
            include_ids=_neighbours(model, node.id),
            include_tags=(),
            include_groups=(),
            include_kinds=(),
            exclude_ids=(),
            exclude_tags=(),
            exclude_kinds=(),
        )
    for group in model.groups:
        yield ViewSpec.model_construct(
            id=group_spec_id(group.id),
            title=group.title,
            description="",
            include_ids=(),
            include_tags=(),
            include_groups=(group.id,),
            include_kinds=(),
            exclude_ids=(),
            exclude_tags=(),
            exclude_kinds=(),
        )


def site_model(model: Model) -> Model:
    """The model with the site's node and group views added to its declared views."""
    return model.model_copy(update={"views": (*model.views, *_site_specs(model))})


def site_views(model: Model) -> dict[str, ComputedView]:
    """Every view the site can show, by id."""
    return {view.id: view for view in compute_views(site_model(model))}


def render_svgs(model: Model, views: Iterable[ComputedView], cache: Cache) -> dict[str, bytes]:
    """View id → SVG, rendered by the renderers' SVG renderer (or taken from the cache)."""
    from archgen.renderers import render_view
    from archgen.renderers.registry import renderer_for_format

    augmented = site_model(model)
    renderer_version = str(renderer_for_format("svg").version)
    result = {}
    for view in views:
        if not view.nodes:
            continue
        key = content_key(
            "svg",
            json.dumps(view.to_dict(), sort_keys=True),
            renderer_version,
            archgen_version(),
        )
        result[view.id] = cache.get_or_make(
            "diagrams", key, partial(render_view, augmented, view, "svg")
        )
    return result
