"""Everything the plugin adds to a site, computed from one model: pages, diagrams, charts.

Diagrams and run results come from the cache when the inputs they depend on are unchanged,
which is what makes an unchanged model rebuild fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archgen.model import LoadedModel
from archgen.model.errors import InputError
from archgen.model.registry import kinds
from archgen.renderers.mermaid import sequence_from_view
from archgen.runtime.artefacts import SweepResult
from archgen.site.cache import Cache
from archgen.site.diagrams import render_svgs, site_views
from archgen.site.kinds import behavior_doc
from archgen.site.pages import PageInputs, generate_pages
from archgen.site.plan import Paths
from archgen.site.reference_pages import artefact_schemas
from archgen.site.results import draw_charts, scenario_results
from archgen.site.sweep import read_sweep, sweep_charts, sweep_title, unique_ids
from archgen.site.viewer import Viewer, cards

if TYPE_CHECKING:
    from archgen.runtime.fluid import Choice


@dataclass
class SiteContent:
    pages: dict[str, str]
    """Docs-relative path → Markdown."""
    assets: dict[str, bytes] = field(default_factory=dict)
    """Docs-relative path → file content (SVG diagrams and charts)."""
    cache_hits: int = 0
    cache_misses: int = 0
    viewer: Viewer | None = None
    """Makes the diagram images of built pages interactive (the plugin's on_post_page)."""
    sweep_titles: dict[str, str] = field(default_factory=dict)
    """Sweep page id → title, for the navigation."""


def build_content(
    loaded: LoadedModel,
    paths: Paths,
    cache_dir: Path | None,
    *,
    simulate: bool = True,
    sweeps: Sequence[Path] = (),
    mode: Choice | None = None,
    sample: float | None = None,
) -> SiteContent:
    """The pages and assets of ``loaded``'s site; scenarios are simulated (unless not
    ``simulate``) at the fidelity ``mode`` and ``sample`` ask."""
    model = loaded.model
    cache = Cache(cache_dir)
    views = site_views(model)
    assets: dict[str, bytes] = {}
    diagrams: dict[str, str] = {}
    svgs = render_svgs(model, views.values(), cache)
    for view_id, svg in svgs.items():
        diagrams[view_id] = paths.diagram(view_id)
        assets[diagrams[view_id]] = svg
    sequences = {flow.id: sequence_from_view(views[f"flow-{flow.id}"]) for flow in model.flows}
    results = {}
    charts: dict[str, bytes] = {}
    if simulate:
        results = scenario_results(
            loaded, [s.id for s in model.scenarios], cache, mode=mode, sample=sample
        )
        for (scenario_id, name), drawn in draw_charts(results).items():
            charts[paths.chart(f"{scenario_id}--{name}")] = drawn.encode()
        for scenario in model.scenarios:
            result = results[scenario.id]
            for flow in result.flows:
                charts[paths.chart(f"{scenario.id}--flow-{flow.flow}")] = flow.chart.encode()
    assets.update(charts)
    swept = sweep_results(loaded, sweeps)
    for sweep_id, sweep in swept.items():
        for chart, drawing in sweep_charts(sweep).items():
            assets[paths.chart(f"sweep-{sweep_id}--{chart}")] = drawing.encode()
    icons = kind_icons(paths)
    assets.update(icons)
    for name, schema in artefact_schemas().items():
        assets[paths.schema(name)] = schema.encode()
    inputs = PageInputs(
        views=views,
        diagrams=diagrams,
        sequences=sequences,
        results=results,
        behavior_docs=behavior_docs(),
        kind_icons={name: paths.kind_icon(name) for name in kinds()},
        sweeps=swept,
        missing_results=""
        if simulate
        else "Scenarios are not simulated in this build (the plugin's simulate is false).",
    )
    pages = generate_pages(loaded, paths, inputs)
    viewer = Viewer(paths, svgs, cards(model, results), charts)
    titles = {sweep_id: sweep_title(sweep) for sweep_id, sweep in swept.items()}
    return SiteContent(pages, assets, cache.hits, cache.misses, viewer, titles)


def sweep_results(loaded: LoadedModel, sources: Sequence[Path]) -> dict[str, SweepResult]:
    """Page id → each sweep result given (a ``sweep.json`` or its folder), in the order
    given; a sweep of another model is refused (its ids would link nowhere)."""
    results = [read_sweep(path) for path in sources]
    for path, result in zip(sources, results, strict=True):
        if result.model != loaded.model.system.id:
            raise InputError(
                f"{path}: a sweep of model '{result.model}', not of '{loaded.model.system.id}' "
                f"({loaded.source})"
            )
    return dict(zip(unique_ids(results), results, strict=True))


def behavior_docs() -> dict[str, str]:
    """Kind → what the behavior that simulates it says of itself (see
    :func:`archgen.site.kinds.behavior_doc`)."""
    from archgen.runtime.behaviors import load_registry

    docs = {}
    for kind, behavior in sorted(load_registry().items()):
        doc = behavior_doc(behavior)
        if doc:
            docs[kind] = doc
    return docs


def kind_icons(paths: Paths) -> dict[str, bytes]:
    """Docs path → PNG of every registered kind's icon (the diagrams library's file)."""
    from archgen.model.registry import kinds
    from archgen.renderers.icons import icon_path, resources_dir

    return {
        paths.kind_icon(name): (resources_dir() / icon_path(name)).read_bytes() for name in kinds()
    }
