"""Many runs of one scenario: every configuration of the swept params × every seed.

Each run goes through the one pipeline (:mod:`archgen.runtime.session`: resolve, price,
run, check) in a worker, which reduces it at once to a :class:`SweepRun` of a few numbers:
no run's spans or metrics ever reach the driver, so a sweep of thousands of runs holds
little more than one run's memory. Runs travel in tasks of several seeds (fewer, larger
messages for a scheduler); the driver keeps at most a few tasks per worker in flight,
writes each finished run to ``runs/<key>.json`` (atomically, so an interrupted sweep can
``--resume``) and finally reduces the runs of each configuration to means and 95 %
intervals (:class:`SweepResult`). Results are sorted before reduction, so serial, pool
and Dask give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path

from archgen.model import LoadedModel, load_model_text
from archgen.model.errors import SetupError
from archgen.model.files import write_atomic
from archgen.model.kind import Capability
from archgen.model.registry import has
from archgen.runtime.artefacts import (
    FlowSweep,
    Interval,
    SweepConfiguration,
    SweepFlowRun,
    SweepParameter,
    SweepResult,
    SweepRun,
    SweepValue,
)
from archgen.runtime.executors import Where, open_executor
from archgen.runtime.fluid import FULL, Choice, Fidelity
from archgen.runtime.session import (
    Outcome,
    find_scenario,
    price,
    resolve_fidelity,
    run_and_check,
)
from archgen.runtime.sweep_params import (
    Configuration,
    Knob,
    check_configurations,
    configuration_key,
    configurations,
    configured,
)
from archgen.runtime.sweep_stats import CONFIDENCE, interval

QUEUE_AGE = "ApproximateAgeOfOldestMessage"
RUNS = "runs"
"""Folder of the sweep's output where each finished run is kept (for ``--resume``)."""
RETRIES = 3
"""A pool whose worker died is restarted this often before the sweep gives up (Dask
retries a dead worker's tasks itself)."""
TASKS_PER_WORKER = 4
MAX_SEEDS_PER_TASK = 25


@dataclass(frozen=True)
class Plan:
    """A sweep, checked and priced: what to run, before anything runs."""

    loaded: LoadedModel
    scenario: str
    seeds: tuple[int, ...]
    scale: float
    duration_s: float
    knobs: tuple[Knob, ...]
    configurations: tuple[Configuration, ...]
    fidelity: Fidelity = FULL

    def key(self, values: Configuration, seed: int) -> str:
        """Content hash of one run: model text, scenario, settings, values, seed, version."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            archgen = version("archgen")
        except PackageNotFoundError:  # pragma: no cover - a source tree
            archgen = "0+unknown"
        text = json.dumps(
            [
                archgen,
                hashlib.sha256(self.loaded.text.encode("utf-8")).hexdigest(),
                self.scenario,
                self.scale,
                self.duration_s,
                configuration_key(values),
                seed,
                # A hybrid run is another run (a full one keeps the key it always had).
                *([self.fidelity.mode, self.fidelity.sample] if self.fidelity.hybrid else []),
            ]
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plan_sweep(
    loaded: LoadedModel,
    scenario: str,
    knobs: Sequence[Knob],
    *,
    seeds: int,
    first_seed: int | None = None,
    scale: float | None = None,
    duration_s: float | None = None,
    max_events: int | None = None,
    mode: Choice | None = None,
    sample: float | None = None,
) -> Plan:
    """Check every configuration against the model's rules and price each, before
    anything runs (:class:`~archgen.model.errors.ModelError`, ``OverBudgetError``); a
    hybrid sweep (``mode``, ``sample``: see :func:`resolve_fidelity`) at its traced scale."""
    chosen = configurations(knobs)
    check_configurations(loaded, knobs, chosen)
    fidelity = resolve_fidelity(
        loaded.model,
        find_scenario(loaded.model, scenario),
        mode,
        sample,
        scale=scale,
        duration_s=duration_s,
    )
    settings = None
    for values in chosen:
        settings = price(
            configured(loaded, knobs, values).model,
            scenario,
            seed=first_seed,
            scale=scale,
            duration_s=duration_s,
            max_events=max_events,
            fidelity=fidelity,
        )
    assert settings is not None, "a sweep has at least one configuration"
    return Plan(
        loaded,
        settings.scenario.id,
        tuple(range(settings.seed, settings.seed + seeds)),
        settings.scale,
        settings.duration_s,
        tuple(knobs),
        tuple(chosen),
        fidelity,
    )


# --------------------------------------------------------------------------- in a worker


@dataclass(frozen=True)
class Task:
    """Several seeds of one configuration: what a worker runs at once."""

    text: str
    source: str
    scenario: str
    scale: float
    duration_s: float
    knobs: tuple[Knob, ...]
    values: Configuration
    runs: tuple[tuple[int, str], ...]
    """``(seed, key)`` of each run."""
    fidelity: Fidelity = FULL


_models: dict[tuple[str, str], LoadedModel] = {}
"""A worker's models: each task of one configuration would otherwise parse it again."""


