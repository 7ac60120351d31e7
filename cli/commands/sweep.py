"""``archgen sweep``: a scenario over swept params × seeds, reduced to means and 95 % intervals.

Everything is checked and priced before the first run; the runs go to an executor
(:mod:`archgen.runtime.executors`); the output folder gets ``sweep.json``, ``sweep.csv``,
one SVG chart per measure and ``runs/`` (each finished run, for ``--resume``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen.model import load_model
from archgen.model.errors import UsageError
from archgen.model.files import OutputError
from archgen.output import print_rich, write_atomic

if TYPE_CHECKING:
    from rich.table import Table

    from archgen.runtime.artefacts import SweepConfiguration, SweepResult

OWN_FILES = {"sweep.json", "sweep.csv", "charts", "runs"}
"""What a sweep writes into its folder; anything else there is the user's."""
LOCAL = "local"
"""``--dask`` without an address: a LocalCluster."""


def run_sweep(
    model_path: Path | None,
    *,
    scenario: str | None,
    seeds: int,
    first_seed: int | None,
    vary: tuple[str, ...],
    duration: float | None,
    scale: float | None,
    out: Path | None,
    jobs: int | None,
    dask: str | None,
    chunk: int | None,
    resume: bool,
    max_events: int | None,
    fidelity: str | None = None,
    sample: float | None = None,
) -> None:
    import os

    from archgen.runtime import session
    from archgen.runtime.executors import Where, check_dask
    from archgen.runtime.fluid import as_choice
    from archgen.runtime.sweep import Sweep, plan_sweep
    from archgen.runtime.sweep_params import parse_knobs

    loaded = load_model(model_path)
    chosen = session.resolve_scenario(loaded.model, scenario, loaded.source)
    knobs = parse_knobs(loaded, vary)
    if dask is not None:
        check_dask()
    plan = plan_sweep(
        loaded,
        chosen.id,
        knobs,
        seeds=seeds,
        first_seed=first_seed,
        scale=scale,
        duration_s=duration,
        max_events=max_events,
        mode=as_choice(fidelity),
        sample=sample,
    )
    if plan.fidelity.hybrid:
        click.echo(
            f"hybrid fidelity: each run traces {plan.fidelity.sample:g} of the sessions of "
            f"the system at scale {plan.scale:g}",
            err=True,
        )
    out = out or Path("archgen-out") / f"sweep-{chosen.id}"
    _check_out(out, model_path)
    workers = jobs or os.cpu_count() or 1
    if dask is not None:
        where = Where("dask", workers, None if dask == LOCAL else dask)
    else:
        where = Where("serial" if workers == 1 else "pool", workers)
    sweep = Sweep(plan, out, where, resume=resume, chunk=chunk)
    with _progress(sweep.total) as progress:
        sweep.progress = progress
        result = sweep.run()
    write_outputs(result, out)
    for line in scale_warnings(result.configurations):
        click.echo(line, err=True)
    reused = f", {sweep.reused} reused from {out}/runs" if sweep.reused else ""
    print_rich(
        result_table(result),
        f"{sweep.total} runs on {where.describe()}{reused}; written to {out}/ (sweep.json, "
        "sweep.csv, charts/*.svg)",
    )


def _check_out(out: Path, model_path: Path | None) -> None:
    """Refuse a folder that is not a sweep's (its files would be mixed with ours) or that
    holds the model."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"{out}: not a folder archgen can write a sweep into")
    if model_path is not None and out.resolve() in model_path.resolve().parents:
        raise OutputError(f"{out}: contains the input {model_path}; give a folder of its own")
    if out.is_dir():
        foreign = sorted(
            entry.name
            for entry in out.iterdir()
            if entry.name not in OWN_FILES and not entry.name.startswith(".")
        )
        if foreign:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise OutputError(
                f"{out}: not a sweep folder: it holds {shown}; choose an empty or new folder"
            )


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("runs"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("sweep", total=total)
        yield lambda done, _total: progress.update(task, completed=done)


def write_outputs(result: SweepResult, out: Path) -> None:
    """``sweep.json``, ``sweep.csv`` and the charts, each file written atomically; charts
    of an earlier sweep that this one does not draw are removed."""
    from archgen.site.sweep import sweep_charts, sweep_csv

    charts = sweep_charts(result)
    for name, svg in charts.items():
        write_atomic(out / "charts" / f"{name}.svg", svg)
    for old in sorted((out / "charts").glob("*.svg")):
        if old.stem not in charts:
            old.unlink()
    write_atomic(out / "sweep.csv", sweep_csv(result))
    write_atomic(out / "sweep.json", result.model_dump_json(indent=2) + "\n")


def scale_warnings(configurations: Sequence[SweepConfiguration]) -> list[str]:
    """What the scale did to the sweep's capacities: a warning every configuration's runs
    share once, the others with their configuration; then the configurations that ran the
    same simulated system (the scale rounded their different values of the varied
    parameters to the same capacities), whose rows therefore cannot differ."""
    if not configurations:
        return []
    common = set.intersection(*(set(c.scale_warnings) for c in configurations))
    lines = [f"warning: scale: {w}" for w in configurations[0].scale_warnings if w in common]
    same: dict[tuple[str, ...], list[str]] = {}
    for configuration in configurations:
        name = ", ".join(f"{key}={value}" for key, value in configuration.params.items())
        lines.extend(
            f"warning: scale: {name}: {w}" for w in configuration.scale_warnings if w not in common
        )
        simulated = []
        for key, value in configuration.params.items():
            node, _, param = key.partition(".")
            warned = [w for w in configuration.scale_warnings if w.startswith(f"{node}: {param} ")]
            simulated.append(_simulated(warned[0]) if warned else str(value))
        same.setdefault(tuple(simulated), []).append(name)
    for names in same.values():
        if len(names) > 1:
            lines.append(
                f"warning: scale: {' and '.join(names)} run the same simulated system at "
                "this scale, so their rows cannot differ: compare them at a scale that "
                "keeps them apart"
            )
    return lines


def _simulated(warning: str) -> str:
    """What a scale warning says was simulated (``… 2 × 0.1 = 0.2, simulated 1 …`` → 1;
    the whole warning when it says the simulated value is the scaled one)."""
    _, found, rest = warning.partition(", simulated ")
    return rest.split(" ")[0].rstrip(",;") if found else warning


def result_table(result: SweepResult) -> Table:
    from rich.table import Table

    from archgen.site.sweep import table_columns

    table = Table(
        title=f"{result.scenario} — {len(result.seeds)} seeds per configuration, scale "
        f"{result.scale:g}, {result.duration_s:g} s simulated; mean [95 % interval]"
    )
    columns = table_columns(result)
    for header, _ in columns:
        table.add_column(header, justify="right")
    for configuration in result.configurations:
        table.add_row(*(text(configuration) for _, text in columns))
    return table


def parse_dask(value: str | None) -> str | None:
    """``--dask`` alone (a LocalCluster) or ``--dask tcp://HOST:PORT``."""
    if value is None or value == LOCAL:
        return value
    if "://" not in value:
        raise UsageError(
            f"'{value}': expected a scheduler address such as tcp://HOST:8786", "--dask"
        )
    return value
