"""The diagram viewer in Chromium (offline), on the reference model's site: a click on a
node of the overview lands on its page, the buttons, Ctrl + wheel, drag and pinch change the
transform, fit and reset give the computed states, the downloads are the SVG and a PNG,
the hover card shows the node as text, and in the dark scheme no panel is white.

Every page with a diagram is also opened without a console error by test_browser.py.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from test_browser import CHROMIUM, serve

from archgen.model import load_model

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make setup)"),
]

WAIT_MS = 60_000
"""Generous: the machine may be loaded; no verdict depends on how long anything takes."""

READY = """() => Array.from(document.querySelectorAll("figure.archgen-diagram"))
  .every(f => f.hasAttribute("data-archgen-ready"))"""

STATE = """(index) => {
  const figure = document.querySelectorAll("figure.archgen-diagram")[index];
  const svg = figure.querySelector(".archgen-diagram__stage > svg");
  const stage = figure.querySelector(".archgen-diagram__stage").getBoundingClientRect();
  const box = svg.getBoundingClientRect();
  return {transform: svg.style.transform, stage: stage.toJSON(), svg: box.toJSON(),
          url: location.href};
}"""


FULL = """() => { const f = document.querySelector("figure.archgen-diagram");
  return document.fullscreenElement === f || f.classList.contains("is-expanded"); }"""

STEADY = """() => {
  const now = document.querySelector("figure.archgen-diagram svg").style.transform
    + " " + innerWidth + " " + innerHeight + " " + scrollY;
  if (window.__archgenLast === now) window.__archgenSame += 1;
  else { window.__archgenLast = now; window.__archgenSame = 0; }
  return window.__archgenSame >= 10;
}"""
"""True once the transform, the window and its scrolling (a swipe flings) have not changed
for ten animation frames."""


def _scale(transform: str) -> float:
    match = re.search(r"scale\(([-0-9.e]+)\)", transform)
    assert match, transform
    return float(match.group(1))


def _settled(page: Page, index: int, before: str) -> dict[str, Any]:
    """The state once the transform differs from ``before`` (Panzoom applies it in the
    next animation frame)."""
    page.wait_for_function(
        """([index, before]) => document.querySelectorAll("figure.archgen-diagram")[index]
             .querySelector("svg").style.transform !== before""",
        arg=[index, before],
        timeout=WAIT_MS,
    )
    state: dict[str, Any] = page.evaluate(STATE, index)
    return state


def _frames(page: Page, count: int = 3) -> None:
    """Let pending animation frames run (Panzoom writes the transform in one)."""
    page.evaluate(
        """(count) => new Promise(done => {
             const step = n => n ? requestAnimationFrame(() => step(n - 1)) : done();
             step(count);
           })""",
        count,
    )


@contextmanager
def _browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        )  # fmt: skip
        try:
            yield browser
        finally:
            browser.close()


def _open(page: Page, url: str, errors: list[str]) -> None:
    page.on(
        "console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"{page.url}: page error: {e}"))
    response = page.goto(url, wait_until="load")
    assert response is not None, url
    assert response.ok, url
    page.wait_for_function(READY, timeout=WAIT_MS)
    _frames(page)


NODE = "cdn"
"""A node of the reference model's overview."""


def test_overview_zoom_pan_fit_reset_click_and_downloads(published_site: Path) -> None:
    errors: list[str] = []
    with serve(published_site) as base, _browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
        _open(page, base, errors)
        figure = page.locator("figure.archgen-diagram").first
        assert figure.get_attribute("data-archgen-view") == "overview"
        start = _zoom_fit_wheel_drag_reset(page, figure, base)
        _hover_and_downloads(page, figure, published_site)
        _full_screen(page, figure, start)
        _click_lands_on_the_page(page, figure, base)
    assert errors == []


