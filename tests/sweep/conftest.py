"""A tiny model for the sweep tests (a fleet that scales, a queue, one SLO) and a way to
run ``archgen`` in this process."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from archgen.main import cli
from archgen.model import LoadedModel, load_model

NOTES = Path(__file__).parent / "models" / "notes.yaml"


@pytest.fixture(scope="session")
def notes() -> LoadedModel:
    return load_model(NOTES)


def archgen(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def sweep_args(out: Path, *extra: str) -> list[str]:
    """A small sweep of the notes model: 2 configurations × 3 seeds of 10 s runs."""
    return [
        "sweep",
        str(NOTES),
        "--seeds",
        "3",
        "--duration",
        "10",
        "--vary",
        "api.autoscaling.min_instances=1,3",
        "--out",
        str(out),
        *extra,
    ]


@pytest.fixture(scope="session")
def serial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sweep run in this process: the reference the other executors must match."""
    out = tmp_path_factory.mktemp("serial") / "sweep"
    code, stdout, stderr = archgen(*sweep_args(out, "--jobs", "1"))
    assert (code, stderr) == (0, "")
    assert "6 runs on serial; written to" in stdout
    return out
