"""Drive the real simulator through small generated models: Poisson users calling one or
more stations (EC2 fleets, a partner behind a fleet, a Lambda function), the statistics
read off the behaviors after a discarded warm-up.

``ARCHGEN_ORACLE_PROFILE=full`` (``make oracles``) runs the whole grid with larger budgets;
the default ``ci`` profile, run by ``make test``, a few corners of it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from archgen.model import load_model_text
from archgen.runtime.fluid import FULL as FULL_FIDELITY
from archgen.runtime.fluid import Fidelity
from archgen.runtime.run import build, start
from archgen.runtime.trace import SpanSink

PROFILE = os.environ.get("ARCHGEN_ORACLE_PROFILE", "ci")
if PROFILE not in ("ci", "full"):
    raise ValueError(f"ARCHGEN_ORACLE_PROFILE={PROFILE!r}: expected one of ['ci', 'full']")
FULL = PROFILE == "full"


def exponential(mean_ms: float) -> dict[str, Any]:
    return {"distribution": "exponential", "mean_ms": mean_ms}


def constant(mean_ms: float) -> dict[str, Any]:
    return {"distribution": "constant", "mean_ms": mean_ms}


def fleet(node_id: str, workers: int, service: dict[str, Any], queue: int) -> dict[str, Any]:
    """One EC2 instance of ``workers`` workers and a FIFO waiting room of ``queue``."""
    return {
        "id": node_id,
        "kind": "ec2",
        "params": {
            "workers_per_instance": workers,
            "queue_capacity": queue,
            "service_time": service,
            "autoscaling": {"min_instances": 1, "max_instances": 1},
        },
    }


def model(
    nodes: list[dict[str, Any]],
    calls: list[tuple[str, str]],
    *,
    rate_per_s: float,
    duration_s: float,
    seed: int,
    then: tuple[list[tuple[str, str]], float] | None = None,
    shape: dict[str, Any] | None = None,
    attack: dict[str, Any] | None = None,
) -> Any:
    """``users`` (Poisson at ``rate_per_s``) plus ``nodes``; ``calls`` are the flow's steps
    as (caller, callee): those of ``users`` are made one after the other (a tandem), those
    of a node while it holds the worker (a blocking call). ``then``: a second flow and the
    chance a user goes on to it, after the client's exponential think time. ``shape``: the
    traffic's shape (constant without one); ``attack``: its ``traffic.attack`` (operation
    ``POST /call``: an HTTP request, which every kind it builds answers)."""
    flows = [("main", calls, 1.0)] + ([("then", then[0], then[1])] if then else [])
    edges = sorted({call for _, flow_calls, _ in flows for call in flow_calls})
    data = {
        "archgen": 1,
        "system": {"id": "oracle", "name": "Oracle"},
        "nodes": [{"id": "users", "kind": "client", "params": {"timeout_ms": 3_600_000}}, *nodes],
        "edges": [{"from": src, "to": dst, "operations": ["POST /call"]} for src, dst in edges],
        "flows": [
            {
                "id": flow_id,
                "title": flow_id,
                "steps": [{"from": src, "to": dst, "op": "POST /call"} for src, dst in flow_calls],
            }
            for flow_id, flow_calls, _ in flows
        ],
        "journeys": [
            {
                "id": "go",
                "title": "Go",
                "flows": [{"flow": flow_id, "probability": p} for flow_id, _, p in flows],
            }
        ],
        "scenarios": [
            {
                "id": "oracle",
                "title": "Oracle",
                "seed": seed,
                "duration_s": duration_s,
                "traffic": {
                    "sessions_per_s": rate_per_s,
                    "mix": {"go": 1},
                    **({"shape": shape} if shape else {}),
                    **({"attack": {"operation": "POST /call", **attack}} if attack else {}),
                },
            }
        ],
    }
    return load_model_text(yaml.safe_dump(data, sort_keys=False), "oracle.yaml").model


@dataclass
class Run:
    """A finished run: the simulation, its traffic, and the time average of the sampled
    quantity (``nan`` when nothing was sampled)."""

    sim: Any
    traffic: Any
    average: float


def run(
    loaded: Any,
    seed: int,
    *,
    warmup_s: float,
    reset: Callable[[Any, Any], None],
    every_ms: float | None = None,
    sample: Callable[[Any], float] | None = None,
    fidelity: Fidelity = FULL_FIDELITY,
    scale: float = 1.0,
) -> Run:
    """Run the scenario (at ``fidelity`` and ``scale``). ``reset(sim, traffic)`` at the end
    of the warm-up clears the counters the test reads; ``sample(sim)`` every ``every_ms``
    after it is averaged."""
    scenario = loaded.scenarios[0]
    horizon_ms = scenario.duration_s * 1000
    sim, traffic = build(
        loaded,
        scenario,
        seed=seed,
        scale=scale,
        duration_s=scenario.duration_s,
        sink=SpanSink(None),
        fidelity=fidelity,
    )
    start(sim, traffic, scenario.duration_s)
    sim.kernel.run(warmup_s * 1000)
    reset(sim, traffic)
    samples: list[float] = []
    if sample is not None and every_ms is not None:
        measure, step = sample, every_ms

        def again(_: Any) -> None:
            samples.append(measure(sim))
            if sim.kernel.now + step < horizon_ms:
                sim.kernel.after(step, again)

        sim.kernel.after(step, again)
    sim.kernel.run(horizon_ms)
    return Run(sim, traffic, sum(samples) / len(samples) if samples else math.nan)


def reset_fleets(*node_ids: str) -> Callable[[Any, Any], None]:
    def reset(sim: Any, _: Any) -> None:
        for node_id in node_ids:
            fleet = sim.behaviors[node_id]
            fleet.started = fleet.waited = fleet.rejected = 0
            fleet.wait_total = 0.0

    return reset
