"""A key → expiry cache of bounded size that evicts the least recently used key: what a
CloudFront edge location and an ElastiCache node (``maxmemory`` with an LRU policy) both
keep, so the two share one implementation of LRU order and TTLs.

Times are the simulation's milliseconds; an entry is fresh while ``now < expires``.
Expired entries stay until looked up or evicted (CloudFront serves them stale on an
origin error; Redis expires keys lazily), so a lookup reports the expiry either way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

NEVER = float("inf")
"""The expiry of an entry stored without a TTL."""


class LruCache(Generic[K]):
    """At most ``capacity`` entries; storing one more evicts the least recently used."""

    __slots__ = ("capacity", "entries", "evicted")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[K, float] = OrderedDict()
        self.evicted = 0
        """Entries pushed out for room since the cache was made (not expiries)."""

    def __len__(self) -> int:
        return len(self.entries)

    def expiry(self, key: K) -> float | None:
        """When ``key``'s entry expires (perhaps already), or ``None`` if it has none."""
        return self.entries.get(key)

    def fresh(self, key: K, now: float) -> bool:
        """Whether ``key`` is cached and not expired; a fresh hit becomes most recent."""
        expires = self.entries.get(key)
        if expires is None or expires <= now:
            return False
        self.entries.move_to_end(key)
        return True

    def store(self, key: K, expires: float) -> int:
        """Cache ``key`` until ``expires`` as the most recent entry; how many it evicted."""
        entries = self.entries
        entries[key] = expires
        entries.move_to_end(key)
        evicted = 0
        while len(entries) > self.capacity:
            entries.popitem(last=False)
            evicted += 1
        self.evicted += evicted
        return evicted

    def drop(self, key: K) -> bool:
        """Remove ``key`` (a delete, or a lazy expiry); whether it was there."""
        return self.entries.pop(key, None) is not None

    def clear(self) -> None:
        """Forget everything (a node replaced empty)."""
        self.entries.clear()
