"""The ``archgen`` command line: parse, call one function, print, exit.

Commands import their machinery lazily so that ``archgen --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from archgen import __version__

MODEL_ARGUMENT = click.argument(
    "model_path",
    metavar="[MODEL]",
    required=False,
    type=click.Path(path_type=Path, dir_okay=True, exists=False),
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="archgen")
def cli() -> None:
    """Architecture as code: one model of a cloud system, rendered, simulated, checked and
    published.

    Without MODEL, every command uses the embedded reference model, "how Amazon shopping
    works on AWS".
    """


@cli.command()
@MODEL_ARGUMENT
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def validate(model_path: Path | None, quiet: bool) -> None:
    """Check MODEL against the schema and the semantic rules (exit 2 on problems)."""
    from archgen.commands.validate import run_validate

    run_validate(model_path, quiet=quiet)


@cli.command()
@click.option("--out", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
def schema(out: Path | None) -> None:
    """Print the JSON Schema (Draft 2020-12) of a model, for editors and yaml-language-server."""
    from archgen.commands.schema import run_schema

    run_schema(out)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path),
                default=Path("archgen.yaml"))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: Path, force: bool) -> None:
    """Write the reference model to PATH (default ./archgen.yaml) to start from, with its
    JSON Schema beside it for editor completion."""
    from archgen.commands.init import run_init

    run_init(path, force=force)


def main() -> None:
    cli(prog_name="archgen")
