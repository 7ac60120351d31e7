"""The cheapest configuration that meets every SLO with confidence, without the full grid.

A configuration *meets the SLOs* when, with confidence ``confidence``, a run of it meets
every SLO in the scenario's scope with probability at least ``pass_rate``: the one-sided
Clopper–Pearson lower bound of its pass rate over the seeds is at least ``pass_rate``. So
with N seeds at most :func:`allowed_failures` runs may miss an SLO, and a configuration
is dropped as soon as more have (the first quarter of its seeds often decides: the search
stops early on seeds too).

The knobs are capacity knobs: a larger value costs more and never makes SLOs harder to
meet. Starting from every knob at its largest value, each knob in turn is bisected for
its smallest value that still meets the SLOs, the others held; passes repeat until no knob
moves. That evaluates O(Σ log k) configurations instead of Π k, and ends on a
configuration none of whose knobs can be lowered alone. Among every configuration that met
the SLOs on the way, the cheapest by mean monthly cost is the answer, the next the
runner-up; every evaluation is kept as evidence.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archgen.model import LoadedModel
from archgen.model.errors import InputError
from archgen.runtime.artefacts import SweepConfiguration
from archgen.runtime.executors import Where
from archgen.runtime.sweep import Plan, Sweep, plan_sweep
from archgen.runtime.sweep_params import Configuration, Knob, Value


def _tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    return math.fsum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def lower_bound(passed: int, runs: int, confidence: float) -> float:
    """One-sided Clopper–Pearson lower bound of a success probability: the smallest p for
    which ``passed`` successes in ``runs`` are not too many (P(X ≥ passed) ≥ 1 − c)."""
    if passed == 0:
        return 0.0
    low, high = 0.0, 1.0
    for _ in range(100):
        middle = (low + high) / 2
        if _tail(passed, runs, middle) < 1 - confidence:
            low = middle
        else:
            high = middle
    return low


def allowed_failures(runs: int, pass_rate: float, confidence: float) -> int:
    """Most runs out of ``runs`` that may miss an SLO for the configuration to meet them;
    −1 when even ``runs`` passes out of ``runs`` are not enough."""
    failures = -1
    while failures + 1 <= runs and lower_bound(runs - failures - 1, runs, confidence) >= pass_rate:
        failures += 1
    return failures


@dataclass(frozen=True)
class Evaluation:
    """What the search ran of one configuration and what it concluded."""

    values: Configuration
    runs: int
    missed: int
    """Runs that missed at least one SLO."""
    lower: float
    """Clopper–Pearson lower bound of the pass rate over the runs made."""
    meets: bool
    stopped_early: bool
    statistics: SweepConfiguration

    @property
    def monthly_cost(self) -> float:
        cost = self.statistics.monthly_cost_usd
        return math.inf if cost is None else cost.mean


@dataclass
class Search:
    """The search over ``knobs`` of ``loaded``'s ``scenario`` (see the module's doc)."""

    loaded: LoadedModel
    scenario: str
    knobs: Sequence[Knob]
    seeds: int
    confidence: float = 0.95
    pass_rate: float = 0.8
    scale: float | None = None
    duration_s: float | None = None
    max_events: int | None = None
    where: Where = field(default_factory=Where)
    progress: Callable[[Evaluation], None] | None = None
    evaluations: dict[Configuration, Evaluation] = field(default_factory=dict)

    def check(self) -> Plan:
        """Refuse what cannot work before anything runs; the full grid's plan (checked and
        priced, configuration by configuration)."""
        if not self.knobs:
            raise InputError("a plan needs at least one --vary knob to search over")
        if allowed_failures(self.seeds, self.pass_rate, self.confidence) < 0:
            best = lower_bound(self.seeds, self.seeds, self.confidence)
            raise InputError(
                f"with {self.seeds} seeds even {self.seeds} passing runs show a pass rate of "
                f"at least {best:.3f} only, below --pass-rate {self.pass_rate:g} at "
                f"confidence {self.confidence:g}: raise --seeds or lower --pass-rate"
            )
        return self._plan(())

    def _plan(self, only: Configuration) -> Plan:
        knobs = [
            Knob(k.name, k.node, k.path, (dict(only)[k.name],)) if only else k for k in self.knobs
        ]
        return plan_sweep(
            self.loaded,
            self.scenario,
            knobs,
            seeds=self.seeds,
            scale=self.scale,
            duration_s=self.duration_s,
            max_events=self.max_events,
        )

    def run(self) -> tuple[Evaluation | None, Evaluation | None]:
        """The answer and the runner-up (None when no evaluated configuration meets the
        SLOs), after bisecting every knob from the top."""
        self.check()
        ordered = [_ascending(knob.values) for knob in self.knobs]
        current = [len(values) - 1 for values in ordered]
        if not self.evaluate(self._values(ordered, current)).meets:
            return None, None
        moved = True
        while moved:
            moved = False
            for index in range(len(ordered)):
                low, high = -1, current[index]  # its value at ``high`` meets the SLOs
                while high - low > 1:
                    middle = (low + high) // 2
                    trial = [*current[:index], middle, *current[index + 1 :]]
                    if self.evaluate(self._values(ordered, trial)).meets:
                        high = middle
                    else:
                        low = middle
                if high != current[index]:
                    current[index], moved = high, True
        # Equal costs: the configuration whose knobs sit lower in their own order wins
        # (numbers numerically: 50 before 100), the smaller capacity for the same bill.
        met = sorted(
            (e for e in self.evaluations.values() if e.meets),
            key=lambda e: (
                e.monthly_cost,
                [values.index(v) for values, (_, v) in zip(ordered, e.values, strict=True)],
            ),
        )
        return met[0], (met[1] if len(met) > 1 else None)

    def _values(self, ordered: list[list[Value]], at: list[int]) -> Configuration:
        return tuple(
            (knob.name, values[i]) for knob, values, i in zip(self.knobs, ordered, at, strict=True)
        )

    def evaluate(self, values: Configuration) -> Evaluation:
        """Run ``values`` on a first quarter of the seeds, then on the rest unless too many
        runs have already missed an SLO."""
        known = self.evaluations.get(values)
        if known is not None:
            return known
        plan = self._plan(values)
        allowed = allowed_failures(self.seeds, self.pass_rate, self.confidence)
        first = max(1, math.ceil(self.seeds / 4))
        statistics = self._run(plan, first)
        missed = _missed(statistics)
        stopped = missed > allowed
        if not stopped and first < self.seeds:
            statistics = self._run(plan, self.seeds)
            missed = _missed(statistics)
        runs = len(statistics.seeds)
        passed = runs - missed
        evaluation = Evaluation(
            values=values,
            runs=runs,
            missed=missed,
            lower=lower_bound(passed, runs, self.confidence),
            meets=not stopped and missed <= allowed,
            stopped_early=stopped and runs < self.seeds,
            statistics=statistics,
        )
        self.evaluations[values] = evaluation
        if self.progress is not None:
            self.progress(evaluation)
        return evaluation

    def _run(self, plan: Plan, seeds: int) -> SweepConfiguration:
        chosen = Plan(
            plan.loaded,
            plan.scenario,
            plan.seeds[:seeds],
            plan.scale,
            plan.duration_s,
            plan.knobs,
            plan.configurations,
        )
        with tempfile.TemporaryDirectory(prefix="archgen-plan-") as folder:
            result = Sweep(chosen, Path(folder), self.where).run()
        return result.configurations[0]


def _missed(statistics: SweepConfiguration) -> int:
    """Runs that missed an SLO (a scenario that judges none: no run misses one)."""
    rate = statistics.slo_pass_rate
    if rate is None:
        return 0
    return round(len(statistics.seeds) * (1 - rate.mean))


def _ascending(values: Sequence[Value]) -> list[Value]:
    """Numbers smallest first (cheapest, by the knobs' contract); other values as given."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return sorted(values, key=float)  # type: ignore[arg-type]
    return list(values)
