"""The diagram viewer's markup in built sites: every node and group of every diagram links
to its own built page (relative to the embedding page), carries its hover card as text,
and every diagram SVG the site renders is shown inline somewhere.

The browser test (test_viewer_browser.py) drives the same markup in Chromium.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from site_helpers import ROOT, build_mkdocs

from archgen.model import load_model
from archgen.model.schema import Model
from archgen.site.facts import parameters
from archgen.site.results import NodeLoad, ScenarioResult
from archgen.site.standalone import site_config
from archgen.site.viewer import Card, cards, lightness, prepare

RIDE_HAILING = ROOT / "tests" / "models" / "ride-hailing.yaml"
FIGURE = re.compile(r'<figure class="archgen-diagram".*?</figure>', re.S)


@dataclass(frozen=True)
class Embedded:
    page: str
    """Served path of the page (directory URL), ``""`` for the home page."""
    view: str
    svg_url: str
    figure: ET.Element


def embedded(site: Path) -> list[Embedded]:
    """Every inline diagram of every page; each figure is well-formed XML."""
    found = []
    for path in sorted(site.rglob("index.html")):
        folder = path.parent.relative_to(site).as_posix()
        page = "" if folder == "." else folder + "/"
        for markup in FIGURE.findall(path.read_text(encoding="utf-8")):
            figure = ET.fromstring(markup)  # our own output
            found.append(
                Embedded(
                    page,
                    figure.get("data-archgen-view", ""),
                    figure.get("data-archgen-svg", ""),
                    figure,
                )
            )
    return found


def resolve(site: Path, page: str, href: str) -> Path:
    target = posixpath.normpath(posixpath.join(page or ".", href))
    return site / target / "index.html"


def check_links(site: Path, model: Model) -> dict[str, int]:
    """Every node and cluster of every inline diagram links to its own page; returns counts."""
    problems: list[str] = []
    counts = {"diagrams": 0, "nodes": 0, "groups": 0}
    for item in embedded(site):
        counts["diagrams"] += 1
        svg = item.figure.find(".//svg")
        assert svg is not None, item
        for group in svg.iter("g"):
            classes = group.get("class", "").split()
            if "node" not in classes and "cluster" not in classes:
                continue
            anchor = group.find(".//a")
            link = anchor.get("href") if anchor is not None else None
            title = anchor.get("data-archgen-title") if anchor is not None else None
            if "node" in classes:
                counts["nodes"] += 1
                node_id = (group.get("id") or "").split("-node-", 1)[-1]
                expected = site / "nodes" / node_id / "index.html"
                wanted_title = (
                    model.nodes_by_id[node_id].title if node_id in model.nodes_by_id else None
                )
            else:
                group_id = (group.get("id") or "").split("-cluster-", 1)[-1]
                if group_id not in model.groups_by_id:
                    continue  # a box the renderer draws for no group of the model
                counts["groups"] += 1
                expected = site / "groups" / group_id / "index.html"
                wanted_title = model.groups_by_id[group_id].title
            if link is None:
                problems.append(f"{item.page} {item.view}: {group.get('id')} has no link")
                continue
            if link.startswith(("/", "http:", "https:")) or "://" in link:
                problems.append(f"{item.page} {item.view}: {link} is not relative")
            landed = resolve(site, item.page, link)
            if landed != expected or not landed.is_file():
                problems.append(f"{item.page} {item.view}: {link} → {landed}, not {expected}")
            if title != wanted_title:
                problems.append(f"{item.page} {item.view}: card title {title!r}")
    assert problems == [], "\n".join(problems[:20])
    return counts


def test_reference_site_every_node_and_group_links_to_its_page(published_site: Path) -> None:
    model = load_model(None).model
    counts = check_links(published_site, model)
    assert counts["diagrams"] >= len(model.nodes) + len(model.groups)
    assert counts["nodes"] > 5 * len(model.nodes)  # node pages, groups, views, story steps
    assert counts["groups"] > len(model.groups)


def test_every_rendered_diagram_is_shown_inline(published_site: Path) -> None:
    shown = {item.view for item in embedded(published_site)}
    rendered = {path.stem for path in (published_site / "diagrams").glob("*.svg")}
    assert rendered == shown
    for item in embedded(published_site):
        assert item.svg_url.endswith(f"diagrams/{item.view}.svg")
        assert resolve(published_site, item.page, item.svg_url).parent.name == f"{item.view}.svg"


def test_home_page_diagrams_keep_their_order_and_share_icons(published_site: Path) -> None:
    home = (published_site / "index.html").read_text(encoding="utf-8")
    views = [item.view for item in embedded(published_site) if item.page == ""]
    assert views[0] == "overview"
    assert "<img" not in "".join(FIGURE.findall(home))
    assert home.count('<svg class="archgen-icons"') == 1
    ids = re.findall(r' id="([^"]+)"', home)
    assert len(ids) == len(set(ids)), "ids are unique on the page"
    uses = set(re.findall(r'<use href="#(archgen-icon-[0-9a-f]+)"', home))
    icons = set(re.findall(r'<image id="(archgen-icon-[0-9a-f]+)"', home))
    assert uses == icons
    assert "data:image/png" not in "".join(FIGURE.findall(home)), "icons only in the defs"


@pytest.fixture(scope="module")
def ride_hailing_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("ride-hailing")
    docs = base / "docs"
    docs.mkdir()
    config = site_config(RIDE_HAILING, base / "site", docs, base / "cache", "Ride hailing")
    path = base / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return build_mkdocs(path, base / "site", plugin_options={"simulate": False})


def test_ride_hailing_site_every_node_and_group_links_to_its_page(ride_hailing_site: Path) -> None:
    model = load_model(RIDE_HAILING).model
    counts = check_links(ride_hailing_site, model)
    assert counts["nodes"] > 2 * len(model.nodes)
    assert counts["groups"] >= len(model.groups)


def test_links_under_a_prefix_in_a_users_site(tmp_path: Path) -> None:
    """The plugin in a user's mkdocs.yml, its pages under ``arch/``: links stay relative
    and land on the model's pages there."""
    import json

    from site_helpers import TINY_SHOP

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Our docs\n", encoding="utf-8")
    config = {
        "site_name": "Our docs",
        "theme": {"name": "material", "font": False},
        "plugins": [
            "search",
            {"archgen": {"model": str(TINY_SHOP), "prefix": "arch", "simulate": False}},
        ],
    }
    (tmp_path / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")
    site = build_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site")
    counts = check_links(site / "arch", load_model(TINY_SHOP).model)
    assert counts["nodes"] > 0
    assert {item.page.split("/")[0] for item in embedded(site)} == {"arch"}


def test_simulated_load_reaches_the_hover_card(tiny_site: Path) -> None:
    from site_helpers import TINY_SHOP

    model = load_model(TINY_SHOP).model
    loads = [
        (anchor.get("data-archgen-title"), anchor.get("data-archgen-load", ""))
        for item in embedded(tiny_site)
        for anchor in item.figure.iter("a")
        if anchor.get("data-archgen-kind") and item.page.startswith("nodes/")
    ]
    titles = {scenario.title for scenario in model.scenarios}
    assert loads
    assert any("calls/s" in load for _, load in loads)
    for _, load in loads:
        for line in filter(None, load.split("\n")):
            assert line.split(":")[0] in titles or line.startswith("…"), line


# --------------------------------------------------------------------------- units

SVG_NS = "http://www.w3.org/2000/svg"
SMALL_SVG = f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg width="200pt" height="100pt" viewBox="0 0 200 100" xmlns="{SVG_NS}"
 xmlns:xlink="http://www.w3.org/1999/xlink">
<g id="view&#45;v" class="graph"><title>v</title>
<polygon fill="white" stroke="transparent" points="0,0 200,0 200,100 0,100"/>
<g id="cluster&#45;g1" class="cluster"><title>cluster_g1</title>
<g id="a_cluster&#45;g1"><a xlink:title="region">
<path fill="#e5f5fd" stroke="#aeb6be" d="M0,0L10,10"/>
<text fill="#2d3436">G &amp; &lt;b&gt;</text></a></g></g>
<g id="node&#45;n1" class="node"><title>n1</title>
<g id="a_node&#45;n1"><a xlink:title="tooltip">
<image xlink:href="data:image/png;base64,AAAA" width="101px" height="101px" x="5" y="6"/>
<text fill="#2d3436">N1</text></a></g></g>
<g id="node&#45;n2" class="node"><title>n2</title>
<image xlink:href="data:image/png;base64,AAAA" width="101px" height="101px" x="50" y="60"/>
<text>N2</text></g>
<g id="node&#45;other" class="node"><title>other</title><text>not in the model</text></g>
</g></svg>"""


def test_prepare_links_cards_ids_icons_and_ink() -> None:
    from archgen.site.plan import Paths

    by_key = {
        ("node", "n1"): Card("N1 <b>", "Lambda", params=("memory_mb = 512",)),
        ("node", "n2"): Card("N2", "S3"),
        ("group", "g1"): Card("G & <b>", "AWS Region"),
    }
    diagram = prepare(SMALL_SVG.encode(), "v", Paths(), by_key)
    assert [target for _, target in diagram.links] == ["groups/g1.md", "nodes/n1.md", "nodes/n2.md"]
    svg = diagram.svg(lambda target: "../" + target)
    assert 'href="../nodes/n1.md"' in svg
    assert 'href="../nodes/n2.md"' in svg
    assert 'data-archgen-title="N1 &lt;b&gt;"' in svg
    assert 'data-archgen-params="memory_mb = 512"' in svg
    assert "xlink" not in svg
    assert "tooltip" not in svg
    assert "<title>" not in svg, "Graphviz's titles are ids; the hover card replaces them"
    root = ET.fromstring(svg)
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert all(ident.startswith("archgen-") for ident in ids)
    assert len(diagram.icons) == 1, "one icon, drawn twice"
    (icon_id,) = diagram.icons
    assert [use.get("href") for use in root.iter("use")] == ["#" + icon_id] * 2
    assert [(r.get("x"), r.get("y")) for r in root.iter("rect")] == [("5", "6"), ("50", "60")]
    other = next(g for g in root.iter("g") if (g.get("id") or "").endswith("node-other"))
    assert other.find(".//a") is None, "a node the model lacks gets no link"
    paper = next(root.iter("polygon"))
    assert paper.get("class") == "archgen-paper"
    assert {text.get("class") for text in root.iter("text")} == {"archgen-ink"}
    assert next(root.iter("path")).get("class") == "archgen-tint"


def test_lightness() -> None:
    assert lightness("white") == 1.0
    assert lightness("#000") == 0.0
    assert lightness("#2D3436") == pytest.approx(0.1987, abs=0.001)
    assert lightness("#e5f5fdff") == pytest.approx(0.9497, abs=0.001)
    assert lightness("none") is None
    assert lightness("transparent") is None


def test_cards_show_chosen_parameters_and_load() -> None:
    model = load_model(None).model
    node = next(n for n in model.nodes if n.kind == "lambda")
    scenario = model.scenarios[0]
    result = ScenarioResult(
        scenario=scenario.id,
        summary=(),
        charts=(),
        flows=(),
        conformance=(),
        conformance_verdict="",
        facts=(),
        nodes=(NodeLoad(node.id, calls=1200, failed=3, per_s=4.5),),
    )
    card = cards(model, {scenario.id: result})[("node", node.id)]
    assert card.title == node.title
    assert card.kind == "Lambda"
    assert card.load == (f"{scenario.title}: 4.5 calls/s, 0.25 % failed",)
    chosen = [f"{p.name} = {p.value}" for p in parameters(node) if p.changed]
    assert chosen, "the reference model sets some parameters of its Lambda"
    more = [f"… {len(chosen) - 6} more on its page"] if len(chosen) > 6 else []
    assert list(card.params) == chosen[:6] + more
    region = next(group for group in model.groups if group.kind.value == "region")
    members = sum(1 for node in model.nodes if model.region_of(node.group) == region)
    assert cards(model, {})[("group", region.id)] == Card(
        region.title, "AWS Region", " ".join(region.description.split()), (f"{members} nodes",)
    )


def test_guide_lists_the_toolbar() -> None:
    """The guide's table of buttons is the toolbar the script builds, in its order."""
    script = (ROOT / "site/assets/archgen-viewer.js").read_text(encoding="utf-8")
    built = re.findall(r'button\(toolbar, "[\w-]+", "[^"]+", "([^"]+)"\)', script)
    built.insert(built.index("PNG"), "SVG")  # the download link, an <a>
    shown = [json_unescape(text) for text in built]
    guide = (ROOT / "site/docs/guide/the-site.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `([^`]+)` \|", guide, flags=re.M)
    assert listed == shown


def json_unescape(text: str) -> str:
    """A JavaScript string literal's ``\\uXXXX`` escapes decoded."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def test_overview_nodes_carry_the_story_steps_of_their_edges(published_site: Path) -> None:
    """The step highlight lights a step's calls and the nodes they join: every end of an
    edge of step N has ``story-N``, and a node has no step none of its edges has."""
    from archgen.site.plan import Paths

    svg = (published_site / "diagrams" / "overview.svg").read_bytes()
    source = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    expected: dict[str, set[str]] = {}
    steps_seen: set[str] = set()
    for group in source.iter(f"{ns}g"):
        classes = group.get("class", "").split()
        steps = {name for name in classes if name.startswith("story-")}
        title = group.find(f"{ns}title")
        if "edge" in classes and steps and title is not None and title.text:
            steps_seen |= steps
            for end in title.text.split("->"):
                expected.setdefault(end, set()).update(steps)
    assert len(steps_seen) >= 5, "the reference overview numbers its story steps"
    root = prepare(svg, "overview", Paths(), {}).root
    got = {
        g.get("id", "").split("node-", 1)[1]: {
            name for name in g.get("class", "").split() if name.startswith("story-")
        }
        for g in root.iter("g")
        if "node" in g.get("class", "").split()
    }
    assert {node: steps for node, steps in got.items() if steps} == expected


def test_charts_are_inline_and_take_the_page_colours(tiny_site: Path) -> None:
    page = next(tiny_site.glob("scenarios/*/index.html")).read_text(encoding="utf-8")
    charts = re.findall(r'<figure class="archgen-chart".*?</figure>', page, re.S)
    assert len(charts) >= 3, "a scenario page shows its charts inline"
    assert not re.search(r'<img [^>]*src="[^"]*charts/', page), "no chart left as an image"
    for markup in charts:
        figure = ET.fromstring(markup)
        svg = figure.find("svg")
        assert svg is not None
        assert svg.get("width") is None
        assert svg.get("viewBox")
        assert "archgen-chart__svg" in svg.get("class", "")
        inked = [el for el in svg.iter() if "archgen-chart-ink" in el.get("class", "")]
        assert inked
        assert all(el.get("fill") == "#7f7f7f" for el in inked)
        assert figure.get("aria-label")
