"""One pipeline for every caller: resolve → price → run → check → reduce.

``archgen run``, ``archgen check``, ``archgen run --explain`` and the site's scenario pages
all go through here, so a scenario is resolved, defaulted, priced against the budget, run
into an atomic run folder and checked the same way whoever asks; several scenarios run in
parallel on one executor (:func:`run_many`). The stages:

1. resolve: the scenario (named → the model's ``system.default_scenario`` → its first;
   unknown → :class:`UnknownScenarioError`) and its seed, scale and duration
   (:class:`Settings`: given, else the scenario's);
2. price: the budget of :mod:`archgen.runtime.budget`, before anything runs;
3. run: the simulation, into a run folder replaced as one unit;
4. check: the conformance of the run folder to the model (:mod:`archgen.runtime.check`);
5. reduce: what a caller keeps of a run (:class:`Outcome`: the typed summary, the check's
   scope, the metrics), reduced further by the caller's ``reduce`` in the worker process.
"""

from __future__ import annotations

import gc
import os
import signal
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from archgen.model import LoadedModel, load_model_text
from archgen.model.errors import InputError, UsageError, did_you_mean
from archgen.model.files import replace_folder
from archgen.model.schema import Model, Scenario
from archgen.runtime.behavior import Behavior
from archgen.runtime.budget import check_budget, check_inputs, check_scenarios
from archgen.runtime.export import SPAN_EXPORTS
from archgen.runtime.fluid import FULL, Choice, Fidelity
from archgen.runtime.run import (
    RUN_FILES,
    RunError,
    RunResult,
    UnknownJourneyError,
    UnknownScenarioError,
    metric_period,
    simulate,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from archgen.runtime.artefacts import MetricPoint, RunSummary, SpanDict
    from archgen.runtime.check.report import Report, Scope
    from archgen.runtime.export.representative import TracedRequest
    from archgen.runtime.traffic import FlowStats, Traffic

T = TypeVar("T")

EXPLAIN_WARM_S = 60.0
"""``--explain`` sends its user after this much of the scenario's traffic (caches fill,
fleets settle); the budget prices that minute."""
EXPLAIN_EVENTS = 300_000
"""What ``--explain``'s minute may simulate request by request, a few seconds: past it, the
other users are a traced sample and a fluid (hybrid fidelity), around the one user
followed, who is always traced. A minute of a real system's traffic is millions."""

__all__ = [
    "Outcome",
    "Settings",
    "UnknownJourneyError",
    "UnknownScenarioError",
    "check",
    "default_run_folder",
    "explain",
    "price",
    "resolve_journey",
    "resolve_scenario",
    "resolve_scenarios",
    "run_and_check",
    "run_many",
    "run_scenario",
]


# --------------------------------------------------------------------------- resolve


def unknown_scenario(model: Model, wanted: str) -> UnknownScenarioError:
    """The one text of an unknown scenario, whoever asked (run, check, explain)."""
    choices = sorted(model.scenarios_by_id)
    return UnknownScenarioError(
        f"unknown scenario '{wanted}'{did_you_mean(wanted, choices)}; the model has: "
        + (", ".join(choices) or "none")
    )


def find_scenario(model: Model, scenario_id: str) -> Scenario:
    scenario = model.scenarios_by_id.get(scenario_id)
    if scenario is None:
        raise unknown_scenario(model, scenario_id)
    return scenario


def resolve_scenario(model: Model, wanted: str | None, source: str) -> Scenario:
    """The scenario ``wanted`` names; without one, the model's ``system.default_scenario``,
    else its first scenario."""
    if wanted is not None:
        return find_scenario(model, wanted)
    if not model.scenarios:
        raise InputError(
            f"{source}: the model declares no scenario to simulate; add one under 'scenarios:'"
        )
    default = model.system.default_scenario
    return model.scenarios_by_id[default] if default is not None else model.scenarios[0]


def resolve_scenarios(model: Model, wanted: Sequence[str]) -> list[Scenario]:
    """The scenarios ``wanted`` names, in that order; every scenario of the model when none."""
    if not wanted:
        return list(model.scenarios)
    return [find_scenario(model, scenario_id) for scenario_id in wanted]


def resolve_journey(model: Model, wanted: str | None, source: str) -> str:
    """The journey ``wanted`` names; without one, the model's first journey."""
    choices = [journey.id for journey in model.journeys]
    if wanted is None:
        if not choices:
            raise InputError(
                f"{source}: the model declares no journey to explain; add one under 'journeys:'"
            )
        return choices[0]
    if wanted not in choices:
        ordered = sorted(choices)
        raise UnknownJourneyError(
            f"unknown journey '{wanted}'{did_you_mean(wanted, ordered)}; the model has: "
            + (", ".join(ordered) or "none")
        )
    return wanted


@dataclass(frozen=True)
class Settings:
    """A scenario with the seed, scale, duration and fidelity of one run of it (``scale``
    is the system simulated; in hybrid fidelity a ``sample`` of it is traced)."""

    scenario: Scenario
    seed: int
    scale: float
    duration_s: float
    fidelity: Fidelity = FULL

    @property
    def traced_scale(self) -> float:
        """The factor traffic is traced at: scale, × the sample in hybrid fidelity."""
        return self.fidelity.traced(self.scale)

    @classmethod
    def of(
        cls,
        scenario: Scenario,
        *,
        seed: int | None = None,
        scale: float | None = None,
        duration_s: float | None = None,
        fidelity: Fidelity = FULL,
    ) -> Settings:
        """The values given, else the scenario's; out of range (the schema's) is refused."""
        check_inputs(scale, duration_s, seed)
        return cls(
            scenario,
            scenario.seed if seed is None else seed,
            scenario.scale if scale is None else scale,
            scenario.duration_s if duration_s is None else duration_s,
            fidelity,
        )


def warmup_warning(scenario: Scenario, duration_s: float | None) -> str | None:
    """Why a run of ``duration_s`` (None: the scenario's own) measures nothing: flows are
    judged after the warm-up only, so a run no longer than it leaves the flow table empty
    and the availability unknown. None when the run outlasts the warm-up."""
    if duration_s is None or scenario.warmup_s <= 0 or duration_s > scenario.warmup_s:
        return None
    return (
        f"the scenario's {scenario.warmup_s:g} s warm-up covers the whole {duration_s:g} s run, "
        "so no flow execution is measured (empty flow table, availability —); use a "
        f"--duration longer than {scenario.warmup_s:g} s, such as the scenario's own "
        f"{scenario.duration_s:g} s"
    )


def resolve_fidelity(
    model: Model,
    scenario: Scenario,
    mode: Choice | None,
    sample: float | None,
    *,
    scale: float | None = None,
    duration_s: float | None = None,
) -> Fidelity:
    """``--fidelity`` and ``--sample`` (else the scenario's ``fidelity`` and ``sample``) as
    a :class:`Fidelity`, with the reason for it.

    ``auto`` (the default) runs in full fidelity when the whole run's estimate fits the
    events a hybrid run would trace (:data:`~archgen.runtime.fluid.MAX_SAMPLE_EVENTS`), so
    nothing is approximated that need not be; else in hybrid fidelity, tracing the share
    that fits. Hybrid without a sample traces that share too."""
    from archgen.runtime.budget import check_inputs, estimate, sample_for
    from archgen.runtime.fluid import MAX_SAMPLE_EVENTS

    check_inputs(scale, duration_s)  # the estimate needs them finite
    asked: Choice = scenario.fidelity if mode is None else mode
    who = "the scenario's fidelity" if mode is None else "--fidelity"
    if sample is not None and asked != "hybrid":
        raise UsageError("--sample traces a share of the sessions: add --fidelity hybrid")
    if sample is not None and not 0 < sample <= 1:
        raise UsageError(f"--sample: must be above 0 and at most 1 (got {sample:g})", "--sample")
    if asked == "full":
        return Fidelity("full", 1.0, f"{who} is full")
    if asked == "hybrid":
        if sample is not None:
            return Fidelity("hybrid", sample, f"{who} is hybrid; --sample {sample:g}")
        if mode is None and scenario.sample is not None:
            return Fidelity("hybrid", scenario.sample, f"{who} is hybrid, with its sample")
    events = estimate(
        model,
        scenario,
        scale=scenario.scale if scale is None else scale,
        duration_s=scenario.duration_s if duration_s is None else duration_s,
    ).events
    share = sample_for(events)
    if asked == "hybrid":
        return Fidelity(
            "hybrid",
            share,
            f"{who} is hybrid; the sample keeps the traced part under about "
            f"{MAX_SAMPLE_EVENTS:,} events (the whole run: about {events:,})",
        )
    if events <= MAX_SAMPLE_EVENTS:
        return Fidelity(
            "full",
            1.0,
            f"auto: the whole run is about {events:,} events, within the "
            f"{MAX_SAMPLE_EVENTS:,} a run simulates request by request",
        )
    return Fidelity(
        "hybrid",
        share,
        f"auto: the whole run would be about {events:,} events, over the "
        f"{MAX_SAMPLE_EVENTS:,} a run simulates request by request; tracing {share:g} of "
        "the sessions keeps under them",
    )


def default_run_folder(scenario_id: str) -> Path:
    return Path("archgen-out") / f"run-{scenario_id}"


# --------------------------------------------------------------------------- run


def run_scenario(
    model: Model,
    scenario_id: str,
    *,
    seed: int | None = None,
    duration_s: float | None = None,
    scale: float | None = None,
    out: Path | None = None,
    keep_spans: bool = False,
    progress: Callable[[float], None] | None = None,
    registry: dict[str, type[Behavior]] | None = None,
    max_events: int | None = None,
    exports: Sequence[str] = (),
    fidelity: Fidelity = FULL,
    write_spans: bool = True,
) -> RunResult:
    """Resolve, price and run ``scenario_id`` at ``fidelity``; write ``spans.jsonl``
    (unless not ``write_spans``), ``metrics.jsonl``, ``summary.json`` and
    ``data-at-rest.json`` to ``out`` (nothing on disk when None), and the files of each of
    ``exports`` (:mod:`archgen.runtime.export`) beside them.

    ``out`` is replaced as one unit: an interrupted run leaves the previous one whole, and
    the summary records the sha256 of its spans (``check --run`` compares them)."""
    settings = price(
        model,
        scenario_id,
        seed=seed,
        scale=scale,
        duration_s=duration_s,
        max_events=max_events,
        fidelity=fidelity,
    )
    if exports and out is None:
        raise InputError("exports are written into the run folder: give one")
    traced = [name for name in exports if name in SPAN_EXPORTS]
    if traced and not write_spans:
        raise InputError(
            f"--export {traced[0]} writes traces from the run's spans: drop --no-spans"
        )
    return _run(
        model,
        settings,
        out,
        keep_spans=keep_spans,
        write_spans=write_spans,
        progress=progress,
        registry=registry,
        exports=exports,
    )


def price(
    model: Model,
    scenario_id: str,
    *,
    seed: int | None = None,
    scale: float | None = None,
    duration_s: float | None = None,
    max_events: int | None = None,
    fidelity: Fidelity = FULL,
) -> Settings:
    """Resolve and price one run: its :class:`Settings`, or :class:`OverBudgetError`
    before anything is simulated or written (a hybrid run is priced at its traced scale)."""
    settings = Settings.of(
        find_scenario(model, scenario_id),
        seed=seed,
        scale=scale,
        duration_s=duration_s,
        fidelity=fidelity,
    )
    check_budget(
        model,
        settings.scenario,
        seed=settings.seed,
        scale=settings.traced_scale,
        duration_s=settings.duration_s,
        max_events=max_events,
    )
    return settings


def _run(
    model: Model,
    settings: Settings,
    out: Path | None,
    *,
    keep_spans: bool = False,
    write_spans: bool = True,
    progress: Callable[[float], None] | None = None,
    registry: dict[str, type[Behavior]] | None = None,
    exports: Sequence[str] = (),
) -> RunResult:
    """Run a resolved and priced scenario, its folder (exports included) written
    atomically."""

    def go(folder: Path | None) -> RunResult:
        return simulate(
            model,
            settings.scenario,
            seed=settings.seed,
            scale=settings.scale,
            duration_s=settings.duration_s,
            fidelity=settings.fidelity,
            folder=folder,
            keep_spans=keep_spans,
            write_spans=write_spans,
            progress=progress,
            registry=registry,
        )

    if out is None:
        return go(None)
    with replace_folder(
        out,
        noun="run folder",
        foreign=_foreign_files,
        hint="move them away or choose another folder",
    ) as staging:
        result = go(staging)
        if exports:
            from archgen.runtime.export import export_run

            export_run(
                staging,
                exports,
                model,
                scenario=settings.scenario.id,
                seed=settings.seed,
                period_s=metric_period(model),
            )
    result.out = out
    return result


def _foreign_files(folder: Path) -> list[str]:
    """What in ``folder`` is not a run file (nor the leftover of an older, interrupted run):
    replacing the folder must delete nothing of the user's."""
    return [
        entry.name
        for entry in folder.iterdir()
        if entry.name not in RUN_FILES and entry.name[1:].removesuffix(".partial") not in RUN_FILES
    ]


# --------------------------------------------------------------------------- explain


def explain(
    model: Model,
    scenario: Scenario,
    journey: str,
    *,
    seed: int | None = None,
    scale: float | None = None,
) -> tuple[list[SpanDict], Fidelity]:
    """One user through ``journey`` after a minute of ``scenario``'s traffic: their spans,
    and how the other users were simulated (:data:`EXPLAIN_EVENTS`)."""
    from archgen.runtime.budget import estimate, sample_for
    from archgen.runtime.explain import explain_journey

    system_scale = scenario.scale if scale is None else scale
    check_budget(  # the system itself must fit: its fleets and timers are not sampled
        model,
        scenario,
        seed=scenario.seed if seed is None else seed,
        scale=system_scale,
        duration_s=EXPLAIN_WARM_S,
        lower="--scale",
        can_override=False,
    )
    events = estimate(model, scenario, scale=system_scale, duration_s=EXPLAIN_WARM_S).events
    fidelity = FULL
    if events > EXPLAIN_EVENTS:
        share = sample_for(events, EXPLAIN_EVENTS)
        fidelity = Fidelity(
            "hybrid",
            share,
            f"the minute before is about {events:,} events, over the {EXPLAIN_EVENTS:,} "
            f"--explain simulates request by request; {share:g} of the other users traced",
        )
    settings = Settings.of(
        scenario, seed=seed, scale=scale, duration_s=EXPLAIN_WARM_S, fidelity=fidelity
    )
    spans = explain_journey(
        model,
        scenario,
        journey,
        seed=settings.seed,
        scale=settings.scale,
        warm_s=EXPLAIN_WARM_S,
        fidelity=fidelity,
    )
    return spans, fidelity


# --------------------------------------------------------------------------- run and check


@dataclass
class Outcome:
    """What a caller may keep of one run of a scenario as written, and its check."""

    scenario: str
    summary: RunSummary
    summary_json: bytes
    """``summary.json`` byte for byte as the run wrote it."""
    metrics_jsonl: str
    flow_stats: Mapping[str, FlowStats]
    period_s: float
    scope: Scope
    """The check of the run folder against the model."""
    exercised: set[tuple[str, str]] = field(default_factory=set)
    """The declared edges the run used."""
    traced: dict[str, TracedRequest] = field(default_factory=dict)
    """Flow id → a representative request of it, when asked for (``traced=True``)."""

    def metrics(self) -> list[MetricPoint]:
        from archgen.runtime.artefacts import MetricPoint

        return [
            MetricPoint.model_validate_json(line)
            for line in self.metrics_jsonl.splitlines()
            if line
        ]


def _flow_stats(traffic: Traffic) -> dict[str, FlowStats]:
    """Every flow's outcomes: those users start, and for a flow no user starts (a pipeline a
    queue triggers) its asynchronously started executions."""
    stats = dict(traffic.flow_stats)
    for flow_id, triggered in traffic.triggered_stats.items():
        known = stats.get(flow_id)
        if known is None or known.ok + known.failed == 0:
            stats[flow_id] = triggered
    return stats


def run_and_check(
    loaded: LoadedModel,
    scenario_id: str,
    *,
    traced: bool = False,
    seed: int | None = None,
    scale: float | None = None,
    duration_s: float | None = None,
    mode: Choice | None = None,
    sample: float | None = None,
) -> Outcome:
    """Run ``scenario_id`` (as the model declares it, or with the seed, scale and duration
    given; at the fidelity ``mode`` and ``sample`` ask, see :func:`resolve_fidelity`) into a
    temporary run folder, check the folder, and keep the :class:`Outcome` (the folder is
    removed); with ``traced``, a representative request of each flow too.
    Priced by the caller (:func:`price`)."""
    from archgen.runtime.artefacts import RunSummary
    from archgen.runtime.check.api import check_run
    from archgen.runtime.check.spans import RunFolder
    from archgen.runtime.export.representative import representative_requests

    scenario = find_scenario(loaded.model, scenario_id)
    fidelity = resolve_fidelity(
        loaded.model, scenario, mode, sample, scale=scale, duration_s=duration_s
    )
    settings = Settings.of(
        scenario, seed=seed, scale=scale, duration_s=duration_s, fidelity=fidelity
    )
    exercised: set[tuple[str, str]] = set()
    with paused_gc(), tempfile.TemporaryDirectory(prefix="archgen-run-") as temporary:
        folder = Path(temporary) / scenario_id
        try:
            result = _run(loaded.model, settings, folder)
        except RunError as error:
            raise RunError(f"cannot run scenario '{scenario_id}': {error}") from None
        scope = check_run(loaded, RunFolder.open(folder), scenario=scenario_id, exercised=exercised)
        summary_json = (folder / "summary.json").read_bytes()
        metrics_jsonl = (folder / "metrics.jsonl").read_text(encoding="utf-8")
        requests = representative_requests(folder) if traced else {}
    assert result.traffic is not None, "a run keeps its traffic"
    assert result.simulation is not None, "and its simulation"
    return Outcome(
        scenario=scenario_id,
        summary=RunSummary.model_validate(result.summary),
        summary_json=summary_json,
        metrics_jsonl=metrics_jsonl,
        flow_stats=_flow_stats(result.traffic),
        period_s=float(result.simulation.metrics.period_s),
        scope=scope,
        exercised=exercised,
        traced=requests,
    )


def run_many(
    loaded: LoadedModel,
    scenario_ids: Sequence[str],
    reduce: Callable[[LoadedModel, Outcome], T],
    *,
    jobs: int | None = None,
    max_events: int | None = None,
    can_override: bool = True,
    traced: bool = False,
    mode: Choice | None = None,
    sample: float | None = None,
    scale: float | None = None,
    duration_s: float | None = None,
    lower: str = "the scenario's scale or duration_s",
) -> list[T]:
    """Price every scenario, then :func:`run_and_check` each and ``reduce`` its outcome;
    results in the order given, whatever ``jobs``. Each runs at ``scale`` and for
    ``duration_s`` when given, else as written; ``lower`` is what a refusal by the budget
    tells the user to lower.

    Scenarios are independent simulations, so they run in up to ``jobs`` processes
    (default: one per CPU), the biggest first to finish together. Each process reloads the
    model from its text (nothing unpicklable crosses) and reduces its outcome itself, so
    only what the caller keeps comes back: ``reduce`` is a module-level function."""
    model = loaded.model
    ids = (
        [scenario.id for scenario in resolve_scenarios(model, scenario_ids)] if scenario_ids else []
    )

    asked = _Asked(traced, mode, sample, scale, duration_s)

    def traced_share(scenario: Scenario) -> float:
        fidelity = resolve_fidelity(
            model, scenario, mode, sample, scale=scale, duration_s=duration_s
        )
        return fidelity.traced(1.0)

    # before anything runs
    check_scenarios(
        model,
        ids,
        max_events,
        can_override=can_override,
        sample=traced_share,
        scale=scale,
        duration_s=duration_s,
        lower=lower,
    )
    workers = min(len(ids), jobs or os.cpu_count() or 1)
    if workers <= 1:
        return [reduce(loaded, asked.run(loaded, scenario_id)) for scenario_id in ids]
    order = sorted(ids, key=lambda s: -_work(model.scenarios_by_id[s], scale, duration_s))
    with scenario_pool(workers) as pool:
        futures = {
            scenario_id: pool.submit(
                _in_worker, loaded.text, loaded.source, scenario_id, reduce, asked
            )
            for scenario_id in order
        }
        return [futures[scenario_id].result() for scenario_id in ids]


def _work(scenario: Scenario, scale: float | None, duration_s: float | None) -> float:
    """How many sessions a scenario simulates (to start the longest first)."""
    traffic = scenario.traffic
    return (
        (scenario.scale if scale is None else scale)
        * traffic.sessions_per_s
        * traffic.shape.integral(scenario.duration_s if duration_s is None else duration_s)
    )


@dataclass(frozen=True)
class _Asked:
    """How a caller of :func:`run_many` asked every scenario to run (crosses to workers)."""

    traced: bool = False
    mode: Choice | None = None
    sample: float | None = None
    scale: float | None = None
    duration_s: float | None = None

    def run(self, loaded: LoadedModel, scenario_id: str) -> Outcome:
        return run_and_check(
            loaded,
            scenario_id,
            traced=self.traced,
            mode=self.mode,
            sample=self.sample,
            scale=self.scale,
            duration_s=self.duration_s,
        )


def _in_worker(
    text: str,
    source: str,
    scenario_id: str,
    reduce: Callable[[LoadedModel, Outcome], T],
    asked: _Asked,
) -> T:
    try:
        loaded = load_model_text(text, source)
        return reduce(loaded, asked.run(loaded, scenario_id))
    except (SystemExit, KeyboardInterrupt):
        # Stopped, its run folder already removed: end this worker, or it would go on
        # with the next queued scenario.
        os._exit(1)


@contextmanager
def scenario_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """The one process pool of independent simulations, which stops at once on Ctrl-C,
    SIGTERM or a failure and leaves no temporary folder.

    Every worker makes its temporary folders inside one folder of this process, removed
    after the workers have ended: a worker stopped before it could remove its own (a signal
    between creating a folder and entering the block that removes it) leaves nothing.

    Workers are forked, unless this process runs other threads (a Dask client's, a library's
    pool): a fork copies only the calling thread, so a lock another thread held stays held
    in the child, which then hangs before it starts, deaf to SIGTERM (and the interpreter's
    exit waits for it). They then start from a fresh forkserver."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("forkserver") if threading.active_count() > 1 else None
    with (
        tempfile.TemporaryDirectory(prefix="archgen-workers-", ignore_cleanup_errors=True) as root,
        ProcessPoolExecutor(
            workers, mp_context=context, initializer=_worker_start, initargs=(root,)
        ) as pool,
        _stop_all_on_exception(pool),
    ):
        yield pool


def _worker_start(root: str) -> None:
    """SIGTERM (from :func:`_stop_all_on_exception`) unwinds a worker like the parent, so
    that its temporary run folder is removed, whichever way processes start; temporary
    folders go under the pool's ``root``."""
    tempfile.tempdir = root
    signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def _stop_all_on_exception(pool: ProcessPoolExecutor) -> Iterator[None]:
    """On Ctrl-C, SIGTERM or a failed scenario, stop every simulation now instead of waiting
    for the queued ones (each worker still removes its temporary run folder on the way out)."""
    try:
        yield
    except BaseException:
        workers = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
        for process in workers:
            process.join(timeout=60)  # gone before the pool's temporary folder is removed
            if process.is_alive():  # stuck where SIGTERM's handler cannot run
                process.kill()
                process.join(timeout=60)
        if manager is not None:
            # Let the pool's manager thread see its workers gone and close its pipes before
            # the interpreter exits: Python 3.11's exit hook would otherwise write to a pipe
            # the thread is closing ("Bad file descriptor" on standard error).
            manager.join(timeout=60)
        raise


@contextmanager
def paused_gc() -> Iterator[None]:
    """Runs and checks make millions of small objects and hardly any cycles; the cyclic
    garbage collector would rescan them over and over (a third of the time of a large
    scenario, for 6 % less memory). Cycles are collected once at the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


# --------------------------------------------------------------------------- check


def check(
    loaded: LoadedModel,
    *,
    run_dirs: Sequence[Path] = (),
    scenarios: Sequence[str] = (),
    run_all: bool = True,
    jobs: int | None = None,
    max_events: int | None = None,
    mode: Choice | None = None,
    sample: float | None = None,
    scale: float | None = None,
    duration_s: float | None = None,
) -> Report:
    """Lint ``loaded``, then check the given run folders, or run ``scenarios`` (every
    scenario of the model when none is given and ``run_all``, at the fidelity ``mode``
    and ``sample`` ask, at ``scale`` and for ``duration_s`` when given) and check those
    runs."""
    from archgen.runtime.check.api import check_run, coverage
    from archgen.runtime.check.lint import lint
    from archgen.runtime.check.report import Report
    from archgen.runtime.check.spans import RunFolder

    chosen = [scenario.id for scenario in resolve_scenarios(loaded.model, scenarios)]
    scopes: list[Scope] = [lint(loaded)]
    exercised: set[tuple[str, str]] = set()
    if run_dirs:
        for path in run_dirs:
            with paused_gc():
                scopes.append(check_run(loaded, RunFolder.open(path), exercised=exercised))
    elif scenarios or run_all:
        runs = run_many(
            loaded,
            chosen,
            checked,
            jobs=jobs,
            max_events=max_events,
            mode=mode,
            sample=sample,
            scale=scale,
            duration_s=duration_s,
            lower="--scale or --duration",
        )
        for scope, used in runs:
            scopes.append(scope)
            exercised |= used
    if len(scopes) > 1:
        scopes.append(coverage(loaded, exercised, runs=len(scopes) - 1))
    return Report(loaded.source, tuple(scopes))


def checked(loaded: LoadedModel, outcome: Outcome) -> tuple[Scope, set[tuple[str, str]]]:
    """``archgen check``'s reduction: the run's scope and the edges it used."""
    return outcome.scope, outcome.exercised
