"""The intervals a sweep publishes: Student t quantiles computed exactly, means and bounds."""

from __future__ import annotations

import math

import pytest

from archgen.runtime.sweep_stats import interval, t_quantile


@pytest.mark.parametrize(
    ("df", "expected"),
    [
        (1, 12.7062047),
        (2, 4.3026527),
        (4, 2.7764451),
        (9, 2.2621572),
        (29, 2.0452296),
        (100, 1.9839715),
    ],
)
def test_t_quantile_matches_the_tables(df: int, expected: float) -> None:
    assert t_quantile(df) == pytest.approx(expected, abs=5e-7)


def test_t_quantile_tends_to_the_normal_one() -> None:
    assert t_quantile(10_000) == pytest.approx(1.960201, abs=1e-5)
    with pytest.raises(ValueError, match="at least one degree"):
        t_quantile(0)


def test_interval_of_three_values() -> None:
    mean, low, high, stdev = interval([1.0, 2.0, 3.0])
    half = 4.3026527 / math.sqrt(3)
    assert (mean, stdev) == (2.0, 1.0)
    assert low == pytest.approx(2 - half, abs=1e-6)
    assert high == pytest.approx(2 + half, abs=1e-6)


def test_one_value_has_no_interval_and_bounds_are_clipped() -> None:
    assert interval([5.0]) == (5.0, None, None, None)
    assert interval([0.0, 1.0, 1.0], 0.0, 1.0) == (0.666667, 0.0, 1.0, 0.57735)
    assert interval([2.0, 2.0]) == (2.0, 2.0, 2.0, 0.0)
