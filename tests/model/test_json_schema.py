"""``archgen schema`` is Draft 2020-12 JSON Schema that accepts our models and rejects the
structural errors of the invalid corpus."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from archgen.main import cli
from tests.conftest import PHOTO_MODEL

INVALID = Path(__file__).parent / "invalid"


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    result = CliRunner().invoke(cli, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_it_is_draft_2020_12(schema: dict[str, object]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_node_kinds_are_a_discriminated_union(schema: dict[str, object]) -> None:
    nodes = schema["properties"]["nodes"]["items"]  # type: ignore[index]
    assert nodes["discriminator"]["propertyName"] == "kind"
    assert len(nodes["oneOf"]) == 26


@pytest.mark.parametrize("path", ["reference", PHOTO_MODEL])
def test_models_validate_against_the_schema(schema: dict[str, object], path: object) -> None:
    from archgen.model import reference_model_path

    source = reference_model_path() if path == "reference" else Path(str(path))
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown-kind.yaml", "'ec3'"),
        ("unknown-field.yaml", "'lable' was unexpected"),
        ("unknown-param.yaml", "'workers' was unexpected"),
        ("wrong-type.yaml", "'many' is not of type 'integer'"),
        ("negative-capacity.yaml", "-5 is less than the minimum of 0"),
        ("missing-system.yaml", "'system' is a required property"),
        ("not-a-mapping.yaml", "is not of type 'object'"),
        ("range-attack-sources.yaml", "1000000000 is greater than the maximum of 100000"),
        ("range-kinds.yaml", "901 is greater than the maximum of 900"),
        ("long-text.yaml", "is too long"),
    ],
)
def test_structural_errors_are_rejected(schema: dict[str, object], case: str, reason: str) -> None:
    data = yaml.safe_load((INVALID / case).read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors
    messages = " | ".join(_all_messages(errors))
    assert reason in messages


def _all_messages(errors: list[jsonschema.ValidationError]) -> list[str]:
    out = []
    for error in errors:
        out.append(error.message)
        out.extend(_all_messages(list(error.context or [])))
    return out


def test_every_number_has_its_range_in_the_schema(schema: dict[str, object]) -> None:
    text = json.dumps(schema)
    scenario = schema["$defs"]["Scenario"]["properties"]  # type: ignore[index]
    assert scenario["duration_s"]["maximum"] == 604_800
    assert scenario["scale"]["exclusiveMinimum"] == 0
    assert scenario["scale"]["maximum"] == 1_000
    assert '"maxLength": 200' in text
    assert '"maxLength": 10000' in text
