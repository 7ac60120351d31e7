"""The diagram viewer: each diagram image of a built page becomes the SVG itself.

An SVG shown by ``<img>`` can be neither clicked nor restyled for the dark scheme, so the
plugin replaces the diagram images of every page (``on_post_page``: after the search index
is made, which therefore holds no diagram text) by the SVG inline, in which

- every node and every group drawn links to its page, relative to the embedding page;
- the node or group carries what the hover card shows (kind, the parameters the model
  chose, simulated load) in ``data-archgen-*`` attributes: text, never markup;
- ids are prefixed per view, so several diagrams on one page do not collide;
- icons (``data:`` URIs of some kB each) move to one hidden ``<defs>`` per page, drawn with
  ``<use>``: a page of ten diagrams carries each icon once;
- texts and shapes are classed by lightness (``archgen-ink``, ``archgen-tint``…) for the
  dark scheme's stylesheet, whatever colours the renderer chose;
- the nodes at either end of an edge of story step N get that edge's ``story-N`` class
  too, so the viewer can highlight one step: its calls and the nodes they join.

Charts (``charts/*.svg``) are inlined as well, in a plain ``figure.archgen-chart``: their
axis text and grid take the page's colours, so they follow the dark scheme.

``assets/archgen-viewer.js`` adds zoom, pan, fit, full screen and the downloads.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html import unescape
from urllib.parse import urljoin

from markupsafe import Markup

from archgen.model.kinds import KINDS
from archgen.model.schema import Model
from archgen.site.facts import GROUP_KINDS, encrypts, group_members, parameters
from archgen.site.plan import Paths
from archgen.site.results import NodeLoad, ScenarioResult
from archgen.site.templating import number

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
NODE_PREFIX = "node-"
"""Graphviz ids of node and cluster groups, as renderers/dot.py writes them."""
CLUSTER_PREFIX = "cluster-"
MAX_PARAMS = 6
MAX_SCENARIOS = 4
DESCRIPTION_CHARS = 200

_IMAGE = re.compile(
    r'(?P<open><p>\s*)?<img alt="(?P<alt>[^"]*)" src="(?P<src>[^"]+\.svg)"\s*/?>(?P<close>\s*</p>)?'
)
_URL_REF = re.compile(r"url\(#([^)]+)\)")


def _tag(name: str) -> str:
    """Tags are plain names after :func:`_plain_names` (serialized inline, no prefixes)."""
    return name


@dataclass(frozen=True)
class Card:
    """What hovering a node or group shows."""

    title: str
    kind: str
    about: str = ""
    params: tuple[str, ...] = ()
    load: tuple[str, ...] = ()

    def attributes(self) -> dict[str, str]:
        values = {
            "data-archgen-title": self.title,
            "data-archgen-kind": self.kind,
            "data-archgen-about": self.about,
            "data-archgen-params": "\n".join(self.params),
            "data-archgen-load": "\n".join(self.load),
        }
        return {name: value for name, value in values.items() if value}


def cards(model: Model, results: Mapping[str, ScenarioResult]) -> dict[tuple[str, str], Card]:
    """``("node", id)`` / ``("group", id)`` → hover card, from the model and the runs."""
    loads = {
        scenario.id: {load.node: load for load in results[scenario.id].nodes}
        for scenario in model.scenarios
        if scenario.id in results
    }
    result: dict[tuple[str, str], Card] = {}
    for node in model.nodes:
        chosen = [p for p in parameters(node) if p.changed]
        params = [f"{p.name} = {p.value}" for p in chosen[:MAX_PARAMS]]
        if len(chosen) > MAX_PARAMS:
            params.append(f"… {len(chosen) - MAX_PARAMS} more on its page")
        at_rest = sum(1 for _, writer in encrypts(model, node.id) if writer is None)
        load = []
        for scenario in model.scenarios:
            measured = loads.get(scenario.id, {}).get(node.id)
            if measured is not None:
                load.append(f"{scenario.title}: {_measured(measured, at_rest)}")
        if len(load) > MAX_SCENARIOS:
            load = [*load[:MAX_SCENARIOS], f"… {len(load) - MAX_SCENARIOS} more scenarios"]
        result[("node", node.id)] = Card(
            title=node.title,
            kind=KINDS[node.kind].title,
            about=_shorten(node.description),
            params=tuple(params),
            load=tuple(load),
        )
    for group in model.groups:
        members = len(group_members(model, group.id))
        result[("group", group.id)] = Card(
            title=group.title,
            kind=GROUP_KINDS.get(group.kind.value, group.kind.value),
            about=_shorten(group.description),
            params=(f"{members} node{'s' if members != 1 else ''}",),
        )
    return result


def _measured(load: NodeLoad, at_rest: int) -> str:
    """What a node did in one run, in words. A node that works on other nodes' calls (a
    WAF screening requests, an endpoint carrying calls) receives none of its own, so its
    card says what it did instead of "no call"; a key that only encrypts at rest says why
    it received none (SSE-KMS is not simulated as calls: scenarios.md, faults)."""
    if load.inspected_per_s is not None and load.calls == 0:
        if load.inspected_per_s == 0:
            return "inspected no request"
        blocked = (
            ""
            if load.blocked_per_s is None
            else f", blocked {number(load.blocked_per_s)}/s"
            if load.blocked_per_s
            else ", blocked none"
        )
        return f"inspected {number(load.inspected_per_s)} requests/s{blocked}"
    if load.carried_per_s is not None and load.calls == 0:
        dropped = f", dropped {number(load.dropped_per_s)}/s" if load.dropped_per_s else ""
        if load.carried_per_s == 0:
            return f"carried no call{dropped}"
        return f"carried {number(load.carried_per_s)} calls/s{dropped}"
    if load.calls == 0:
        if at_rest:
            nodes = f"{at_rest} node{'s' if at_rest != 1 else ''}"
            return (
                f"encrypts at rest for {nodes}; no call in a run "
                "(encryption at rest, SSE-KMS included, is not simulated as calls to the key)"
            )
        return "no call"
    failed = 100 * load.failed / load.calls
    return f"{number(load.per_s)} calls/s, {number(failed, 2)} % failed"


def _shorten(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= DESCRIPTION_CHARS else words[: DESCRIPTION_CHARS - 1] + "…"


# --------------------------------------------------------------------------- one diagram


@dataclass
class Diagram:
    """A parsed SVG made ready for the viewer; only its links differ from page to page."""

    root: ET.Element
    links: list[tuple[ET.Element, str]]
    """``<a>`` element → docs path of the page it links to."""
    icons: dict[str, ET.Element]
    """Icon id → the ``<image>`` the diagram's ``<use>`` elements draw."""

    def svg(self, link: Callable[[str], str]) -> str:
        for anchor, target in self.links:
            anchor.set("href", link(target))
        return ET.tostring(self.root, encoding="unicode")


