"""A token bucket: how API Gateway throttles a stage and Secrets Manager its API calls.

``rate`` tokens a second refill a bucket of ``size`` tokens, full at the start; each
request takes one, and a request that finds less than one token is throttled. Times are
the simulation's milliseconds.
"""

from __future__ import annotations


class TokenBucket:
    """``rate_per_s`` tokens per second up to ``size``; starts full."""

    __slots__ = ("at_ms", "rate", "size", "tokens")

    def __init__(self, rate_per_s: float, size: float) -> None:
        self.rate = rate_per_s / 1000.0  # tokens per ms
        self.size = size
        self.tokens = size
        self.at_ms = 0.0

    def take(self, now_ms: float) -> bool:
        """Take one token now if the bucket holds one."""
        self.tokens = min(self.size, self.tokens + (now_ms - self.at_ms) * self.rate)
        self.at_ms = now_ms
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True
