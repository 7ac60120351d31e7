"""``archgen check``: lint the model, run or read runs, and report in one format."""

from __future__ import annotations

import time
from pathlib import Path

import click

from archgen import __version__
from archgen.model import load_model
from archgen.model.errors import CheckFailed, UsageError, escape_terminal
from archgen.output import write_atomic

FORMAT_NAMES = ("text", "json", "junit", "sarif")


def run_check(
    model_path: Path | None,
    *,
    run_dirs: tuple[Path, ...],
    scenarios: tuple[str, ...],
    lint_only: bool,
    output_format: str,
    out: Path | None,
    max_events: int | None = None,
) -> None:
    from archgen.runtime.check.formats import FORMATS
    from archgen.runtime.session import check

    if lint_only and (run_dirs or scenarios):
        raise UsageError("--lint-only cannot be combined with --run or --scenario")
    if run_dirs and scenarios:
        raise UsageError("give runs to read (--run) or scenarios to run (--scenario), not both")
    started = time.perf_counter()
    loaded = load_model(model_path)
    report = check(
        loaded,
        run_dirs=run_dirs,
        scenarios=scenarios,
        run_all=not lint_only,
        max_events=max_events,
    )
    elapsed = time.perf_counter() - started
    rendered = FORMATS[output_format](report, __version__)
    if out is None:
        click.echo(rendered, nl=False)
    else:
        write_atomic(out, rendered)
    runs = sum(scope.name not in ("lint", "coverage") for scope in report.scopes)
    click.echo(
        f"checked {escape_terminal(loaded.source)}: lint and {runs} "
        f"run{'s' if runs != 1 else ''} in {elapsed:.2f} s",
        err=True,
    )
    if report.failed:
        counts = report.counts()
        raise CheckFailed(
            f"check failed: {counts['errors']} errors "
            f"({counts['warnings']} warnings, {counts['suppressed']} suppressed)"
        )
