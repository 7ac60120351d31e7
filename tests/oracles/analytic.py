"""Queueing-theory answers the simulator is checked against, and the statistics that judge
a simulated estimate (a replication mean with its 95 % confidence interval).

Times are in mean service times unless a name says otherwise; ``a`` is the offered load
λ·E[S] in Erlangs, ``rho`` the utilisation a / c.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Student's t, two-sided 95 % (0.975 quantile), by degrees of freedom.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)
_T975 += (2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086)
_T975 += (2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def erlang_b(servers: int, a: float) -> float:
    """Blocking probability of M/G/c/c (insensitive to the service distribution)."""
    blocked = 1.0
    for k in range(1, servers + 1):
        blocked = a * blocked / (k + a * blocked)
    return blocked


def erlang_c(servers: int, rho: float) -> tuple[float, float]:
    """P(wait) and the mean wait Wq (in mean service times) of an M/M/c queue."""
    blocked = erlang_b(servers, servers * rho)
    p_wait = blocked / (1 - rho * (1 - blocked))
    return p_wait, p_wait / (servers * (1 - rho))


@dataclass(frozen=True)
class Mmck:
    """Stationary answers of M/M/c/K (K places in all, c of them in service)."""

    p_block: float  # an arrival finds K in the system (PASTA)
    in_system: float  # mean number in the system, L
    wait: float  # mean wait of an admitted customer, in mean service times


def mmck(servers: int, places: int, a: float) -> Mmck:
    terms = [1.0]
    for n in range(1, places + 1):
        terms.append(terms[-1] * a / min(n, servers))
    total = sum(terms)
    p = [term / total for term in terms]
    queued = sum((n - servers) * p[n] for n in range(servers + 1, places + 1))
    admitted = a * (1 - p[places])  # λ_eff in customers per mean service time
    return Mmck(p[places], sum(n * p[n] for n in range(places + 1)), queued / admitted)


def pollaczek_khinchine(rate: float, mean: float, second_moment: float) -> float:
    """Mean wait of M/G/1 (exact for any service distribution), in the units of ``mean``
    (``rate`` per that unit)."""
    rho = rate * mean
    return rate * second_moment / (2 * (1 - rho))


def jackson_tandem(stations: Sequence[tuple[int, float]]) -> list[float]:
    """Mean wait at each station of a tandem of M/M/c queues fed by one Poisson stream:
    ``(servers, rho)`` per station. Burke: each departure stream is Poisson again, so every
    station is an independent M/M/c (Jackson's product form)."""
    return [erlang_c(servers, rho)[1] for servers, rho in stations]


@dataclass(frozen=True)
class Estimate:
    """The mean of independent replications and its 95 % confidence half-width."""

    mean: float
    half_width: float
    replications: int

    def agrees(self, exact: float, rel: float, floor: float = 0.0) -> bool:
        """Within ``rel`` of the exact value (or within ``floor``, for values so near 0 that
        no run sees them), or the exact value inside the interval."""
        error = abs(self.mean - exact)
        return error <= max(rel * abs(exact), floor) or error <= self.half_width

    def within(self, exact: float, rel: float, floor: float = 0.0) -> bool:
        """The point estimate itself within ``rel`` of the exact value (or within
        ``floor``): no credit for a wide interval, so the replications must be enough."""
        return abs(self.mean - exact) <= max(rel * abs(exact), floor)


def estimate(values: Sequence[float]) -> Estimate:
    n = len(values)
    if n < 2:
        raise ValueError("a confidence interval needs two replications or more")
    t = _T975[min(n - 1, len(_T975)) - 1]
    spread = statistics.stdev(values) / math.sqrt(n)
    return Estimate(statistics.fmean(values), t * spread, n)
