"""The whole check: the static lint, then the conformance of each run, as one report."""

from __future__ import annotations

import gc
import os
import signal
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen.model import LoadedModel, load_model_text
from archgen.model.errors import did_you_mean
from archgen.model.schema import Scenario
from archgen.runtime.check.conformance import Conformance
from archgen.runtime.check.invariants import InvariantCheck
from archgen.runtime.check.lint import lint
from archgen.runtime.check.report import FindingSink, Report, Scope
from archgen.runtime.check.rules import COVERAGE_RULES, DYNAMIC_RULES
from archgen.runtime.check.spans import RunFolder, RunInputError

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor


class UnknownScenarioError(click.BadParameter):
    """A ``--scenario`` the model does not declare: a usage error, exit 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, param_hint="--scenario")


def check(
    loaded: LoadedModel,
    *,
    run_dirs: Sequence[Path] = (),
    scenarios: Sequence[str] = (),
    run_all: bool = True,
    jobs: int | None = None,
    max_events: int | None = None,
) -> Report:
    """Lint ``loaded``, then check the given run folders, or run ``scenarios`` (every
    scenario of the model when none is given and ``run_all``) and check those runs, in up
    to ``jobs`` processes (default: one per CPU)."""
    model = loaded.model
    for scenario in scenarios:
        if scenario not in model.scenarios_by_id:
            raise UnknownScenarioError(
                f"unknown scenario '{scenario}'{did_you_mean(scenario, model.scenarios_by_id)}"
                f"; the model has: {', '.join(model.scenarios_by_id) or 'none'}"
            )
    scopes: list[Scope] = [lint(loaded)]
    exercised: set[tuple[str, str]] = set()
    if run_dirs:
        for path in run_dirs:
            with paused_gc():
                scopes.append(check_run(loaded, RunFolder.open(path), exercised=exercised))
    elif scenarios or run_all:
        chosen = list(scenarios) or [scenario.id for scenario in model.scenarios]
        for scope, used in run_and_check_all(loaded, chosen, jobs=jobs, max_events=max_events):
            scopes.append(scope)
            exercised |= used
    if len(scopes) > 1:
        scopes.append(coverage(loaded, exercised, runs=len(scopes) - 1))
    return Report(loaded.source, tuple(scopes))


def coverage(loaded: LoadedModel, exercised: set[tuple[str, str]], *, runs: int) -> Scope:
    """Declared edges that no checked run used (a warning: a scenario may be missing)."""
    sink = FindingSink(loaded, "coverage", COVERAGE_RULES)
    for index, edge in enumerate(loaded.model.edges):
        if edge.key not in exercised:
            sink.add(
                "edge-coverage",
                ("edges", index),
                f"edge {edge.source} -> {edge.target} carried no call in the {runs} "
                f"checked run{'s' if runs != 1 else ''}",
                node=edge.key,
            )
    covered = sum(edge.key in exercised for edge in loaded.model.edges)
    sink.measure("edges exercised", {"edges_exercised": covered, "edges": len(loaded.model.edges)})
    return sink.scope_result((("edges exercised", f"{covered} of {len(loaded.model.edges)}"),))


def check_run(
    loaded: LoadedModel,
    run: RunFolder,
    *,
    scenario: str | None = None,
    exercised: set[tuple[str, str]] | None = None,
) -> Scope:
    """Conformance of one run folder to the model; adds the edges it used to
    ``exercised``."""
    model = loaded.model
    scenario = scenario or run.scenario
    if scenario is not None and scenario not in model.scenarios_by_id:
        raise RunInputError(
            f"{run.path}: the run is of scenario '{scenario}', which the model does not declare"
        )
    scope_name = scenario or run.path.name
    sink = FindingSink(loaded, scope_name, DYNAMIC_RULES)
    warmup_ms = model.scenarios_by_id[scenario].warmup_s * 1000 if scenario else 0.0
    conformance = Conformance(loaded, sink, scenario=scope_name, warmup_ms=warmup_ms)
    conformance.add(run.spans())
    facts = conformance.report()
    facts += InvariantCheck(loaded, sink, run, conformance.spans, scenario=scope_name).report()
    if exercised is not None:
        exercised.update(conformance.exercised)
    return sink.scope_result(tuple(facts))


def run_and_check_all(
    loaded: LoadedModel,
    scenarios: Sequence[str],
    *,
    jobs: int | None = None,
    max_events: int | None = None,
) -> list[tuple[Scope, set[tuple[str, str]]]]:
    """Run and check each scenario; results in the order given.

    Scenarios are independent simulations, so they run in parallel processes (the biggest
    first, to finish together); each process reloads the model from its text, which keeps
    this independent of how processes start. Results do not depend on ``jobs``."""
    workers = min(len(scenarios), jobs or os.cpu_count() or 1)
    if workers <= 1:
        return [_run_and_check(loaded, scenario, max_events) for scenario in scenarios]
    order = sorted(scenarios, key=lambda s: -_work(loaded.model.scenarios_by_id[s]))
    with scenario_pool(workers) as pool:
        futures = {
            scenario: pool.submit(
                _run_and_check_text, loaded.text, loaded.source, scenario, max_events
            )
            for scenario in order
        }
        return [futures[scenario].result() for scenario in scenarios]


def _work(scenario: Scenario) -> float:
    """How many sessions a scenario simulates (to start the longest first)."""
    traffic = scenario.traffic
    return scenario.scale * traffic.sessions_per_s * traffic.shape.integral(scenario.duration_s)


def _run_and_check_text(
    text: str, source: str, scenario: str, max_events: int | None = None
) -> tuple[Scope, set[tuple[str, str]]]:
    try:
        return _run_and_check(load_model_text(text, source), scenario, max_events)
    except (SystemExit, KeyboardInterrupt):
        # Stopped, its run folder already removed: end this worker, or it would go on
        # with the next queued scenario.
        os._exit(1)


@contextmanager
def scenario_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool for independent simulations (check's scenarios, the site's), which
    stops at once on Ctrl-C, SIGTERM or a failure and leaves no temporary folder.

    Every worker makes its temporary folders inside one folder of this process, removed
    after the workers have ended: a worker stopped before it could remove its own (a signal
    between creating a folder and entering the block that removes it) leaves nothing."""
    from concurrent.futures import ProcessPoolExecutor

    with (
        tempfile.TemporaryDirectory(prefix="archgen-workers-", ignore_cleanup_errors=True) as root,
        ProcessPoolExecutor(workers, initializer=_worker_start, initargs=(root,)) as pool,
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


def _run_and_check(
    loaded: LoadedModel, scenario: str, max_events: int | None = None
) -> tuple[Scope, set[tuple[str, str]]]:
    exercised: set[tuple[str, str]] = set()
    with paused_gc(), tempfile.TemporaryDirectory(prefix="archgen-check-") as temporary:
        folder = Path(temporary) / scenario
        execute_scenario(loaded, scenario, folder, max_events)
        scope = check_run(loaded, RunFolder.open(folder), scenario=scenario, exercised=exercised)
    return scope, exercised


def execute_scenario(
    loaded: LoadedModel, scenario: str, folder: Path, max_events: int | None = None
) -> None:
    """Run ``scenario`` with the runtime, writing its run folder to ``folder``."""
    from archgen.runtime.run import RunError, run_scenario

    try:
        run_scenario(loaded.model, scenario, out=folder, max_events=max_events)
    except RunError as error:
        raise RunInputError(f"cannot run scenario '{scenario}': {error}") from None