def prepare(
    svg: bytes,
    view_id: str,
    paths: Paths,
    cards_by_key: Mapping[tuple[str, str], Card],
) -> Diagram:
    """Links, hover data, unique ids, shared icons and lightness classes for one SVG."""
    root = ET.fromstring(svg)  # noqa: S314 - Graphviz output of our own DOT, no entities
    _plain_names(root)
    _story_nodes(root)
    _drop_titles(root)
    prefix = "archgen-" + hashlib.sha256(view_id.encode()).hexdigest()[:8] + "-"
    links: list[tuple[ET.Element, str]] = []
    for group in list(root.iter(_tag("g"))):
        found = _target(group, paths, cards_by_key)
        if found is not None:
            links.append((_anchor(group, found[1]), found[0]))
    _prefix_ids(root, prefix)
    _xlink_to_svg2(root)
    icons = _share_icons(root)
    _class_by_lightness(root)
    return Diagram(root, links, icons)


def _target(
    group: ET.Element, paths: Paths, cards_by_key: Mapping[tuple[str, str], Card]
) -> tuple[str, Card] | None:
    """Docs path of the page a node or cluster group links to, and its hover card."""
    classes = group.get("class", "").split()
    ident = group.get("id", "")
    if "node" in classes and ident.startswith(NODE_PREFIX):
        key = ("node", ident.removeprefix(NODE_PREFIX))
        target = paths.node(key[1])
    elif "cluster" in classes and ident.startswith(CLUSTER_PREFIX):
        key = ("group", ident.removeprefix(CLUSTER_PREFIX))
        target = paths.group(key[1])
    else:
        return None
    card = cards_by_key.get(key)
    return None if card is None else (target, card)


def _anchor(group: ET.Element, card: Card) -> ET.Element:
    """The group's ``<a>`` (Graphviz makes one for a tooltip, else a new one around its
    shapes), carrying the card."""
    anchor = next(group.iter(_tag("a")), None)
    if anchor is None:
        anchor = ET.Element(_tag("a"))
        for child in list(group):
            group.remove(child)
            anchor.append(child)
        group.append(anchor)
    anchor.attrib.pop(f"{{{XLINK}}}title", None)
    anchor.set("class", "archgen-link")
    anchor.set("aria-label", f"{card.title} ({card.kind})")
    for name, value in card.attributes().items():
        anchor.set(name, value)
    return anchor


def _plain_names(root: ET.Element) -> None:
    """SVG tags without their namespace (HTML puts inline ``<svg>`` in it anyway)."""
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.removeprefix(f"{{{SVG}}}")


