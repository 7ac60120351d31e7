"""``archgen import cloudformation|terraform``: a model from infrastructure code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from archgen.model.errors import escape_terminal

if TYPE_CHECKING:
    from archgen.model.importers.cloudformation import Imported


def run_import_cloudformation(template: Path, out: Path | None, region: str) -> None:
    """Import ``template`` (see :func:`_emit`)."""
    from archgen.model.importers.cloudformation import import_cloudformation

    _emit(template, import_cloudformation(template, region=region), out)


def run_import_terraform(plan: Path, out: Path | None, region: str | None) -> None:
    """Import the JSON of ``terraform show -json`` (see :func:`_emit`)."""
    from archgen.model.importers.terraform import import_terraform

    _emit(plan, import_terraform(plan, region=region), out)


def _emit(template: Path, imported: Imported, out: Path | None) -> None:
    """Check the model loads before anything is written; print the resources it does not
    model to standard error."""
    from archgen.model.errors import ModelError
    from archgen.model.importers.origins import at_the_input
    from archgen.model.load import load_model_text

    try:
        load_model_text(imported.text, str(out or "<imported model>"))
    except ModelError as error:
        raise at_the_input(error, imported, str(template)) from None
    if out is None:
        click.echo(imported.text, nl=False)
    else:
        from archgen.output import write_atomic

        write_atomic(out, imported.text)
    lines = [
        f"{template.name}: {_count(imported.resources, 'resource')} → "
        f"{_count(imported.nodes, 'node')}, {_count(imported.edges, 'edge')}, "
        f"{len(imported.unmodeled)} not modeled" + (f" (wrote {out})" if out else "")
    ]
    lines += [f"  not modeled: {u.what}: {u.why}" for u in imported.unmodeled]
    lines += [f"  not resolved: {u.what}: {u.why}" for u in imported.unresolved]
    for line in lines:
        click.echo(escape_terminal(line), err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
