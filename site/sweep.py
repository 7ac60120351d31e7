"""What a sweep shows: its measures as a table, a CSV and charts against the swept
parameter (means over confidence bands), and a site page.

Shared by ``archgen sweep`` (which writes the files) and the site (which shows a sweep
result it is given), so both show the same columns and the same charts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from archgen.model.errors import InputError
from archgen.runtime.artefacts import (
    Interval,
    SweepConfiguration,
    SweepResult,
    SweepValue,
    describe,
)
from archgen.site.charts import BandSeries, band_chart


@dataclass(frozen=True)
class Measure:
    """One figure of every configuration: its key (CSV columns, chart file), its words,
    and where it is in a :class:`SweepConfiguration`."""

    key: str
    title: str
    unit: str
    get: Callable[[SweepConfiguration], Interval | None]
    share: bool = False
    """A share (0..1), shown as a percentage."""
    digits: int | None = None
    """Decimals in the table; None: 2 for a share, 0 for ms, 1 otherwise."""


def measures(result: SweepResult) -> list[Measure]:
    """Every measure some configuration of ``result`` has, in a fixed order."""
    configs = result.configurations
    found: list[Measure] = [
        Measure("availability", "Availability", "%", lambda c: c.availability, share=True)
    ]
    if any(c.slo_pass_rate is not None for c in configs):
        found.append(
            Measure("slo_pass_rate", "Runs meeting every SLO", "%", lambda c: c.slo_pass_rate, True)
        )
    if any(c.monthly_cost_usd is not None for c in configs):
        found.append(
            Measure(
                "monthly_cost_usd", "Cost per month", "USD", lambda c: c.monthly_cost_usd, digits=2
            )
        )
    if any(c.cost_usd is not None for c in configs):
        found.append(
            Measure("cost_usd", "Cost of the window", "USD", lambda c: c.cost_usd, digits=4)
        )
    for flow in sorted({flow for c in configs for flow in c.flows}):
        for field, words in (("p50_ms", "p50 latency"), ("p99_ms", "p99 latency")):
            found.append(
                Measure(
                    f"flows.{flow}.{field}", f"{flow}: {words}", "ms", _flow_getter(flow, field)
                )
            )
        found.append(
            Measure(
                f"flows.{flow}.availability",
                f"{flow}: availability",
                "%",
                _flow_getter(flow, "availability"),
                share=True,
            )
        )
    for fleet in sorted({fleet for c in configs for fleet in c.peak_instances}):
        found.append(
            Measure(
                f"peak_instances.{fleet}",
                f"{fleet}: peak instances in service",
                "instances",
                _keyed(lambda c: c.peak_instances, fleet),
            )
        )
    for queue in sorted({queue for c in configs for queue in c.max_queue_age_s}):
        found.append(
            Measure(
                f"max_queue_age_s.{queue}",
                f"{queue}: age of the oldest message",
                "s",
                _keyed(lambda c: c.max_queue_age_s, queue),
            )
        )
    return found


def _flow_getter(flow: str, field: str) -> Callable[[SweepConfiguration], Interval | None]:
    def get(configuration: SweepConfiguration) -> Interval | None:
        figures = configuration.flows.get(flow)
        return None if figures is None else getattr(figures, field)

    return get


def _keyed(
    table: Callable[[SweepConfiguration], dict[str, Interval]], key: str
) -> Callable[[SweepConfiguration], Interval | None]:
    return lambda configuration: table(configuration).get(key)


# --------------------------------------------------------------------------- table


def cell(value: Interval | None, scale: float = 1.0, digits: int = 1) -> str:
    """``mean [low, high]`` (``mean`` alone for a single run), ``—`` when not measured."""
    if value is None:
        return "—"
    mean = f"{value.mean * scale:,.{digits}f}"
    if value.low is None or value.high is None:
        return mean
    return f"{mean} [{value.low * scale:,.{digits}f}, {value.high * scale:,.{digits}f}]"


def shown(value: SweepValue) -> str:
    return (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def table_columns(
    result: SweepResult,
) -> list[tuple[str, Callable[[SweepConfiguration], str]]]:
    """The table's columns (header, cell of a configuration): the values, then the
    measures a planner reads first: availability, SLOs, cost, p99 per flow, fleets, queues."""
    columns: list[tuple[str, Callable[[SweepConfiguration], str]]] = [
        (parameter.name, lambda c, name=parameter.name: shown(c.params[name]))  # type: ignore[misc]
        for parameter in result.parameters
    ]
    columns.append(("runs", lambda c: str(len(c.seeds))))
    for measure in measures(result):
        if measure.key.startswith("flows.") and not measure.key.endswith(".p99_ms"):
            continue  # p50 and per-flow availability: in the CSV, JSON and charts
        header = f"{measure.title} ({measure.unit})"
        scale, digits = (100.0, 2) if measure.share else (1.0, 0 if measure.unit == "ms" else 1)
        digits = digits if measure.digits is None else measure.digits
        columns.append(
            (header, lambda c, m=measure, s=scale, d=digits: cell(m.get(c), s, d))  # type: ignore[misc]
        )
    return columns


def sweep_csv(result: SweepResult) -> str:
    """One row per configuration: the values, the runs, then each measure's mean, low,
    high and n (empty where not measured)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    found = measures(result)
    writer.writerow(
        [
            *(parameter.name for parameter in result.parameters),
            "runs",
            *(f"{m.key}.{part}" for m in found for part in ("mean", "low", "high", "n")),
        ]
    )
    for configuration in result.configurations:
        row: list[object] = [shown(configuration.params[p.name]) for p in result.parameters]
        row.append(len(configuration.seeds))
        for measure in found:
            value = measure.get(configuration)
            row += (
                ["", "", "", 0]
                if value is None
                else [value.mean, _blank(value.low), _blank(value.high), value.n]
            )
        writer.writerow(row)
    return buffer.getvalue()


