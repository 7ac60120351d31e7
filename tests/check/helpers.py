"""Planting one defect at a time in a model's YAML text."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
TICKETS = HERE / "models" / "tickets.yaml"
DATA = HERE / "data"


def mutate(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old``: a mutation that silently missed would make
    a test pass for the wrong reason."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the model"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """1-based line of the one line containing ``fragment``."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} is on lines {lines}"
    return lines[0]
