"""Hybrid fidelity for caches: the lookups of the untraced load, simulated lazily per key.

In hybrid fidelity a cache sees only the traced share s of its lookups, so an object that
expired waits longer for the lookup that refills it: fewer hits than the whole load gets,
and fewer objects cached when an origin fails. The untraced lookups of one key k form a
Poisson process of rate μ_k(t) = λ(t)·(1 − s)/s·p_k, with λ(t) the traced lookup rate of
the stream (an edge location and operation) and p_k the key's share of the items (the
scenario's Zipf law). When a traced lookup at time t finds k expired (or never cached)
since e, :meth:`UntracedFills.refill` draws the first untraced lookup a after e by
inverting the cumulative rate; if a < t and the origin could answer at a, that lookup
refilled the object, which expires at a + TTL; repeat until past t. That is exact for a
TTL cache under Poisson lookups (the hit ratio of one key of rate λ and TTL T is
λT/(1 + λT), whatever s), costs O(1) expected draws per traced lookup and uses only the
node's RNG. An untraced lookup while the origin is out (the scenario's outage windows)
fills nothing; the next one after the window is drawn from its end (memoryless).

Λ(t), the cumulative traced lookups of a stream, integrates a rate estimated from the
gaps before each lookup (never the gap ending at the key's own lookup, which a count of
lookups would condition on), with a breakpoint a second, so a load that moves (a surge)
moves the untraced lookups with it.
"""

from __future__ import annotations

import bisect
import math
import random
from array import array
from collections.abc import Callable, Hashable

from archgen.runtime.fluid import Mean

RATE_WINDOW = 50
"""Traced lookups the rate between two of them is estimated over: a short window follows
a surge; its noise averages out in Λ, an integral over many windows."""

BREAK_MS = 1_000.0
"""Λ keeps a breakpoint at most every second: the rate is taken constant within one."""


class LookupRate:
    """Λ(t), the traced lookups of one stream up to t: piecewise linear in t."""

    __slots__ = ("gaps", "last", "times", "total", "totals")

    def __init__(self) -> None:
        self.gaps = Mean(RATE_WINDOW)
        self.last = 0.0  # lookups start with the run, at 0
        self.total = 0.0
        self.times = array("d", [0.0])
        self.totals = array("d", [0.0])

    def add(self, now: float) -> None:
        """A traced lookup at ``now`` (times never decrease)."""
        gap = now - self.last
        mean = self.gaps.value
        self.total += 1.0 if mean is None or mean <= 0 else gap / mean
        self.gaps.add(gap)
        self.last = now
        if now - self.times[-1] >= BREAK_MS:
            self.times.append(now)
            self.totals.append(self.total)

    def at(self, t: float) -> float:
        """Λ(t), for 0 ≤ t ≤ the last lookup."""
        if t >= self.last:
            return self.total
        times = self.times
        index = bisect.bisect_right(times, t) - 1
        start, level = times[index], self.totals[index]
        if index + 1 < len(times):
            end, top = times[index + 1], self.totals[index + 1]
        else:
            end, top = self.last, self.total
        return level if end <= start else level + (top - level) * (t - start) / (end - start)

    def when(self, level: float) -> float:
        """The time Λ reaches ``level``; infinite if past the last lookup."""
        if level > self.total:
            return math.inf
        totals = self.totals
        index = max(0, bisect.bisect_left(totals, level) - 1)
        start, low = self.times[index], totals[index]
        if index + 1 < len(totals):
            end, top = self.times[index + 1], totals[index + 1]
        else:
            end, top = self.last, self.total
        if top <= low:
            return end
        return start + (end - start) * (level - low) / (top - low)


class UntracedFills:
    """The untraced lookups of one cache's keys, drawn when a traced lookup needs them."""

    __slots__ = ("available_from", "odds", "rng", "share", "simulated", "ttl_ms")

    def __init__(
        self,
        sample: float,
        ttl_ms: float,
        rng: random.Random,
        share: Callable[[int], float],
        available_from: Callable[[float], float],
    ) -> None:
        self.odds = (1.0 - sample) / sample  # untraced lookups per traced one
        self.ttl_ms = ttl_ms
        self.rng = rng
        self.share = share  # p_k of an item
        self.available_from = available_from  # first time ≥ t the origin answers
        self.simulated: dict[Hashable, float] = {}
        """Per key, the time up to which its untraced lookups are drawn."""

    def refill(
        self, key: Hashable, item: int, rate: LookupRate, expires: float | None, now: float
    ) -> float | None:
        """The key's expiry once the untraced lookups since it expired (``expires``; None:
        never cached, since 0) up to ``now`` have refilled it: after ``now`` is a hit."""
        simulated = self.simulated
        start = max(0.0 if expires is None else expires, simulated.get(key, 0.0))
        simulated[key] = now
        weight = self.odds * self.share(item)
        if start >= now or weight <= 0.0 or self.ttl_ms <= 0.0:
            return expires
        expovariate = self.rng.expovariate
        level = rate.at(start)
        while True:
            level += expovariate(1.0) / weight
            refill = rate.when(level)
            if refill >= now:
                return expires
            answered = self.available_from(refill)
            if answered > refill:  # the origin is out: this lookup fills nothing
                if answered >= now:
                    return expires
                level = rate.at(answered)
                continue
            expires = refill + self.ttl_ms
            if expires > now:
                return expires
            level = rate.at(expires)


Windows = tuple[tuple[float, float], ...]


def available_from(own: Windows, *origins: Windows) -> Callable[[float], float]:
    """``available_from(t)``: the first time ≥ t at which a request is answered, given the
    (start, end) outage windows (merged, in order) of the cache itself and of its origins
    (one of which must be up: a primary and its failover)."""

    def up_from(windows: Windows, t: float) -> float:
        for start, end in windows:
            if start <= t < end:
                return end
        return t

    def first(t: float) -> float:
        while True:
            ready = up_from(own, t)
            if origins:
                ready = min(up_from(windows, ready) for windows in origins)
            if ready == t or math.isinf(ready):
                return ready
            t = ready

    return first
