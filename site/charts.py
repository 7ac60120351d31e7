"""Small SVG charts written by hand: deterministic bytes, no fonts fetched, no plotting library.

Text is XML-escaped; numbers are printed with fixed precision so the same data gives the
same file. Colours read on both the light and the dark theme (the SVG is shown as an image,
so it cannot follow the page's palette).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")
INK = "#7f7f7f"
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 30, 40
LEGEND_ROW = 16
MARKED_POINTS = 40
"""Series this short get a dot per point, so that one period still shows."""


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[float, float], ...]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite bounds")
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(tick, 10) for tick in ticks]


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _label(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


class _Frame:
    def __init__(self, x_ticks: list[float], y_ticks: list[float], top: int = TOP) -> None:
        self.top = top
        self.x0, self.x1 = x_ticks[0], x_ticks[-1]
        self.y0, self.y1 = y_ticks[0], y_ticks[-1]
        self.x_ticks, self.y_ticks = x_ticks, y_ticks

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return LEFT + (value - self.x0) / span * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return HEIGHT - BOTTOM - (value - self.y0) / span * (HEIGHT - self.top - BOTTOM)


def _open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label={quoteattr(title)} '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="16" font-size="13" fill="{INK}">{escape(title)}</text>',
    ]


def _axes(
    frame: _Frame, x_label: str, y_label: str, x_names: Mapping[float, str] | None = None
) -> list[str]:
    """Grid, tick labels (``x_names`` for x positions that stand for names) and titles."""
    parts = []
    for tick in frame.y_ticks:
        y = _fmt(frame.y(tick))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="{INK}" '
            'stroke-opacity="0.25"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y}" dy="4" text-anchor="end" fill="{INK}">'
            f"{escape(_label(tick))}</text>"
        )
    for tick in frame.x_ticks:
        x = _fmt(frame.x(tick))
        parts.append(
            f'<text x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="{INK}">'
            f"{escape(x_names.get(tick, '') if x_names else _label(tick))}</text>"
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(frame.y(frame.y0))}" '
        f'y2="{_fmt(frame.y(frame.y0))}" stroke="{INK}"/>'
    )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) // 2}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'fill="{INK}">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text transform="translate(14 {(frame.top + HEIGHT - BOTTOM) // 2}) rotate(-90)" '
        f'text-anchor="middle" fill="{INK}">{escape(y_label)}</text>'
    )
    return parts


def _legend(names: Sequence[str]) -> tuple[list[str], int]:
    """Legend entries in rows under the title (wrapping), and the plot's top below them."""
    parts = []
    x, y = LEFT, TOP
    for index, name in enumerate(names):
        width = 7 * len(name) + 26
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = LEFT, y + LEGEND_ROW
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" fill="{INK}">{escape(name)}</text>')
        x += width
    return parts, y + LEGEND_ROW


@dataclass(frozen=True)
class Bounds:
    """The ranges a chart's axes must cover at least: charts of one kind across scenarios
    share them, so that one scenario's curve can be compared with another's by eye."""

    x_low: float
    x_high: float
    y_low: float
    y_high: float

    @staticmethod
    def of(series: Sequence[Series]) -> Bounds | None:
        points = [point for line in series for point in line.points]
        if not points:
            return None
        xs = [x for x, _ in points]
        ys = [y for _, y in points]
        return Bounds(min(xs), max(xs), min(0.0, *ys), max(ys))

    def union(self, other: Bounds | None) -> Bounds:
        if other is None:
            return self
        return Bounds(
            min(self.x_low, other.x_low),
            max(self.x_high, other.x_high),
            min(self.y_low, other.y_low),
            max(self.y_high, other.y_high),
        )


def line_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[Series],
    bounds: Bounds | None = None,
) -> str:
    """Time series as lines over at least ``bounds``; an empty chart says so rather than
    inventing an axis."""
    points = [point for line in series for point in line.points]
    parts = _open(title)
    if not points:
        parts.append(
            f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" fill="{INK}">'
            "no data</text>"
        )
        return "\n".join([*parts, "</svg>", ""])
    own = Bounds.of(series)
    assert own is not None
    box = own.union(bounds)
    top = TOP
    if len(series) > 1 or series[0].name:
        legend, top = _legend([line.name for line in series])
        parts += legend
    frame = _Frame(nice_ticks(box.x_low, box.x_high, 8), nice_ticks(box.y_low, box.y_high, 4), top)
    parts += _axes(frame, x_label, y_label)
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        coords = " ".join(f"{_fmt(frame.x(x))},{_fmt(frame.y(y))}" for x, y in line.points)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{coords}"/>'
        )
        if len(line.points) <= MARKED_POINTS:
            parts += [
                f'<circle cx="{_fmt(frame.x(x))}" cy="{_fmt(frame.y(y))}" r="2.5" fill="{colour}"/>'
                for x, y in line.points
            ]
    return "\n".join([*parts, "</svg>", ""])


