"""The hybrid-vs-full tables of ``bench/validate_hybrid.py`` (their runs are too slow for
the suite): bounds, marks and the seeds' 95 % intervals on hand-made runs whose answers
are derived here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from archgen.model.stats import percentiles
from bench.validate_hybrid import (
    MIN_POOLED,
    Pooled,
    depth_peak,
    figure_rows,
    flow_rows,
    mean_curve,
    tables,
    windowed_peak,
)


def latencies(p50: float, p99: float, count: int = 100) -> list[float]:
    """``count`` latencies whose nearest-rank p50 and p99 are ``p50`` and ``p99``."""
    low, high = count // 2, count - count // 100
    return (
        [p50 / 2] * (low - 1)
        + [p50]
        + [(p50 + p99) / 2] * (high - low - 1)
        + [p99] * (count - high + 1)
    )


def run(
    p50: float,
    p99: float,
    availability: float,
    instances: list[float],
    depth: list[float],
    unit: float = 100.0,
) -> dict[str, Any]:
    """A run of one flow ``browse`` (100 requests with this p50 and p99), one fleet ``web``
    and one queue ``jobs``."""
    return {
        "flows": {"browse": latencies(p50, p99)},
        "availability": availability,
        "instances": {"web": instances},
        "depths": {"jobs visible messages": (depth, unit), "idle visible messages": ([0.0], unit)},
    }


def test_windowed_peak_is_the_largest_window_mean() -> None:
    series = [0.0] * 10 + [4.0] * 5 + [0.0] * 5 + [1.0] * 10
    assert windowed_peak(series) == 2.0  # the second window: five 4s and five 0s
    assert windowed_peak([3.0, 5.0]) == 4.0  # a short last window is still a window
    assert windowed_peak([]) == 0.0


def test_mean_curve_averages_each_time_over_the_runs() -> None:
    assert mean_curve([[1, 2, 3], [3, 4, 5, 9]]) == [2, 3, 4]


def test_latencies_have_the_percentiles_asked() -> None:
    assert percentiles(latencies(100, 1000), (50, 99)) == (100, 1000)
    assert percentiles(latencies(100, 1000, 200), (50, 99)) == (100, 1000)


def test_flow_rows_bound_each_percentile_at_ten_percent() -> None:
    full = [run(100, 1100, 1, [1], [0]), run(100, 1100, 1, [1], [0])]
    close = [run(109, 1200, 1, [1], [0])]  # +9 %, +9.1 %
    far = [run(100, 1220, 1, [1], [0])]  # p99 +10.9 %
    [row] = flow_rows("day", full, close)
    # The full runs are alike and there is one hybrid run: no seed leaves anything open.
    assert row.cells == (
        "100",
        "109",
        "+9.0 % (+9.0 to +9.0)",
        "1,100",
        "1,200",
        "+9.1 % (+9.1 to +9.1)",
    )
    assert row.within
    [row] = flow_rows("day", full, far)
    assert not row.within
    assert row.markdown() == (
        "| day | browse | 100 | 100 | +0.0 % (+0.0 to +0.0) | 1,100 | 1,220"
        " | +10.9 % (+10.9 to +10.9) | **no** |"
    )


def test_flow_rows_pool_the_seeds_requests() -> None:
    # Two full runs of 100 requests, 98 at 100 ms: one run's two slowest take 1,000 ms, the
    # other's 3,000 (p99s 1,000 and 3,000, a mean of 2,000). Pooled, the slowest 1 % of the
    # 200 are the two at 3,000, and the 198th is 1,000: pooled p99 1,000.
    full = [run(1, 1, 1, [1], [0]), run(1, 1, 1, [1], [0])]
    full[0]["flows"]["browse"] = [100.0] * 98 + [1000.0] * 2
    full[1]["flows"]["browse"] = [100.0] * 98 + [3000.0] * 2
    hybrid = [run(1, 1, 1, [1], [0])]
    hybrid[0]["flows"]["browse"] = [100.0] * 98 + [1000.0] * 2
    [row] = flow_rows("day", full, hybrid)
    assert row.cells[:2] == ("100", "100")
    assert row.cells[3:5] == ("1,000", "1,000")
    assert row.cells[5].startswith("+0.0 % (")


def test_a_flow_with_too_few_requests_is_not_compared() -> None:
    full = [run(100, 1000, 1, [1], [0])]
    hybrid = [run(100, 1000, 1, [1], [0])]
    hybrid[0]["flows"]["browse"] = latencies(100, 1000, MIN_POOLED - 1)
    assert flow_rows("day", full, hybrid) == []


def test_a_flow_missing_from_one_run_is_not_compared() -> None:
    full = [run(100, 1000, 1, [1], [0])]
    hybrid = [run(100, 1000, 1, [1], [0])]
    hybrid[0]["flows"] = {}
    assert flow_rows("day", full, hybrid) == []


@pytest.mark.parametrize(("hybrid", "within"), [(0.9905, True), (0.9895, False)])
def test_availability_within_half_a_point(hybrid: float, within: bool) -> None:
    full = [run(1, 1, 0.994, [1], [0]), run(1, 1, 0.996, [1], [0])]  # mean 99.50 %
    rows = figure_rows("day", full, [run(1, 1, hybrid, [1], [0])])
    assert rows[0].name == "availability"
    assert rows[0].within is within
    # Resampling the two full runs moves their mean by ±0.1 pt: 99.4, 99.5 or 99.6 %.
    assert rows[0].cells[2] == (
        "-0.45 pt (-0.55 to -0.35)" if within else "-0.55 pt (-0.65 to -0.45)"
    )
    assert rows[0].mark == ("yes" if within else "unresolved")


def test_instance_curves_compare_their_means_at_each_second() -> None:
    # Full: the mean curve 1, 1.5, 3, 3. Hybrid: 1, 1, 1.5, 3 — largest gap −1.5 at 3 s.
    full = [run(1, 1, 1, [1, 1, 3, 3], [0]), run(1, 1, 1, [1, 2, 3, 3], [0])]
    hybrid = [run(1, 1, 1, [1, 1, 1, 3], [0]), run(1, 1, 1, [1, 1, 2, 3], [0])]
    row = figure_rows("day", full, hybrid)[1]
    assert row.name == "web instances"
    assert row.cells[:2] == ("3.0 peak", "3.0 peak")
    assert row.cells[2].startswith("-1.5 at 3 s (largest ")
    assert row.cells[3] == "±1"
    assert not row.within
    # Same peaks, one second late in one run of two: a gap of 1, within.
    late = [run(1, 1, 1, [1, 1, 3, 3], [0]), run(1, 1, 1, [1, 1, 3, 3], [0])]
    assert figure_rows("day", full, late)[1].within


def test_queue_depth_peaks_in_real_units_within_ten_percent() -> None:
    # Full at 1 message = 100 real: windowed peak 50 → 5,000. Hybrid traced at a fifth
    # (1 message = 500 real): 10.8 → 5,400 (+8 %), 11.2 → 5,600 (+12 %).
    full = [run(1, 1, 1, [1], [50.0] * 10)]
    near = [run(1, 1, 1, [1], [10.8] * 10, unit=500.0)]
    far = [run(1, 1, 1, [1], [11.2] * 10, unit=500.0)]
    [row] = [r for r in figure_rows("day", full, near) if "jobs" in r.name]
    assert row.cells == ("5,000", "5,400", "+8.0 % (+8.0 to +8.0)", "±10 % or ±500")
    assert row.within
    [row] = [r for r in figure_rows("day", full, far) if "jobs" in r.name]
    assert not row.within


def test_a_queue_peak_is_the_peak_of_its_mean_depth_over_the_runs() -> None:
    # Two runs peaking at 10 messages (× 100 real) ten seconds apart: each run's peak is
    # 1,000, their mean depth never exceeds 500.
    runs = [
        run(1, 1, 1, [1], [10.0] * 10 + [0.0] * 10),
        run(1, 1, 1, [1], [0.0] * 10 + [10.0] * 10),
    ]
    assert depth_peak(runs, "jobs visible messages") == 500.0
    # Units apply before the mean: 2 messages × 500 and 10 × 100 are the same 1,000.
    mixed = [run(1, 1, 1, [1], [2.0] * 10, unit=500.0), run(1, 1, 1, [1], [10.0] * 10)]
    assert depth_peak(mixed, "jobs visible messages") == 1000.0


def test_a_small_queue_is_within_one_simulated_message() -> None:
    # Full peaks at 2 messages (200 real), hybrid at 1 traced message (500 real): +150 %,
    # but within the 500 one hybrid message stands for.
    full = [run(1, 1, 1, [1], [2.0] * 10)]
    hybrid = [run(1, 1, 1, [1], [1.0] * 10, unit=500.0)]
    [row] = [r for r in figure_rows("day", full, hybrid) if "jobs" in r.name]
    assert row.cells[2] == "+150.0 % (+150.0 to +150.0)"
    assert row.within


def test_tables_count_the_rows_outside_and_name_the_empty_queues() -> None:
    full = [run(100, 1000, 0.999, [2, 2], [5.0] * 10)]
    hybrid = [run(100, 1300, 0.999, [2, 4], [5.0] * 10)]
    text = tables({"day": (full, hybrid)})
    assert "day: empty in every run: idle visible messages" in text
    assert text.endswith("2 of 4 rows outside their bound: day browse, day web instances")
    assert (
        "| day | jobs visible messages peak | 500 | 500 | +0.0 % (+0.0 to +0.0) | ±10 % or ±100"
        " | yes |"
    ) in text


class SmallBlocks(Pooled):
    """Blocks of 3 values: the block search and the search within a block both run."""

    BLOCK = 3


@given(
    st.lists(st.lists(st.integers(0, 50), min_size=1, max_size=20), min_size=1, max_size=6),
    st.data(),
)
def test_a_weighted_pool_has_the_percentiles_of_its_runs_repeated(
    runs: list[list[int]], data: st.DataObject
) -> None:
    """What the bootstrap draws: run k counted ``weights[k]`` times, as if it were there
    that many times, nearest rank as the model's percentiles."""
    weights = data.draw(st.lists(st.integers(0, 3), min_size=len(runs), max_size=len(runs)))
    repeated = [
        float(v) for run_, w in zip(runs, weights, strict=True) for _ in range(w) for v in run_
    ]
    qs = (1, 2.5, 50, 97.5, 99, 100)
    expected = percentiles(repeated, qs)
    for kind in (Pooled, SmallBlocks):
        pool = kind([[float(v) for v in r] for r in runs])
        assert pool.percentiles(qs, np.array(weights, float)) == expected


