"""Geometry of a Graphviz SVG: label boxes, overlaps, and the font size on screen.

Text widths come from the advance widths of DejaVu Sans (the font Graphviz lays out
"Sans-Serif" with here, and one of the widest sans fonts, so the boxes are not too
small for a browser's font). The font is read from its TrueType tables, without a
font library.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FALLBACK_EM = 0.62
"""Average advance (in em) used when the font file is absent."""
FIT_WIDTH_PX = 1400
SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Box:
    owner: str
    """Id of the node, edge, cluster or graph the text belongs to."""
    text: str
    font_size: float
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, slack: float = 0.5) -> bool:
        return (
            min(self.x1, other.x1) - max(self.x0, other.x0) > slack
            and min(self.y1, other.y1) - max(self.y0, other.y0) > slack
        )


@cache
def _advances() -> tuple[dict[int, int], int, int]:
    """code point → advance width, the default advance, units per em."""
    data = FONT.read_bytes()
    count = struct.unpack(">H", data[4:6])[0]
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * i : 28 + 16 * i])
        tables[tag.decode("ascii")] = (offset, length)
    units = struct.unpack(">H", data[tables["head"][0] + 18 : tables["head"][0] + 20])[0]
    metrics = struct.unpack(">H", data[tables["hhea"][0] + 34 : tables["hhea"][0] + 36])[0]
    hmtx = tables["hmtx"][0]
    widths = [struct.unpack(">H", data[hmtx + 4 * g : hmtx + 4 * g + 2])[0] for g in range(metrics)]
    cmap = tables["cmap"][0]
    glyphs: dict[int, int] = {}
    for i in range(struct.unpack(">H", data[cmap + 2 : cmap + 4])[0]):
        platform, encoding, sub = struct.unpack(">HHI", data[cmap + 4 + 8 * i : cmap + 12 + 8 * i])
        start = cmap + sub
        if (platform, encoding) != (3, 1) or struct.unpack(">H", data[start : start + 2])[0] != 4:
            continue
        segs = struct.unpack(">H", data[start + 6 : start + 8])[0] // 2
        ends = struct.unpack(f">{segs}H", data[start + 14 : start + 14 + 2 * segs])
        base = start + 16 + 2 * segs
        starts = struct.unpack(f">{segs}H", data[base : base + 2 * segs])
        deltas = struct.unpack(f">{segs}h", data[base + 2 * segs : base + 4 * segs])
        range_at = base + 4 * segs
        offsets = struct.unpack(f">{segs}H", data[range_at : range_at + 2 * segs])
        for s in range(segs):
            for code in range(starts[s], min(ends[s], 0x2FFF) + 1):
                if offsets[s] == 0:
                    glyph = (code + deltas[s]) & 0xFFFF
                else:
                    at = range_at + 2 * s + offsets[s] + 2 * (code - starts[s])
                    glyph = struct.unpack(">H", data[at : at + 2])[0]
                    glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
                if glyph:
                    glyphs[code] = widths[min(glyph, metrics - 1)]
        break
    return glyphs, widths[0], units


def text_width(text: str, font_size: float) -> float:
    if not FONT.is_file():
        return len(text) * FALLBACK_EM * font_size
    glyphs, default, units = _advances()
    return sum(glyphs.get(ord(char), default) for char in text) * font_size / units


def _owner(element: ET.Element, parents: dict[ET.Element, ET.Element]) -> str:
    while element in parents:
        element = parents[element]
        if element.tag == SVG + "g" and element.get("class") in {
            "node",
            "edge",
            "cluster",
            "graph",
        }:
            return element.get("id", "")
    return ""


def label_boxes(svg: bytes) -> list[Box]:
    """Every text's box in the SVG's user units (``text-anchor`` and baseline applied)."""
    root = ET.fromstring(svg)
    parents = {child: parent for parent in root.iter() for child in parent}
    boxes = []
    for text in root.iter(SVG + "text"):
        content = "".join(text.itertext())
        size = float(text.get("font-size", "14"))
        x, y = float(text.get("x", "0")), float(text.get("y", "0"))
        width = text_width(content, size)
        anchor = text.get("text-anchor", "start")
        x0 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
        boxes.append(
            Box(
                _owner(text, parents),
                content,
                size,
                x0,
                y - 0.76 * size,
                x0 + width,
                y + 0.24 * size,
            )
        )
    return boxes


def overlaps(svg: bytes) -> list[tuple[Box, Box]]:
    """Pairs of texts of different owners whose boxes intersect."""
    boxes = sorted(label_boxes(svg), key=lambda box: box.x0)
    found = []
    for i, box in enumerate(boxes):
        for other in boxes[i + 1 :]:
            if other.x0 >= box.x1:
                break
            if other.owner != box.owner and box.overlaps(other):
                found.append((box, other))
    return found


def view_box_width(svg: bytes) -> float:
    root = ET.fromstring(svg)
    return float(root.get("viewBox", "0 0 0 0").split()[2])


def _scale(svg: bytes) -> float:
    match = re.search(rb'class="graph" transform="scale\(([\d.]+)', svg)
    return 1.0 if match is None else float(match.group(1))


def min_font_px(svg: bytes, width_px: float = FIT_WIDTH_PX) -> float:
    """The smallest label font, in screen pixels, when the SVG is fitted to ``width_px``."""
    sizes = [box.font_size for box in label_boxes(svg)]
    return min(sizes) * _scale(svg) * width_px / view_box_width(svg)
