"""``--explain``: one user through one journey, told hop by hop from the spans."""

from __future__ import annotations

from archgen.model.schema import Model, Scenario
from archgen.runtime.artefacts import SpanDict
from archgen.runtime.fluid import FULL, Fidelity
from archgen.runtime.run import build, start
from archgen.runtime.trace import SpanSink
from archgen.runtime.traffic import model_journey


def explain_journey(
    model: Model,
    scenario: Scenario,
    journey_id: str,
    *,
    seed: int,
    scale: float,
    warm_s: float = 60.0,
    fidelity: Fidelity = FULL,
) -> list[SpanDict]:
    """Run the scenario's traffic for ``warm_s`` (caches fill, fleets settle), then send one
    more user through ``journey_id``; return that user's spans, in start order. The session
    (:func:`archgen.runtime.session.explain`) resolves and prices it first. In hybrid
    ``fidelity`` the others are a traced sample and a fluid; the user followed is traced."""
    sink = SpanSink(None, keep=True)
    horizon_s = warm_s + 600.0
    sim, traffic = build(
        model, scenario, seed=seed, scale=scale, duration_s=warm_s, sink=sink, fidelity=fidelity
    )
    start(sim, traffic, horizon_s)
    sim.kernel.run(warm_s * 1000)
    traffic.duration_ms = horizon_s * 1000  # let the explained user finish its journey
    session = traffic.start_session(model_journey(model, journey_id))
    sim.kernel.run(horizon_s * 1000)
    mine = [span for span in sink.records if span["session"] == session.id]
    return sorted(mine, key=lambda span: (span["start_ms"], span["span"]))


def describe(span: SpanDict) -> str:
    """One line: the node, what it was asked, what it decided, how long it took."""
    attrs = span["attrs"]
    parts = [f"{span['node']} {span['op']}"]
    decisions = []
    if "why" in attrs:
        decisions.append(str(attrs["why"]))
    keys = (
        "cache",
        "edge",
        "instance",
        "wait_ms",
        "init_ms",
        "transfer_ms",
        "retries",
        "region",
        "blocked_by",
    )
    for key in keys:
        if key in attrs and not (key in ("instance", "region") and "why" in attrs):
            decisions.append(f"{key} {attrs[key]}")
    if decisions:
        parts.append("— " + ", ".join(decisions))
    outcome = "ok" if span["status"] == "ok" else f"{span['status']} {span['error']}"
    duration = span["end_ms"] - span["start_ms"]
    return f"{' '.join(parts)}  [{outcome}, {duration:.1f} ms]"


def render_tree(spans: list[SpanDict]) -> list[str]:
    """The spans as an indented tree per flow execution (top-level calls at the first level)."""
    children: dict[str | None, list[SpanDict]] = {}
    for span in spans:
        children.setdefault(span["parent"], []).append(span)
    lines: list[str] = []
    execution: tuple[str | None, str] | None = None

    def walk(span: SpanDict, depth: int) -> None:
        lines.append("  " * depth + "└─ " + describe(span))
        for child in children.get(span["span"], []):
            walk(child, depth + 1)

    ids = {span["span"] for span in spans}
    for span in spans:
        if span["parent"] is not None and span["parent"] in ids:
            continue
        # Each execution of a flow has its own trace: a journey that runs a flow twice
        # shows two headers, each with its own time.
        if (span["flow"], span["trace"]) != execution:
            execution = (span["flow"], span["trace"])
            lines.append(f"flow {span['flow']} (t = {span['start_ms'] / 1000:.3f} s)")
        walk(span, 1)
    return lines