def depth_runs(*depths: float) -> list[dict[str, Any]]:
    return [run(1, 1, 1, [1], [depth] * 10) for depth in depths]


def test_a_row_outside_only_within_its_seeds_noise_is_unresolved() -> None:
    # Full fidelity's two seeds peak at 1,000 and 1,400 real (mean 1,200); hybrid at 1,350:
    # +12.5 %. Drawn again, full's side is 1,000, 1,200 or 1,400: the difference ranges
    # from -4.2 % to +29.2 % of 1,200, so the seeds cannot tell it is outside ±10 %.
    [row] = [
        r for r in figure_rows("day", depth_runs(10, 14), depth_runs(13.5)) if "jobs" in r.name
    ]
    assert row.cells[2] == "+12.5 % (-4.2 to +29.2)"
    assert (row.within, row.resolved, row.mark) == (False, False, "unresolved")
    # Seeds that agree (1,190 and 1,210): +11.7 % at least, outside whichever are drawn.
    [row] = [
        r for r in figure_rows("day", depth_runs(11.9, 12.1), depth_runs(13.5)) if "jobs" in r.name
    ]
    assert row.cells[2] == "+12.5 % (+11.7 to +13.3)"
    assert (row.within, row.resolved, row.mark) == (False, True, "**no**")


def test_tables_count_the_unresolved_rows_apart() -> None:
    full = [run(100, 1000, 0.999, [2], [10.0] * 10), run(100, 1000, 0.999, [2], [14.0] * 10)]
    hybrid = [run(100, 1000, 0.999, [2], [13.5] * 10)]
    text = tables({"day": (full, hybrid)})
    assert text.endswith(
        "0 of 4 rows outside their bound\n1 more outside it at the estimate, their 95 %"
        " interval reaching within it (unresolved at these seeds): day jobs visible messages peak"
    )


def test_an_interval_is_the_same_for_the_same_runs() -> None:
    full, hybrid = depth_runs(8, 11, 14, 9), depth_runs(12, 10, 13)
    first = figure_rows("day", full, hybrid)
    assert figure_rows("day", full, hybrid) == first
