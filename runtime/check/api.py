"""The check stage beside the runtime: the conformance of one run folder to the model, and
the coverage of the declared edges by the checked runs. A whole check (lint, run or read
the runs, check each, coverage) is :func:`archgen.runtime.session.check`."""

from __future__ import annotations

from archgen.model import LoadedModel
from archgen.runtime.check.alarms import check_alarms
from archgen.runtime.check.conformance import Conformance
from archgen.runtime.check.invariants import InvariantCheck
from archgen.runtime.check.report import FindingSink, Scope
from archgen.runtime.check.rules import COVERAGE_RULES, DYNAMIC_RULES
from archgen.runtime.check.scaling import check_scaling
from archgen.runtime.check.spans import RunFolder, RunInputError
from archgen.runtime.fluid import sessions_traced


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
    if scenario is not None:
        index = [s.id for s in model.scenarios].index(scenario)
        facts += check_alarms(sink, run, model.scenarios[index], index)
    facts += check_scaling(sink, run, model)
    facts += _fidelity(run)
    if exercised is not None:
        exercised.update(conformance.exercised)
    return sink.scope_result(tuple(facts), conformance.slo_scope)


def _fidelity(run: RunFolder) -> list[tuple[str, str]]:
    """Which fidelity the run was simulated at and why: a verdict on a traced sample reads
    differently from one on every session."""
    fidelity = None if run.summary is None else run.summary.fidelity
    if fidelity is None:
        return []
    said = f"hybrid, {sessions_traced(fidelity.sample)}" if fidelity.mode == "hybrid" else "full"
    return [("fidelity", f"{said} ({fidelity.reason})" if fidelity.reason else said)]