def _zoom_fit_wheel_drag_reset(page: Page, figure: Locator, base: str) -> dict[str, Any]:
    start: dict[str, Any] = page.evaluate(STATE, 0)
    # Fit to width at the start: the diagram is as wide as its panel, top left aligned.
    assert start["svg"]["left"] == pytest.approx(start["stage"]["left"], abs=1)
    assert start["svg"]["top"] == pytest.approx(start["stage"]["top"], abs=1)
    assert start["svg"]["width"] == pytest.approx(start["stage"]["width"], abs=1)

    # The zoom-in button: scale × e^0.3 about the panel's centre.
    figure.locator("[data-archgen-action=zoom-in]").click()
    zoomed = _settled(page, 0, start["transform"])
    assert _scale(zoomed["transform"]) == pytest.approx(
        _scale(start["transform"]) * math.exp(0.3), rel=1e-3
    )
    centre = start["stage"]["left"] + start["stage"]["width"] / 2
    before = (centre - start["svg"]["left"]) / start["svg"]["width"]
    after = (centre - zoomed["svg"]["left"]) / zoomed["svg"]["width"]
    assert after == pytest.approx(before, abs=1e-3), "the centre stays where it was"

    # Fit: the whole diagram inside the panel, touching two opposite sides of it.
    figure.locator("[data-archgen-action=fit]").click()
    fitted = _settled(page, 0, zoomed["transform"])
    stage, svg = fitted["stage"], fitted["svg"]
    for low, high in (("left", "right"), ("top", "bottom")):
        assert svg[low] >= stage[low] - 1
        assert svg[high] <= stage[high] + 1
    touching = [
        side for side in ("width", "height") if svg[side] == pytest.approx(stage[side], abs=1)
    ]
    assert touching != []

    # Ctrl + wheel zooms in at the pointer; a plain wheel leaves the diagram alone.
    page.mouse.move(stage["left"] + stage["width"] / 3, stage["top"] + stage["height"] / 2)
    page.mouse.wheel(0, -300)
    _frames(page)
    assert page.evaluate(STATE, 0)["transform"] == fitted["transform"]
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    wheeled = _settled(page, 0, fitted["transform"])
    assert _scale(wheeled["transform"]) > _scale(fitted["transform"])

    # A drag pans, even when it starts on a link, and does not follow the link.
    stage = wheeled["stage"]
    x, y = stage["left"] + stage["width"] / 2, stage["top"] + stage["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=6)
    page.mouse.up()
    dragged = _settled(page, 0, wheeled["transform"])
    assert _scale(dragged["transform"]) == pytest.approx(_scale(wheeled["transform"]))
    assert dragged["svg"]["left"] == pytest.approx(wheeled["svg"]["left"] + 60, abs=1)
    assert dragged["svg"]["top"] == pytest.approx(wheeled["svg"]["top"] + 40, abs=1)
    assert dragged["url"] == base

    # Reset: back to the start exactly.
    figure.locator("[data-archgen-action=reset]").click()
    reset = _settled(page, 0, dragged["transform"])
    assert reset["transform"] == start["transform"]
    return start


def _hover_and_downloads(page: Page, figure: Locator, site: Path) -> None:
    # Hover: the card shows the node's title and kind as text.
    node = load_model(None).model.nodes_by_id[NODE]
    figure.locator(f'g[id$="-node-{NODE}"] use').hover()
    card = figure.locator(".archgen-diagram__card")
    card.wait_for(state="visible", timeout=WAIT_MS)
    assert card.locator(".archgen-card__title").inner_text() == node.title
    assert card.locator(".archgen-card__kind").inner_text() == "CloudFront"

    # Downloads: the diagram's SVG file, and a PNG drawn from it.
    with page.expect_download(timeout=WAIT_MS) as svg_download:
        figure.locator("a[download]").click()
    assert svg_download.value.suggested_filename == "overview.svg"
    saved = Path(svg_download.value.path())
    assert saved.read_bytes() == (site / "diagrams" / "overview.svg").read_bytes()
    with page.expect_download(timeout=WAIT_MS) as png_download:
        figure.locator("[data-archgen-action=png]").click()
    assert png_download.value.suggested_filename == "overview.png"
    png = Path(png_download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    box = page.evaluate(
        """() => { const b = document.querySelector("figure.archgen-diagram svg")
                     .viewBox.baseVal;
                   return [b.width, b.height]; }"""
    )
    scale = min(2, 8000 / max(box))  # twice the size, at most 8,000 pixels a side
    assert (width, height) == (round(box[0] * scale), round(box[1] * scale))
    assert len(png) > 100_000, "icons and labels drawn, not an empty canvas"


def _full_screen(page: Page, figure: Locator, start: dict[str, Any]) -> None:
    """The figure fills the window, and leaves it again."""
    figure.locator("[data-archgen-action=fullscreen]").click()
    page.wait_for_function(FULL, timeout=WAIT_MS)
    page.wait_for_function(STEADY, timeout=WAIT_MS)
    full = page.evaluate(STATE, 0)
    assert full["stage"]["height"] > start["stage"]["height"]
    figure.locator("[data-archgen-action=fullscreen]").click()
    page.wait_for_function(
        """() => { const f = document.querySelector("figure.archgen-diagram");
             return !document.fullscreenElement && !f.classList.contains("is-expanded"); }""",
        timeout=WAIT_MS,
    )


def _click_lands_on_the_page(page: Page, figure: Locator, base: str) -> None:
    figure.locator("[data-archgen-action=reset]").click()
    _frames(page)
    node = load_model(None).model.nodes_by_id[NODE]
    href = figure.locator(f'g[id$="-node-{NODE}"] a').get_attribute("href")
    assert href == f"nodes/{NODE}/"
    with page.expect_navigation(timeout=WAIT_MS):
        figure.locator(f'g[id$="-node-{NODE}"] use').click()
    assert page.url == f"{base}nodes/{NODE}/"
    assert page.locator("article h1").inner_text().rstrip("¶") == node.title


def test_touch_scroll_drag_pinch_and_full_screen(published_site: Path) -> None:
    """On a phone: a vertical swipe over a diagram scrolls the page and leaves the diagram
    alone, a sideways drag pans it, two fingers zoom about their midpoint, and in full
    screen one finger pans in every direction."""
    errors: list[str] = []
    with serve(published_site) as base, _browser() as browser:
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
        )
        page = context.new_page()
        _open(page, f"{base}nodes/{NODE}/", errors)
        cdp = context.new_cdp_session(page)

        def touch(kind: str, points: list[tuple[float, float]]) -> None:
            cdp.send(
                "Input.dispatchTouchEvent",
                {
                    "type": kind,
                    "touchPoints": [
                        {"x": px, "y": py, "id": n} for n, (px, py) in enumerate(points)
                    ],
                },
            )

        def gesture(moves: list[list[tuple[float, float]]]) -> None:
            touch("touchStart", moves[0])
            for points in moves[1:]:
                touch("touchMove", points)
            touch("touchEnd", [])
            _frames(page)

        def middle(state: dict[str, Any]) -> tuple[float, float]:
            stage = state["stage"]
            return stage["left"] + stage["width"] / 2, stage["top"] + stage["height"] / 2

        start = page.evaluate(STATE, 0)
        assert start["stage"]["right"] <= 390, "the panel fits the phone's width"
        scrolled = page.evaluate("() => window.scrollY")
        x, y = middle(start)
        gesture([[(x, y - 12 * step)] for step in range(8)])
        page.wait_for_function(f"() => window.scrollY > {scrolled}", timeout=WAIT_MS)
        page.wait_for_function(STEADY, timeout=WAIT_MS)
        assert page.evaluate(STATE, 0)["transform"] == start["transform"]

        before = page.evaluate(STATE, 0)
        x, y = middle(before)
        gesture([[(x - 8 * step, y)] for step in range(6)])
        panned = _settled(page, 0, before["transform"])
        assert panned["svg"]["left"] == pytest.approx(before["svg"]["left"] - 40, abs=1)
        assert panned["svg"]["top"] == pytest.approx(before["svg"]["top"], abs=1)

        x, y = middle(panned)
        gesture([[(x - 30 - 12 * step, y - 10), (x + 30 + 12 * step, y + 10)] for step in range(6)])
        pinched = _settled(page, 0, panned["transform"])
        assert _scale(pinched["transform"]) > _scale(panned["transform"])
        for low, size, at in (("left", "width", x), ("top", "height", y)):
            share = (at - panned["svg"][low]) / panned["svg"][size]
            # Each finger's move is an event of its own: between the two, the midpoint
            # is half a step off, so the focus drifts a little.
            assert (at - pinched["svg"][low]) / pinched["svg"][size] == pytest.approx(
                share, abs=0.05
            ), f"the point between the fingers stays ({low})"

        page.locator("[data-archgen-action=fullscreen]").first.click()
        page.wait_for_function(
            FULL,
            timeout=WAIT_MS,
        )
        page.wait_for_function(STEADY, timeout=WAIT_MS)
        full = page.evaluate(STATE, 0)
        x, y = middle(full)
        gesture([[(x, y - 8 * step)] for step in range(6)])
        moved = _settled(page, 0, full["transform"])
        assert moved["svg"]["top"] == pytest.approx(full["svg"]["top"] - 40, abs=1)
        context.close()
    assert errors == []


def test_dark_scheme_has_no_white_panel(published_site: Path) -> None:
    errors: list[str] = []
    with serve(published_site) as base, _browser() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
        page = context.new_page()
        _open(page, f"{base}nodes/cdn/", errors)
        colours = page.evaluate(
            """() => {
              const figure = document.querySelector("figure.archgen-diagram");
              const css = el => getComputedStyle(el);
              const label = figure.querySelector("g.node text");
              const backdrop = figure.querySelector(".archgen-icon-backdrop");
              return {
                scheme: document.body.getAttribute("data-md-color-scheme"),
                panel: css(figure).backgroundColor,
                stage: css(figure.querySelector(".archgen-diagram__stage")).backgroundColor,
                paper: css(figure.querySelector(".archgen-paper")).fill,
                label: css(label).fill,
                backdrop: css(backdrop).display,
              };
            }"""
        )
        context.close()
    assert colours["scheme"] == "slate"
    assert _lightness(colours["panel"]) < 0.3, colours
    assert colours["stage"] in {"rgba(0, 0, 0, 0)", "transparent"}
    assert colours["paper"] in {"rgba(0, 0, 0, 0)", "transparent"}, colours
    assert _lightness(colours["label"]) > 0.6, colours
    assert colours["backdrop"] != "none", "icons sit on a light tile"
    assert errors == []


def _lightness(css_colour: str) -> float:
    values = [float(v) for v in re.findall(r"[0-9.]+", css_colour)[:3]]
    assert len(values) == 3, css_colour
    red, green, blue = values
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def _focus_until_shown(link: Any, card: Any) -> None:
    """Focus ``link`` until its card shows. On a loaded machine a late event of the fit
    animation (Panzoom's) may hide the card just after the focus showed it; focusing again
    shows it (what is checked is the card's text, not the timing)."""
    from playwright.sync_api import TimeoutError as Timeout

    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        link.evaluate("element => element.blur()")
        link.focus()
        try:
            card.wait_for(state="visible", timeout=5_000)
            return
        except Timeout:
            if time.monotonic() > deadline:
                raise


def test_hover_cards_show_planted_markup_as_text(payload_site: Path, payload_model: Path) -> None:
    """The payload model's node and group cards: every planted payload shows as written,
    none runs and none becomes an element."""
    from test_escaping_browser import INJECTED

    model = load_model(payload_model).model
    errors: list[str] = []
    shown: dict[str, str] = {}
    with serve(payload_site) as base, _browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        _open(page, base, errors)
        figure = page.locator("figure.archgen-diagram").first
        figure.locator("[data-archgen-action=fit]").click()
        _frames(page)
        links = figure.locator("a.archgen-link")
        for index in range(links.count()):
            link = links.nth(index)
            card = figure.locator(".archgen-diagram__card")
            _focus_until_shown(link, card)  # the card of a focused box, as for a hover
            shown[link.get_attribute("data-archgen-title") or ""] = card.inner_text()
        state = page.evaluate(INJECTED)
    assert state == {"xss": "undefined", "found": []}
    titles = {node.title for node in model.nodes} | {group.title for group in model.groups}
    assert set(shown) <= titles
    planted = [title for title in shown if "<" in title]
    assert planted, "the payload model's titles carry markup"
    for title in planted:
        assert shown[title].splitlines()[0] == " ".join(title.split())
    assert errors == []


def test_story_step_buttons_light_one_step(published_site: Path) -> None:
    """A step button lights that step's calls and the nodes they join and dims the rest;
    pressing it again (or All) shows every step."""
    errors: list[str] = []
    with serve(published_site) as base, _browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        _open(page, base, errors)
        figure = page.locator("figure.archgen-diagram").first
        buttons = figure.locator("[data-archgen-story]")
        labels = buttons.all_text_contents()
        assert labels[0] == "All"
        assert labels[1:] == [str(n) for n in range(1, len(labels))]
        assert len(labels) >= 6
        figure.locator('[data-archgen-story="2"]').click()
        lit = page.evaluate(
            """() => {
              const f = document.querySelector("figure.archgen-diagram");
              const op = el => getComputedStyle(el).opacity;
              const edges = Array.from(f.querySelectorAll("g.edge"));
              const nodes = Array.from(f.querySelectorAll("g.node"));
              return {
                step: f.getAttribute("data-archgen-step"),
                pressed: f.querySelector('[data-archgen-story="2"]').getAttribute("aria-pressed"),
                litEdges: edges.filter(e => e.classList.contains("story-2")).map(op),
                otherEdges: edges.filter(e => !e.classList.contains("story-2")).map(op),
                litNodes: nodes.filter(n => n.classList.contains("story-2")).map(op),
                otherNodes: nodes.filter(n => !n.classList.contains("story-2")).map(op),
              };
            }"""
        )
        assert lit["step"] == "2"
        assert lit["pressed"] == "true"
        assert set(lit["litEdges"]) == {"1"}
        assert set(lit["litNodes"]) == {"1"}
        assert set(lit["otherEdges"]) == {"0.15"}
        assert set(lit["otherNodes"]) == {"0.15"}
        figure.locator('[data-archgen-story="2"]').click()
        assert figure.get_attribute("data-archgen-step") is None
        assert page.locator("figure.archgen-diagram.is-highlighting").count() == 0
        figure.locator('[data-archgen-story="3"]').click()
        figure.locator('[data-archgen-story="all"]').click()
        assert page.locator("g.is-lit").count() == 0
    assert errors == []


def test_dark_scheme_charts_take_the_page_colours(tiny_site: Path) -> None:
    """Charts are inline: in the dark scheme their axis text is light, with no panel."""
    errors: list[str] = []
    scenario = sorted((tiny_site / "scenarios").iterdir())[0].name
    with serve(tiny_site) as base, _browser() as browser:
        colours = {}
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": 1400, "height": 900}, color_scheme=scheme
            )
            page = context.new_page()
            _open(page, f"{base}scenarios/{scenario}/", errors)
            colours[scheme] = page.evaluate(
                """() => {
                  const figure = document.querySelector("figure.archgen-chart");
                  const css = el => getComputedStyle(el);
                  return {
                    scheme: document.body.getAttribute("data-md-color-scheme"),
                    text: css(figure.querySelector("text.archgen-chart-ink")).fill,
                    figure: css(figure).backgroundColor,
                    width: figure.querySelector("svg").getBoundingClientRect().width,
                  };
                }"""
            )
            context.close()
    assert colours["dark"]["scheme"] == "slate"
    assert _lightness(colours["dark"]["text"]) > 0.6, colours
    assert _lightness(colours["light"]["text"]) < 0.45, colours
    assert colours["dark"]["figure"] in {"rgba(0, 0, 0, 0)", "transparent"}
    assert colours["light"]["width"] > 600, "as wide as the text column (at most as drawn)"
    assert errors == []
