"""Properties of any run (hypothesis over seeds, scales, cut times and scenarios)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from archgen.model import LoadedModel
from archgen.runtime.behaviors.fleet import Fleet
from archgen.runtime.run import build, start
from archgen.runtime.session import run_scenario
from archgen.runtime.trace import SpanSink

from .conftest import mini_data, model_from

SCENARIOS = ["base", "surge", "images-down", "east-down", "flood", "zone-down"]
SLOW = settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SLOW
@given(scenario=st.sampled_from(SCENARIOS), seed=st.integers(0, 10_000), cut_s=st.floats(5, 200))
def test_arrived_is_completed_plus_failed_plus_in_flight(
    mini: LoadedModel,
    scenario: str,
    seed: int,
    cut_s: float,
) -> None:
    model = mini.model
    found = model.scenarios_by_id[scenario]
    sink = SpanSink(None)
    sim, traffic = build(model, found, seed=seed, scale=1.0, duration_s=found.duration_s, sink=sink)
    start(sim, traffic, found.duration_s)
    sim.kernel.run(cut_s * 1000)
    finished = 0
    for node_id, ctx in sim.contexts.items():
        stats = ctx.stats
        assert stats.arrived == stats.ok + stats.failed + stats.inflight, node_id
        assert stats.inflight >= 0
        finished += stats.ok + stats.failed
        behavior = sim.behaviors[node_id]
        if isinstance(behavior, Fleet):
            # Counted independently: requests holding a worker or waiting in a queue.
            held = sum(i.busy + len(i.queue) for i in behavior.instances)
            assert stats.inflight == held, node_id
            assert all(i.busy <= behavior.workers for i in behavior.instances)
            assert all(len(i.queue) <= behavior.queue_capacity for i in behavior.instances)
    assert sink.count == finished + sim.violations
    assert traffic.flows_started >= traffic.flows_done


def _service_overlap(spans: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Most requests an instance ever served at once, from the spans alone."""
    events: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for span in spans:
        attrs = span["attrs"]
        if "wait_ms" in attrs and span["status"] == "ok":
            key = (span["node"], attrs["instance"])
            # start and wait are each rounded to 1 µs: allow for that, not more.
            events[key].append((span["start_ms"] + attrs["wait_ms"] + 0.002, 1))
            events[key].append((span["end_ms"], -1))
    peaks = {}
    for key, changes in events.items():
        level = peak = 0
        for _, change in sorted(changes, key=lambda item: (item[0], item[1])):
            level += change
            peak = max(peak, level)
        peaks[key] = peak
    return peaks


@SLOW
@given(seed=st.integers(0, 10_000), sessions=st.sampled_from([120, 200]))
def test_a_worker_pool_never_exceeds_its_capacity(seed: int, sessions: int) -> None:
    """Overloaded on purpose: queues fill and reject, but no instance ever serves more
    requests than it has workers (checked from the spans, independently of the fleet)."""
    data = mini_data()
    data["scenarios"][0]["traffic"]["sessions_per_s"] = sessions
    model = model_from(data).model
    result = run_scenario(model, "base", seed=seed, duration_s=40, keep_spans=True)
    workers = model.nodes_by_id["app-east"].params.workers_per_instance
    peaks = _service_overlap(result.spans)
    assert max(peaks.values()) == workers
    for node in ("app-east", "app-west"):
        assert result.summary["nodes"][node]["max_busy_workers"] <= workers
    assert result.summary["nodes"]["app-east"]["rejected"] > 0


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 10_000), scenario=st.sampled_from(SCENARIOS))
def test_same_seed_gives_byte_identical_outputs(
    mini: LoadedModel, tmp_path_factory: Any, seed: int, scenario: str
) -> None:
    outputs = []
    for attempt in range(2):
        out = Path(tmp_path_factory.mktemp(f"run{attempt}"))
        run_scenario(mini.model, scenario, seed=seed, duration_s=150, out=out)
        outputs.append(
            {
                name: (out / name).read_bytes()
                for name in ("spans.jsonl", "metrics.jsonl", "summary.json")
            }
        )
    assert outputs[0] == outputs[1]
    spans = [json.loads(line) for line in outputs[0]["spans.jsonl"].splitlines()]
    ends = [span["end_ms"] for span in spans]
    assert ends == sorted(ends), "spans are written in end-time order: time never decreases"
    assert all(span["start_ms"] <= span["end_ms"] for span in spans)
    assert list(spans[0]) == sorted(spans[0])


def test_a_different_seed_gives_a_different_run(mini: LoadedModel) -> None:
    one = run_scenario(mini.model, "base", seed=1, duration_s=60).summary
    two = run_scenario(mini.model, "base", seed=2, duration_s=60).summary
    assert one["events"] != two["events"]