def _blank(value: float | None) -> object:
    return "" if value is None else value


# --------------------------------------------------------------------------- charts


def chart_name(measure: Measure) -> str:
    """A file name for ``measure``'s chart (model ids may hold characters files should not)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", measure.key)


def sweep_chart_names(result: SweepResult) -> list[tuple[str, str]]:
    """``(chart name, title)`` of the charts :func:`sweep_charts` draws, without drawing."""
    if not result.parameters:
        return []
    return [
        (chart_name(m), f"{m.title} against {result.parameters[0].name}") for m in measures(result)
    ]


def sweep_charts(result: SweepResult) -> dict[str, str]:
    """Chart name → SVG of each measure against the first parameter, one line per
    combination of the others, its 95 % interval as a band. No parameter: no chart."""
    if not result.parameters:
        return {}
    first, others = result.parameters[0], result.parameters[1:]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in first.values)
    position = {shown(v): i for i, v in enumerate(first.values)}
    x_names = () if numeric else tuple((float(i), shown(v)) for i, v in enumerate(first.values))
    groups: dict[str, list[SweepConfiguration]] = {}
    for configuration in result.configurations:
        name = ", ".join(f"{p.name}={shown(configuration.params[p.name])}" for p in others)
        groups.setdefault(name, []).append(configuration)
    charts = {}
    for measure in measures(result):
        scale = 100.0 if measure.share else 1.0
        series = []
        for name, members in groups.items():
            points = []
            for configuration in members:
                value = measure.get(configuration)
                if value is None:
                    continue
                raw = configuration.params[first.name]
                x = float(raw) if numeric and raw is not None else float(position[shown(raw)])
                points.append(
                    (
                        x,
                        value.mean * scale,
                        None if value.low is None else value.low * scale,
                        None if value.high is None else value.high * scale,
                    )
                )
            series.append(BandSeries(name, tuple(points)))
        charts[chart_name(measure)] = band_chart(
            f"{measure.title} — mean and 95 % interval over {len(result.seeds)} seeds",
            first.name,
            measure.unit,
            series,
            x_names,
        )
    return charts


# --------------------------------------------------------------------------- reading


def read_sweep(path: Path) -> SweepResult:
    """``sweep.json`` (or the sweep folder holding it) as a :class:`SweepResult`; a missing
    or malformed file is bad input (:class:`InputError`)."""
    import json

    from pydantic import ValidationError

    from archgen.runtime.artefacts import SCHEMA_VERSION

    file = path / "sweep.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_bytes())
    except (OSError, ValueError) as error:
        raise InputError(f"{file}: cannot read a sweep result ({error})") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            f"{file}: not a sweep.json of schema version {SCHEMA_VERSION} (run the sweep "
            "again with this version)"
        )
    try:
        return SweepResult.model_validate(data)
    except ValidationError as error:
        raise InputError(f"{file}: not a sweep result ({describe(error)})") from None


def sweep_id(result: SweepResult) -> str:
    """A page name for ``result``: its scenario and its parameters."""
    names = "-".join(p.name for p in result.parameters) or "seeds"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{result.scenario}--{names}")


def sweep_title(result: SweepResult) -> str:
    over = ", ".join(p.name for p in result.parameters) or "seeds only"
    return f"Sweep of {result.scenario} over {over}"


def unique_ids(results: Sequence[SweepResult]) -> list[str]:
    """Page names of ``results``, numbered where two sweeps would share one."""
    ids: list[str] = []
    for result in results:
        base = sweep_id(result)
        name, n = base, 2
        while name in ids:
            name, n = f"{base}-{n}", n + 1
        ids.append(name)
    return ids


# --------------------------------------------------------------------------- the site


def sweep_page(
    result: SweepResult,
    title: str,
    scenario_link: Markup,
    node_link: Callable[[str], Markup],
    chart_images: Sequence[Markup],
) -> str:
    """The Markdown of a sweep's page: what ran, the table, the charts."""
    from archgen.site.templating import render, text

    columns = table_columns(result)
    return render(
        "sweep.md.j2",
        title=title,
        scenario=scenario_link,
        configurations=len(result.configurations),
        seeds=len(result.seeds),
        first_seed=result.seeds[0] if result.seeds else 0,
        last_seed=result.seeds[-1] if result.seeds else 0,
        scale=float(result.scale),
        duration=float(result.duration_s),
        parameters=[
            {
                "name": p.name,
                "node": node_link(p.node),
                "shown": text(", ".join(shown(v) for v in p.values)),
            }
            for p in result.parameters
        ],
        headers=[header for header, _ in columns],
        rows=[[get(c) for _, get in columns] for c in result.configurations],
        charts=list(chart_images),
    )
