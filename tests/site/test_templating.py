"""Escaping: whatever a label contains, the published page shows it as the same text."""

from __future__ import annotations

import html
import re

import markdown
from hypothesis import given
from hypothesis import strategies as st

from archgen.site.templating import fence, number, relative, render, text, url

EXTENSIONS = ["tables", "attr_list", "md_in_html", "pymdownx.superfences"]


def visible_text(markdown_source: str) -> str:
    """What a reader sees: the rendered HTML without tags, character references resolved,
    white space collapsed as browsers do."""
    rendered = markdown.markdown(markdown_source, extensions=EXTENSIONS)
    assert "<script" not in rendered
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", rendered)).split())


def test_text_escapes_html_and_markdown_exactly() -> None:
    assert text("<b>*x*</b> | [a](b)") == (
        "&#60;b&#62;&#42;x&#42;&#60;/b&#62; &#124; &#91;a&#93;&#40;b&#41;"
    )
    assert text("plain words") == "plain words"


@given(st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=60))
def test_any_label_shows_as_itself(label: str) -> None:
    assert visible_text(f"Label: {text(label)}") == " ".join(f"Label: {label}".split())


@given(st.text(alphabet="ab*_|<>`[]()#-", min_size=1, max_size=30))
def test_any_label_in_a_table_cell_stays_in_its_cell(label: str) -> None:
    source = f"| a | b |\n| --- | --- |\n| {text(label)} | after |\n"
    rendered = markdown.markdown(source, extensions=EXTENSIONS)
    cells = re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    assert [html.unescape(cell) for cell in cells] == [" ".join(label.split()), "after"]


def test_templates_escape_every_value() -> None:
    rendered = render(
        "group.md.j2",
        title=_Group.title,
        group=_Group(),
        kind="<i>",
        parent=None,
        diagram=None,
        children=[],
        nodes=[],
    )
    assert "<i>" not in rendered
    assert "<script>" not in rendered
    assert "&#60;i&#62;" in rendered


class _Group:
    title = "<script>alert(1)</script>"
    code = None
    description = "**bold**"


def test_fence_outgrows_backticks_inside() -> None:
    assert fence("a ``` b", "mermaid") == "````mermaid\na ``` b\n````\n"
    assert fence("x\n") == "```\nx\n```\n"


def test_relative_links_and_urls() -> None:
    assert relative("nodes/web.md", "flows/checkout.md") == "../flows/checkout.md"
    assert relative("index.md", "nodes/web.md") == "nodes/web.md"
    assert url("../a b/<x>.md") == "../a%20b/%3Cx%3E.md"


def test_number_formatting() -> None:
    assert number(1500.0) == "1,500"
    assert number(99.95, 2) == "99.95"
    assert number(0.5) == "0.5"
