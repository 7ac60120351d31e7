"""Samplers for :class:`~archgen.model.base.Duration`: a mean and a coefficient of variation."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from archgen.model.base import DistributionKind, Duration


def expected_ms(duration: Duration) -> float:
    """The mean of what :func:`make_sampler` draws from ``duration`` (a uniform clipped at
    0 has a larger mean than declared)."""
    mean = float(duration.mean_ms)
    cv = float(duration.cv)
    kind = duration.distribution
    if mean <= 0:
        return 0.0
    if kind is not DistributionKind.uniform or cv == 0:
        return mean
    half = mean * cv * math.sqrt(3.0)
    return (max(0.0, mean - half) + mean + half) / 2.0


def make_sampler(duration: Duration, rng: random.Random) -> Callable[[], float]:
    """A zero-argument function returning milliseconds drawn from ``duration``."""
    mean = float(duration.mean_ms)
    cv = float(duration.cv)
    kind = duration.distribution
    if mean <= 0:
        return lambda: 0.0
    if kind is DistributionKind.constant or (cv == 0 and kind is not DistributionKind.exponential):
        return lambda: mean
    if kind is DistributionKind.exponential:
        rate = 1.0 / mean
        expo = rng.expovariate
        return lambda: expo(rate)
    if kind is DistributionKind.lognormal:
        sigma2 = math.log1p(cv * cv)
        mu = math.log(mean) - sigma2 / 2
        sigma = math.sqrt(sigma2)
        return _lognormal(rng.random, mu, sigma)
    if kind is DistributionKind.gamma:
        shape = 1.0 / (cv * cv)
        scale = mean * cv * cv
        gamma = rng.gammavariate
        return lambda: gamma(shape, scale)
    half = mean * cv * math.sqrt(3.0)  # uniform with that standard deviation
    low, high = max(0.0, mean - half), mean + half
    uniform = rng.uniform
    return lambda: uniform(low, high)


_NV_MAGICCONST = 4 * math.exp(-0.5) / math.sqrt(2.0)


def _lognormal(random: Callable[[], float], mu: float, sigma: float) -> Callable[[], float]:
    """``Random.lognormvariate(mu, sigma)`` in one call instead of three: the same
    Kinderman-Monahan draw as CPython's ``normalvariate``, so the same numbers."""
    log, exp, magic = math.log, math.exp, _NV_MAGICCONST

    def draw() -> float:
        while True:
            u1 = random()
            u2 = 1.0 - random()
            z = magic * (u1 - 0.5) / u2
            if z * z / 4.0 <= -log(u2):
                return exp(mu + z * sigma)

    return draw
