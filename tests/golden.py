"""Golden-file comparison with a unified diff; ``ARCHGEN_UPDATE_GOLDEN=1`` rewrites them."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

UPDATE = os.environ.get("ARCHGEN_UPDATE_GOLDEN") == "1"


def assert_golden(path: Path, actual: str) -> None:
    """Compare ``actual`` with the golden file ``path``; rewrite it when updating."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with ARCHGEN_UPDATE_GOLDEN=1 pytest")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{path} (golden)",
                tofile="actual",
            )
        )
        pytest.fail(
            f"output differs from {path.name} (update with ARCHGEN_UPDATE_GOLDEN=1 pytest):\n{diff}"
        )
