"""``archgen check``: lint the model, run or read runs, and report in one format."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen import __version__
from archgen.model import LoadedModel, load_model
from archgen.model.errors import CheckFailed, UsageError, escape_terminal
from archgen.output import write_atomic

if TYPE_CHECKING:
    from archgen.runtime.check.report import Scope

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
    against: tuple[Path, ...] = (),
    scale: float | None = None,
    duration: float | None = None,
    fidelity: str | None = None,
    sample: float | None = None,
) -> None:
    from archgen.runtime.check.formats import FORMATS
    from archgen.runtime.check.report import Report, plural
    from archgen.runtime.fluid import as_choice
    from archgen.runtime.session import check

    if lint_only and (run_dirs or scenarios):
        raise UsageError("--lint-only cannot be combined with --run or --scenario")
    if run_dirs and scenarios:
        raise UsageError("give runs to read (--run) or scenarios to run (--scenario), not both")
    how = [
        name
        for name, value in (
            ("--scale", scale),
            ("--duration", duration),
            ("--fidelity", fidelity),
            ("--sample", sample),
        )
        if value is not None
    ]
    if how and (run_dirs or lint_only):
        drop = "--run" if run_dirs else "--lint-only"
        verb = "chooses" if len(how) == 1 else "choose"
        raise UsageError(f"{' and '.join(how)} {verb} how check runs scenarios: drop {drop}")
    if sample is not None and not 0 < sample <= 1:
        raise UsageError(f"--sample: must be above 0 and at most 1 (got {sample:g})", "--sample")
    twice = sorted({str(p) for p in against if against.count(p) > 1})
    if twice:
        raise UsageError(f"{', '.join(twice)} given more than once", "--against")
    started = time.perf_counter()
    loaded = load_model(model_path)
    # Imported before any run: a bad template fails at once (exit 2).
    compared = _drift(loaded, against) if against else None
    report = check(
        loaded,
        run_dirs=run_dirs,
        scenarios=scenarios,
        run_all=not lint_only,
        max_events=max_events,
        mode=as_choice(fidelity),
        sample=sample,
        scale=scale,
        duration_s=duration,
    )
    if compared is not None:
        report = Report(report.model_file, (*report.scopes, compared))
    elapsed = time.perf_counter() - started
    rendered = FORMATS[output_format](report, __version__)
    if out is None:
        click.echo(rendered, nl=False)
    else:
        write_atomic(out, rendered)
    runs = sum(scope.name not in ("lint", "coverage", "drift") for scope in report.scopes)
    what = "lint, drift" if compared is not None else "lint"
    click.echo(
        f"checked {escape_terminal(loaded.source)}: {what} and {runs} "
        f"run{'s' if runs != 1 else ''} in {elapsed:.2f} s",
        err=True,
    )
    if report.failed:
        counts = report.counts()
        raise CheckFailed(
            f"check failed: {plural(counts['errors'], 'error')} "
            f"({plural(counts['warnings'], 'warning')}, {counts['suppressed']} suppressed)"
        )


def _drift(loaded: LoadedModel, files: tuple[Path, ...]) -> Scope:
    """The drift scope of ``loaded`` against templates or plans, each imported in memory;
    together they are one system."""
    from archgen.model import load_model_text
    from archgen.model.importers.cloudformation import import_cloudformation
    from archgen.model.importers.terraform import import_terraform
    from archgen.runtime.check.drift import Against, Counterpart, drift

    against: list[Against] = []
    for path in files:
        importer = import_terraform if _is_plan(path) else import_cloudformation
        imported = importer(path)
        resources = [
            Counterpart(o.node, o.label, o.names, o.line, o.column, o.values, o.aws_names)
            for o in imported.origins
        ]
        theirs = load_model_text(imported.text, str(path))
        against.append(Against(str(path), theirs, resources))
    return drift(loaded, against)


def _is_plan(path: Path) -> bool:
    """``terraform show -json`` output (a plan or a state), not a CloudFormation template:
    JSON with Terraform's ``format_version``. Anything else goes to the CloudFormation
    importer, which says what is wrong with it."""
    import json

    if path.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "format_version" in data and "Resources" not in data
