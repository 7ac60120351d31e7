"""The payload model's site in Chromium (offline): on every page, and in search results, no
planted script runs, no planted markup becomes an element, and the planted text shows as
the model wrote it (site name in the header, page titles, headings, navigation).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from payloads import MARK, PAYLOADS
from test_browser import CHROMIUM, WAIT_MS, patient, serve

from archgen.model import load_model
from archgen.site.plan import Paths, page_titles

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(1800),  # builds and browses whole sites; minutes on a loaded machine
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make setup)"),
]

INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase(), value = attr.value;
      if (name.startsWith("on") && value.includes("__xss")) found.push(`${el.tagName} ${name}`);
      if (["href", "src", "xlink:href", "action"].includes(name)
          && value.replace(/\\s/g, "").toLowerCase().startsWith("javascript:"))
        found.push(`${el.tagName} ${name}=${value}`);
    }
    if (el.tagName.toLowerCase() === "img" && el.getAttribute("src") === "x") found.push("img x");
    if (el.tagName.toLowerCase() === "script" && el.textContent.includes("__xss"))
      found.push("script");
    if (el.tagName.toLowerCase() === "team") found.push("team element");
  }
  return {xss: typeof window.__xss, found: found};
}"""

SHOWN = """() => ({
  title: document.title,
  header: (document.querySelector(".md-header__topic .md-ellipsis") || {}).innerText || "",
  h1: Array.from(document.querySelectorAll("article h1")).map(h => h.innerText),
  nav: Array.from(document.querySelectorAll(".md-nav__link .md-ellipsis"))
    .map(e => e.textContent),
  mermaid: Array.from(document.querySelectorAll("div.archgen-mermaid svg"))
    .map(s => s.textContent).join(" "),
})"""

MERMAID_DONE = """() => Array.from(document.querySelectorAll("div.archgen-mermaid"))
  .every(d => d.querySelector("svg") !== null)"""


def _words(value: str) -> str:
    return " ".join(value.split())


def test_no_payload_runs_and_every_payload_shows(payload_site: Path, payload_model: Path) -> None:
    from playwright.sync_api import sync_playwright

    expected = Expected.of(payload_model)
    problems: list[str] = []
    dialogs: list[str] = []
    visited = 0
    with serve(payload_site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        )  # fmt: skip
        page = browser.new_page()
        patient(page)
        page.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith((base, "data:"))
                else route.abort()
            ),
        )
        page.on("dialog", lambda dialog: (dialogs.append(page.url), dialog.dismiss()))
        shown_text: list[str] = []
        for path in _pages(payload_site):
            response = page.goto(base + path, wait_until="load")
            assert response is not None, path
            if not path.endswith(".svg"):
                page.wait_for_function(MERMAID_DONE, timeout=WAIT_MS)
            state = page.evaluate(INJECTED)
            if state["xss"] != "undefined" or state["found"]:
                problems.append(f"{path}: {state}")
            visited += 1
            if not path.endswith(".svg"):
                shown = page.evaluate(SHOWN)
                shown_text.append(page.inner_text("body") + " " + shown["mermaid"])
                problems += expected.problems(shown, path)

        page.goto(base, wait_until="load")
        search = page.locator("input.md-search__input")
        search.click()
        search.press_sequentially(MARK)  # Material listens to key events
        page.wait_for_selector(".md-search-result__item", timeout=WAIT_MS)
        results = page.locator(".md-search-result").inner_text()
        state = page.evaluate(INJECTED)
        browser.close()
    assert problems == [], "\n".join(problems)
    assert dialogs == []
    assert visited > 40
    assert state == {"xss": "undefined", "found": []}
    assert MARK in results
    assert any(title in _words(results) for title in expected.node_titles), results
    everything = _words(" ".join(shown_text))
    for payload in PAYLOADS:
        assert _words(payload) in everything, payload


@dataclass(frozen=True)
class Expected:
    """What the pages must show: the model's text exactly as written."""

    site_name: str
    titles: dict[str, str]
    """Served path → page title."""
    node_titles: set[str]
    """Listed in every page's navigation."""
    participants: dict[str, set[str]]
    """Served path of a flow page → titles its sequence diagram shows."""

    @classmethod
    def of(cls, model_path: Path) -> Expected:
        model = load_model(model_path).model
        titles = {
            _url_path(path): _words(html.unescape(title))
            for path, title in page_titles(model, Paths()).items()
        }
        participants = {
            _url_path(Paths().flow(flow.id)): {
                _words(model.node(node_id).title)
                for step in flow.steps
                for node_id in (step.source, step.target)
            }
            for flow in model.flows
        }
        nodes = {title for path, title in titles.items() if path.startswith("nodes/")}
        return cls(_words(model.system.name), titles, nodes, participants)

    def problems(self, shown: dict[str, Any], path: str) -> list[str]:
        """Site name in the header, ``<title>``, heading, nav and Mermaid labels."""
        problems = []
        if _words(shown["header"]) != self.site_name:
            problems.append(f"{path}: header shows {shown['header']!r}")
        title = self.titles.get(path)
        if title is not None:
            expected = self.site_name if path == "" else f"{title} - {self.site_name}"
            if shown["title"] != expected:
                problems.append(f"{path}: <title> shows {shown['title']!r}")
            if [_words(h) for h in shown["h1"]] != [title]:
                problems.append(f"{path}: h1 shows {shown['h1']!r}")
        missing = self.node_titles - {_words(n) for n in shown["nav"]}
        if path != "404.html" and missing:
            problems.append(f"{path}: nav lacks {sorted(missing)}")
        drawn = _words(shown["mermaid"])
        missing = {t for t in self.participants.get(path, ()) if t not in drawn}
        if missing:
            problems.append(f"{path}: sequence diagram lacks {sorted(missing)}")
        return problems


def _url_path(source: str) -> str:
    """Served path of a generated page (directory URLs): ``nodes/x.md`` → ``nodes/x/``."""
    if source == "index.md":
        return ""
    return source.removesuffix("index.md").removesuffix(".md").rstrip("/") + "/"


def _pages(site: Path) -> list[str]:
    """Every page (directory URLs), the 404 page, and every diagram and chart opened
    by itself, where an SVG's scripts would run."""
    pages = []
    for path in sorted(site.rglob("index.html")):
        folder = path.parent.relative_to(site).as_posix()
        pages.append("" if folder == "." else f"{folder}/")
    pages.append("404.html")
    pages += sorted(
        path.relative_to(site).as_posix()
        for folder in ("diagrams", "charts")
        for path in (site / folder).glob("*.svg")
    )
    return pages
