"""A flow's representative traced request as a Mermaid sequence diagram, to read beside the
declared sequence: the calls the run really made, in the order they happened, each with
when it started and how long it took (times in ms since the request's first call)."""

from __future__ import annotations

from collections.abc import Mapping

from archgen.model.schema import Model
from archgen.renderers.mermaid import mermaid_id, text, title_line
from archgen.runtime.export.representative import TracedRequest
from archgen.site.results import ScenarioResult


def pick(
    model: Model, results: Mapping[str, ScenarioResult], flow_id: str
) -> tuple[str, TracedRequest] | None:
    """The scenario and request to show for ``flow_id``: from the model's default
    scenario when it ran the flow without error, else from the first scenario (model order)
    that did."""
    default = model.system.default_scenario
    order = sorted((s.id for s in model.scenarios), key=lambda sid: (sid != default, 0))
    for scenario_id in order:
        result = results.get(scenario_id)
        if result is None:
            continue
        for request in result.traced:
            if request.flow == flow_id:
                return scenario_id, request
    return None


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def sequence(model: Model, request: TracedRequest, labels: Mapping[str, str]) -> str:
    """Participants in the order they first take part; a call is an arrow at its start
    (``--)`` when it is asynchronous: a message sent, or one that started the request), a
    synchronous call's answer a dashed arrow at its end, innermost answers first; the answer
    of a call that took no time (a step standing for a call the service made) right after
    it."""
    title = f"{model.flow(request.flow).title}: trace {request.trace}, {_ms(request.duration_ms)}"
    lines = ["---", title_line(title), "---", "sequenceDiagram"]
    seen: list[str] = []
    events: list[tuple[float, int, float, int, int, str]] = []
    for index, call in enumerate(request.calls):
        for node in (call.source, call.target):
            if node not in seen:
                seen.append(node)
                name = labels.get(node, node)
                lines.append(f"  participant {mermaid_id(node)} as {text(name)}")
        edge = model.edge(call.source, call.target)
        one_way = call.handoff or (edge is not None and edge.is_async)
        source, target = mermaid_id(call.source), mermaid_id(call.target)
        arrow = "--)" if one_way else "->>"  # as the declared sequence draws asynchronous steps
        message = f"{text(call.op)} at {_ms(call.start_ms)}"
        if call.handoff:
            message += " (a message)"
        start = call.start_ms
        events.append((start, 1, start, index, 0, f"  {source}{arrow}{target}: {message}"))
        if not one_way:
            answer = f"  {target}-->>{source}: {_ms(call.end_ms - start)}"
            if call.end_ms > start:
                events.append((call.end_ms, 0, -start, -index, 0, answer))
            else:  # ended as it started: before the calls made after it at the same time
                events.append((start, 1, start, index, 1, answer))
    lines += [line for *_, line in sorted(events)]
    return "\n".join(lines) + "\n"
