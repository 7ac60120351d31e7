"""The command line: version, help, init, schema, validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archgen import __version__
from archgen.main import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    assert run("--version") == (0, f"archgen, version {__version__}\n", "")


def test_help_lists_only_working_commands() -> None:
    code, out, _ = run("--help")
    assert code == 0
    commands = out.split("Commands:")[1].split()
    for name in ("init", "schema", "validate"):
        assert name in commands


def test_help_imports_no_heavy_module() -> None:
    """``archgen --help`` must stay fast: nothing heavy is imported at start-up."""
    code = (
        "import sys; from archgen.main import cli; "
        "heavy = {'pydantic', 'yaml', 'networkx', 'diagrams', 'numpy', 'jinja2', 'rich', "
        "'cryptography', 'graphviz'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_validate_the_embedded_model() -> None:
    code, out, err = run("validate")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        "amazon-shopping.yaml: valid — Amazon shopping on AWS (version 1.0.0)"
    )
    assert run("validate", "-q") == (0, "", "")


def test_init_writes_the_reference_model_and_its_schema(tmp_path: Path) -> None:
    target = tmp_path / "shop.yaml"
    code, out, _ = run("init", str(target))
    assert code == 0
    assert out.startswith(f"wrote {target}")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=archgen.schema.json\n")
    schema = json.loads((tmp_path / "archgen.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")
    assert run("validate", "-q", str(target)) == (0, "", "")


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "shop.yaml"
    target.write_text("mine\n")
    code, out, err = run("init", str(target))
    assert (code, out) == (2, "")
    assert err == f"error: {target}: exists; use --force to overwrite it\n"
    assert target.read_text() == "mine\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["shop.yaml"]


def test_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    code, _, err = run("schema", "--out", str(out))
    assert (code, err) == (0, f"wrote {out}\n")
    assert json.loads(out.read_text())["title"] == "archgen model"
