"""``archgen run``: simulate a scenario of the model and report what users experienced."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archgen.model import load_model
from archgen.model.errors import escape_terminal

if TYPE_CHECKING:
    from archgen.runtime.artefacts import RunSummary


class RunInputError(click.ClickException):
    exit_code = 2


def run_command(
    model_path: Path | None,
    *,
    scenario: str | None,
    seed: int | None,
    duration: float | None,
    scale: float | None,
    out: Path | None,
    as_json: bool,
    journey: str | None,
    explain: bool,
    max_events: int | None = None,
) -> None:
    from archgen.runtime.run import RunError, run_scenario

    loaded = load_model(model_path)
    model = loaded.model
    if journey is not None and not explain:
        raise RunInputError("--journey and --explain go together: --journey ID --explain")
    scenario = _known_scenario(model, scenario, loaded.source).id
    if explain:
        _explain(model, scenario, journey, seed, scale, loaded.source)
        return
    out = out or Path("archgen-out") / f"run-{scenario}"
    try:
        if sys.stderr.isatty() and not as_json:
            result = _with_progress(model, scenario, seed, duration, scale, out, max_events)
        else:
            result = run_scenario(
                model,
                scenario,
                seed=seed,
                duration_s=duration,
                scale=scale,
                out=out,
                max_events=max_events,
            )
    except RunError as error:
        raise RunInputError(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.summary, indent=2, sort_keys=True))
        return
    from archgen.runtime.artefacts import RunSummary

    _print_table(RunSummary.model_validate(result.summary), out)


def _with_progress(
    model: Any,
    scenario: str,
    seed: int | None,
    duration: float | None,
    scale: float | None,
    out: Path,
    max_events: int | None,
) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from archgen.runtime.run import run_scenario

    console = Console(stderr=True)
    with Progress(
        TextColumn(f"simulating {scenario}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("run", total=1.0)
        return run_scenario(
            model,
            scenario,
            seed=seed,
            duration_s=duration,
            scale=scale,
            out=out,
            progress=lambda done: progress.update(task, completed=done),
            max_events=max_events,
        )


def _print_table(summary: RunSummary, out: Path) -> None:
    from rich.table import Table

    from archgen.output import print_rich

    lines: list[str] = []
    table = Table(
        title=f"{summary.scenario} — seed {summary.seed}, scale "
        f"{summary.scale}, {summary.duration_s:g} s simulated"
    )
    for column in (
        "flow",
        "runs",
        "availability",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "per s (real)",
        "top error",
    ):
        table.add_column(column, justify="left" if column in ("flow", "top error") else "right")
    for flow_id, flow in summary.flows.items():
        if not flow.completed:
            continue
        errors = flow.errors
        top = max(errors.items(), key=lambda item: item[1]) if errors else None
        availability = flow.availability
        throughput = flow.throughput_per_s
        table.add_row(
            flow_id,
            str(flow.completed),
            "—" if availability is None else f"{100 * availability:.2f} %",
            _ms(flow.p50_ms),
            _ms(flow.p95_ms),
            _ms(flow.p99_ms),
            "—" if throughput is None else f"{throughput:,.1f}",
            "" if top is None else f"{top[0]} ×{top[1]}",
        )
    availability = summary.availability
    lines.append(
        f"sessions {summary.sessions:,}, requests {summary.requests:,}, events "
        f"{summary.events:,}, violations {summary.violations}, availability "
        + ("—" if availability is None else f"{100 * availability:.3f} %")
    )
    for fleet, instances in summary.instances.items():
        lines.append(
            f"{fleet}: {instances.initial} → peak {instances.peak_in_service} → "
            f"{instances.final_in_service} instances in service (×{1 / summary.scale:g} "
            "in the real system)"
        )
    for node, cache in summary.cache.items():
        if cache.hit_ratio is not None:
            lines.append(f"{node}: cache hit ratio {100 * cache.hit_ratio:.1f} %")
    lines.append(f"written to {out}/ (spans.jsonl, metrics.jsonl, summary.json)")
    print_rich(table, *lines)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _explain(
    model: Any,
    scenario: str,
    journey: str | None,
    seed: int | None,
    scale: float | None,
    source: str,
) -> None:
    from archgen.runtime.explain import explain_journey, render_tree
    from archgen.runtime.run import RunError

    journey = _known_journey(model, journey, source)
    found = model.scenarios_by_id[scenario]
    try:
        from archgen.runtime.budget import check_budget

        seed = found.seed if seed is None else seed
        scale = found.scale if scale is None else scale
        # The user is explained after a minute of the scenario's traffic: that has a cost.
        check_budget(
            model,
            found,
            seed=seed,
            scale=scale,
            duration_s=60.0,
            lower="--scale",
            can_override=False,
        )
        spans = explain_journey(
            model,
            scenario,
            journey,
            seed=found.seed if seed is None else seed,
            scale=found.scale if scale is None else scale,
        )
    except RunError as error:
        raise RunInputError(str(error)) from None
    click.echo(f"one user through journey '{journey}' ({scenario}):")
    for line in render_tree(spans):
        click.echo(escape_terminal(line))  # operation names are the model's free text


def _known_scenario(model: Any, scenario: str | None, source: str) -> Any:
    """The scenario ``--scenario`` names (an unknown one is a usage error); without it, the
    model's ``system.default_scenario``, else its first scenario."""
    from archgen.runtime.run import RunError, find_scenario

    if scenario is None:
        if not model.scenarios:
            raise RunInputError(
                f"{source}: the model declares no scenario to simulate; add one under 'scenarios:'"
            )
        default = model.system.default_scenario
        return model.scenarios_by_id[default] if default is not None else model.scenarios[0]
    try:
        return find_scenario(model, scenario)
    except RunError as error:
        raise click.BadParameter(str(error), param_hint="--scenario") from None


def _known_journey(model: Any, journey: str | None, source: str) -> str:
    """The journey ``--journey`` names (an unknown one is a usage error); without it, the
    model's first journey."""
    choices = [item.id for item in model.journeys]
    if journey is None:
        if not choices:
            raise RunInputError(
                f"{source}: the model declares no journey to explain; add one under 'journeys:'"
            )
        return str(choices[0])
    if journey not in choices:
        from archgen.model.errors import did_you_mean

        ordered = sorted(choices)
        raise click.BadParameter(
            f"unknown journey '{journey}'{did_you_mean(journey, ordered)}; the model has: "
            + ", ".join(ordered),
            param_hint="--journey",
        )
    return journey
