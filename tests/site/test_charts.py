"""Hand-written SVG charts: valid XML, exact ticks, deterministic bytes, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from archgen.site.charts import Series, histogram, line_chart, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("low", "high", "count", "expected"),
    [
        (0, 100, 5, [0, 20, 40, 60, 80, 100]),
        (0, 7, 4, [0, 2, 4, 6, 8]),
        (60, 900, 8, [0, 200, 400, 600, 800, 1000]),
        (3, 3, 4, [3.0, 3.5, 4.0]),
        (0.001, 0.004, 3, [0.001, 0.002, 0.003, 0.004]),
    ],
)
def test_nice_ticks(low: float, high: float, count: int, expected: list[float]) -> None:
    assert nice_ticks(low, high, count) == pytest.approx(expected)


def test_line_chart_is_valid_deterministic_and_escaped() -> None:
    series = [
        Series("web <fleet>", ((0, 1), (60, 3), (120, 2))),
        Series("b&b", ((0, 0), (60, 0.5))),
    ]
    first = line_chart("Instances & <friends>", "seconds", "instances", series)
    assert first == line_chart("Instances & <friends>", "seconds", "instances", series)
    root = ET.fromstring(first)
    assert (root.get("width"), root.get("height")) == ("720", "260")
    assert root.findtext(f"{SVG}title") == "Instances & <friends>"
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    assert len(lines[0].get("points", "").split()) == 3
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "web <fleet>" in texts
    assert "b&b" in texts


def test_histogram_counts_every_value_once() -> None:
    values = [float(v) for v in range(100)]
    root = ET.fromstring(histogram("latency", "ms", values, (("p50", 49.5),)))
    bars = root.findall(f"{SVG}rect")
    heights = [float(bar.get("height", "0")) for bar in bars]
    # 100 values in 30 bins of equal width: 10 bins of 4 and 20 of 3 (bar height ∝ count).
    assert len(bars) == 30
    assert sorted({round(h / min(heights), 3) for h in heights}) == [1.0, 1.333]
    assert [element.text for element in root.iter(f"{SVG}text")].count("p50") == 1


def test_empty_charts_say_so() -> None:
    assert ">no data</text>" in line_chart("t", "x", "y", [])
    assert ">no data</text>" in histogram("t", "x", [])
