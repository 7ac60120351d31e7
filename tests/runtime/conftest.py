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


def queue_model(
    workers: int, rho: float, service_ms: float, customers: int, seed: int
) -> LoadedModel:
    """One EC2 instance of ``workers`` workers, exponential service, Poisson arrivals:
    an M/M/c queue with an unbounded waiting room."""
    rate = rho * workers * 1000.0 / service_ms  # arrivals per second
    return model_from(
        {
            "archgen": 1,
            "system": {"id": "mmc", "name": "M/M/c"},
            "nodes": [
                {"id": "users", "kind": "client"},
                {
                    "id": "fleet",
                    "kind": "ec2",
                    "params": {
                        "workers_per_instance": workers,
                        "queue_capacity": 10_000_000,
                        "service_time": {"distribution": "exponential", "mean_ms": service_ms},
                        "autoscaling": {"min_instances": 1, "max_instances": 1},
                    },
                },
            ],
            "edges": [{"from": "users", "to": "fleet", "operations": ["GET"]}],
            "flows": [
                {
                    "id": "get",
                    "title": "Get",
                    "steps": [{"from": "users", "to": "fleet", "op": "GET"}],
                }
            ],
            "journeys": [{"id": "one", "title": "One", "flows": [{"flow": "get"}]}],
            "scenarios": [
                {
                    "id": "mmc",
                    "title": "M/M/c",
                    "seed": seed,
                    "duration_s": customers / rate,
                    "traffic": {"sessions_per_s": rate, "mix": {"one": 1}},
                }
            ],
        }
    )


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
