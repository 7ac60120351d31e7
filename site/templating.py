"""Jinja2 for Markdown pages: every ``{{ value }}`` is escaped for HTML *and* Markdown.

Generated pages are Markdown that mkdocs renders, so a label such as ``<b>*x*</b>`` must
survive two interpreters. Autoescaping handles HTML; ``finalize`` also turns the characters
Markdown gives meaning to into numeric entities, which Markdown passes through and browsers
show as the characters themselves. Values marked safe (``Markup``) are left alone.
"""

from __future__ import annotations

import posixpath
import re
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

_ESCAPES = {ord(char): f"&#{ord(char)};" for char in "&<>\"'\\`*_{}[]()#+-.!|~^$:"}
"""HTML's special characters, Markdown's syntax characters, and ``:`` (emoji, definitions):
each becomes a numeric character reference, in one pass so nothing is escaped twice."""
_WHITESPACE = re.compile(r"\s+")


def text(value: object) -> Markup:
    """``value`` as literal text inside Markdown: no HTML, no Markdown, no line breaks."""
    if isinstance(value, Markup):
        return value
    # Every character with a meaning in HTML or Markdown is a character reference now.
    return Markup(_WHITESPACE.sub(" ", str(value)).translate(_ESCAPES))  # noqa: S704


_LITERAL = re.compile(r"``(.+?)``")


def inline(words: str) -> Markup:
    """Docstring-style text as Markdown: escaped, with its ``literals`` as code."""
    parts = _LITERAL.split(" ".join(str(words).split()))
    return Markup("").join(
        Markup("<code>{}</code>").format(text(part)) if index % 2 else text(part)
        for index, part in enumerate(parts)
    )


def html_text(value: str) -> Markup:
    """``value`` as HTML text, for what mkdocs and its themes print without escaping.

    mkdocs treats ``site_name``, nav titles and page titles as HTML: themes print them raw
    (``{{ config.site_name }}``) and sometimes through ``| e``. Escaped *and* marked safe,
    a model string shows as itself in both places: ``| e`` leaves ``Markup`` alone.
    """
    return escape(value)


def _finalize(value: object) -> object:
    return value if isinstance(value, Markup) else text("" if value is None else value)


def fence(content: str, language: str = "") -> Markup:
    """A fenced code block long enough that no backtick run inside ``content`` closes it."""
    longest = run = 0
    for char in content:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") else content + "\n"
    # Inside a fence Markdown shows everything literally (and escapes HTML itself).
    return Markup(f"{ticks}{language}\n{body}{ticks}\n")  # noqa: S704


def url(path: str) -> Markup:
    """A relative URL for a Markdown link, percent-encoded so no character can break out."""
    return Markup(quote(path, safe="/._-~"))  # noqa: S704 - only URL-safe characters remain


def relative(source_page: str, target: str) -> str:
    """Link from the Markdown page ``source_page`` to ``target`` (both relative to docs/)."""
    start = posixpath.dirname(source_page) or "."
    return posixpath.relpath(target, start)


def usd(value: float) -> str:
    """US dollars to the cent; amounts under a dollar to a hundredth of a cent."""
    return f"${value:,.2f}" if value >= 1 or value == 0 else f"${value:.4f}"


def number(value: float, digits: int = 1) -> str:
    """A measured number, rounded for a reader; integers print without a fraction."""
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) < 1:  # a scale of 0.002 must not print as 0
        return f"{value:.{max(digits, 1)}g}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archgen.site", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fence"] = fence
    env.filters["number"] = number
    env.filters["usd"] = usd
    env.filters["text"] = text
    env.filters["inline"] = inline
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
