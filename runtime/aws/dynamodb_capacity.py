"""DynamoDB throughput as AWS meters it: capacity units per request, provisioned capacity
with burst credit, and on-demand tables that accommodate twice their previous peak.

Amounts are counted in half units so that an eventually consistent read (0.5 RCU) stays an
integer and a run stays exact and deterministic.
"""

from __future__ import annotations

from collections import deque

HALF_UNITS = 2
"""Half units per capacity unit."""

ON_DEMAND_ADAPT_S = 1_800
"""An on-demand table's peak becomes its "previous peak" after 30 minutes: traffic over
twice the previous peak within 30 minutes may be throttled (DynamoDB Developer Guide)."""


def request_cost(op: str, reading: bool, *, consistent: bool) -> int:
    """Half units one request of up to 4 KB (read) or 1 KB (write) consumes: an eventually
    consistent read 0.5 RCU, a strongly consistent one 1, a transactional read 2; a write
    1 WCU, a transactional write 2."""
    if op.startswith("Transact"):
        return 2 * HALF_UNITS
    if reading:
        return HALF_UNITS if consistent else HALF_UNITS // 2
    return HALF_UNITS


class ProvisionedCapacity:
    """A token bucket: ``units_per_s`` refill continuously and up to ``burst_s`` seconds of
    unused capacity are kept (AWS retains up to 300 s); it starts full, as a table idle
    before the run."""

    def __init__(self, units_per_s: float, burst_s: int) -> None:
        self.rate = units_per_s * HALF_UNITS / 1000.0  # half units per ms
        self.size = float(units_per_s * HALF_UNITS * max(burst_s, 1))
        self.tokens = self.size
        self.at_ms = 0.0

    def resize(self, now_ms: float, units_per_s: float, burst_s: int) -> None:
        """New provisioned capacity from ``now_ms`` (auto scaling): the credit earned so
        far is kept, up to the new burst size."""
        self.take(now_ms, 0)
        self.rate = units_per_s * HALF_UNITS / 1000.0
        self.size = float(units_per_s * HALF_UNITS * max(burst_s, 1))
        self.tokens = min(self.tokens, self.size)

    def take(self, now_ms: float, cost: int) -> bool:
        """Consume ``cost`` half units now if the bucket holds them."""
        self.tokens = min(self.size, self.tokens + (now_ms - self.at_ms) * self.rate)
        self.at_ms = now_ms
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class OnDemandCapacity:
    """Per-second ceiling of an on-demand table: the larger of its warm throughput (a new
    table: 12,000 reads or 4,000 writes per second) and twice its previous peak, a peak
    counting as previous once ``ON_DEMAND_ADAPT_S`` have passed since it was reached."""

    def __init__(self, warm_units_per_s: float) -> None:
        self.warm = warm_units_per_s * HALF_UNITS
        self.second = -1
        self.used = 0
        self.previous_peak = 0
        self._recent: deque[tuple[int, int]] = deque()  # (second, half units used)

    def ceiling(self) -> float:
        return max(self.warm, 2 * self.previous_peak)

    def take(self, now_ms: float, cost: int) -> bool:
        second = int(now_ms // 1000)
        if second != self.second:
            if self.used:
                self._recent.append((self.second, self.used))
            self.second, self.used = second, 0
            while self._recent and self._recent[0][0] <= second - ON_DEMAND_ADAPT_S:
                self.previous_peak = max(self.previous_peak, self._recent.popleft()[1])
        if self.used + cost > self.ceiling():
            return False
        self.used += cost
        return True
