"""Readability measured on the laid-out SVG: no label over another, and a legible font.

A label box is the text's extent from its SVG position, anchor and font size (DejaVu Sans
widths, see :mod:`tests.render.svg_geometry`). The font on screen is the SVG's label size
scaled to a page ~1400 px wide: the issue's goal is at least 9 px in every view of the
reference model (the overview was 3.6 px, the regions 6.7 px; the security view was one
column ten thousand pixels tall).
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from archgen.model import LoadedModel, load_model
from archgen.renderers import render_view
from archgen.renderers.views import compute_views
from tests.render.conftest import HERE
from tests.render.svg_geometry import (
    label_boxes,
    min_font_px,
    overlaps,
    text_width,
    view_box_width,
)

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")

RIDE = HERE.parent / "models" / "ride-hailing.yaml"
MIN_FONT_PX = 9.0


def _svgs(loaded: LoadedModel) -> dict[str, bytes]:
    return {view.id: render_view(loaded.model, view, "svg") for view in compute_views(loaded.model)}


@pytest.fixture(scope="module")
def reference_svgs(reference: LoadedModel) -> dict[str, bytes]:
    return _svgs(reference)


def _svg(*texts: tuple[str, float, float, str]) -> bytes:
    body = "".join(
        f'<g id="{owner}" class="node"><text text-anchor="middle" x="{x}" y="{y}" '
        f'font-size="14.00">{text}</text></g>'
        for text, x, y, owner in texts
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="700pt" height="100pt" '
        f'viewBox="0.00 0.00 700.00 100.00"><g id="g" class="graph" '
        f'transform="scale(1 1) rotate(0) translate(4 96)">{body}</g></svg>'
    ).encode()


def test_the_measure_can_fail() -> None:
    apart = _svg(("Orders queue", 100, -50, "a"), ("Orders queue", 300, -50, "b"))
    assert overlaps(apart) == []
    close = _svg(("Orders queue", 100, -50, "a"), ("Orders queue", 140, -45, "b"))
    assert [(x.owner, y.owner) for x, y in overlaps(close)] == [("a", "b")]
    # Lines of one label never count against each other.
    assert overlaps(_svg(("Orders", 100, -50, "a"), ("queue", 100, -45, "a"))) == []
    assert view_box_width(apart) == 700.0
    assert min_font_px(apart) == pytest.approx(14 * 1400 / 700)
    box = label_boxes(apart)[0]
    assert box.x1 - box.x0 == pytest.approx(text_width("Orders queue", 14))
    assert 60 < text_width("Orders queue", 14) < 110


def test_no_label_overlaps_in_any_view(
    reference_svgs: dict[str, bytes], photo: LoadedModel, mini: LoadedModel
) -> None:
    ride = load_model(RIDE)
    views = {f"reference/{k}": v for k, v in reference_svgs.items()}
    for name, loaded in (("ride", ride), ("photo", photo), ("mini", mini)):
        views |= {f"{name}/{k}": v for k, v in _svgs(loaded).items()}
    found = {view: [(a.text, b.text) for a, b in overlaps(svg)] for view, svg in views.items()}
    assert {view: pairs for view, pairs in found.items() if pairs} == {}


def test_labels_readable_at_page_width(reference_svgs: dict[str, bytes]) -> None:
    sizes = {view: round(min_font_px(svg), 2) for view, svg in reference_svgs.items()}
    assert len(sizes) == 23
    # Measured 9.11 px for the overview, 9.69 for both regions, 9.90 for security.
    assert {view: px for view, px in sizes.items() if px < MIN_FONT_PX} == {}


def test_security_view_is_not_one_tall_column(reference_svgs: dict[str, bytes]) -> None:
    svg = reference_svgs["security"]
    boxes = label_boxes(svg)
    width, height = (float(v) for v in ET.fromstring(svg).get("viewBox", "").split()[2:])
    # Was 746 x 5366 (7.2 : 1): one column of nodes ten thousand pixels tall at page width.
    assert height / width < 2.6
    columns = {round(b.x0 / 100) for b in boxes if b.owner.startswith("node-")}
    assert len(columns) >= 5
