"""No model string reaches the site as HTML: every built file holds the payloads of the
payload model (tests/site/payloads.py) only in escaped form, escaped once, and titles,
the site's name and the search index show the model's text exactly.

The browser test (test_escaping_browser.py) checks the same site in Chromium.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from payloads import (
    MARK,
    NOT_FREE_TEXT,
    PAYLOADS,
    RAW,
    _free_text,
    _free_text_items,
    _owner,
    _Planter,
)
from pydantic import BaseModel

from archgen.model import load_model
from archgen.model.kinds import KINDS
from archgen.site.plan import Paths, page_titles, sections
from archgen.site.standalone import site_config
from archgen.site.templating import html_text

TEXT_SUFFIXES = {".html", ".json", ".svg", ".xml", ".js", ".css", ".txt"}
DOUBLE_ESCAPED = re.compile(r"(?:&amp;|&#38;)(?:lt;|#60;|amp;|#38;)(?:team|D )")
"""``<team>`` and ``R&D `` of a payload, escaped twice (``&amp;lt;team``)."""


def _text_files(site: Path) -> dict[str, str]:
    return {
        path.relative_to(site).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(site.rglob("*"))
        if path.suffix in TEXT_SUFFIXES and path.name != "mermaid.min.js"
    }


def _visible(fragment: str) -> str:
    """Text a browser shows for an HTML fragment: tags dropped, references resolved."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_every_free_text_field_of_the_base_model_is_planted() -> None:
    from payloads import BASE_MODEL

    model = load_model(BASE_MODEL).model
    planter = _Planter(type(model).model_json_schema(by_alias=True))
    planter.plant(model)
    planted = set(planter.planted)
    assert {
        "System.name", "System.description", "Group.label", "Group.code", "Group.description",
        "NodeBase.label", "NodeBase.description", "NodeBase.tags", "Edge.operations",
        "Edge.description", "Step.op", "Step.note", "Flow.title", "Flow.description",
        "Journey.title", "Journey.description", "Scenario.title", "Scenario.description",
        "Attack.operation", "Fault.description", "Invariant.description", "ViewSpec.title",
        "ViewSpec.description", "Statement.Sid", "Statement.Action", "Statement.Resource",
    } <= planted  # fmt: skip
    assert planter.count >= 3 * len(PAYLOADS), "every payload lands in several fields"


def test_the_base_model_fills_every_free_text_field_of_the_schema() -> None:
    """A field added to the schema (or a new node kind) fails here until
    tests/site/models/telemetry.yaml gives it a value, so the payload reaches it."""
    from payloads import BASE_MODEL

    model = load_model(BASE_MODEL).model
    schema = type(model).model_json_schema(by_alias=True)
    planter = _Planter(schema)
    planter.plant(model)
    classes = _schema_classes()
    definitions = {schema["title"]: schema, **schema.get("$defs", {})}
    unseen = sorted(
        f"{name}.{key}"
        for name, spec in definitions.items()
        for key, prop in spec.get("properties", {}).items()
        if (_free_text(prop) or _free_text_items(prop))
        and f"{name}.{key}" not in planter.planted_in
        and f"{_declared(classes[name], key)}.{key}" not in planter.planted
    )
    assert unseen == sorted(NOT_FREE_TEXT)
    assert sorted({node.kind for node in model.nodes}) == sorted(KINDS), "a node of every kind"


def _schema_classes() -> dict[str, type[BaseModel]]:
    from archgen.model.base import Strict

    found: dict[str, type[BaseModel]] = {}
    todo: list[type[BaseModel]] = [Strict]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo += cls.__subclasses__()
    return found


def _declared(cls: type[BaseModel], key: str) -> str:
    """The class declaring the field spelled ``key`` in the schema (``NodeBase``)."""
    name = next((n for n, f in cls.model_fields.items() if (f.alias or n) == key), key)
    return _owner(cls, name)


@pytest.fixture(scope="module")
def files(payload_site: Path) -> dict[str, str]:
    return _text_files(payload_site)


def test_no_raw_payload_in_any_built_file(files: dict[str, str]) -> None:
    assert len(files) > 20
    found = [(name, raw) for name, content in files.items() for raw in RAW if raw in content]
    assert found == []
    assert any(MARK in content for content in files.values())


