"""Kinds are known through the registry only: outside a kind's own files (``model/kinds/``
and ``runtime/behaviors/``) no code names a kind with a string literal, no code imports a
kind's params class (an ``isinstance`` probe of one kind: ask a capability instead), and no
code probes a params object with ``getattr`` (capabilities are declared, see
``model/kind.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

from archgen.model import registry

ROOT = Path(__file__).parents[2]
PACKAGES = ("cli", "model", "renderers", "runtime", "site")
KIND_FILES = (ROOT / "model" / "kinds", ROOT / "runtime" / "behaviors")
REEXPORTS = Path("model/kinds/__init__.py")

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


def _params_classes() -> dict[str, str]:
    """Params class name → the stem of its kind's own files (``lambda_``, ``sqs``)."""
    return {
        spec.params.__name__: spec.params.__module__.rsplit(".", 1)[-1]
        for spec in registry.kinds().values()
        if spec.params.__module__.startswith("archgen.model.kinds.")
    }


def _params_imports(tree: ast.AST, classes: dict[str, str]) -> list[tuple[int, str]]:
    """Params classes of built-in kinds that ``tree`` imports or reads off a module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "archgen.model.kinds"
        ):
            found += [(node.lineno, a.name) for a in node.names if a.name in classes]
        elif isinstance(node, ast.Attribute) and node.attr in classes:
            found.append((node.lineno, node.attr))
    return found


def test_no_params_class_of_another_kind() -> None:
    """A kind's files may use its own params class; everything else asks capabilities."""
    classes = _params_classes()
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT)
            own = where.stem if any(path.is_relative_to(k) for k in KIND_FILES) else None
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for line, name in _params_imports(tree, classes):
                if classes[name] != own and where != REEXPORTS:
                    found.append(f"{where.as_posix()}:{line}: {name}")
    assert found == []


def test_the_params_scan_sees_an_import_and_a_module_attribute() -> None:
    classes = _params_classes()
    assert classes["SqsParams"] == "sqs"
    tree = ast.parse(
        "from archgen.model.kinds import SqsParams\n"
        "from archgen.model import kinds as k\n"
        "ok = isinstance(p, k.LambdaParams)\n"
    )
    assert _params_imports(tree, classes) == [(1, "SqsParams"), (3, "LambdaParams")]
