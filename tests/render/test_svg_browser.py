"""Published SVGs are self-contained: no path of this machine, and a browser draws the icons.

The SVG is shown the way a web page shows it, as an ``<img>`` (which cannot load any other
file), drawn onto a canvas; the pixels where each icon sits must not be blank. The same SVG
with its icons pointing at files instead of ``data:`` URIs must come out blank there, so the
test can fail.
"""

from __future__ import annotations

import base64
import re
import shutil
from typing import Any

import pytest

from archgen.model import LoadedModel
from archgen.renderers import render_view
from archgen.renderers.icons import resources_dir
from archgen.renderers.views import compute_views

CHROMIUM = "/usr/bin/chromium"
ABSOLUTE = re.compile(
    rb"""(?:href|src)=["'](?:/|file:)|/(?:home|root|tmp|usr|work)/|site-packages"""
)

MEASURE = """
async (svg) => {
  const image = new Image();
  image.src = "data:image/svg+xml;base64," + svg;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff"; context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(image, 0, 0);
  const holder = document.createElement("div");
  holder.innerHTML = atob(svg);
  document.body.appendChild(holder);
  const root = holder.querySelector("svg").getBoundingClientRect();
  const shares = [];
  for (const icon of holder.querySelectorAll("image")) {
    const box = icon.getBoundingClientRect();
    const x = Math.round(box.left - root.left) + 4, y = Math.round(box.top - root.top) + 4;
    const w = Math.max(1, Math.round(box.width) - 8), h = Math.max(1, Math.round(box.height) - 8);
    const data = context.getImageData(x, y, w, h).data;
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] >> 4) + "," + (data[i + 1] >> 4) + "," + (data[i + 2] >> 4);
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    const background = Math.max(...counts.values());
    // Group icons (22 px, in a corner of their box) sit against its border and label.
    shares.push({share: 1 - background / (w * h), group: icon.closest("g.cluster") !== null});
  }
  holder.remove();
  return shares;
}
"""


def svgs(loaded: LoadedModel) -> dict[str, bytes]:
    return {
        view.id: render_view(loaded.model, view, "svg")
        for view in compute_views(loaded.model)
        if view.kind in {"overview", "security", "flow"}
    }


def test_no_absolute_path_in_any_svg(any_model: tuple[str, LoadedModel]) -> None:
    _, loaded = any_model
    for view_id, svg in svgs(loaded).items():
        match = ABSOLUTE.search(svg)
        assert match is None, f"{view_id}.svg contains {match.group(0)!r}"
        assert str(resources_dir()).encode() not in svg
        assert svg.count(b"data:image/png;base64,") == svg.count(b"<image ")


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_browser_draws_the_icons(mini: LoadedModel, photo: LoadedModel) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    overview = render_view(mini.model, "overview", "svg")
    flow = render_view(photo.model, compute_views(photo.model)[0], "svg")
    unlinked = re.sub(
        rb'xlink:href="data:image/png;base64,[^"]+"',
        b'xlink:href="aws/compute/lambda.png"',
        overview,
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.set_content("<!doctype html><html><body></body></html>")
            shares: dict[str, Any] = {
                name: page.evaluate(MEASURE, base64.b64encode(svg).decode("ascii"))
                for name, svg in (("overview", overview), ("flow", flow), ("unlinked", unlinked))
            }
        finally:
            browser.close()
    # One icon per node, and the group icons of the VPC, both subnets and the Auto Scaling group.
    assert len(shares["overview"]) == len(mini.model.nodes) + 4
    assert sum(icon["group"] for icon in shares["overview"]) == 4
    for name in ("overview", "flow"):
        drawn = [icon["share"] for icon in shares[name]]
        assert drawn, name
        assert min(drawn) > 0.08, (name, drawn)
    # The measure sees a missing icon: node icons whose image does not load are blank.
    missing = [icon["share"] for icon in shares["unlinked"] if not icon["group"]]
    assert len(missing) == len(mini.model.nodes)
    assert max(missing) < 0.01, missing


def test_svg_ids_are_stable(mini: LoadedModel) -> None:
    svg = render_view(mini.model, "overview", "svg").decode("utf-8")
    ids = re.findall(r'<g id="([^"]+)" class="(?:node|cluster)"', svg)
    assert "node&#45;web" in ids
    assert "cluster&#45;vpc&#45;use1" in ids
    assert not [item for item in ids if re.fullmatch(r"(node|clust)\d+", item)]