_STORY = re.compile(r"story-\d+")


def _story_nodes(root: ET.Element) -> None:
    """Each node takes the ``story-N`` classes of the edges that join it (the edge's
    ``<title>``, ``a->b``, names both ends; ids cannot contain ``>``)."""
    nodes = {
        g.get("id", "").removeprefix(NODE_PREFIX): g
        for g in root.iter(_tag("g"))
        if "node" in g.get("class", "").split() and g.get("id", "").startswith(NODE_PREFIX)
    }
    for group in root.iter(_tag("g")):
        classes = group.get("class", "").split()
        steps = [name for name in classes if _STORY.fullmatch(name)]
        title = group.find(_tag("title"))
        if "edge" not in classes or not steps or title is None or not title.text:
            continue
        for end in title.text.split("->"):
            node = nodes.get(end.strip())
            if node is None:
                continue
            have = node.get("class", "").split()
            node.set("class", " ".join([*have, *(s for s in steps if s not in have)]))


def _drop_titles(root: ET.Element) -> None:
    """Graphviz's ``<title>`` of each group is an id (``cdn->archive``): a tooltip that
    tells a reader nothing, where the hover card and the labels do."""
    for group in root.iter(_tag("g")):
        for title in group.findall(_tag("title")):
            group.remove(title)


def _prefix_ids(root: ET.Element, prefix: str) -> None:
    for element in root.iter():
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, prefix + value)
            elif "url(#" in value:
                element.set(name, _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", value))
            elif name in ("href", f"{{{XLINK}}}href") and value.startswith("#"):
                element.set(name, "#" + prefix + value[1:])


def _xlink_to_svg2(root: ET.Element) -> None:
    """``xlink:href`` becomes ``href`` and a leftover ``xlink:title`` a ``<title>`` child,
    so the inline SVG needs no XLink namespace."""
    for element in root.iter():
        href = element.attrib.pop(f"{{{XLINK}}}href", None)
        if href is not None:
            element.set("href", href)
        title = element.attrib.pop(f"{{{XLINK}}}title", None)
        if title:
            child = ET.Element(_tag("title"))
            child.text = title
            element.insert(0, child)


def _share_icons(root: ET.Element) -> dict[str, ET.Element]:
    """Each ``data:`` image becomes a ``<use>`` of a shared icon, on a backdrop the dark
    scheme shows (dark icons stay readable there)."""
    parents = {child: parent for parent in root.iter() for child in parent}
    icons: dict[str, ET.Element] = {}
    for image in list(root.iter(_tag("image"))):
        href = image.get("href", "")
        if not href.startswith("data:"):
            continue
        shape = {name: image.get(name, "") for name in ("width", "height", "preserveAspectRatio")}
        digest = hashlib.sha256((href + repr(sorted(shape.items()))).encode()).hexdigest()
        icon_id = "archgen-icon-" + digest[:16]
        if icon_id not in icons:
            icons[icon_id] = ET.Element(
                _tag("image"),
                {"id": icon_id, "href": href, **{k: v for k, v in shape.items() if v}},
            )
        x, y = image.get("x", "0"), image.get("y", "0")
        backdrop = ET.Element(
            _tag("rect"),
            {
                "class": "archgen-icon-backdrop",
                "x": x,
                "y": y,
                "width": shape["width"] or "0",
                "height": shape["height"] or "0",
                "rx": "6",
            },
        )
        use = ET.Element(_tag("use"), {"href": "#" + icon_id, "x": x, "y": y})
        parent = parents[image]
        index = list(parent).index(image)
        parent.remove(image)
        parent.insert(index, use)
        parent.insert(index, backdrop)
    return icons


_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}


