"""Where every generated page lives and what the navigation shows, computed from the model.

The plan is known before any page is rendered, so the plugin can put the pages in the
navigation while mkdocs is still reading its configuration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

from archgen.model import registry
from archgen.model.schema import AnyNode, Flow, Model
from archgen.site.templating import html_text

NavItem = str | dict[str, "str | list[NavItem]"]


@dataclass(frozen=True)
class Paths:
    """Paths of generated files, relative to the docs folder, under an optional prefix."""

    prefix: str = ""

    def _join(self, path: str) -> str:
        return f"{self.prefix.strip('/')}/{path}" if self.prefix.strip("/") else path

    @property
    def home(self) -> str:
        return self._join("index.md")

    def group(self, group_id: str) -> str:
        return self._join(f"groups/{group_id}.md")

    def node(self, node_id: str) -> str:
        return self._join(f"nodes/{node_id}.md")

    def flow(self, flow_id: str) -> str:
        return self._join(f"flows/{flow_id}.md")

    def scenario(self, scenario_id: str) -> str:
        return self._join(f"scenarios/{scenario_id}.md")

    @property
    def reference(self) -> str:
        return self._join("reference/model.md")

    @property
    def kinds(self) -> str:
        return self._join("reference/kinds/index.md")

    def kind(self, name: str) -> str:
        return self._join(f"reference/kinds/{name}.md")

    def kind_icon(self, name: str) -> str:
        return self._join(f"reference/kinds/{name}.png")

    @property
    def rules(self) -> str:
        return self._join("reference/rules.md")

    @property
    def artefacts(self) -> str:
        return self._join("reference/artefacts.md")

    def schema(self, name: str) -> str:
        """A published JSON Schema (``model`` or an artefact's name)."""
        return self._join(f"reference/schemas/{name}.json")

    def diagram(self, name: str) -> str:
        return self._join(f"diagrams/{name}.svg")

    def sweep(self, sweep_id: str) -> str:
        return self._join(f"sweeps/{sweep_id}.md")

    def chart(self, name: str) -> str:
        return self._join(f"charts/{name}.svg")

    @property
    def mermaid_js(self) -> str:
        return self._join("assets/javascripts/mermaid.min.js")

    @property
    def mermaid_init_js(self) -> str:
        return self._join("assets/javascripts/archgen-mermaid.js")

    @property
    def panzoom_js(self) -> str:
        return self._join("assets/javascripts/panzoom.min.js")

    @property
    def viewer_js(self) -> str:
        return self._join("assets/javascripts/archgen-viewer.js")

    @property
    def stylesheet(self) -> str:
        return self._join("assets/stylesheets/archgen.css")


def story_order(model: Model) -> list[Flow]:
    """Flows as the story tells them: by ``story_step`` (the flows of one step in model
    order, as the author wrote them: a journey's first flow first), then the rest in model
    order."""
    numbered = sorted(
        (flow for flow in model.flows if flow.story_step is not None),
        key=lambda flow: flow.story_step or 0,
    )
    return numbered + [flow for flow in model.flows if flow.story_step is None]


SECTIONS = ("architecture", "flows", "scenarios", "reference")
"""Names usable as ``archgen:<name>`` placeholders in a hand-written ``nav``."""


REFERENCE_TITLE = "Model reference"
KINDS_TITLE = "Node kinds"
RULES_TITLE = "Check rules"
ARTEFACTS_TITLE = "Run artefacts"
SWEEPS_TITLE = "Sweeps"


def _distinct(model: Model, entries: list[tuple[str, str, str | None]]) -> dict[str, str]:
    """Id → title, where titles that several entries share get their region's title, or
    their id when the region does not tell them apart (or they have none)."""
    counts = Counter(title for _, title, _ in entries)
    result = {}
    for entry_id, title, group in entries:
        region = model.region_of(group)
        shared = counts[title] > 1 and region is not None and region.id != entry_id
        result[entry_id] = f"{title} — {region.title}" if shared and region else title
    counts = Counter(result.values())
    return {
        entry_id: f"{title} ({entry_id})" if counts[title] > 1 else title
        for entry_id, title in result.items()
    }


def node_titles(model: Model) -> dict[str, str]:
    """Node id → the title its page, the navigation and links show: unique in the model
    (two regions often hold a node of the same label)."""
    return _distinct(model, [(node.id, node.title, node.group) for node in model.nodes])


def group_titles(model: Model) -> dict[str, str]:
    """Group id → a title unique in the model, like :func:`node_titles`."""
    return _distinct(model, [(group.id, group.title, group.id) for group in model.groups])


def page_titles(
    model: Model, paths: Paths, sweeps: Mapping[str, str] | None = None
) -> dict[str, Markup]:
    """Docs-relative path → title of every generated page, as escaped HTML.

    mkdocs prints titles without escaping (nav, header, ``<title>``), so a model string
    must reach it escaped, or a label such as ``<img onerror=…>`` would run on every page.
    """
    titles = {paths.home: model.system.name}
    groups = group_titles(model)
    nodes = node_titles(model)
    titles.update({paths.group(group.id): groups[group.id] for group in model.groups})
    titles.update({paths.node(node.id): nodes[node.id] for node in model.nodes})
    titles.update({paths.flow(flow.id): flow.title for flow in model.flows})
    titles.update({paths.scenario(s.id): s.title for s in model.scenarios})
    titles.update({paths.sweep(sweep_id): title for sweep_id, title in (sweeps or {}).items()})
    titles[paths.reference] = REFERENCE_TITLE
    titles[paths.kinds] = "All node kinds"
    titles.update({paths.kind(name): spec.title for name, spec in registry.kinds().items()})
    titles[paths.rules] = RULES_TITLE
    titles[paths.artefacts] = ARTEFACTS_TITLE
    return {path: html_text(title) for path, title in titles.items()}


def sections(
    model: Model, paths: Paths, sweeps: Mapping[str, str] | None = None
) -> dict[str, list[NavItem]]:
    """The navigation of generated pages, per section (empty sections are left out);
    ``sweeps`` (page id → title) go under the scenarios."""
    titles = page_titles(model, paths, sweeps)

    def item(path: str) -> NavItem:
        return {titles[path]: path}

    groups = [item(paths.group(group.id)) for group in model.groups]
    architecture: list[NavItem] = []
    if groups:
        architecture.append({"Groups": groups})
    architecture.append({"Nodes": _nodes_nav(model, paths, titles)})
    result: dict[str, list[NavItem]] = {"architecture": architecture}
    flows = [item(paths.flow(flow.id)) for flow in story_order(model)]
    if flows:
        result["flows"] = flows
    scenarios = [item(paths.scenario(s.id)) for s in model.scenarios]
    if sweeps:
        scenarios.append({SWEEPS_TITLE: [item(paths.sweep(sweep_id)) for sweep_id in sweeps]})
    if scenarios:
        result["scenarios"] = scenarios
    kinds = [item(paths.kinds)] + [item(paths.kind(name)) for name in registry.kinds()]
    result["reference"] = [
        item(paths.reference),
        {KINDS_TITLE: kinds},
        item(paths.rules),
        item(paths.artefacts),
    ]
    return result


OUTSIDE_REGIONS = "Not in a region"
"""Navigation heading of the nodes no region holds (global services, users, partners)."""


def _nodes_nav(model: Model, paths: Paths, titles: dict[str, Markup]) -> list[NavItem]:
    """Node pages by region (model order, then the nodes in none), each region by tier (the
    kinds' category); a model without regions keeps one list by id."""
    regions = [group for group in model.groups if group.kind.value == "region"]
    if not regions:
        ordered = sorted(model.nodes, key=lambda n: n.id)
        return [{titles[paths.node(n.id)]: paths.node(n.id)} for n in ordered]
    region_titles = group_titles(model)
    by_region: dict[str | None, list[AnyNode]] = {}
    for node in model.nodes:
        region = model.region_of(node.group)
        by_region.setdefault(region.id if region else None, []).append(node)
    result: list[NavItem] = []
    for key in [*(region.id for region in regions), None]:
        members = by_region.get(key)
        if not members:
            continue
        tiers: dict[str, list[NavItem]] = {}
        for node in sorted(members, key=lambda n: (registry.kinds()[n.kind].category, n.id)):
            tier = _tier_title(registry.kinds()[node.kind].category)
            tiers.setdefault(tier, []).append({titles[paths.node(node.id)]: paths.node(node.id)})
        heading = html_text(region_titles[key]) if key is not None else OUTSIDE_REGIONS
        result.append({heading: [{tier: items} for tier, items in tiers.items()]})
    return result


def _tier_title(category: str) -> str:
    """A kind's category as a heading: ``ml`` → ``ML``, ``database`` → ``Database``."""
    return category.upper() if len(category) <= 3 else category.capitalize()


SECTION_TITLES = {
    "architecture": "Architecture",
    "flows": "Flows",
    "scenarios": "Scenarios",
    "reference": "Reference",
}
