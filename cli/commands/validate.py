"""``archgen validate``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from archgen.model import load_model
from archgen.model.errors import escape_terminal


def run_validate(model_path: Path | None, *, quiet: bool = False) -> None:
    loaded = load_model(model_path)
    if quiet:
        return
    model = loaded.model
    kinds = Counter(node.kind for node in model.nodes)
    # The name and the file's name are free text: nothing in them may drive the terminal.
    click.echo(
        escape_terminal(
            f"{loaded.source}: valid — {model.system.name} (version {model.system.version})"
        )
    )
    click.echo(
        f"  {len(model.groups)} groups, {len(model.nodes)} nodes, {len(model.edges)} edges, "
        f"{len(model.flows)} flows, {len(model.journeys)} journeys, "
        f"{len(model.scenarios)} scenarios, {len(model.invariants)} invariants"
    )
    click.echo("  kinds: " + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    if model.scenarios:
        click.echo("  scenarios: " + ", ".join(s.id for s in model.scenarios))
