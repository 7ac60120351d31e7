"""A small laboratory for CloudWatch metrics: one tiny model per test (no shopping), users
sent at chosen instants instead of random arrivals, so every metric has a known answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from archgen.model import load_model_text
from archgen.runtime.run import build, start
from archgen.runtime.trace import SpanSink
from archgen.runtime.traffic import model_journey


@dataclass
class Lab:
    """A finished lab run: the simulation, its spans and its metric lines."""

    sim: Any
    spans: list[dict[str, Any]]
    lines: list[dict[str, Any]]

    def total(self, node: str, metric: str) -> float:
        """Sum of a count metric over every closed period."""
        return sum(line.get(metric, 0) for line in self.lines if line["node"] == node)

    def points(self, node: str, metric: str) -> list[Any]:
        """The metric's value in each period that has one."""
        return [line[metric] for line in self.lines if line["node"] == node and metric in line]

    def value(self, node: str, metric: str, statistic: str) -> float | None:
        """A statistic of the last closed period, as alarms read it."""
        value: float | None = self.sim.metrics.value(node, metric, statistic)
        return value

    def summary(self, node: str) -> dict[str, Any]:
        summary: dict[str, Any] = self.sim.behaviors[node].summary()
        return summary

    def on(self, node: str, op: str | None = None) -> list[dict[str, Any]]:
        return [s for s in self.spans if s["node"] == node and (op is None or s["op"] == op)]


def lab_model(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]],
    steps: list[dict[str, Any]],
    *,
    flows: list[dict[str, Any]] = (),  # type: ignore[assignment]
    faults: list[dict[str, Any]] = (),  # type: ignore[assignment]
    groups: list[dict[str, Any]] = (),  # type: ignore[assignment]
    client: dict[str, Any] | None = None,
    items: dict[str, Any] | None = None,
    journey: list[str] = ("main",),  # type: ignore[assignment]
    duration_s: float = 120,
    warmup_s: float = 0,
    region: str = "eu-west-1",
) -> Any:
    """A model of ``users`` (a client, with ``client`` params) plus ``nodes`` and
    ``groups``; the journey ``go`` runs ``steps`` (the flow ``main``), or the flows named in
    ``journey`` in turn (``main`` and those of ``flows``)."""
    data = {
        "archgen": 1,
        "system": {"id": "lab", "name": "Metrics lab"},
        "groups": [{"id": "r1", "kind": "region", "code": region}, *groups],
        "nodes": [
            {"id": "users", "kind": "client", "params": {"timeout_ms": 600_000, **(client or {})}},
            *nodes,
        ],
        "edges": edges,
        "flows": [{"id": "main", "title": "Main", "steps": steps}, *flows],
        "journeys": [{"id": "go", "title": "Go", "flows": [{"flow": f} for f in journey]}],
        "scenarios": [
            {
                "id": "lab",
                "title": "Lab",
                "duration_s": duration_s,
                "warmup_s": warmup_s,
                "traffic": {
                    "sessions_per_s": 1e-9,
                    "mix": {"go": 1},
                    **({"items": items} if items else {}),
                },
                "faults": list(faults),
            }
        ],
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "lab.yaml").model


def run_lab(
    model: Any, at_s: list[float], *, horizon_s: float | None = None, scale: float = 1.0
) -> Lab:
    """Send one user through ``go`` at each instant of ``at_s``; run to the scenario's end
    (at ``scale``: the capacities shrink, the users sent do not)."""
    scenario = model.scenarios[0]
    horizon = horizon_s if horizon_s is not None else scenario.duration_s
    sink = SpanSink(None, keep=True)
    sim, traffic = build(model, scenario, seed=1, scale=scale, duration_s=horizon, sink=sink)
    start(sim, traffic, horizon)
    journey = model_journey(model, "go")
    for t in at_s:
        sim.kernel.at(t * 1000, lambda _: traffic.start_session(journey))
    sim.kernel.run(horizon * 1000)
    lines = [json.loads(line) for line in sim.metrics.lines]
    return Lab(sim, sink.records, lines)
