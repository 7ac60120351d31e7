"""The built site in Debian's Chromium, with every host but 127.0.0.1 blocked: every page
loads without console errors or failed requests, Mermaid renders, images load, every
diagram gets the viewer, search works.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.timeout(1800),  # builds and browses whole sites; minutes on a loaded machine
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make setup)"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) while the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def page_urls(site: Path, base: str) -> list[str]:
    """Every HTML page of the site, as served (directory URLs)."""
    urls = []
    for path in sorted(site.rglob("index.html")):
        folder = path.parent.relative_to(site).as_posix()
        urls.append(base if folder == "." else f"{base}{folder}/")
    return urls


CHECK_PAGE = """() => {
  const images = Array.from(document.images);
  const mermaid = Array.from(document.querySelectorAll("div.archgen-mermaid"));
  const diagrams = Array.from(document.querySelectorAll("figure.archgen-diagram"));
  return {
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    images: images.length,
    diagrams: diagrams.length,
    inert: diagrams.filter(f => !f.querySelector(".archgen-diagram__toolbar")).length,
    mermaid: mermaid.length,
    unrendered: mermaid.filter(d => !d.querySelector("svg")).length,
    errors: document.querySelectorAll(".archgen-mermaid .error-icon").length,
  };
}"""

# A verdict never depends on how busy the machine is: CI has 2 cores that may be loaded (a
# page with Mermaid took 40 s at load 8). Waits are long; a passing page never waits them.
WAIT_MS = 300_000


def patient(page: Page) -> None:
    """Every wait and navigation of ``page`` allows :data:`WAIT_MS` (Playwright: 30 s)."""
    page.set_default_timeout(WAIT_MS)
    page.set_default_navigation_timeout(WAIT_MS)


MERMAID_DONE = """() => Array.from(document.querySelectorAll("div.archgen-mermaid"))
  .every(d => d.querySelector("svg") !== null)"""


def test_every_page_offline(published_site: Path, tiny_site: Path) -> None:
    """Both sites in one browser: the published one (reference model) and the tiny one,
    whose scenario pages carry simulated charts."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    outside: list[str] = []
    failed: list[tuple[str, str, str]] = []
    totals = {"pages": 0, "images": 0, "mermaid": 0, "diagrams": 0}
    with ExitStack() as stack, sync_playwright() as playwright:
        sites = {stack.enter_context(serve(site)): site for site in (published_site, tiny_site)}
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync",  # launch() already uses a fresh temporary profile
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        )  # fmt: skip
        page = browser.new_page()
        patient(page)

        def route(route: Route) -> None:
            if route.request.url.startswith(("http://127.0.0.1:", "data:")):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: _console(problems, page.url, m.type, m.text))
        page.on("pageerror", lambda e: problems.append(f"{page.url}: page error: {e}"))
        page.on("requestfailed", lambda r: failed.append((page.url, r.url, r.failure or "")))
        for base, site in sites.items():
            for url in page_urls(site, base):
                response = page.goto(url, wait_until="load")
                assert response is not None, url
                assert response.ok, url
                page.wait_for_function(MERMAID_DONE, timeout=WAIT_MS)
                state = page.evaluate(CHECK_PAGE)
                problems += _page_problems(url, state)
                totals["pages"] += 1
                for name in ("images", "diagrams", "mermaid"):
                    totals[name] += state[name]

        published = next(iter(sites))
        page.goto(published, wait_until="load")
        search = page.locator("input.md-search__input")
        search.click()
        search.press_sequentially("CloudFront")  # Material listens to key events
        page.wait_for_selector(".md-search-result__item", timeout=WAIT_MS)
        results = page.locator(".md-search-result__item").all_inner_texts()
        browser.close()
        for at, url, reason in failed:
            site = next(s for b, s in sites.items() if url.startswith(b))
            if not _cancelled_by_navigation(site, url, reason):
                problems.append(f"{at}: request failed ({reason}): {url}")
    assert problems == [], "\n".join(problems)
    assert outside == []
    assert totals["pages"] > 40
    assert totals["mermaid"] >= 10, "every flow page has a sequence diagram"
    built = _built_diagrams(sites.values())
    assert totals["diagrams"] == built, "every diagram shown"
    assert built > totals["pages"] / 2
    assert totals["images"] > 0, "the tiny site's charts stay images"
    assert any("CloudFront" in result for result in results)


def _page_problems(url: str, state: dict[str, Any]) -> list[str]:
    problems = [f"{url}: image not loaded: {src}" for src in state["broken"]]
    if state["unrendered"] or state["errors"]:
        problems.append(f"{url}: {state['unrendered']} Mermaid blocks not rendered")
    if state["inert"]:
        problems.append(f"{url}: {state['inert']} diagrams without the viewer")
    return problems


def _built_diagrams(sites: Iterable[Path]) -> int:
    """Diagrams the built pages show inline (archgen.site.viewer)."""
    return sum(
        path.read_text(encoding="utf-8").count('<figure class="archgen-diagram"')
        for site in sites
        for path in site.rglob("index.html")
    )


def _console(problems: list[str], url: str, kind: str, message: str) -> None:
    if kind == "error":
        problems.append(f"{url}: console error: {message}")


def _cancelled_by_navigation(site: Path, url: str, reason: str) -> bool:
    """Chromium fetches the favicon after ``load``; going to the next page aborts that
    fetch. Such an abort is no failure when the file is there to be served."""
    if reason != "net::ERR_ABORTED":
        return False
    path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    return (site / path).is_file()


def test_site_ships_its_own_mermaid(published_site: Path) -> None:
    served = published_site / "assets" / "javascripts" / "mermaid.min.js"
    node_modules = Path(__file__).resolve().parents[2] / "node_modules/mermaid/dist/mermaid.min.js"
    assert served.read_bytes() == node_modules.read_bytes()
    assert shutil.which("chromium") or CHROMIUM.exists()