def test_nothing_is_escaped_twice(files: dict[str, str]) -> None:
    found = {
        name: DOUBLE_ESCAPED.findall(content)
        for name, content in files.items()
        if DOUBLE_ESCAPED.search(content)
    }
    assert found == {}


def test_titles_and_site_name_show_the_model_text(payload_site: Path, payload_model: Path) -> None:
    model = load_model(payload_model).model
    site_name = model.system.name
    titles = {path: html.unescape(title) for path, title in page_titles(model, Paths()).items()}
    assert "<img src=x" in site_name  # the payload model really carries payloads
    for source, title in titles.items():
        built = payload_site / re.sub(r"(index)?\.md$", "", source) / "index.html"
        page = built.read_text(encoding="utf-8")
        head = page.split("</head>", 1)[0]  # inline diagrams have <title>s of their own
        head_title = re.findall(r"<title>(.*?)</title>", head, flags=re.S)
        expected = site_name if source == "index.md" else f"{title} - {site_name}"
        assert [html.unescape(t) for t in head_title] == [expected], source
        h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", page, flags=re.S)
        assert [_visible(h) for h in h1] == [title], source
        ellipsis = {_visible(s) for s in re.findall(r'md-ellipsis">(.*?)</span>', page, re.S)}
        assert site_name in ellipsis, source
        assert {t for p, t in titles.items() if p.startswith("nodes/")} <= ellipsis, source


def test_search_index_holds_escaped_text(files: dict[str, str]) -> None:
    index = json.loads(files["search/search_index.json"])
    texts = [doc[key] for doc in index["docs"] for key in ("title", "text")]
    tags = {tag for text in texts for tag in re.findall(r"</?([A-Za-z][\w-]*)", text)}
    assert tags <= {"p", "code", "pre", "li", "ol", "ul", "sub", "sup"}
    shown = " ".join(html.unescape(text) for text in texts)
    for payload in PAYLOADS:
        assert " ".join(payload.split()) in shown


def test_site_config_names_the_site_with_escaped_text(tmp_path: Path) -> None:
    config = site_config(None, tmp_path / "out", tmp_path, tmp_path, 'R&D <team> "q"')
    assert config["site_name"] == "R&amp;D &lt;team&gt; &#34;q&#34;"
    assert config["plugins"][1]["archgen"]["site_name_from_model"] is True


def test_nav_titles_are_escaped_html(payload_model: Path) -> None:
    model = load_model(payload_model).model
    titles = _titles(sections(model, Paths()))
    expected = html_text(model.node("ingest").title)
    assert expected in titles
    # Which payload lands in the label depends on the fields planted before it.
    assert str(expected).startswith("Ingest fleet quokka ")
    assert "&lt;" in str(expected)
    assert "<" not in str(expected)
    # Every title is escaped exactly once: unescaping and escaping again gives it back.
    assert all(str(title) == str(html_text(html.unescape(title))) for title in titles)


def _titles(items: object) -> list[str]:
    if isinstance(items, dict):
        return [t for key, value in items.items() for t in [key, *_titles(value)]]
    if isinstance(items, list):
        return [t for item in items for t in _titles(item)]
    return []


def test_plugin_site_without_nav_and_under_a_prefix(payload_model: Path, tmp_path: Path) -> None:
    """In a user's mkdocs.yml without ``nav``, titles come from the pages themselves; the
    generated home page is not the site's, so its ``<title>`` is built from its title."""
    from site_helpers import build_mkdocs

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Our docs\n", encoding="utf-8")
    config = {
        "site_name": "Our docs",
        "theme": {"name": "material", "font": False},
        "plugins": [
            "search",
            {"archgen": {"model": str(payload_model), "prefix": "arch", "simulate": False}},
        ],
    }
    (tmp_path / "mkdocs.yml").write_text(json.dumps(config), encoding="utf-8")
    site = build_mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site")
    built = _text_files(site)
    assert [(n, raw) for n, c in built.items() for raw in RAW if raw in c] == []
    assert {n: 1 for n, c in built.items() if DOUBLE_ESCAPED.search(c)} == {}
    model = load_model(payload_model).model
    home = built["arch/index.html"]
    assert re.findall(r"<title>(.*?)</title>", home.split("</head>", 1)[0]) == [
        f"{html_text(model.system.name)} - Our docs"
    ]