def histogram(
    title: str, x_label: str, values: Sequence[float], markers: Sequence[tuple[str, float]] = ()
) -> str:
    """Distribution of ``values`` in 30 equal bins, with labelled vertical markers."""
    parts = _open(title)
    if not values:
        parts.append(
            f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" fill="{INK}">'
            "no data</text>"
        )
        return "\n".join([*parts, "</svg>", ""])
    low, high = min(values), max(values)
    bins = 30
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, int((value - low) / width))] += 1
    frame = _Frame(nice_ticks(low, low + width * bins, 8), nice_ticks(0, max(counts), 4))
    parts += _axes(frame, x_label, "count")
    for index, count in enumerate(counts):
        if not count:
            continue
        x_left, x_right = frame.x(low + index * width), frame.x(low + (index + 1) * width)
        y_top = frame.y(count)
        parts.append(
            f'<rect x="{_fmt(x_left)}" y="{_fmt(y_top)}" width="{_fmt(x_right - x_left)}" '
            f'height="{_fmt(frame.y(0) - y_top)}" fill="{PALETTE[0]}"/>'
        )
    for index, (name, value) in enumerate(markers):
        x = _fmt(frame.x(value))
        colour = PALETTE[(index + 1) % len(PALETTE)]
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="{colour}" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x}" y="{TOP + 10 + 12 * index}" dx="3" fill="{colour}">'
            f"{escape(name)}</text>"
        )
    return "\n".join([*parts, "</svg>", ""])


@dataclass(frozen=True)
class BandSeries:
    """A line of means with its confidence band: ``(x, mean, low, high)`` points; ``low``
    and ``high`` are None where there is no interval (a single run)."""

    name: str
    points: tuple[tuple[float, float, float | None, float | None], ...]


def band_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[BandSeries],
    x_names: Sequence[tuple[float, str]] = (),
) -> str:
    """Means as lines over shaded confidence bands (a sweep's measure against a parameter);
    ``x_names`` labels the x positions of a parameter whose values are not numbers."""
    parts = _open(title)
    points = [point for line in series for point in line.points]
    if not points:
        parts.append(
            f'<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" fill="{INK}">'
            "no data</text>"
        )
        return "\n".join([*parts, "</svg>", ""])
    xs = [x for x, _, _, _ in points]
    ys = [y for _, mean, low, high in points for y in (mean, low, high) if y is not None]
    top = TOP
    if len(series) > 1 or series[0].name:
        legend, top = _legend([line.name for line in series])
        parts += legend
    if x_names:  # positions 0, 1, 2…, half a step of margin on each side
        x_ticks = [-0.5, *(x for x, _ in x_names), len(x_names) - 0.5]
    else:
        x_ticks = nice_ticks(min(xs), max(xs), 8)
    frame = _Frame(x_ticks, nice_ticks(min(0.0, *ys), max(ys), 4), top)
    parts += _axes(frame, x_label, y_label, dict(x_names) if x_names else None)
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        banded = [
            (x, low, high)
            for x, _, low, high in line.points
            if low is not None and high is not None
        ]
        if len(banded) > 1:
            upper = " ".join(f"{_fmt(frame.x(x))},{_fmt(frame.y(high))}" for x, _, high in banded)
            lower = " ".join(
                f"{_fmt(frame.x(x))},{_fmt(frame.y(low))}" for x, low, _ in reversed(banded)
            )
            parts.append(
                f'<polygon fill="{colour}" fill-opacity="0.18" stroke="none" '
                f'points="{upper} {lower}"/>'
            )
        for x, low, high in banded:
            parts.append(
                f'<line x1="{_fmt(frame.x(x))}" x2="{_fmt(frame.x(x))}" '
                f'y1="{_fmt(frame.y(low))}" y2="{_fmt(frame.y(high))}" stroke="{colour}" '
                'stroke-opacity="0.6"/>'
            )
        coords = " ".join(
            f"{_fmt(frame.x(x))},{_fmt(frame.y(mean))}" for x, mean, _, _ in line.points
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{coords}"/>'
        )
        parts += [
            f'<circle cx="{_fmt(frame.x(x))}" cy="{_fmt(frame.y(mean))}" r="2.5" fill="{colour}"/>'
            for x, mean, _, _ in line.points
        ]
    return "\n".join([*parts, "</svg>", ""])
