"""The kernel: time order, deterministic ties, independent RNG streams."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from archgen.runtime.engine import Kernel, stream


def test_events_run_in_time_order_and_ties_in_scheduling_order() -> None:
    kernel = Kernel()
    seen: list[str] = []
    kernel.at(5.0, seen.append, "b")
    kernel.at(1.0, seen.append, "a")
    kernel.at(5.0, seen.append, "c")
    kernel.after(5.0, seen.append, "d")
    kernel.run()
    assert seen == ["a", "b", "c", "d"]
    assert kernel.now == 5.0
    assert kernel.events == 4


def test_run_stops_at_the_horizon_and_resumes() -> None:
    kernel = Kernel()
    seen: list[float] = []
    for time in (1.0, 2.0, 3.0):
        kernel.at(time, lambda _: seen.append(kernel.now))
    kernel.run(2.0)
    assert seen == [1.0, 2.0]
    assert kernel.now == 2.0
    assert kernel.pending == 1
    kernel.run()
    assert seen == [1.0, 2.0, 3.0]


def test_scheduling_in_the_past_runs_now() -> None:
    kernel = Kernel()
    seen: list[float] = []
    kernel.at(10.0, lambda _: kernel.at(3.0, lambda _: seen.append(kernel.now)))
    kernel.run()
    assert seen == [10.0]


def test_streams_are_reproducible_and_independent() -> None:
    a1 = [stream(7, "web").random() for _ in range(3)]
    a2 = [stream(7, "web").random() for _ in range(3)]
    b = [stream(7, "db").random() for _ in range(3)]
    c = [stream(8, "web").random() for _ in range(3)]
    assert a1 == a2
    assert a1 != b
    assert a1 != c


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1000), st.lists(st.floats(0, 50), max_size=3)),
        min_size=1,
        max_size=40,
    )
)
def test_time_never_decreases(plan: list[tuple[float, list[float]]]) -> None:
    """Whatever events schedule (including new events from inside events), the clock only
    moves forward, and every event runs exactly once."""
    kernel = Kernel()
    times: list[float] = []

    def fire(delays: Any) -> None:
        times.append(kernel.now)
        for delay in delays:
            kernel.after(delay, fire, [])

    for at, delays in plan:
        kernel.at(at, fire, delays)
    kernel.run()
    assert times == sorted(times)
    assert len(times) == len(plan) + sum(len(delays) for _, delays in plan)
    assert kernel.events == len(times)
