"""Kinds are known through the registry only: outside a kind's own files (``model/kinds/``
and ``runtime/behaviors/``) no code names a kind with a string literal, and no code probes
a params object with ``getattr`` (capabilities are declared, see ``model/kind.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

from archgen.model import registry

ROOT = Path(__file__).parents[2]
PACKAGES = ("cli", "model", "renderers", "runtime", "site")
KIND_FILES = (ROOT / "model" / "kinds", ROOT / "runtime" / "behaviors")

ALLOWED: dict[tuple[str, str], str] = {
    # (file, literal): why the literal is not a kind name there
    ("model/validate.py", "client"): "the journey's `client` field in a problem path",
    ("runtime/behavior.py", "client"): "a Session slot named after the journey's field",
    ("runtime/traffic.py", "client"): "a slot named after the journey's field",
}


def _sources() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not any(path.is_relative_to(own) for own in KIND_FILES)
    )


def test_no_kind_name_literal_outside_the_kinds_own_files() -> None:
    names = set(registry.names())
    found = []
    for path in _sources():
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and node.value in names
                and (where, node.value) not in ALLOWED
            ):
                found.append(f"{where}:{node.lineno}: {node.value!r}")
    assert found == []


def test_the_allow_list_is_still_needed() -> None:
    used = set()
    for path in _sources():
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and (where, node.value) in ALLOWED:
                used.add((where, node.value))
    assert used == set(ALLOWED)


def test_no_getattr_probe_of_params() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr")
                    and node.args
                    and "params" in ast.unparse(node.args[0])
                ):
                    found.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
    assert found == []


def test_the_scan_sees_a_kind_name() -> None:
    tree = ast.parse('if node.kind == "sqs": pass')
    assert any(isinstance(n, ast.Constant) and n.value in registry.names() for n in ast.walk(tree))
