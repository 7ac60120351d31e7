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

- a queueing pool makes it wait with probability ErlangC(c, a), an exponential time of
  mean k ÷ (cμ − λ), k = (1 + cs²) ÷ 2 of the traced holds (Allen–Cunneen: Erlang C
  assumes exponential holds, k = 1; one server makes it Pollaczek–Khinchine's, exact);
  beyond the waiting room (P(queue ≥ K) = C·ρ'^K, the queue's decay 1 − ρ' = (1 − ρ) ÷ k)
  it is rejected;
- a loss pool (concurrency or connection limits) rejects it with probability
  ErlangB(c, a);
- when a ≥ c a fluid backlog integrates λ − cμ; an arrival waits for the backlog ahead of
  it and is rejected when the backlog is past the waiting room (a loss pool: rejected with
  probability 1 − c/a).

Under a scenario whose traffic shape moves (a surge, a ramp, a daily cycle), the rate is
estimated in the time the shape rescales (:class:`ShapeClock`), so the estimate follows the
declared shape at once instead of lagging it by thousands of arrivals. Under a constant
shape it is the declared session rate × the pool's requests per traced session
(:class:`SessionTally`), the traced sessions' own Poisson noise cancelling out of that
ratio: for each user flow, the pool's visits per traced run of the flow × the runs per
session its journeys declare (:class:`FlowShare`, :mod:`~archgen.runtime.flow_runs`), so
that who drew to go on through a funnel leaves no noise either. An attack is sampled by
whole source (each at its real rate, so a firewall's per-source limit means the same); a
pool counts its requests apart from the users', under any shape: the attack's rate on the
system × the share of its traced requests that reach the pool, with their own hold times.
Erlang C is steep (near ρ 0.9 a 1 % error in the load is a 20 % error in the mean wait at
c = 50, 60 % at c = 400, and noise biases it upwards by convexity), so the load must carry
as little of the sample's noise as possible; for the same reason the mean hold time is
estimated around the declared mean of the part of the hold the behavior draws from a
distribution (:meth:`FluidPool.expect`, a control variate).

The pool is shared by ``split`` identical parallel pools the load divides over evenly (a
fleet behind round robin: each instance its own pool at λ/n); ``busy`` is the servers in
use in all of them, what metrics report.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from archgen.model.schema import Scenario
    from archgen.runtime.flow_runs import FlowRuns

Mode = Literal["full", "hybrid"]
Choice = Literal["auto", "full", "hybrid"]
"""What a scenario or ``--fidelity`` asks for: ``auto`` lets the budget pick a :data:`Mode`."""

ARRIVAL_WINDOW = 4_000
"""Traced arrivals the rate estimate averages over (an exponentially weighted mean of the
gaps). Erlang C is steep near saturation, so noise in the estimate biases the mean wait
upwards (by about (ρ/(1−ρ))² of its relative variance): 4,000 arrivals keep that under
1 % at ρ = 0.9 while a sample of 100 traced arrivals per second still follows a load that
moves over tens of seconds."""

OPEN_GAP = 8.0
"""How many times its mean gap (in sessions) a flow's open gap since its last arrival at a
pool must be before it lowers the flow's estimate there: a flow that stopped reaching the
pool (a failover) then fades as 1 ÷ the gap. A gap of one mean or two is common (a
session started since the last arrival: the estimate would read low at most times a
metric or another flow's arrival reads it); eight means happen once in thousands."""

DECAY = 1.0 - 1.0 / ARRIVAL_WINDOW
"""Weight of an arrival in a rate estimate's window, one arrival later."""

HOLD_WINDOW = 10_000
"""Traced hold times the mean hold time averages over (hold times move less than rates)."""

OFFSET_BIN_MS = 5_000.0
"""Width of the bins of the histogram of session ages at a pool's arrivals."""

OFFSET_BINS = 120
"""Bins of that histogram (ten minutes; older sessions share the last bin)."""

SHAPE_STEP_MS = 2_000.0
"""How often a pool's expected shape h(t) is re-evaluated (it is held in between)."""

EXACT_SERVERS = 16
"""Pools of at most this many servers (not split) are simulated exactly, with phantom
arrivals for the untraced load: their queueing transients are where the stationary
approximation is weakest, and they serve few enough requests to simulate all of them."""

HOLD_SAMPLES = HOLD_WINDOW
"""Traced hold times kept to draw the phantom arrivals' holds from."""

MAX_SAMPLE_EVENTS = 3_000_000
"""Events the traced part of a hybrid run is kept under when ``--sample`` is not given."""


CHOICES: dict[str, Choice] = {"auto": "auto", "full": "full", "hybrid": "hybrid"}


def as_choice(text: str | None) -> Choice | None:
    """``--fidelity`` (checked by the command line) as a :data:`Choice`; None: the
    scenario's."""
    return None if text is None else CHOICES[text]


@dataclass(frozen=True)
class Fidelity:
    """How a run simulates its system: every session (``full``) or a traced ``sample`` of
    them with the pools as fluids (``hybrid``)."""

    mode: Mode = "full"
    sample: float = 1.0
    reason: str = field(default="", compare=False)
    """Why this fidelity (who asked, or what the budget estimate said); not part of the run."""

    @property
    def hybrid(self) -> bool:
        return self.mode == "hybrid"

    def traced(self, scale: float) -> float:
        """The factor traced traffic and linear capacities are simulated at."""
        return scale * self.sample if self.hybrid else scale


FULL = Fidelity()


def sessions_traced(sample: float, whose: str = "the") -> str:
    """How a hybrid run's traced share reads: "0.1 of the sessions traced", or "all of the
    sessions traced" when the sample is every session (not "1 of the sessions")."""
    return f"{'all' if sample >= 1 else f'{sample:g}'} of {whose} sessions traced"


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


class SessionTally:
    """The traced sessions started so far and their declared rate (per ms; None when the
    traffic's shape moves): one per run, shared by its pools, counted by the traffic.
    ``flows``, in hybrid fidelity, counts each user flow's runs
    (:mod:`archgen.runtime.flow_runs`); ``attack_rate``, ``attack_traced`` and
    ``attack_sent`` an attack's requests, which are sampled by source."""

    __slots__ = ("attack_rate", "attack_sent", "attack_traced", "count", "flows", "rate")

    def __init__(self) -> None:
        self.count = 0
        self.rate: float | None = None
        self.flows: FlowRuns | None = None
        self.attack_rate = 0.0
        """Attack requests the simulated system receives per ms while its attack lasts (0
        otherwise): all its sources', traced or not."""
        self.attack_traced = 1.0
        """The share of the attack's sources that are traced: a source is sampled whole,
        at its real rate (a firewall's per-source limit means the same), so a pool's
        untraced attack requests are (1 − this) of its attack arrivals."""
        self.attack_sent = 0
        """Traced attack requests sent so far."""


class FlowShare:
    """A pool's arrivals of one user flow, per traced run of the flow (or of anything
    else, ``flow`` None, per traced session; of an attack, per attack request sent), over
    a window of about :data:`ARRIVAL_WINDOW` of them: a flow's arrivals per session are its
    visits per run × the runs per session its journeys declare
    (:mod:`~archgen.runtime.flow_runs`); an attack's arrivals per request sent are the
    share of it that reaches the pool (all of it, until a firewall blocks the sources).
    The window opens at the first arrival, so a flow that reaches the pool only later
    (after a failover) is not diluted by what came before."""

    __slots__ = ("arrivals", "attack", "flow", "last", "per_run", "total")

    def __init__(self, flow: str | None, tally: SessionTally, attack: bool = False) -> None:
        self.flow = flow
        self.attack = attack
        flows = tally.flows
        self.per_run = 1.0  # runs per session (anything else: per session or request)
        if flow is not None and flows is not None:
            self.per_run = flows.declared[flow]
        self.arrivals = 0.0
        self.total = 0.0  # what was counted between the arrivals of the window
        self.last = self._count(tally)

    def _count(self, tally: SessionTally) -> int:
        """Runs of the flow started, sessions started, or attack requests sent."""
        if self.attack:
            return tally.attack_sent
        flows, flow = tally.flows, self.flow
        return tally.count if flow is None or flows is None else flows.started[flow]

    def add(self, tally: SessionTally, decay: float) -> None:
        """One arrival: what was counted since the previous one joins the window."""
        count = self._count(tally)
        self.arrivals = self.arrivals * decay + 1.0
        self.total = self.total * decay + (count - self.last)
        self.last = count

    def per_session(self, tally: SessionTally) -> float:
        """Arrivals per traced session (per attack request sent); the open gap since the
        last arrival counts once it is :data:`OPEN_GAP` times the window's mean (a flow
        that stopped reaching the pool)."""
        if not self.arrivals:
            return 0.0
        gap = (self._count(tally) - self.last) / OPEN_GAP
        between = max(self.total / self.arrivals, gap)
        return self.per_run / between if between > 0.0 else 0.0


class ShapeClock:
    """The time of a pool rescaled by the load the scenario's traffic shape sends it.

    Sessions start at Λ·f(t) (f: the shape's factor); a pool receives their requests some
    time u after each session started (think times), so its arrivals have the rate
    λ(t) = Λ·V·h(t), h(t) = ∫ f(t − u) g(du), with g the distribution of those session ages
    and V the pool's requests per session. In the rescaled time τ = ∫ h dt the arrivals are
    a homogeneous Poisson process of rate Λ·V: an average over thousands of τ-gaps then
    estimates it without lag, and λ̂(t) = h(t) / mean τ-gap. Only routing changes (a
    failover, a new region) still lag. g is the histogram of the traced arrivals' session
    ages, each weighted 1/f(session start): sessions from a busy moment are overrepresented
    among the arrivals, by f. Without ages (requests of no user session) h = f."""

    __slots__ = ("bins", "factor", "h", "increment", "t", "tau", "weight")

    def __init__(self, factor: Callable[[float], float]) -> None:
        self.factor = factor  # the shape's factor_at, in seconds
        self.bins = [0.0] * OFFSET_BINS
        self.weight = 0.0
        self.increment = 1.0  # grows by 1/decay per arrival instead of decaying every bin
        self.t = 0.0
        self.tau = 0.0
        self.h = factor(0.0)

    def observe(self, now: float, born: float | None) -> None:
        """A traced arrival at ``now`` of a session started at ``born`` (ms)."""
        if born is None:
            return
        share = self.factor(born / 1000.0)
        if share <= 0.0:
            return
        self.increment /= 1.0 - 1.0 / HOLD_WINDOW
        if self.increment > 1e100:  # renormalise: only the ratios matter
            self.bins = [value / self.increment for value in self.bins]
            self.weight /= self.increment
            self.increment = 1.0
        index = min(int((now - born) / OFFSET_BIN_MS), OFFSET_BINS - 1)
        value = self.increment / share
        self.bins[index] += value
        self.weight += value

    def at(self, now: float) -> tuple[float, float]:
        """τ(now) and h(now); h is re-evaluated every :data:`SHAPE_STEP_MS`, held between."""
        elapsed = now - self.t
        if elapsed <= 0.0:
            return self.tau, self.h
        tau = self.tau + self.h * elapsed  # h held since t: τ never goes back
        if elapsed >= SHAPE_STEP_MS:
            self.tau, self.t = tau, now
            self.h = self._expected(now)
        return tau, self.h

    def peek(self, now: float) -> tuple[float, float]:
        """What :meth:`at` would return, leaving the clock as it is: a measurement must
        not move the steps at which h is re-evaluated."""
        elapsed = now - self.t
        if elapsed <= 0.0:
            return self.tau, self.h
        tau = self.tau + self.h * elapsed
        return tau, self._expected(now) if elapsed >= SHAPE_STEP_MS else self.h

    def _expected(self, now: float) -> float:
        """h(now): f at the start of sessions of every age the pool sees."""
        factor = self.factor
        if not self.weight:
            return factor(now / 1000.0)
        total = 0.0
        for index, value in enumerate(self.bins):
            if value:
                age = (index + 0.5) * OFFSET_BIN_MS
                total += value * factor(max(0.0, now - age) / 1000.0)
        return total / self.weight


def shape_clock(scenario: Scenario | None) -> ShapeClock | None:
    """A :class:`ShapeClock` for a pool under ``scenario``, or None: a constant shape needs
    none (an attack is counted apart from the users, whose shape the clock follows)."""
    if scenario is None or scenario.traffic.shape.type == "constant":
        return None
    return ShapeClock(scenario.traffic.shape.factor_at)


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/G/c/c with ``load`` Erlangs offered, for any c.

    B(c) = P(N = c) / P(N ≤ c) for N ~ Poisson(load). Nine standard deviations above the
    load, P(N ≤ c) is 1 to within 1e-19, so B is the Poisson term itself, from lgamma: one
    step where a pool of thousands of servers at ρ < 1 used to take a thousand. Else the
    inverse recurrence 1/B(k) = 1 + (k/a)/B(k−1) starts 9 standard deviations below
    min(c, a) from the fluid value 1/(1 − k/a) (off by about 1/81; each step multiplies
    the error by k/a < 1, by e^−40 in all), and stops once 1/B overflows a double: O(√a)
    steps however large c is (tens of thousands of Lambda environments)."""
    if servers <= 0:
        return 1.0
    if load <= 0:
        return 0.0
    spread = math.sqrt(load)
    if servers >= load + 9.0 * spread + 10.0:
        return math.exp(servers * math.log(load) - load - math.lgamma(servers + 1.0))
    start = int(min(servers, load) - 9.0 * spread - 50.0)
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


def busy_vcpus(computing: float, vcpus: float, workers: int) -> float:
    """E[min(N, vcpus)], N ~ Poisson(``computing``) of a member's ``workers`` computing at
    once: the vCPUs it burns on average, as min(computing, vCPUs) does in full fidelity
    (a member of fewer vCPUs than workers burns less than its mean computing load; a task
    of half a vCPU is fully busy while one worker computes)."""
    if computing <= 0.0:
        return 0.0
    if workers <= vcpus or computing > 700.0:  # N never exceeds the vCPUs, or always does
        return min(computing, float(workers), vcpus)
    total, term = 0.0, math.exp(-computing)  # P(N = k), from k = 0
    tail = 1.0 - term  # P(N > k)
    k = 0
    while k < vcpus and tail > 1e-12:
        total += min(1.0, vcpus - k) * tail  # the (k + 1)-th vCPU's share in use
        k += 1
        term *= computing / k
        tail -= term
    return min(total, computing)


class FluidPool:
    """``servers`` servers (in each of ``split`` even parallel pools) loaded by the whole
    traffic, of which the pool sees the traced ``sample``; see the module docstring."""

    __slots__ = (
        "_cache",
        "_per_session",
        "arrivals",
        "attack",
        "attack_hold",
        "attack_holds",
        "attack_released",
        "backlog",
        "clock",
        "exact",
        "expected",
        "expected_mean",
        "free",
        "gap",
        "hold",
        "hold_square",
        "holds",
        "last",
        "last_tau",
        "loss",
        "phantoms",
        "queue_limit",
        "queued",
        "released",
        "rest",
        "rng",
        "sample",
        "servers",
        "shares",
        "split",
        "tally",
        "user_last",
        "user_tau",
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
        clock: ShapeClock | None = None,
        exact: int | None = None,
        tally: SessionTally | None = None,
    ) -> None:
        self.servers = servers
        self.split = max(1, split)
        self.sample = sample
        self.rng = rng
        self.loss = loss
        self.queue_limit = queue_limit  # waiting places per pool
        self.clock = clock  # None: gaps in ms; else in the shape's rescaled time
        self.gap = Mean(ARRIVAL_WINDOW)  # ms (or τ-ms) between traced users' arrivals
        self.hold = Mean(HOLD_WINDOW)  # ms a traced request holds a server
        self.hold_square = Mean(HOLD_WINDOW)  # its square (ms²): the holds' variability
        self.last: float | None = None  # the last traced arrival, a user's or an attack's
        self.last_tau = 0.0
        self.user_last: float | None = None  # the last traced user's arrival
        self.user_tau = 0.0
        self.backlog = 0.0  # requests waiting (per pool) while the load exceeds the pool
        self.arrivals = 0
        self.waited = 0
        self._cache: tuple[int, float, float] = (-1, -1.0, 0.0)
        # Unsplit pools of at most this many servers run exactly.
        self.exact = EXACT_SERVERS if exact is None else exact
        self.free: list[float] = []  # exact: when each server is next free (a heap)
        self.queued: deque[float] = deque()  # exact: start times of those still waiting
        self.holds: list[float] = []  # the last HOLD_SAMPLES traced hold times
        self.phantoms = 0
        self.released = 0
        self.tally = tally
        self.shares: dict[str | None, FlowShare] = {}  # the arrivals of each flow
        self._per_session = (-1, 0.0)  # (tally count, arrivals per traced session)
        self.attack: FlowShare | None = None  # attack arrivals, counted apart
        self.attack_hold = Mean(HOLD_WINDOW)  # ms an attack request holds a server
        self.attack_holds: list[float] = []  # the last HOLD_SAMPLES of them
        self.attack_released = 0
        self.expected: Callable[[], float] | None = None  # draws the hold's known part
        self.expected_mean = 0.0
        self.rest = Mean(HOLD_WINDOW)  # hold less its drawn part

    def expect(self, draw: Callable[[], float], mean: float) -> None:
        """The behavior draws part of each hold from a distribution of known ``mean``
        (``draw`` draws it): the mean hold is then estimated as that mean plus the mean of
        the rest, which removes the drawn part's sampling noise (a control variate), and
        the phantoms of an exact pool draw that part afresh. :meth:`release` must then be
        given each hold's drawn part."""
        self.expected = draw
        self.expected_mean = mean

    def mean_hold(self) -> float | None:
        """The estimated mean hold time (ms), None before the first traced release."""
        if self.expected is None:
            return self.hold.value
        rest = self.rest.value
        return None if rest is None else max(0.0, rest + self.expected_mean)

    def variability(self) -> float:
        """(1 + cs²) ÷ 2, cs² the squared coefficient of variation of the traced users'
        holds: how much longer (or shorter) an M/G/c queue waits than the M/M/c of Erlang C
        (Allen–Cunneen; 1 for exponential holds, and exact for one server, where it is
        Pollaczek–Khinchine's)."""
        mean, square = self.hold.value, self.hold_square.value
        if not mean or square is None:
            return 1.0
        return 0.5 + 0.5 * max(0.0, square / (mean * mean) - 1.0)

    def resize(self, servers: int, split: int = 1) -> None:
        """The pool now has ``servers`` servers per part, over ``split`` parts."""
        self.servers = servers
        self.split = max(1, split)

    def rate(self, now: float) -> float:
        """Arrivals per ms into one part of the pool, the whole load: the users' and an
        attack's."""
        return self.users_rate(now) + self.attack_rate()

    def attack_rate(self) -> float:
        """Attack arrivals per ms into one part of the pool: the attack's rate on the
        system × the share of its requests that reach the pool."""
        share, tally = self.attack, self.tally
        if share is None or tally is None or not tally.attack_rate:
            return 0.0
        return tally.attack_rate * share.per_session(tally) / self.split

    def users_rate(self, now: float, peek: bool = False) -> float:
        """The users' arrivals per ms into one part of the pool (traced ÷ sample);
        ``peek``: without stepping the shape clock."""
        tally = self.tally
        if tally is not None and tally.rate and self._declared():
            count = tally.count
            cached_count, per_session = self._per_session
            if cached_count != count:  # sessions started, or an arrival, since the last
                per_session = 0.0
                for share in self.shares.values():
                    per_session += share.per_session(tally)
                self._per_session = (count, per_session)
            if per_session > 0.0:
                return tally.rate * per_session / self.sample / self.split
        gap, last = self.gap.value, self.user_last
        if gap is None or last is None:
            return 0.0
        clock = self.clock
        if clock is None:
            gap = max(gap, now - last, 1e-9)
            return 1.0 / gap / self.sample / self.split
        tau, expected = clock.peek(now) if peek else clock.at(now)
        gap = max(gap, tau - self.user_tau, 1e-9)
        return expected / gap / self.sample / self.split

    def _declared(self) -> bool:
        """Whether the users' load is the declared session rate × the flows' shares (a
        constant shape, once a user's request arrived), not the traced arrivals' rate."""
        tally = self.tally
        return self.clock is None and tally is not None and bool(tally.rate) and bool(self.shares)

    def load(self, now: float) -> float:
        """Offered load a = λ̂ ĥ of one part, in Erlangs."""
        rate, hold = self._demand(now)
        return 0.0 if hold is None else rate * hold

    def _demand(self, now: float, peek: bool = False) -> tuple[float, float | None]:
        """The whole arrival rate of one part and its mean hold: the users' mean hold, or
        with an attack the mean of the users' and the attack's weighted by their rates
        (the two are traced in different shares, so their holds are kept apart)."""
        users, hold = self.users_rate(now, peek), self.mean_hold()
        attack = self.attack_rate()
        if attack <= 0.0:
            return users, hold
        attack_hold = self.attack_hold.value
        if attack_hold is None:
            attack_hold = hold
        elif hold is None:
            hold = attack_hold
        if hold is None or attack_hold is None:
            return users + attack, None
        return users + attack, (users * hold + attack * attack_hold) / (users + attack)

    def busy(self, now: float) -> float:
        """Servers in use over the whole pool (all parts): min(a, c) each."""
        return min(self.load(now), float(self.servers)) * self.split

    def held(self, now: float) -> float:
        """Requests held over the whole pool, served or waiting (what members' memory
        holds)."""
        return self.busy(now) + self.waiting(now)

    def waiting(self, now: float) -> float:
        """Requests waiting for a server over the whole pool (all parts): an exact pool's
        queue at ``now`` (the requests it admitted that no server has taken yet), else the
        fluid's mean queue, Erlang C's Lq or the backlog while overloaded. What the queue
        depth of full fidelity is compared with: an exact pool's queue is the same
        stochastic queue, and a large pool's moves faster than any averaging window."""
        servers = self.servers
        if self.split == 1 and 0 < servers <= self.exact and self.free:
            return self._exact_waiting(now)
        rate, hold = self._demand(now, peek=True)  # a measurement: the clock stays put
        load = 0.0 if hold is None else rate * hold
        if servers <= 0 or load <= 0:
            return 0.0
        if self.backlog > 0 or load >= servers:
            waiting = self.backlog
        else:
            waiting = erlang_c(servers, load) * load / (servers - load) * self.variability()
        return min(waiting, self.queue_limit) * self.split

    def _exact_waiting(self, now: float) -> float:
        """The exact pool's queue at ``now``: those admitted and not yet taken, and the
        phantoms expected since the last traced arrival (they are drawn only at the next
        one) beyond what the servers free by now could have taken (each one, and one more
        per mean hold since it freed). Reads the pool, draws nothing: measuring leaves the
        run as it is."""
        queued = self.queued
        waiting = float(len(queued) - bisect.bisect_right(queued, now))
        hold = self._demand(now, peek=True)[1]
        gap, last = self.gap.value, self.last
        if hold and last is not None and now > last:
            per_ms = self._attack_phantoms()  # as _exact draws them
            if self._declared():
                per_ms += (1.0 - self.sample) * self.users_rate(now)
            elif gap:
                shape = 1.0 if self.clock is None else self.clock.h
                per_ms += shape * (1.0 - self.sample) / self.sample / gap
            expected = (now - last) * per_ms
            taken = sum(1.0 + (now - t) / hold for t in self.free if t <= now)
            room = max(0.0, self.queue_limit - waiting)
            waiting += min(max(0.0, expected - taken), room)
        return waiting

    def offer(
        self,
        now: float,
        born: float | None = None,
        flow: str | None = None,
        attack: bool = False,
    ) -> float | None:
        """One traced arrival (of a session started at ``born`` ms, if a user's, in a run
        of ``flow``; of an attack source if ``attack``): None if the pool turns it away,
        else how long it waits (ms) before a server takes it."""
        last, last_tau = self.last, self.last_tau
        self._advance(now, born, flow, attack)
        self.arrivals += 1
        servers = self.servers
        rate, hold = self._demand(now)
        if servers <= 0:
            return None
        if hold is None or hold <= 0:
            return 0.0
        if self.split == 1 and servers <= self.exact:
            return self._exact(now, last, last_tau, attack)
        load = rate * hold
        if self.backlog > 0 or load >= servers:
            return self._overloaded(servers, hold, load)
        if self.loss:
            return None if self.rng.random() < self._probability(servers, load) else 0.0
        waits = self._probability(servers, load)
        if self.rng.random() >= waits:
            return 0.0
        stretch = self.variability()
        if self.queue_limit < math.inf:  # P(queue ≥ K | wait) = ρ^K, its mean stretched too
            decay = max(0.0, 1.0 - (1.0 - load / servers) / stretch)
            if self.rng.random() < decay**self.queue_limit:
                return None  # the waiting room is full
        self.waited += 1
        return self.rng.expovariate((servers - load) / hold / stretch)

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

    def _advance(self, now: float, born: float | None, flow: str | None, attack: bool) -> None:
        """Integrate the backlog since the previous traced arrival: it grows by (λ − cμ)
        while the load exceeds the pool, drains otherwise. Then count the arrival: an
        attack's apart; a user's gap since the previous user's (in rescaled time with a
        shape clock), and its flow's share."""
        last = self.last
        clock = self.clock
        if last is not None:
            rate, hold = self._demand(now)
            if hold and not self.loss:
                net = (rate - self.servers / hold) * (now - last)
                self.backlog = max(0.0, self.backlog + net)
        tau = 0.0 if clock is None else clock.at(now)[0]
        self.last, self.last_tau = now, tau
        tally = self.tally
        if attack and tally is not None:
            if self.attack is None:
                self.attack = FlowShare(None, tally, attack=True)
            else:
                self.attack.add(tally, DECAY)
            return
        user_last = self.user_last
        if user_last is not None:
            self.gap.add(now - user_last if clock is None else tau - self.user_tau)
        self.user_last, self.user_tau = now, tau
        if clock is not None:
            clock.observe(now, born)
        elif tally is not None:
            flows = tally.flows
            key = flow if flows is not None and flow in flows.started else None
            share = self.shares.get(key)
            if share is None:
                self.shares[key] = FlowShare(key, tally)
            else:
                share.add(tally, DECAY)
            self._per_session = (-1, 0.0)

    def release(self, hold_ms: float, drawn_ms: float = 0.0, attack: bool = False) -> None:
        """A traced request held a server for ``hold_ms``, ``drawn_ms`` of it drawn from
        the distribution :meth:`expect` declared; an ``attack`` request's holds are kept
        apart (the attack is sampled in another share than the users)."""
        if attack and self.attack is not None:
            self.attack_hold.add(hold_ms)
            _keep(self.attack_holds, hold_ms, self.attack_released)
            self.attack_released += 1
            return
        self.hold.add(hold_ms)
        self.hold_square.add(hold_ms * hold_ms)
        if self.expected is not None:
            hold_ms -= drawn_ms
            self.rest.add(hold_ms)
        _keep(self.holds, hold_ms, self.released)  # what the phantoms draw from
        self.released += 1

    def _exact(
        self, now: float, last: float | None, last_tau: float, attack: bool = False
    ) -> float | None:
        """A small pool simulated request by request: the untraced rest of the load as
        phantom arrivals (Poisson at (1 − sample) ÷ sample of the traced users' rate, in
        the shape's time, and at the untraced attack sources' rate; no spans, no calls)
        holding a server for a traced hold time of their kind drawn at random, in one FIFO
        queue with the traced ones (each server's next free time in a heap: the wait of an
        arrival is exact once the holds ahead of it are drawn)."""
        free = self.free
        servers = self.servers
        if len(free) != servers:  # the pool was resized: new servers free now, idle ones go
            while len(free) > servers:
                heapq.heappop(free)
            while len(free) < servers:
                heapq.heappush(free, now if last is None else last)
        rng = self.rng
        attacks = self._attack_arrivals(last, now) if last is not None else []
        gap = self.gap.value
        if last is not None and gap and self.holds:
            clock = self.clock
            span = now - last if clock is None else self.last_tau - last_tau
            rate = (1.0 - self.sample) / self.sample / gap  # phantoms per (τ-)ms
            if self._declared():  # the declared sessions'
                rate = (1.0 - self.sample) * self.users_rate(now)
            at = rng.expovariate(rate) if rate > 0.0 else math.inf
            while at < span:
                t = last + (now - last) * at / span
                while attacks and attacks[-1] <= t:
                    self._admit_attack(attacks.pop())
                self.phantoms += 1
                self._admit(t, self._draw())
                at += rng.expovariate(rate)
        while attacks:
            self._admit_attack(attacks.pop())
        if attack and self.attack_holds:  # the traced arrival's hold, drawn among its kind's
            hold = self._draw_attack()
        elif self.holds:
            hold = self._draw()
        else:
            hold = self._demand(now)[1] or 0.0
        start = self._admit(now, hold)
        if start is None:
            return None
        if start > now:
            self.waited += 1
        return start - now

    def _attack_phantoms(self) -> float:
        """Untraced attack requests per ms into the pool: those of the sources not traced."""
        tally = self.tally
        if tally is None or tally.attack_traced >= 1.0:
            return 0.0
        return (1.0 - tally.attack_traced) * self.attack_rate()

    def _attack_arrivals(self, last: float, now: float) -> list[float]:
        """The untraced attack requests' arrivals in (last, now), latest first (none
        before a traced attack request held a server: their holds are drawn from those)."""
        rate = self._attack_phantoms() if self.attack_holds else 0.0
        if rate <= 0.0:
            return []
        arrivals = []
        t = last + self.rng.expovariate(rate)
        while t < now:
            arrivals.append(t)
            t += self.rng.expovariate(rate)
        arrivals.reverse()
        return arrivals

    def _admit_attack(self, t: float) -> None:
        self.phantoms += 1
        self._admit(t, self._draw_attack())

    def _draw_attack(self) -> float:
        holds = self.attack_holds
        return holds[int(self.rng.random() * len(holds))]

    def _draw(self) -> float:
        holds = self.holds
        hold = holds[int(self.rng.random() * len(holds))]
        expected = self.expected
        return hold if expected is None else max(0.0, hold + expected())

    def _admit(self, t: float, hold: float) -> float | None:
        """One arrival at ``t`` into the exact pool: when a server takes it, or None when
        the waiting room is full (a loss pool has none)."""
        queued = self.queued
        while queued and queued[0] <= t:
            queued.popleft()
        free = self.free
        start = max(t, free[0])
        if start > t and (self.loss or len(queued) >= self.queue_limit):
            return None
        heapq.heapreplace(free, start + hold)
        if start > t:
            queued.append(start)
        return start


def _keep(holds: list[float], hold: float, count: int) -> None:
    """Keep ``hold`` among the last :data:`HOLD_SAMPLES` of ``holds`` (``count`` so far)."""
    if len(holds) < HOLD_SAMPLES:
        holds.append(hold)
    else:
        holds[count % HOLD_SAMPLES] = hold
