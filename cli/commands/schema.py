"""``archgen schema``: the JSON Schema of a model file or of a run/check artefact."""

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


def schema_text(artefact: str = "model") -> str:
    if artefact == "model":
        schema = model_json_schema()
    else:
        from archgen.runtime.artefacts import artefact_schema

        schema = artefact_schema(artefact)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def run_schema(out: Path | None, artefact: str = "model") -> None:
    text = schema_text(artefact)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)
        click.echo(f"wrote {out}", err=True)
