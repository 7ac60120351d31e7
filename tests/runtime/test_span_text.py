"""Span times are written as ``repr(round(t, 3))``, whatever shortcut formats them."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from archgen.runtime.behavior import Call, Session, Trace
from archgen.runtime.trace import SpanSink

_TIMES = re.compile(r'"end_ms": ([^,]+), .*"start_ms": ([^,]+), ')
EDGES = [0.0, 0.0004, 0.0005, 0.0015, 0.001, 1.0, 2.5, 0.1 + 0.2, 1234.5675, 999.9995, 1e6]


def written_times(folder: Path, start: float, end: float) -> tuple[str, str]:
    sink = SpanSink(folder / "spans.jsonl")
    trace = Trace(1, Session(1, None, None, None, "u1"), None, 0)
    sink.add(Call(trace, 1, None, "a", "b", "Get", None, start, lambda _c: None), end)
    sink.close()
    found = _TIMES.search((folder / "spans.jsonl").read_text())
    assert found is not None
    return found.group(2), found.group(1)


def test_edge_values_are_written_as_their_rounded_repr(tmp_path: Path) -> None:
    for index, value in enumerate(EDGES):
        folder = tmp_path / str(index)
        assert written_times(folder, value, value + 1.0) == (
            repr(round(value, 3)),
            repr(round(value + 1.0, 3)),
        )
    assert written_times(tmp_path / "x", 0.0005, 2.0) == ("0.001", "2.0")
    assert written_times(tmp_path / "y", 0.0015, 1.0005) == ("0.002", "1.0")


@given(st.floats(min_value=0.0, max_value=1e12), st.floats(min_value=0.0, max_value=1e12))
def test_any_time_is_written_as_its_rounded_repr(start: float, end: float) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        assert written_times(Path(scratch), start, end) == (
            repr(round(start, 3)),
            repr(round(end, 3)),
        )
