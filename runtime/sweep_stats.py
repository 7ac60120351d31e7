"""Confidence intervals over seeds: the mean of a measure and its Student-t interval.

Seeds are independent replications of one configuration, so the mean's interval is
``mean ± t(0.975, n−1) · s / √n``. The t quantile is computed exactly (no table, no
SciPy): for an integer number of degrees of freedom the t distribution's CDF is a finite
sum (Abramowitz & Stegun 26.7.3–4), and bisection inverts it to double precision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CONFIDENCE = 0.95
DIGITS = 6
"""Decimals kept in published statistics: the same inputs give the same bytes anyway; this
only keeps the files readable."""


def _central_mass(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with ``df`` degrees of freedom (A&S 26.7.3–4)."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    sin = math.sin(theta)
    if df % 2 == 1:
        if df == 1:
            return 2 * theta / math.pi
        term, total = math.cos(theta), math.cos(theta)
        for k in range(3, df - 1, 2):
            term *= cos2 * (k - 1) / k
            total += term
        return 2 / math.pi * (theta + sin * total)
    term, total = 1.0, 1.0
    for k in range(2, df - 1, 2):
        term *= cos2 * (k - 1) / k
        total += term
    return sin * total


def t_quantile(df: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided ``confidence`` quantile of Student's t: t(0.975, df) for 95 %."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    low, high = 0.0, 1.0
    while _central_mass(high, df) < confidence:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if _central_mass(middle, df) < confidence:
            low = middle
        else:
            high = middle
    return high


def interval(
    values: Sequence[float], low: float = -math.inf, high: float = math.inf
) -> tuple[float, float | None, float | None, float | None]:
    """``(mean, low, high, stdev)`` of ``values``, the bounds clipped to the measure's range
    ``[low, high]`` (a share cannot exceed 1, an age cannot be negative); the bounds and the
    standard deviation are None for a single value (no spread to measure)."""
    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return _round(mean), None, None, None
    variance = math.fsum((value - mean) ** 2 for value in values) / (n - 1)
    stdev = math.sqrt(variance)
    half = t_quantile(n - 1) * stdev / math.sqrt(n)
    return (
        _round(mean),
        _round(max(low, mean - half)),
        _round(min(high, mean + half)),
        _round(stdev),
    )


def _round(value: float) -> float:
    return round(value, DIGITS) + 0.0  # + 0.0: no "-0.0" in the files
