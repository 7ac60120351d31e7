"""``archgen plan``: the cheapest configuration of the given knobs that meets every SLO in
the scenario's scope with confidence, found by bisection (:mod:`archgen.runtime.plan`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen.model import load_model
from archgen.output import print_rich

if TYPE_CHECKING:
    from rich.table import Table

    from archgen.runtime.plan import Evaluation, Search


def run_plan(
    model_path: Path | None,
    *,
    scenario: str | None,
    vary: tuple[str, ...],
    seeds: int,
    confidence: float,
    pass_rate: float,
    duration: float | None,
    scale: float | None,
    jobs: int | None,
    dask: str | None,
    max_events: int | None,
) -> None:
    from archgen.runtime import session
    from archgen.runtime.executors import Where, check_dask
    from archgen.runtime.plan import Search
    from archgen.runtime.sweep_params import parse_knobs

    loaded = load_model(model_path)
    chosen = session.resolve_scenario(loaded.model, scenario, loaded.source)
    knobs = parse_knobs(loaded, vary)
    if dask is not None:
        check_dask()
    workers = jobs or os.cpu_count() or 1
    if dask is not None:
        where = Where("dask", workers, None if dask == "local" else dask)
    else:
        where = Where("serial" if workers == 1 else "pool", workers)
    search = Search(
        loaded,
        chosen.id,
        knobs,
        seeds,
        confidence=confidence,
        pass_rate=pass_rate,
        scale=scale,
        duration_s=duration,
        max_events=max_events,
        where=where,
        progress=_tell if sys.stderr.isatty() else None,
    )
    answer, runner_up = search.run()
    grid = 1
    for knob in knobs:
        grid *= len(knob.values)
    criterion = (
        f"every SLO of {chosen.id} met by at least {100 * pass_rate:g} % of runs with "
        f"{100 * confidence:g} % confidence ({seeds} seeds: at most "
        f"{_allowed(search)} may miss)"
    )
    lines: list[str] = [f"criterion: {criterion}"]
    if answer is None:
        lines.append("answer: none — even every knob at its largest value misses the SLOs")
    else:
        lines.append(f"answer: {_describe(answer)}")
        lines.append(
            "runner-up: " + ("none met the SLOs" if runner_up is None else _describe(runner_up))
        )
    lines.append(
        f"evidence: {len(search.evaluations)} of {grid} configurations evaluated, "
        f"{sum(e.runs for e in search.evaluations.values())} runs on {where.describe()}"
    )
    print_rich(*lines, evidence_table(search))
    from archgen.commands.sweep import scale_warnings

    for line in scale_warnings([e.statistics for e in search.evaluations.values()]):
        click.echo(line, err=True)


def _allowed(search: Search) -> int:
    from archgen.runtime.plan import allowed_failures

    return allowed_failures(search.seeds, search.pass_rate, search.confidence)


def _values(evaluation: Evaluation) -> str:
    return ", ".join(f"{name}={value}" for name, value in evaluation.values)


def _describe(evaluation: Evaluation) -> str:
    from archgen.site.sweep import cell

    cost = evaluation.statistics.monthly_cost_usd
    return (
        f"{_values(evaluation)} — {cell(cost, digits=2)} USD per month, "
        f"{evaluation.runs - evaluation.missed}/{evaluation.runs} runs met every SLO "
        f"(pass rate ≥ {evaluation.lower:.3f})"
    )


def _tell(evaluation: Evaluation) -> None:
    verdict = "meets" if evaluation.meets else "misses"
    print_rich(f"{_values(evaluation)}: {verdict} the SLOs", stderr=True)


def evidence_table(search: Search) -> Table:
    from rich.table import Table

    from archgen.site.sweep import cell

    table = Table(title="every configuration evaluated, in the order run")
    for header in (
        *(knob.name for knob in search.knobs),
        "runs",
        "missed an SLO",
        "pass rate ≥",
        "monthly cost (USD)",
        "availability (%)",
        "verdict",
    ):
        table.add_column(header, justify="right")
    for evaluation in search.evaluations.values():
        verdict = "meets" if evaluation.meets else "misses"
        if evaluation.stopped_early:
            verdict += " (stopped early)"
        table.add_row(
            *(str(value) for _, value in evaluation.values),
            str(evaluation.runs),
            str(evaluation.missed),
            f"{evaluation.lower:.3f}",
            cell(evaluation.statistics.monthly_cost_usd, digits=2),
            cell(evaluation.statistics.availability, 100.0, 2),
            verdict,
        )
    return table
