"""``archgen init``: start a model from the reference one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import click

from archgen.commands.schema import schema_text
from archgen.model import reference_model_path
from archgen.model.errors import ModelError, Problem
from archgen.output import write_atomic

SCHEMA_FILE = "archgen.schema.json"


def run_init(path: Path, *, force: bool = False) -> None:
    """Write the reference model to ``path`` and its JSON Schema beside it; without
    ``force``, refuse (writing nothing) when either file exists, naming every one."""
    schema_path = path.parent / SCHEMA_FILE
    if path.is_dir():
        _refuse(path, f"is a directory; give a file name such as {path / 'archgen.yaml'}")
    if path.name == SCHEMA_FILE:
        _refuse(path, "is the name of the JSON Schema written beside the model; choose another")
    if schema_path.is_dir():
        _refuse(schema_path, "is a directory; archgen init writes the JSON Schema there")
    existing = [target for target in (path, schema_path) if os.path.lexists(target)]
    if existing and not force:
        raise ModelError(
            Problem(str(target), 0, 0, "", "exists; use --force to overwrite it")
            for target in existing
        )
    text = reference_model_path().read_text(encoding="utf-8")
    header = f"# yaml-language-server: $schema={SCHEMA_FILE}\n"
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("# yaml-language-server:"):
        lines = lines[1:]
    write_atomic(schema_path, schema_text())
    write_atomic(path, header + "".join(lines))
    click.echo(f"wrote {path} (the reference model) and {schema_path}")
    click.echo(f"next: archgen validate {path}")


def _refuse(path: Path, message: str) -> NoReturn:
    raise ModelError([Problem(str(path), 0, 0, "", message)])