def run_task(task: Task) -> list[SweepRun]:
    """Run every seed of ``task`` through the session and keep each one's figures."""
    try:
        cache_key = (hashlib.sha256(task.text.encode("utf-8")).hexdigest(), str(task.values))
        loaded = _models.get(cache_key)
        if loaded is None:
            base = load_model_text(task.text, task.source)
            loaded = _models[cache_key] = configured(base, task.knobs, task.values)
        return [
            reduce_run(
                loaded,
                run_and_check(
                    loaded,
                    task.scenario,
                    seed=seed,
                    scale=task.scale,
                    duration_s=task.duration_s,
                    # the fidelity the plan resolved, whatever the scenario's auto says
                    mode=task.fidelity.mode,
                    sample=task.fidelity.sample if task.fidelity.hybrid else None,
                ),
                key,
                task.values,
                seed,
            )
            for seed, key in task.runs
        ]
    except SystemExit:
        # A pool worker told to stop (SIGTERM), its run folder removed: end it now, or
        # it would go on with the next queued task.
        os._exit(1)


def reduce_run(
    loaded: LoadedModel, outcome: Outcome, key: str, values: Configuration, seed: int
) -> SweepRun:
    """What a sweep keeps of one run: a few numbers per flow, fleet and queue."""
    model = loaded.model
    summary = outcome.summary
    queues = {node.id for node in model.nodes if has(node.kind, Capability.queue)}
    ages: dict[str, float] = {}
    for point in outcome.metrics():
        if point.node in queues:
            age = point.published(QUEUE_AGE)
            if age is not None:
                ages[point.node] = max(ages.get(point.node, 0.0), age)
    index = {flow.id: i for i, flow in enumerate(model.flows)}
    scope = outcome.scope
    judged = list(scope.slos.evaluated) if scope.slos is not None else []
    missed = sorted(
        flow_id
        for flow_id in judged
        if any(
            f.rule == "slo" and f.failing and f.path.startswith(f"flows[{index[flow_id]}].slo")
            for f in scope.findings
        )
    )
    return SweepRun(
        key=key,
        params=dict(values),
        seed=seed,
        availability=summary.availability,
        slos_judged=sorted(judged),
        slos_missed=missed,
        flows={
            flow_id: SweepFlowRun(
                p50_ms=flow.p50_ms, p99_ms=flow.p99_ms, availability=flow.availability
            )
            for flow_id, flow in sorted(summary.flows.items())
            if flow.completed
        },
        peak_instances={
            fleet: figures.peak_in_service for fleet, figures in sorted(summary.instances.items())
        },
        max_queue_age_s=dict(sorted(ages.items())),
        cost_usd=_cost(outcome.summary_json, "window_usd"),
        monthly_cost_usd=_cost(outcome.summary_json, "monthly_usd"),
        scale_warnings=list(summary.scale_warnings),
    )


