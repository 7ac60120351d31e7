"""Run artefacts are typed and versioned: real run outputs validate against the published
JSON Schemas, and a summary of another version or shape is refused with one error line."""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import LoadedModel
from archgen.runtime.artefacts import (
    ARTEFACTS,
    SCHEMA_VERSION,
    RunSummary,
    SpanDict,
    SpanRecord,
    SpanStatus,
    artefact_schema,
)
from archgen.runtime.check.spans import RunFolder, RunInputError
from archgen.runtime.session import run_scenario
from tests.runtime.conftest import MINI
from tests.scales import QUICK_SCALE


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = artefact_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    ("model", "scenario", "every", "scale"),
    [("reference", "normal-day", 40, QUICK_SCALE), ("photo", "quiet-evening", 1, None)],
)
def test_run_outputs_validate_against_the_published_schemas(
    model: str,
    scenario: str,
    every: int,
    scale: float | None,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    loaded: LoadedModel = request.getfixturevalue(model)
    out = tmp_path / "run"
    run_scenario(loaded.model, scenario, scale=scale, out=out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["schema_version"] == SCHEMA_VERSION == 1
    validator("summary").validate(summary)
    assert RunSummary.model_validate(summary).model_dump(mode="json", by_alias=True) == summary
    spans = lines(out / "spans.jsonl")
    check = validator("span")
    for record in spans[::every]:
        check.validate(record)
    metrics = lines(out / "metrics.jsonl")
    assert metrics
    check = validator("metric")
    for record in metrics:
        check.validate(record)


def test_schemas_are_published_by_the_cli_one_per_artefact() -> None:
    command = next(c for c in cli.commands.values() if c.name == "schema")
    (option,) = [p for p in command.params if p.name == "artefact"]
    assert list(option.type.choices) == ["model", *ARTEFACTS]  # type: ignore[attr-defined]
    for name in ARTEFACTS:
        result = CliRunner().invoke(cli, ["schema", "--artefact", name])
        assert result.exit_code == 0, result.output
        schema = json.loads(result.stdout)
        assert schema == artefact_schema(name)
        assert schema["$id"] == f"https://archgen.dev/schema/{name}-{SCHEMA_VERSION}.json"


def test_schemas_refuse_what_is_not_an_artefact() -> None:
    with pytest.raises(
        jsonschema.ValidationError, match=r"\['a'\] is not valid under any of the given schemas"
    ):
        validator("finding").validate(
            {
                "rule": "slo",
                "severity": "error",
                "message": "m",
                "file": "f.yaml",
                "line": 1,
                "column": 1,
                "path": "",
                "suppressed": None,
                "details": "",
                "values": {"p99_ms": ["a"]},
            }
        )
    with pytest.raises(jsonschema.ValidationError, match="'sideways' is not one of"):
        validator("span").validate(
            {
                "span": "s000000001",
                "parent": None,
                "trace": "t00000001",
                "session": 1,
                "journey": None,
                "flow": None,
                "step": None,
                "from": "user",
                "node": "dns",
                "op": "Query",
                "start_ms": 0.0,
                "end_ms": 1.0,
                "status": "sideways",
                "error": None,
                "attrs": {},
            }
        )


@pytest.fixture(scope="module")
def mini_run(mini: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("artefacts") / "run"
    run_scenario(mini.model, "base", duration_s=30, out=out)
    return out


def edited(run: Path, tmp_path: Path, change: dict[str, Any], drop: str = "") -> Path:
    folder = tmp_path / "edited"
    folder.mkdir()
    for name in ("spans.jsonl", "metrics.jsonl", "data-at-rest.json"):
        (folder / name).write_bytes((run / name).read_bytes())
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    summary.update(change)
    summary.pop(drop, None)
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("change", "drop", "problem"),
    [
        (
            {"schema_version": 2},
            "",
            "schema_version 2, this archgen reads 1 (run the scenario again with this version)",
        ),
        (
            {},
            "schema_version",
            "schema_version none, this archgen reads 1 (run the scenario again with this version)",
        ),
        ({}, "flows", "not a run summary (flows: Field required)"),
        (
            {"availability": "high"},
            "",
            "not a run summary (availability: Input should be a valid number, unable to parse "
            "string as a number)",
        ),
    ],
)
def test_a_summary_of_another_version_or_shape_is_refused(
    mini_run: Path, tmp_path: Path, change: dict[str, Any], drop: str, problem: str
) -> None:
    folder = edited(mini_run, tmp_path, change, drop)
    message = f"{folder / 'summary.json'}: {problem}"
    with pytest.raises(RunInputError) as caught:
        RunFolder.open(folder)
    assert caught.value.message == message
    result = CliRunner().invoke(cli, ["check", str(MINI), "--run", str(folder)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {message}"]


def test_a_span_line_of_another_shape_is_refused_with_its_line(
    mini_run: Path, tmp_path: Path
) -> None:
    folder = edited(mini_run, tmp_path, {"spans_sha256": None})
    spans = (folder / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    spans[4] = spans[4].replace('"status": "ok"', '"status": 7')
    (folder / "spans.jsonl").write_text("\n".join(spans) + "\n", encoding="utf-8")
    with pytest.raises(RunInputError) as caught:
        list(RunFolder.open(folder).spans())
    assert caught.value.message == (
        f"{folder / 'spans.jsonl'}:5: not a span record (status: Input should be 'ok', "
        "'error' or 'violation')"
    )


def test_in_memory_spans_are_the_published_span_records(mini: LoadedModel) -> None:
    """The runtime keeps spans as :class:`SpanDict` (plain dicts, for speed): same keys and
    types as the published :class:`SpanRecord`, and the very dict a line of spans.jsonl
    reads back as."""
    assert set(SpanDict.__annotations__) == {
        field.alias or name for name, field in SpanRecord.model_fields.items()
    }
    assert typing.get_type_hints(SpanDict)["status"] == SpanStatus
    result = run_scenario(mini.model, "base", duration_s=30, keep_spans=True)
    assert result.spans
    check = validator("span")
    for record in result.spans[:50]:
        check.validate(record)
        assert SpanRecord.model_validate(record).model_dump(by_alias=True) == record
