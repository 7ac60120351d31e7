"""Fixtures of the runtime tests: small models of our own, and runs shared across tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from archgen.model import LoadedModel, load_model, load_model_text

HERE = Path(__file__).parent
MINI = HERE / "models" / "mini-shop.yaml"


@pytest.fixture(scope="session")
def mini() -> LoadedModel:
    return load_model(MINI)


def model_from(data: dict[str, Any]) -> LoadedModel:
    """A model from a mapping (tests build small variations in Python)."""
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "test-model.yaml")


def mini_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MINI.read_text())
    return data


_RUNS: dict[str, Any] = {}


@pytest.fixture(scope="session")
def mini_runs(mini: LoadedModel) -> Any:
    """Runs of the mini model's scenarios with spans in memory, computed once."""
    from archgen.runtime.session import run_scenario

    def get(scenario: str) -> Any:
        if scenario not in _RUNS:
            _RUNS[scenario] = run_scenario(mini.model, scenario, keep_spans=True)
        return _RUNS[scenario]

    return get
