"""One definition of a percentile (model/stats.py), used by the run summary, the CloudWatch
p99 statistic, the SLO check and the site; "no data" is None, never 0 or NaN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archgen.model.stats import percentile, percentiles

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0, 10.0), (1, 10.0), (10, 10.0), (10.5, 20.0), (50, 50.0), (95, 100.0), (99, 100.0)],
)
def test_nearest_rank(q: float, expected: float) -> None:
    values = [float(v) for v in range(100, 0, -10)]  # any order
    assert percentile(values, q) == expected


def test_no_value_is_no_data() -> None:
    assert percentile([], 99) is None
    assert percentiles([], (50, 95, 99)) == (None, None, None)


def test_several_at_once_agree_with_one_at_a_time() -> None:
    values = [3.5, 1.25, 9.0, 7.75, 2.0, 8.5, 4.0]
    qs = (50, 95, 99, 12.5)
    assert percentiles(values, qs) == tuple(percentile(values, q) for q in qs)
    assert percentiles(values, qs) == (4.0, 9.0, 9.0, 1.25)


def test_a_single_value_is_every_percentile() -> None:
    assert percentiles([42.0], (0.1, 50, 99.9)) == (42.0, 42.0, 42.0)


def test_no_other_module_computes_a_percentile() -> None:
    """A percentile is the nearest rank ``ceil(q / 100 * n)`` in one place only."""
    rank = re.compile(r"ceil\(\s*\w+\s*/\s*100\b|def (percentile|quantile)\b")
    found = sorted(
        str(path.relative_to(ROOT))
        for folder in ("cli", "model", "renderers", "runtime", "site")
        for path in (ROOT / folder).rglob("*.py")
        if rank.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["model/stats.py"]
