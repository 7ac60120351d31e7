"""The developer guide pages stay true to the code they walk through.

A code block preceded by ``<!-- file: PATH -->`` must equal that file byte for byte, one
preceded by ``<!-- excerpt: PATH -->`` must appear in it verbatim; the names the pages list
(kind arguments, renderer attributes, behavior hooks, entry-point groups, modules) must
exist; the pages are in the site's nav and build under ``mkdocs --strict``.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest
import yaml
from site_helpers import ROOT

GUIDE = ROOT / "site" / "docs" / "guide"
PAGES = ("how-a-model-runs", "adding-a-kind", "adding-a-renderer", "adding-a-check-rule")
BLOCK = re.compile(r"^(?:<!-- (file|excerpt): (\S+) -->\n)?```(\w*)\n(.*?)^```$", re.M | re.S)

# Which example code each page shows (removing one from a page fails here).
SOURCES: dict[str, list[tuple[str, str]]] = {
    "how-a-model-runs": [
        ("excerpt", "runtime/engine.py"),
        ("excerpt", "runtime/run.py"),
        ("excerpt", "runtime/engine.py"),
    ],
    "adding-a-kind": [
        ("file", "tests/plugin/archgen_dax/__init__.py"),
        ("file", "tests/plugin/archgen_dax/behavior.py"),
        ("excerpt", "tests/plugin/test_plugin_kind.py"),
        ("excerpt", "tests/plugin/test_plugin_kind.py"),
        ("excerpt", "tests/plugin/test_plugin_kind.py"),
    ],
    "adding-a-renderer": [
        ("file", "tests/plugin_renderer/__init__.py"),
        ("excerpt", "tests/render/test_plugin_renderer.py"),
    ],
    "adding-a-check-rule": [
        ("excerpt", "runtime/check/rules.py"),
        ("excerpt", "runtime/check/lint.py"),
        ("excerpt", "runtime/check/lint.py"),
        ("excerpt", "tests/check/test_lint.py"),
        ("excerpt", "runtime/check/examples.py"),
    ],
}


def page(name: str) -> str:
    return (GUIDE / f"{name}.md").read_text(encoding="utf-8")


def table_names(text: str, header: str) -> list[str]:
    """First-column names of the Markdown table whose header row starts with ``header``."""
    lines = text.splitlines()
    start = lines.index(f"| {header} | what it is for |") + 2
    names: list[str] = []
    for line in lines[start:]:
        if not line.startswith("| `"):
            break
        names.append(line.split("`")[1])
    return names


@pytest.mark.parametrize("name", PAGES)
def test_code_blocks_are_the_code(name: str) -> None:
    blocks = BLOCK.findall(page(name))
    assert [(mode, path) for mode, path, _, _ in blocks if mode] == SOURCES[name]
    for mode, path, lang, code in blocks:
        if lang == "python":  # Python on these pages is always real code
            assert mode, f"{name}: a python block without a file/excerpt marker"
        if not mode:
            continue
        source = (ROOT / path).read_text(encoding="utf-8")
        if mode == "file":
            assert code == source, f"{name}: the block of {path} differs from the file"
        else:
            assert code in source, f"{name}: the excerpt of {path} is not in the file"


@pytest.mark.parametrize("name", PAGES)
def test_named_modules_exist(name: str) -> None:
    paths = set(
        re.findall(r"`((?:cli|model|renderers|runtime|site|tests)/[\w/]+\.py)`", page(name))
    )
    assert paths
    assert sorted(p for p in paths if not (ROOT / p).is_file()) == []


def test_kind_arguments_are_the_kind_function() -> None:
    from archgen.model.kind import KindSpec, kind

    documented = table_names(page("adding-a-kind"), "argument")
    assert documented == list(inspect.signature(kind).parameters)
    fields = {field.name for field in dataclasses.fields(KindSpec)}
    assert set(documented) <= fields
    # every KindSpec field a declaration can set is documented
    assert fields - set(documented) == {"source"}


def test_renderer_attributes_are_the_interface() -> None:
    from archgen.renderers.base import Renderer
    from tests.plugin_renderer import PlantUmlRenderer

    documented = table_names(page("adding-a-renderer"), "attribute")
    assert documented == [
        "name",
        "formats",
        "position",
        "needs_dot",
        "version",
        "render",
        "artifacts",
    ]
    for attribute in documented:
        assert hasattr(Renderer, attribute) or attribute in Renderer.__annotations__
    for attribute in ("name", "formats", "version", "render"):  # the duck-typed minimum
        assert hasattr(PlantUmlRenderer, attribute)


def test_entry_point_groups() -> None:
    from archgen.model import registry as kinds
    from archgen.renderers import registry as renderers

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name, group in (("adding-a-kind", kinds.GROUP), ("adding-a-renderer", renderers.GROUP)):
        assert f'[project.entry-points."{group}"]' in page(name)
        assert f'[project.entry-points."{group}"]' in pyproject
    kind_test = (ROOT / "tests/plugin/test_plugin_kind.py").read_text(encoding="utf-8")
    assert 'dax = "archgen_dax:SPEC"' in page("adding-a-kind")
    assert "dax = archgen_dax:SPEC" in kind_test


def test_behavior_contract_names_exist() -> None:
    from archgen.runtime.behavior import Behavior, NodeContext

    text = page("how-a-model-runs")
    hooks = re.search(r"Optional hooks: (.*?)\.\n", text, re.S)
    assert hooks is not None
    names = re.findall(r"`(\w+)`", hooks.group(1))
    assert len(names) == 14
    assert [n for n in names if not hasattr(Behavior, n)] == []
    for method in ("start", "handle", "condition"):
        assert f"`{method}(" in text
        assert hasattr(Behavior, method)
    used = set(re.findall(r"`ctx\.(\w+)", text))
    assert used == {
        "sampler",
        "scaled",
        "scaled_rate",
        "scaled_slots",
        "after",
        "finish",
        "fail",
        "run_children",
        "services",
        "call",
        "run_triggered",
        "emit",
        "rng",
        "signal",
    }
    context = set(dir(NodeContext)) | set(NodeContext.__annotations__)
    assert sorted(used - context) == []


def test_check_rule_page_names_real_rules_and_tests() -> None:
    from archgen.runtime.check.report import Rule
    from archgen.runtime.check.rules import STATIC_RULES

    text = page("adding-a-check-rule")
    assert "`Rule(id, severity, title,\ndescription)`" in text
    assert [f.name for f in dataclasses.fields(Rule)] == [
        "id",
        "severity",
        "title",
        "description",
        "dynamic",
        "against",
    ]
    assert "slo-declared" in STATIC_RULES
    tests = "".join(
        (ROOT / "tests/check" / name).read_text(encoding="utf-8")
        for name in ("test_lint.py", "test_rule_examples.py")
    )
    for test in re.findall(r"`(test_\w+)`", text):
        assert f"def {test}(" in tests


def test_pages_are_in_the_nav() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    guide = next(entry["Guide"] for entry in config["nav"] if "Guide" in entry)
    paths = [next(iter(item.values())) for item in guide]
    assert paths[-4:] == [f"guide/{name}.md" for name in PAGES]


def test_pages_build_strict(published_site: Path) -> None:
    """The published site is built with the root mkdocs.yml (``strict: true``: a broken link
    or anchor is an error)."""
    titles = ("How a model runs", "Adding a kind", "Adding a renderer", "Adding a check rule")
    for name, title in zip(PAGES, titles, strict=True):
        html = (published_site / "guide" / name / "index.html").read_text(encoding="utf-8")
        assert f'<h1 id="{name}">{title}<' in html
    kind_page = (published_site / "guide" / "adding-a-kind" / "index.html").read_text("utf-8")
    assert "DaxParams" in kind_page


def test_error_table_is_the_clis() -> None:
    """The page's error → exit code table is the command line's one mapping."""
    from archgen.errors import exit_codes

    rows = re.findall(r"^\| `(\w+)` \| (\d+) \|", page("how-a-model-runs"), re.M)
    assert rows == [(kind.__name__, str(code)) for kind, code in exit_codes()]


def test_session_stages_name_the_session() -> None:
    from archgen.runtime import session

    text = page("how-a-model-runs")
    for name in ("resolve_scenario", "run_many"):
        assert f"`{name}`" in text
        assert callable(getattr(session, name))
    assert "`Settings.of`" in text
    assert callable(session.Settings.of)


LINK = re.compile(r"\]\(([^)\s]+)\)")
GENERATED_NOTE = " ([generated](getting-started.md#reference-pages))"


def test_links_to_generated_pages_say_where_they_come_from() -> None:
    """The reference pages (kinds, rules, model, artefacts) are generated by every site
    build, for every model, so they are no file under site/docs: a link to one is followed
    by a note that leads to "Reference pages" (getting-started.md), which says how to get
    them from a checkout; a link to anything else the sources lack is a broken link. Trial
    28 (item 17): a reader of the sources could not follow them."""
    import posixpath

    from archgen.model import load_model
    from archgen.site.pages import PageInputs, generate_pages
    from archgen.site.plan import Paths

    generated = set(generate_pages(load_model(None), Paths(), PageInputs()))
    docs = ROOT / "site" / "docs"
    unexplained = []
    for path in sorted(GUIDE.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if path.name == "getting-started.md":
            text = text.split("\n## Reference pages\n")[0]  # the section the notes lead to
        for link in LINK.finditer(text):
            target = link.group(1).split("#")[0]
            if not target or "://" in target or target.startswith("mailto:"):
                continue
            resolved = posixpath.normpath(posixpath.join("guide", target))
            if (docs / resolved).exists():
                continue
            assert resolved in generated, f"{path.name}: broken link to {target}"
            note = " ".join(text[link.end() : link.end() + len(GENERATED_NOTE) + 4].split())
            if not (" " + note).startswith(GENERATED_NOTE):
                unexplained.append(f"{path.name}: {target}")
    assert unexplained == []
    section = page("getting-started").split("\n## Reference pages\n")[1]
    assert LINK.findall(section) == [
        "../reference/model.md",
        "../reference/kinds/index.md",
        "../reference/rules.md",
        "../reference/artefacts.md",
    ]
    assert {
        "reference/model.md",
        "reference/kinds/index.md",
        "reference/rules.md",
        "reference/artefacts.md",
    } <= generated