def lightness(colour: str) -> float | None:
    """0 (black) … 1 (white) for ``#rgb``, ``#rrggbb`` (alpha ignored), white, black;
    None for none, transparent and anything else."""
    colour = colour.strip().lower()
    if colour in _NAMED:
        red, green, blue = _NAMED[colour]
    elif re.fullmatch(r"#[0-9a-f]{3}", colour):
        red, green, blue = (int(c * 2, 16) for c in colour[1:])
    elif re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", colour):
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    else:
        return None
    return round((0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255, 4)


def _add_class(element: ET.Element, name: str) -> None:
    element.set("class", " ".join([*element.get("class", "").split(), name]))


def _class_by_lightness(root: ET.Element) -> None:
    """Dark text and lines become light in the dark scheme, light fills translucent, and
    the white paper behind the graph transparent (archgen.css)."""
    graph = next((g for g in root.iter(_tag("g")) if "graph" in g.get("class", "")), None)
    paper = graph.find(_tag("polygon")) if graph is not None else None
    if paper is not None:
        _add_class(paper, "archgen-paper")
    for element in root.iter():
        if element is paper or element.tag in (_tag("use"), _tag("image")):
            continue
        fill = lightness(element.get("fill", "#000000" if element.tag == _tag("text") else ""))
        stroke = lightness(element.get("stroke", ""))
        if fill is not None and fill < 0.4:
            _add_class(element, "archgen-ink")
        elif fill is not None and fill > 0.75:
            _add_class(element, "archgen-tint")
        if stroke is not None and stroke < 0.4:
            _add_class(element, "archgen-ink-line")


# --------------------------------------------------------------------------- pages


class Viewer:
    """Turns the diagram images of built pages into interactive inline SVGs."""

    def __init__(
        self,
        paths: Paths,
        svgs: Mapping[str, bytes],
        cards_by_key: Mapping[tuple[str, str], Card],
        charts: Mapping[str, bytes] | None = None,
    ) -> None:
        self.paths = paths
        self.svgs = svgs
        self.cards = cards_by_key
        self.charts = dict(charts or {})
        """Docs path → chart SVG (archgen.site.charts): inlined to follow the theme."""
        self.by_path = {paths.diagram(view_id): view_id for view_id in svgs}
        self._prepared: dict[str, Diagram] = {}

    def diagram(self, view_id: str) -> Diagram:
        if view_id not in self._prepared:
            self._prepared[view_id] = prepare(self.svgs[view_id], view_id, self.paths, self.cards)
        return self._prepared[view_id]

    def page(self, html: str, page_url: str, link: Callable[[str], str]) -> str:
        """``html`` with each diagram image replaced; ``link(docs_path)`` is the URL of a
        page relative to this one. Icons go once into a hidden ``<defs>`` before the first."""
        icons: dict[str, ET.Element] = {}

        def replace(match: re.Match[str]) -> str:
            source = urljoin("/" + page_url, unescape(match["src"])).lstrip("/")
            if match["open"] is None or match["close"] is None:
                return match.group(0)  # an image inside a sentence or table stays one
            if source in self.charts:
                return chart_figure(
                    unescape(match["alt"]), unescape(match["src"]), self.charts[source]
                )
            view_id = self.by_path.get(source)
            if view_id is None:
                return match.group(0)
            diagram = self.diagram(view_id)
            icons.update(diagram.icons)
            return figure(
                view_id, unescape(match["alt"]), unescape(match["src"]), diagram.svg(link)
            )

        result = _IMAGE.sub(replace, html)
        if not icons:
            return result
        first = result.index('<figure class="archgen-diagram"')
        return result[:first] + icon_defs(icons.values()) + result[first:]


def figure(view_id: str, alt: str, svg_url: str, svg: str) -> str:
    """The viewer's markup around one inline SVG; the script adds the toolbar."""
    return str(
        Markup(
            '<figure class="archgen-diagram" data-archgen-view="{}" data-archgen-svg="{}" '
            'role="group" aria-label="{}"><div class="archgen-diagram__stage">'
        ).format(view_id, svg_url, alt)
        + Markup(svg)  # noqa: S704 - serialized by ElementTree: every text escaped
        + Markup("</div></figure>")
    )


CHART_INK = "#7f7f7f"
"""archgen.site.charts.INK: the axis text and lines the page's colours replace."""


def chart_figure(alt: str, svg_url: str, svg: bytes) -> str:
    """A chart inline: as wide as the page at most, its ink classed for archgen.css (the
    series' colours read on both schemes and stay); ``svg_url`` is the file it came from."""
    root = ET.fromstring(svg)  # noqa: S314 - written by archgen.site.charts, no entities
    _plain_names(root)
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    _add_class(root, "archgen-chart__svg")
    for element in root.iter():
        if element.get("fill") == CHART_INK:
            _add_class(element, "archgen-chart-ink")
        if element.get("stroke") == CHART_INK:
            _add_class(element, "archgen-chart-line")
    return str(
        Markup(
            '<figure class="archgen-chart" data-archgen-svg="{}" role="group" aria-label="{}">'
        ).format(svg_url, alt)
        + Markup(ET.tostring(root, encoding="unicode"))  # noqa: S704 - every text escaped
        + Markup("</figure>")
    )


def icon_defs(icons: Iterable[ET.Element]) -> str:
    holder = ET.Element(
        _tag("svg"),
        {
            "class": "archgen-icons",
            "aria-hidden": "true",
            "focusable": "false",
            "width": "0",
            "height": "0",
        },
    )
    defs = ET.SubElement(holder, _tag("defs"))
    for icon in sorted(icons, key=lambda element: element.get("id", "")):
        defs.append(icon)
    return ET.tostring(holder, encoding="unicode")
