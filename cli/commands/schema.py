"""``archgen schema``: the JSON Schema of a model file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from archgen.output import write_atomic

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def model_json_schema() -> dict[str, Any]:
    from archgen.model.schema import Model

    schema = Model.model_json_schema(by_alias=True)
    return {
        "$schema": DIALECT,
        "$id": "https://archgen.dev/schema/model-1.json",
        **schema,
        "title": "archgen model",
    }


def schema_text() -> str:
    return json.dumps(model_json_schema(), indent=2, sort_keys=True) + "\n"


def run_schema(out: Path | None) -> None:
    text = schema_text()
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)
        click.echo(f"wrote {out}", err=True)