def _cost(summary_json: bytes, key: str) -> float | None:
    """The summary's ``cost.<key>`` in dollars, when the run's summary prices it."""
    cost = json.loads(summary_json).get("cost")
    value = cost.get(key) if isinstance(cost, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


# --------------------------------------------------------------------------- the driver


@dataclass
class Sweep:
    """A planned sweep, run on an executor into ``out`` (finished runs kept in ``runs/``)."""

    plan: Plan
    out: Path
    where: Where = field(default_factory=Where)
    resume: bool = False
    progress: Callable[[int, int], None] | None = None
    """Told ``(runs done, runs in all)`` as tasks finish (resumed runs count at once)."""
    chunk: int | None = None
    done: dict[str, SweepRun] = field(default_factory=dict)
    reused: int = 0

    @property
    def total(self) -> int:
        return len(self.plan.configurations) * len(self.plan.seeds)

    def run(self) -> SweepResult:
        """Every run (or its kept result, with ``resume``), reduced."""
        runs = self.out / RUNS
        wanted = {
            self.plan.key(values, seed)
            for values in self.plan.configurations
            for seed in self.plan.seeds
        }
        if runs.is_dir():
            for path in sorted(runs.glob("*.json")):
                kept = _kept(path) if self.resume else None
                if kept is not None and kept.key in wanted:
                    self.done[kept.key] = kept
                else:
                    path.unlink()  # another sweep's, stale, or not resuming
        self.reused = len(self.done)
        self._tell()
        self._execute(deque(self._tasks()))
        return self.result()

    def _tasks(self) -> Iterator[Task]:
        plan = self.plan
        size = self.chunk or _chunk(len(plan.seeds), len(plan.configurations), self.where)
        for values in plan.configurations:
            todo = [
                (seed, key)
                for seed in plan.seeds
                if (key := plan.key(values, seed)) not in self.done
            ]
            for start in range(0, len(todo), size):
                yield Task(
                    plan.loaded.text,
                    plan.loaded.source,
                    plan.scenario,
                    plan.scale,
                    plan.duration_s,
                    plan.knobs,
                    values,
                    tuple(todo[start : start + size]),
                    plan.fidelity,
                )

    def _execute(self, pending: deque[Task]) -> None:
        """Run ``pending`` on the executor; a pool that lost a worker is restarted and the
        tasks it held are run again (their results are the same: runs are seeded)."""
        failures = 0
        while pending:
            inflight: dict[Future[list[SweepRun]], Task] = {}
            try:
                with open_executor(self.where) as executor:
                    while pending or inflight:
                        while pending and len(inflight) < self.where.window:
                            task = pending.popleft()
                            inflight[executor.submit(run_task, task)] = task
                        finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                        for future in finished:
                            results = future.result()
                            del inflight[future]
                            self._keep(results)
            except BrokenExecutor as error:
                failures += 1
                if failures > RETRIES:
                    raise SetupError(
                        f"the sweep's workers died {failures} times ({error}); giving up"
                    ) from None
                pending.extendleft(reversed(list(inflight.values())))

    def _keep(self, results: list[SweepRun]) -> None:
        for run in results:
            write_atomic(self.out / RUNS / f"{run.key}.json", run.model_dump_json() + "\n")
            self.done[run.key] = run
        self._tell()

    def _tell(self) -> None:
        if self.progress is not None:
            self.progress(len(self.done), self.total)

    def result(self) -> SweepResult:
        plan = self.plan
        model = plan.loaded.model
        return SweepResult(
            model=model.system.id,
            scenario=plan.scenario,
            scale=plan.scale,
            duration_s=plan.duration_s,
            seeds=list(plan.seeds),
            confidence=CONFIDENCE,
            interval_method="student-t",
            parameters=[
                SweepParameter(
                    name=knob.name, node=knob.node, param=".".join(knob.path), values=[*knob.values]
                )
                for knob in plan.knobs
            ],
            configurations=[
                aggregate(values, [self.done[plan.key(values, seed)] for seed in plan.seeds])
                for values in plan.configurations
            ],
        )


def _kept(path: Path) -> SweepRun | None:
    """A finished run of an earlier sweep, if the file is whole and named by its key."""
    from pydantic import ValidationError

    try:
        run = SweepRun.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    return run if path.stem == run.key else None


def _chunk(seeds: int, configurations: int, where: Where) -> int:
    """Seeds per task: about :data:`TASKS_PER_WORKER` tasks per worker over the sweep (so
    work spreads evenly), at most :data:`MAX_SEEDS_PER_TASK` (so a lost task costs little)."""
    tasks = TASKS_PER_WORKER * max(1, where.workers)
    per_configuration = max(1, math.ceil(tasks / configurations))
    return max(1, min(MAX_SEEDS_PER_TASK, math.ceil(seeds / per_configuration)))


# --------------------------------------------------------------------------- reduce


def _interval(values: Sequence[float | None], share: bool = False) -> Interval | None:
    """Mean and interval of the measured ``values``: non-negative, at most 1 for a share."""
    measured = [value for value in values if value is not None]
    if not measured:
        return None
    mean, low, high, stdev = interval(measured, 0.0, 1.0 if share else math.inf)
    return Interval(mean=mean, low=low, high=high, stdev=stdev, n=len(measured))


def aggregate(values: Configuration, runs: Sequence[SweepRun]) -> SweepConfiguration:
    """One configuration's runs (in seed order) as means and 95 % intervals."""
    flows = sorted({flow for run in runs for flow in run.flows})
    fleets = sorted({fleet for run in runs for fleet in run.peak_instances})
    queues = sorted({queue for run in runs for queue in run.max_queue_age_s})
    judged = any(run.slos_judged for run in runs)
    misses: dict[str, int] = {}
    for run in runs:
        for flow_id in run.slos_missed:
            misses[flow_id] = misses.get(flow_id, 0) + 1
    params: dict[str, SweepValue] = dict(values)
    return SweepConfiguration(
        params=params,
        seeds=[run.seed for run in runs],
        availability=_interval([run.availability for run in runs], share=True),
        slo_pass_rate=_interval([0.0 if run.slos_missed else 1.0 for run in runs], share=True)
        if judged
        else None,
        slo_misses=dict(sorted(misses.items())),
        flows={
            flow_id: FlowSweep(
                p50_ms=_interval([_flow(run, flow_id).p50_ms for run in runs]),
                p99_ms=_interval([_flow(run, flow_id).p99_ms for run in runs]),
                availability=_interval(
                    [_flow(run, flow_id).availability for run in runs], share=True
                ),
            )
            for flow_id in flows
        },
        peak_instances={
            fleet: _required(_interval([run.peak_instances.get(fleet) for run in runs]))
            for fleet in fleets
        },
        max_queue_age_s={
            queue: _required(_interval([run.max_queue_age_s.get(queue) for run in runs]))
            for queue in queues
        },
        cost_usd=_interval([run.cost_usd for run in runs]),
        monthly_cost_usd=_interval([run.monthly_cost_usd for run in runs]),
        scale_warnings=list(dict.fromkeys(w for run in runs for w in run.scale_warnings)),
    )


_NO_FLOW = SweepFlowRun(p50_ms=None, p99_ms=None, availability=None)


def _flow(run: SweepRun, flow_id: str) -> SweepFlowRun:
    return run.flows.get(flow_id, _NO_FLOW)


def _required(value: Interval | None) -> Interval:
    assert value is not None, "a key some run has is measured at least once"
    return value
