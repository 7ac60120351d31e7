"""Hybrid fidelity: a traced sample of the sessions, the rest of the load as a fluid.

In ``full`` fidelity every session is simulated request by request, and ``scale`` shrinks
traffic and servers alike; shrinking a pool of c servers changes its queueing (an M/M/400
becomes an M/M/4). In ``hybrid`` fidelity ``scale`` is the system simulated, and only
``sample`` of its sessions are traced. Linear things (token buckets, quotas, counters)
keep using the effective factor scale × sample; a **pool of servers** keeps its real
c = count × scale servers, shared by the traced requests and the untraced rest of the load.

:class:`FluidPool` is that pool. It estimates the whole offered load a(t) = λ̂ ĥ from the
traced arrivals (their rate ÷ sample) and the traced hold times, and decides every traced
arrival by the pointwise-stationary approximation (the pool is taken to be in the
stationary state of its current load, which holds when the load moves slowly against the
hold time):

- a queueing pool makes it wait with probability ErlangC(c, a), an Exp(cμ − λ) time;
  beyond the waiting room (P(queue ≥ K) = C·ρ^K) it is rejected;
- a loss pool (concurrency or connection limits) rejects it with probability
  ErlangB(c, a);
- when a ≥ c a fluid backlog integrates λ − cμ; an arrival waits for the backlog ahead of
  it and is rejected when the backlog is past the waiting room (a loss pool: rejected with
  probability 1 − c/a).

The pool is shared by ``split`` identical parallel pools the load divides over evenly (a
fleet behind round robin: each instance its own pool at λ/n); ``busy`` is the servers in
use in all of them, what metrics report.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

Mode = Literal["full", "hybrid"]

ARRIVAL_WINDOW = 4_000
"""Traced arrivals the rate estimate averages over (an exponentially weighted mean of the
gaps). Erlang C is steep near saturation, so noise in the estimate biases the mean wait
upwards (by about (ρ/(1−ρ))² of its relative variance): 4,000 arrivals keep that under
1 % at ρ = 0.9 while a sample of 100 traced arrivals per second still follows a load that
moves over tens of seconds."""

HOLD_WINDOW = 10_000
"""Traced hold times the mean hold time averages over (hold times move less than rates)."""

MAX_SAMPLE_EVENTS = 3_000_000
"""Events the traced part of a hybrid run is kept under when ``--sample`` is not given."""


@dataclass(frozen=True)
class Fidelity:
    """How a run simulates its system: every session (``full``) or a traced ``sample`` of
    them with the pools as fluids (``hybrid``)."""

    mode: Mode = "full"
    sample: float = 1.0

    @property
    def hybrid(self) -> bool:
        return self.mode == "hybrid"

    def traced(self, scale: float) -> float:
        """The factor traced traffic and linear capacities are simulated at."""
        return scale * self.sample if self.hybrid else scale


FULL = Fidelity()


class Mean:
    """An exponentially weighted mean over about ``window`` values, unbiased from the
    first value on (the weights are normalised, no warm-up toward a prior)."""

    __slots__ = ("decay", "total", "weight")

    def __init__(self, window: int) -> None:
        self.decay = 1.0 - 1.0 / window
        self.total = 0.0
        self.weight = 0.0

    def add(self, value: float) -> None:
        self.total = self.total * self.decay + value
        self.weight = self.weight * self.decay + 1.0

    @property
    def value(self) -> float | None:
        return self.total / self.weight if self.weight else None


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/G/c/c with ``load`` Erlangs offered, for any c.

    The inverse recurrence 1/B(k) = 1 + (k/a)/B(k−1) starts 20 standard deviations below
    min(c, a) from the fluid value 1/(1 − k/a) (off by about 1/400; each step multiplies
    the error by k/a < 1, by e^−200 in all), and stops once 1/B overflows a double: O(√a)
    steps however large c is (tens of thousands of Lambda environments)."""
    if servers <= 0:
        return 1.0
    if load <= 0:
        return 0.0
    start = int(min(servers, load) - 20.0 * math.sqrt(load) - 50.0)
    if start > 0:
        inverse = 1.0 / (1.0 - start / load)
    else:
        start, inverse = 0, 1.0
    for k in range(start + 1, servers + 1):
        inverse = 1.0 + inverse * k / load
        if inverse > 1e300:
            return 0.0
    return 1.0 / inverse


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c with ``load`` < c Erlangs offered."""
    if load >= servers:
        return 1.0
    blocked = erlang_b(servers, load)
    rho = load / servers
    return blocked / (1.0 - rho * (1.0 - blocked))


class FluidPool:
    """``servers`` servers (in each of ``split`` even parallel pools) loaded by the whole
    traffic, of which the pool sees the traced ``sample``; see the module docstring."""

    __slots__ = (
        "_cache",
        "arrivals",
        "backlog",
        "gap",
        "hold",
        "last",
        "loss",
        "queue_limit",
        "rng",
        "sample",
        "servers",
        "split",
        "waited",
    )

    def __init__(
        self,
        servers: int,
        sample: float,
        rng: random.Random,
        *,
        loss: bool = False,
        queue_limit: float = math.inf,
        split: int = 1,
    ) -> None:
        self.servers = servers
        self.split = max(1, split)
        self.sample = sample
        self.rng = rng
        self.loss = loss
        self.queue_limit = queue_limit  # waiting places per pool
        self.gap = Mean(ARRIVAL_WINDOW)  # ms between traced arrivals
        self.hold = Mean(HOLD_WINDOW)  # ms a traced request holds a server
        self.last: float | None = None
        self.backlog = 0.0  # requests waiting (per pool) while the load exceeds the pool
        self.arrivals = 0
        self.waited = 0
        self._cache: tuple[int, float, float] = (-1, -1.0, 0.0)

    def resize(self, servers: int, split: int = 1) -> None:
        """The pool now has ``servers`` servers per part, over ``split`` parts."""
        self.servers = servers
        self.split = max(1, split)

    def rate(self, now: float) -> float:
        """Arrivals per ms into one part of the pool, the whole load (traced ÷ sample)."""
        gap = self.gap.value
        if gap is None or self.last is None:
            return 0.0
        gap = max(gap, now - self.last, 1e-9)
        return 1.0 / gap / self.sample / self.split

    def load(self, now: float) -> float:
        """Offered load a = λ̂ ĥ of one part, in Erlangs."""
        hold = self.hold.value
        return 0.0 if hold is None else self.rate(now) * hold

    def busy(self, now: float) -> float:
        """Servers in use over the whole pool (all parts): min(a, c) each."""
        return min(self.load(now), float(self.servers)) * self.split

    def offer(self, now: float) -> float | None:
        """One traced arrival: None if the pool turns it away, else how long it waits (ms)
        before a server takes it."""
        self._advance(now)
        self.arrivals += 1
        servers = self.servers
        hold = self.hold.value
        if servers <= 0:
            return None
        if hold is None or hold <= 0:
            return 0.0
        rate = self.rate(now)
        load = rate * hold
        if self.backlog > 0 or load >= servers:
            return self._overloaded(servers, hold, load)
        if self.loss:
            return None if self.rng.random() < self._probability(servers, load) else 0.0
        waits = self._probability(servers, load)
        if self.rng.random() >= waits:
            return 0.0
        rho = load / servers
        if self.queue_limit < math.inf and self.rng.random() < rho**self.queue_limit:
            return None  # the waiting room is full: P(queue ≥ K | wait) = ρ^K
        self.waited += 1
        return self.rng.expovariate((servers - load) / hold)

    def _overloaded(self, servers: int, hold: float, load: float) -> float | None:
        if self.loss:
            return None if self.rng.random() >= servers / max(load, servers) else 0.0
        if self.backlog >= self.queue_limit:
            return None
        self.waited += 1
        return self.backlog * hold / servers

    def _probability(self, servers: int, load: float) -> float:
        """ErlangB (loss) or ErlangC (queue) at this load, recomputed when c or the load
        moved by more than 0.01 %."""
        cached_servers, cached_load, value = self._cache
        if cached_servers == servers and abs(load - cached_load) <= 1e-4 * cached_load:
            return value
        value = erlang_b(servers, load) if self.loss else erlang_c(servers, load)
        self._cache = (servers, load, value)
        return value

    def _advance(self, now: float) -> None:
        """Count the gap since the previous traced arrival, and integrate the backlog over
        it: it grows by (λ − cμ) while the load exceeds the pool, drains otherwise."""
        last = self.last
        if last is not None:
            elapsed = now - last
            hold = self.hold.value
            if hold and not self.loss:
                net = (self.rate(now) - self.servers / hold) * elapsed
                self.backlog = max(0.0, self.backlog + net)
            self.gap.add(elapsed)
        self.last = now

    def release(self, hold_ms: float) -> None:
        """A traced request held a server for ``hold_ms``."""
        self.hold.add(hold_ms)
