"""``archgen run``: simulate a scenario of the model and report what users experienced."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen.model import load_model
from archgen.model.errors import UsageError, escape_terminal

if TYPE_CHECKING:
    from rich.table import Table

    from archgen.model import LoadedModel
    from archgen.model.schema import Scenario
    from archgen.runtime.artefacts import RunSummary
    from archgen.runtime.fluid import Fidelity
    from archgen.runtime.run import RunResult


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
    exports: tuple[str, ...] = (),
    fidelity: str | None = None,
    sample: float | None = None,
    spans: bool = True,
) -> None:
    from archgen.runtime import session
    from archgen.runtime.fluid import as_choice

    if journey is not None and not explain:
        raise UsageError("--journey and --explain go together: --journey ID --explain")
    if exports and explain:
        raise UsageError("--export writes a run folder; --explain prints one user: choose one")
    loaded = load_model(model_path)
    model = loaded.model
    chosen = session.resolve_scenario(model, scenario, loaded.source)
    if explain:
        if fidelity is not None or sample is not None:
            raise UsageError("--explain picks how it simulates the other users: drop --fidelity")
        _explain(loaded, chosen, journey, seed, scale)
        return
    out = out or session.default_run_folder(chosen.id)
    chosen_fidelity = session.resolve_fidelity(
        model, chosen, as_choice(fidelity), sample, scale=scale, duration_s=duration
    )

    def run(progress: Callable[[float], None] | None = None) -> RunResult:
        return session.run_scenario(
            model,
            chosen.id,
            seed=seed,
            duration_s=duration,
            scale=scale,
            out=out,
            max_events=max_events,
            progress=progress,
            exports=exports,
            fidelity=chosen_fidelity,
            write_spans=spans,
        )

    result = _with_progress(chosen.id, run) if sys.stderr.isatty() and not as_json else run()
    warmup = session.warmup_warning(chosen, duration)
    if as_json:
        if warmup is not None:
            click.echo(f"warning: warm-up: {warmup}", err=True)
        click.echo(json.dumps(result.summary, indent=2, sort_keys=True))
        return
    from archgen.runtime.artefacts import RunSummary

    # Said once the run is accepted and done, so a refusal is the only line of a refused run.
    click.echo(f"{_said(chosen_fidelity)} ({chosen_fidelity.reason})", err=True)
    _print_table(RunSummary.model_validate(result.summary), out, exports, warmup)


def _with_progress(
    scenario: str, run: Callable[[Callable[[float], None] | None], RunResult]
) -> RunResult:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

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
        return run(lambda done: progress.update(task, completed=done))


def _said(fidelity: Fidelity) -> str:
    from archgen.runtime.fluid import sessions_traced

    if fidelity.hybrid:
        return f"hybrid fidelity, {sessions_traced(fidelity.sample)}"
    return "full fidelity"


def _title(summary: RunSummary) -> str:
    """The table's title. In hybrid fidelity the summary's ``scale`` is the traced traffic's
    (the system's scale × the sample): the title says both factors, not two bare scales."""
    from archgen.runtime.fluid import sessions_traced

    head = f"{summary.scenario} — seed {summary.seed}"
    hybrid = summary.fidelity
    if hybrid is None or hybrid.mode == "full":
        return f"{head}, scale {summary.scale}, {summary.duration_s:g} s simulated"
    system = hybrid.system_scale
    product = (
        ""
        if hybrid.sample >= 1
        else f" (their traffic at scale {system:g} × {hybrid.sample:g} = {summary.scale:g})"
    )
    return (
        f"{head}, {summary.duration_s:g} s simulated in hybrid fidelity: the system at scale "
        f"{system:g}, {sessions_traced(hybrid.sample, 'its')}{product}"
    )


def _fleet_scale(summary: RunSummary) -> float:
    """The scale instance counts are at: the system's in hybrid fidelity."""
    hybrid = summary.fidelity
    return summary.scale if hybrid is None or hybrid.mode == "full" else hybrid.system_scale


def _print_table(
    summary: RunSummary, out: Path, exports: tuple[str, ...] = (), warmup: str | None = None
) -> None:
    """The flows' table, the cost table, then one line per figure worth a glance (first,
    ``warmup``: why the flow table is empty)."""
    from rich.table import Table

    from archgen.output import print_rich

    lines: list[str] = [] if warmup is None else [f"warning: warm-up: {warmup}"]
    table = Table(title=_title(summary))
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
    peak = summary.peak_requests_real_per_s
    if peak is not None:
        lines.append(
            f"peak {_rate(peak)} requests/s sent into the system, real units (the busiest "
            f"metric period, from {summary.peak_requests_t_s:g} s)"
        )
    for fleet, instances in summary.instances.items():
        lines.append(
            f"{fleet}: {instances.initial} → peak {instances.peak_in_service} → "
            f"{instances.final_in_service} {instances.member}"
            f"{'s' if instances.final_in_service != 1 else ''} in service (simulated at scale "
            f"{_fleet_scale(summary):g}; summary.json lists the real capacities)"
        )
        if instances.zones:
            zones = ", ".join(
                f"{zone} {z.final_in_service} (peak {z.peak_in_service})"
                for zone, z in instances.zones.items()
            )
            lines.append(f"  in service per zone at the end: {zones}")
    for node, cache in summary.cache.items():
        if cache.hit_ratio is not None:
            lines.append(f"{node}: cache hit ratio {100 * cache.hit_ratio:.1f} %")
    lines.extend(f"warning: scale: {warning}" for warning in summary.scale_warnings)
    from archgen.runtime.export import EXPORT_FILES

    files = ["spans.jsonl"] if summary.spans_sha256 is not None else []
    files += ["metrics.jsonl", "summary.json", "data-at-rest.json"]
    files += [name for key, names in EXPORT_FILES.items() if key in exports for name in names]
    lines.append(f"written to {out}/ ({', '.join(files)})")
    print_rich(table, _cost_table(summary), *lines)


def _rate(per_s: float) -> str:
    """A rate to three significant digits at least, with thousands separators."""
    return f"{per_s:,.0f}" if per_s >= 100 else f"{per_s:.3g}"


def _cost_table(summary: RunSummary) -> Table:
    """Each priced node's cost, dearest first, then the total (the real system)."""
    from rich.table import Table

    cost = summary.cost
    left_out: dict[str, list[str]] = {}  # what a priced node costs that is not priced
    for node_id, node in sorted(cost.nodes.items()):
        for reason in node.not_priced if node.lines else ():
            left_out.setdefault(reason.split(":")[0], []).append(node_id)
    caption = "; ".join(f"{kind} {why}" for kind, why in cost.kinds_not_priced.items())
    if left_out:
        items = "; ".join(f"{item} ({', '.join(nodes)})" for item, nodes in left_out.items())
        caption += f"{'. ' if caption else ''}Not in the totals (summary.json says why): {items}"
    table = Table(
        title=f"cost at list prices of {cost.prices_date} ({cost.currency}), real system: "
        f"activity ÷ scale {cost.scale:g}, {cost.window_s:g} s window",
        caption=caption,
    )
    for column in ("node", "kind", "region", "window $", "per month $", "largest item"):
        table.add_column(column, justify="right" if "$" in column else "left")
    ranked = sorted(cost.nodes.items(), key=lambda item: (-item[1].monthly_usd, item[0]))
    for node_id, node in ranked:
        top = max(node.lines, key=lambda line: line.window_usd, default=None)
        unpriced = top is None and bool(node.not_priced)
        table.add_row(
            node_id,
            node.kind,
            node.region or "global",
            "—" if unpriced else _usd(node.window_usd),
            "—" if unpriced else _usd(node.monthly_usd),
            "not priced (see summary.json)" if unpriced else "" if top is None else top.item,
        )
    table.add_section()
    from archgen.model.cost import lacks_prices

    partial = sum(1 for node in cost.nodes.values() if lacks_prices(node.not_priced))
    table.add_row(
        "total",
        "",
        "",
        _usd(cost.window_usd),
        _usd(cost.monthly_usd),
        f"leaves out {partial} node{'s' if partial != 1 else ''} the price table lacks"
        if partial
        else "",
    )
    return table


def _usd(value: float) -> str:
    """Dollars to the cent, small amounts to a hundredth of a cent."""
    return f"{value:,.2f}" if value >= 1 or value == 0 else f"{value:.4f}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _explain(
    loaded: LoadedModel,
    scenario: Scenario,
    journey: str | None,
    seed: int | None,
    scale: float | None,
) -> None:
    from archgen.runtime import session
    from archgen.runtime.explain import render_tree

    chosen = session.resolve_journey(loaded.model, journey, loaded.source)
    spans, fidelity = session.explain(loaded.model, scenario, chosen, seed=seed, scale=scale)
    if fidelity.hybrid:
        click.echo(f"hybrid fidelity for the other users ({fidelity.reason})", err=True)
    click.echo(f"one user through journey '{chosen}' ({scenario.id}):")
    for line in render_tree(spans):
        click.echo(escape_terminal(line))  # operation names are the model's free text
