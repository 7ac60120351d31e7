"""The corpus of invalid models: each one's exact error text is pinned, and exit code 2.

Every ``invalid/*.yaml`` has ``invalid/*.expected`` beside it (what ``archgen validate``
prints on stderr); cases that cannot live in the repository (a 50 MB file, a directory, a
missing file, deep nesting) are generated here. Update with ``ARCHGEN_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from tests.golden import assert_golden

INVALID = Path(__file__).parent / "invalid"
CASES = sorted(path.name for path in INVALID.glob("*.yaml") if "-valid" not in path.name)


@pytest.fixture(autouse=True)
def _in_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("name", CASES)
def test_invalid_model_is_rejected_with_its_pinned_errors(name: str) -> None:
    code, out, err = run(["validate", name])
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {name}")
    assert "Traceback" not in err
    assert_golden(INVALID / name.replace(".yaml", ".expected"), err)


@pytest.mark.parametrize("name", ["bom-and-crlf-valid.yaml", "waf-regional-valid.yaml"])
def test_valid_edge_cases_pass(name: str) -> None:
    code, out, err = run(["validate", name])
    assert (code, err) == (0, "")
    assert out.startswith(f"{name}: valid")


def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as stream:
        stream.truncate(50 * 2**20)
    code, _, err = run(["validate", str(big)])
    assert code == 2
    assert err == (f"error: {big}: file is too large (50.0 MiB; a model may be at most 10 MiB)\n")


def test_a_directory_is_not_a_model(tmp_path: Path) -> None:
    code, _, err = run(["validate", str(tmp_path)])
    assert (code, err) == (2, f"error: {tmp_path}: is a directory, not a model file\n")


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = run(["validate", str(missing)])
    assert (code, err) == (2, f"error: {missing}: no such file\n")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 100)))
    code, _, err = run(["validate", str(deep)])
    assert code == 2
    assert err == (
        f"error: {deep}:66:131: a: nesting is too deep (a model needs at most 64 levels)\n"
    )


def test_nesting_deeper_than_the_parser_can_go(tmp_path: Path) -> None:
    deep = tmp_path / "brackets.yaml"
    deep.write_text("[" * 100_000)
    code, _, err = run(["validate", str(deep)])
    assert code == 2
    assert err == f"error: {deep}:1:1001: nesting is too deep (a model needs at most 64 levels)\n"


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "loop.yaml"
    model.write_text("a: &a [*a]\n")
    code, _, err = run(["validate", str(model)])
    assert code == 2
    assert "nesting is too deep" in err
