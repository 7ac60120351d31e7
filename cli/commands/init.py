"""``archgen init``: start a model from the reference one."""

from __future__ import annotations

from pathlib import Path

import click

from archgen.commands.schema import schema_text
from archgen.model import reference_model_path
from archgen.output import write_atomic

SCHEMA_FILE = "archgen.schema.json"


def run_init(path: Path, *, force: bool = False) -> None:
    if path.is_dir():
        raise click.UsageError(
            f"{path} is a directory; give a file name such as {path}/archgen.yaml"
        )
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; use --force to overwrite it")
    text = reference_model_path().read_text(encoding="utf-8")
    header = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("# yaml-language-server:"):
        lines = lines[1:]
    write_atomic(path.parent / SCHEMA_FILE, schema_text())
    write_atomic(path, header + "".join(lines))
    click.echo(f"wrote {path} (the reference model) and {path.parent / SCHEMA_FILE}")
    click.echo(f"next: archgen validate {path}")
