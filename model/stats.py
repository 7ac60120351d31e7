"""Statistics every stage states the same way: the run summary, CloudWatch's p99 statistic,
the SLO check and the site's latency tables all take their percentiles from here.

A percentile of no value is ``None`` ("no data"): not 0, which reads as "instantaneous",
and not NaN, which JSON cannot carry.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank ``q``-th percentile (``q`` in 0..100) of ``values``, in any order:
    the smallest value with at least ``q`` % of them at or below it; None without values."""
    return _nearest_rank(sorted(values), q)


def percentiles(values: Iterable[float], qs: Sequence[float]) -> tuple[float | None, ...]:
    """Several percentiles of the same values (sorted once), in the order of ``qs``."""
    ordered = sorted(values)
    return tuple(_nearest_rank(ordered, q) for q in qs)


def _nearest_rank(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
