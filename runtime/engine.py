"""The discrete-event kernel: a heap of (time, sequence, callback, argument).

Callbacks rather than generators: scheduling an event is one ``heappush`` of a tuple and
running it one ``heappop`` and a call, which is what makes the kernel several times faster
than SimPy (see ``bench/bench_runtime.py``). Ties at the same time run in the order they
were scheduled (the sequence number), so runs are deterministic. The contract a run
keeps: site/docs/guide/how-a-model-runs.md ("How a model runs").
"""

from __future__ import annotations

import gc
import random
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from heapq import heappop, heappush
from typing import Any


class Kernel:
    """Simulated time in milliseconds; ``run`` processes events up to a horizon."""

    __slots__ = ("_heap", "_seq", "events", "now")

    def __init__(self) -> None:
        self.now = 0.0
        self.events = 0
        self._seq = 0
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []

    def at(self, time: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Run ``fn(arg)`` at ``time`` (never before now)."""
        time = max(time, self.now)
        self._seq += 1
        heappush(self._heap, (time, self._seq, fn, arg))

    def after(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Run ``fn(arg)`` ``delay`` ms from now."""
        self._seq += 1
        heappush(self._heap, (self.now + (delay if delay > 0 else 0.0), self._seq, fn, arg))

    def run(self, until: float = float("inf")) -> None:
        """Process events in time order while their time is at most ``until``."""
        heap = self._heap
        processed = 0
        try:
            while heap and heap[0][0] <= until:
                time, _, fn, arg = heappop(heap)
                self.now = time
                processed += 1
                fn(arg)
        finally:
            self.events += processed
        if until != float("inf") and until > self.now:
            self.now = until

    @property
    def pending(self) -> int:
        return len(self._heap)


def stream(seed: int, name: str) -> random.Random:
    """An independent RNG stream for ``name`` (a node id, "traffic"…) under ``seed``.

    Derived with CRC32 so it does not depend on Python's per-process string hashing.
    """
    return random.Random((seed << 32) ^ zlib.crc32(name.encode("utf-8")))  # noqa: S311 - simulation


GC_THRESHOLD = (100_000, 50, 100)


@contextmanager
def run_collector() -> Iterator[None]:
    """The cyclic garbage collector tuned for a run, restored after it.

    A run allocates millions of short-lived objects (calls, traces, continuations); with
    CPython's default thresholds the collector scans the young ones every 700 allocations
    and the whole heap (the model, the plans) again and again: about an eighth of a run's
    CPU time. What exists before the run is frozen (never scanned), and the young
    generation is collected every 100,000 allocations; cycles are still collected.
    """
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
