"""End-to-end latency of asynchronous flows, from the run's spans.

A request's effects may happen in other traces: a queue's consumer, a topic's subscriber
starts a trace whose first span has the producer's span as parent (an OTLP link). So the
spans of one originating request are those whose chain of parents leads to its trace's
top-level calls, hand-offs included. A request reaches its effect when a successful span on
the effect's node (and operation) descends from it; its end-to-end latency runs from the
request's start to the end of the last such span.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from archgen.model.schema import EndToEnd
from archgen.runtime.check.spans import Span


@dataclass
class EndToEndSamples:
    """Judged requests: latencies of those that reached the effect, and how many never did."""

    latencies: list[float] = field(default_factory=list)
    never: int = 0

    @property
    def total(self) -> int:
        return len(self.latencies) + self.never

    def ranked(self) -> list[float]:
        """Every judged request's latency, a request that never reached it as infinite."""
        return [*self.latencies, *([math.inf] * self.never)]


def effect_ends(
    spans: Mapping[str, Span], objective: EndToEnd, original_of: Callable[[str], str]
) -> dict[str, float]:
    """For each originating trace, the end of the last successful effect span it led to."""
    roots: dict[str, str] = {}

    def root_trace(span: Span) -> str:
        chain: list[str] = []
        current: Span | None = span
        found = span.trace
        while current is not None:
            known = roots.get(current.span)
            if known is not None:
                found = known
                break
            chain.append(current.span)
            found = current.trace
            current = spans.get(current.parent) if current.parent is not None else None
        for span_id in chain:
            roots[span_id] = found
        return found

    ends: dict[str, float] = {}
    for span in spans.values():
        if span.status != "ok" or original_of(span.node) != objective.until:
            continue
        if objective.op is not None and span.op != objective.op:
            continue
        trace = root_trace(span)
        ends[trace] = max(ends.get(trace, -math.inf), span.end_ms)
    return ends


def end_to_end_samples(
    requests: Iterable[tuple[str, float]],
    ends: Mapping[str, float],
    objective: EndToEnd,
    *,
    warmup_ms: float,
    run_end_ms: float,
) -> EndToEndSamples:
    """Judge the requests (trace, start) that started after warm-up and at least the
    objective's threshold before the run ended (a later one could not have been late yet)."""
    samples = EndToEndSamples()
    for trace, start in requests:
        if start < warmup_ms or start + objective.threshold_ms > run_end_ms:
            continue
        end = ends.get(trace)
        if end is None:
            samples.never += 1
        else:
            samples.latencies.append(end - start)
    return samples
