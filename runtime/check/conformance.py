"""Dynamic conformance: does a run do what the model says?

Everything here is computed from the run's spans, independently of the counters the
runtime keeps for itself, so a bug in the runtime's bookkeeping cannot hide a violation.

- ``span-edge``: every span follows a declared edge and operation (replicas map to their
  originals). A consumer's work span (an SQS message handed to its Lambda) has no edge of
  its own: it is accepted when the consumer polls the queue through a declared edge; nor
  has a span a node opens on itself for work of its own (a state machine's states).
- ``flow-sequence``: spans are grouped by the call they were made during (the nearest
  ancestor span that is a flow step, or a triggered invocation of the caller: a Lambda
  consuming a queued message) and by caller; each group must be the declared children of
  that step (or the top-level steps, or the triggered roots of the caller, in the flow the
  contract continues: the current one if it declares them, else the first that does),
  in declared order, with only conditional steps (``when``/``probability``) left out. A
  group is held to completeness only when all of its calls succeeded and it ended longer
  before the end of the run than any call may take (otherwise a failure or the end of the
  run cut it short).
- ``slo``: per flow, executions that started after warm-up; latency from the first
  top-level call's start to the last one's end; an execution fails when a top-level call
  failed or took longer than the client's timeout. An ``end_to_end`` objective times each
  request to its last asynchronous effect across hand-offs (:mod:`.endtoend`).
- ``no-access-denied``: calls IAM or a KMS key refused (``AccessDenied``, or the target's
  own code for a key refusal such as ``KMS.AccessDeniedException``; the span where the
  refusal happened, not the callers it propagated to). A call with a presigned URL is
  refused for its signer's role, which the finding names.

The model's other invariants (no lost messages, exactly-once effects, no plaintext sensitive data
at rest) are judged in :mod:`.invariants`.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from archgen.model import LoadedModel
from archgen.model.flows import Continuations, FlowPlan, StepPlan, compile_flows
from archgen.model.kind import Capability
from archgen.model.registry import has
from archgen.model.schema import EndToEnd, Model, Slo
from archgen.model.stats import percentile
from archgen.runtime.artefacts import Measure
from archgen.runtime.aws.iam import access_denied_codes
from archgen.runtime.check.endtoend import effect_ends, end_to_end_samples
from archgen.runtime.check.report import FindingSink, SloScope
from archgen.runtime.check.spans import Span


def completion_grace_ms(model: Model) -> float:
    """How long before the end of the run a group of calls must have ended to be held to
    completeness: the longest a call can run, the clients' or a Lambda's timeout."""
    limits = [10_000.0]
    for node in model.nodes:
        limit = node.params.call_timeout_ms()
        if limit is not None:
            limits.append(limit)
    return max(limits)


@dataclass
class _Divergence:
    count: int = 0
    example: str = ""
    details: str = ""
    path: tuple[str | int, ...] = ()


@dataclass
class _FlowSamples:
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    failed: int = 0


class Conformance:
    """Checks one run's spans against the model; feed spans, then :meth:`report`."""

    def __init__(
        self, loaded: LoadedModel, sink: FindingSink, *, scenario: str | None, warmup_ms: float
    ) -> None:
        self.loaded = loaded
        self.model: Model = loaded.model
        self.sink = sink
        self.scenario = scenario
        self.warmup_ms = warmup_ms
        self.plans: dict[str, FlowPlan] = compile_flows(self.model)
        self.continuation = Continuations(self.plans)
        self.flow_index = {flow.id: i for i, flow in enumerate(self.model.flows)}
        self.node_index = {node.id: i for i, node in enumerate(self.model.nodes)}
        self.clients = {n.id for n in self.model.nodes if has(n.kind, Capability.traffic_source)}
        self.timeouts = {
            n.id: limit
            for n in self.model.nodes
            if n.id in self.clients and (limit := n.params.call_timeout_ms()) is not None
        }
        self.consumers = {
            (n.id, queue) for n in self.model.nodes if (queue := n.params.consumed_queue())
        }
        self.grace_ms = completion_grace_ms(self.model)
        self.spans: dict[str, Span] = {}
        self.exercised: set[tuple[str, str]] = set()
        self._edge_problems: dict[tuple[str, str, str, str], _Divergence] = {}
        self._sequence_problems: dict[tuple[str, str], _Divergence] = {}
        self.denials: dict[tuple[str, str, str], _Divergence] = {}
        self.slo_scope = SloScope((), ())

    # -- input

    def add(self, spans: Iterable[Span]) -> None:
        for span in spans:
            self.spans[span.span] = span

    # -- edges

    def _edge(self, source: str, target: str) -> tuple[str, str] | None:
        edge = self.model.declared_edge(source, target)
        return None if edge is None else edge.key

    def check_denials(self) -> None:
        """Calls IAM refused; callers that only passed the refusal on are not counted."""
        codes = access_denied_codes()
        denied = [span for span in self.spans.values() if span.error in codes]
        passed_on = {span.parent for span in denied}
        for span in denied:
            if span.span in passed_on:
                continue
            found = self.denials.setdefault((span.source, span.node, span.op), _Divergence())
            found.count += 1
            found.example = found.example or f"trace {span.trace}, span {span.span}"

    def check_edges(self) -> None:
        for span in self.spans.values():
            key = self._edge(span.source, span.node)
            if key is not None:
                edge = self.model.edges_by_key[key]
                if edge.carries(span.op) and span.status != "violation":
                    self.exercised.add(key)
                    continue
                problem = (
                    f"'{span.op}' is not declared on edge {key[0]} -> {key[1]}"
                    f" (declared: {', '.join(edge.operations)})"
                )
                if edge.carries(span.op):
                    problem = f"the runtime refused it ({span.error})"
                self._edge_problem(span, problem)
                continue
            if span.step is None and self._consumer_work(span):
                continue
            if span.step is None and span.source == span.node and span.status != "violation":
                continue  # work a node does on its own (a state of a state machine)
            self._edge_problem(span, "no edge is declared between them")

    def _consumer_work(self, span: Span) -> bool:
        """A message handed to its consumer: the consumer polls the source."""
        if span.parent is None:
            return False
        consumer = self.model.original_of(span.node)
        source = self.model.original_of(span.source)
        return (
            (consumer, source) in self.consumers
            or (span.node, span.source) in self.consumers
            or self._edge(span.node, span.source) is not None
        )

    def _edge_problem(self, span: Span, problem: str) -> None:
        key = (span.source, span.node, span.op, problem)
        found = self._edge_problems.setdefault(key, _Divergence())
        found.count += 1
        if not found.example:
            found.example = f"trace {span.trace}, span {span.span} at {span.start_ms:g} ms"

    # -- flows

    def check_flows(self) -> None:
        if not self.spans:
            return
        run_end = max(span.end_ms for span in self.spans.values())
        groups: dict[tuple[str | None, str, str, str], list[Span]] = defaultdict(list)
        for span in self.spans.values():
            if span.step is None or span.flow not in self.plans:
                continue
            anchor = self._anchor(span)
            groups[(anchor, span.source, span.flow, span.trace)].append(span)
        # Groups come in the order of the spans file, which the runtime keeps deterministic.
        for (anchor_id, source, flow_id, _trace), members in groups.items():
            if len(members) > 1:
                members.sort(key=lambda s: (s.start_ms, s.span))
            if anchor_id is not None and anchor_id not in self.spans:
                continue  # made during a call still in flight when the run ended
            self._check_group(
                flow_id, source, self.spans.get(anchor_id) if anchor_id else None, members, run_end
            )

    def _anchor(self, span: Span) -> str | None:
        """The call ``span`` was made during: the nearest ancestor that is a flow step, or
        a *triggered invocation* of the caller (a non-step span on the caller, e.g. the
        Lambda ``Invoke`` that consumes a queued message; the runtime runs step children
        only under step calls, so a non-step span on the caller with step children is
        always one). Hand-offs, retries, health checks and a node's own work spans (a
        state machine's states) in between are skipped."""
        source = self.model.original_of(span.source)
        parent = span.parent
        seen = 0
        while parent is not None and seen < 1000:
            record = self.spans.get(parent)
            if record is None or record.step is not None:
                return parent
            if record.source == record.node:  # a node's own work (a state): see through
                parent = record.parent
                seen += 1
                continue
            if self.model.original_of(record.node) == source:
                return parent
            parent = record.parent
            seen += 1
        return None

    def _expected(self, plan: FlowPlan, source: str, anchor: Span | None) -> tuple[int, ...]:
        original = self.model.original_of(source)
        if anchor is not None and anchor.step is None:
            return plan.triggered.get(original, ())
        if anchor is not None and anchor.flow == plan.id and anchor.step is not None:
            step = plan.steps[anchor.step] if anchor.step < len(plan.steps) else None
            if step is not None and step.target == self.model.original_of(anchor.node):
                return tuple(c for c in step.children if plan.steps[c].source == original)
        if source in self.clients:
            return plan.top
        return plan.triggered.get(original, ())

    def continuation_flow(self, origin_flow: str | None, node: str) -> str | None:
        """The flow a node triggered asynchronously continues (runtime contract): the
        current flow if it declares triggered roots from the node, else the first flow (in
        model order) that does."""
        origin = self.plans.get(origin_flow) if origin_flow is not None else None
        plan = self.continuation(origin, self.model.original_of(node))
        return None if plan is None else plan.id

    def _check_continuation(self, flow_id: str, source: str, invocation: Span) -> None:
        """A triggered invocation runs the flow the contract picks for it."""
        origin = self.spans.get(invocation.parent) if invocation.parent else None
        origin_flow = origin.flow if origin is not None else None
        expected = self.continuation_flow(origin_flow, source)
        if expected is None or expected == flow_id:
            return
        original = self.model.original_of(source)
        after = f" after '{origin.node}: {origin.op}'" if origin is not None else ""
        of_flow = f" of flow '{origin_flow}'" if origin_flow else ""
        what = (
            f"'{original}' continued in flow '{flow_id}'{after}{of_flow}; "
            f"the model continues it in flow '{expected}'"
        )
        found = self._sequence_problems.setdefault((flow_id, what), _Divergence())
        found.count += 1
        if not found.example:
            found.example = f"trace {invocation.trace}"
            first = self.plans[expected].triggered[original][0]
            found.path = ("flows", self.flow_index[expected], "steps", first)

    def _check_group(
        self, flow_id: str, source: str, anchor: Span | None, members: list[Span], run_end: float
    ) -> None:
        plan = self.plans[flow_id]
        if anchor is not None and anchor.step is None:
            self._check_continuation(flow_id, source, anchor)
        expected = self._expected(plan, source, anchor)
        steps = plan.steps
        if len(members) == len(expected) and all(
            span.step == index and self._triple(span) == self._declared(steps[index])
            for span, index in zip(members, expected, strict=True)
        ):
            return  # the common case: exactly the declared calls, in order
        # Match each observed call to a declared step: by its index when that step is the
        # same call, else to the first unused declared step that is.
        used: set[int] = set()
        matched: list[int | None] = []
        for span in members:
            triple = self._triple(span)
            choice: int | None = None
            if (
                span.step in expected
                and span.step not in used
                and self._declared(steps[span.step]) == triple
            ):
                choice = span.step
            else:
                choice = next(
                    (i for i in expected if i not in used and self._declared(steps[i]) == triple),
                    None,
                )
            if choice is not None:
                used.add(choice)
            matched.append(choice)
        in_order = [i for i in matched if i is not None]
        ordered = in_order == sorted(in_order) and None not in matched
        all_ok = all(span.status == "ok" for span in members) and (
            anchor is None or anchor.status == "ok"
        )
        settled = max(span.end_ms for span in members) + self.grace_ms <= run_end
        missing = [i for i in expected if i not in used and _mandatory(steps[i])]
        if ordered and (not missing or not all_ok or not settled):
            return
        declared = [i for i in expected if _mandatory(steps[i]) or i in used]
        declared_lines = [self._line(steps[i]) for i in declared]
        observed_lines = [self._span_line(span) for span in members]
        position = next(
            (
                n
                for n, (a, b) in enumerate(zip(declared_lines, observed_lines, strict=False))
                if a != b
            ),
            min(len(declared_lines), len(observed_lines)),
        )
        where = f"'{anchor.node}: {anchor.op}'" if anchor else "the session"
        if position < len(declared_lines) and position < len(observed_lines):
            what = (
                f"call {position + 1} made by '{source}' during {where} is "
                f"{observed_lines[position]}, the flow declares "
                f"{declared_lines[position]}"
            )
        elif position < len(declared_lines):
            what = (
                f"step {declared[position]} ({declared_lines[position]}) was skipped: "
                f"'{source}' made {len(observed_lines)} of the declared calls during "
                f"{where}"
            )
        else:
            what = f"'{source}' made an undeclared call {observed_lines[position]} during {where}"
        diff = "\n".join(
            difflib.unified_diff(
                declared_lines, observed_lines, "declared", "observed", lineterm="", n=2
            )
        )
        step_at = declared[position] if position < len(declared) else None
        key = (flow_id, what)
        found = self._sequence_problems.setdefault(key, _Divergence())
        found.count += 1
        if not found.example:
            found.example = f"trace {members[0].trace}"
            found.details = diff
            index = self.flow_index[flow_id]
            found.path = (
                ("flows", index, "steps", step_at) if step_at is not None else ("flows", index)
            )

    def _triple(self, span: Span) -> tuple[str, str, str]:
        return (
            self.model.original_of(span.source),
            self.model.original_of(span.node),
            span.op,
        )

    @staticmethod
    def _declared(step: StepPlan) -> tuple[str, str, str]:
        return (step.source, step.target, step.op)

    @staticmethod
    def _line(step: StepPlan) -> str:
        return f"{step.source} -> {step.target}: {step.op}"

    def _span_line(self, span: Span) -> str:
        source, target, op = self._triple(span)
        return f"{source} -> {target}: {op}"

    # -- SLOs

    def _requests(self) -> dict[str, list[Span]]:
        """The top-level calls of each originating request, by trace (spans-file order)."""
        traces: dict[str, list[Span]] = defaultdict(list)
        for span in self.spans.values():
            if (
                span.parent is None
                and span.flow in self.plans
                and span.session >= 0
                and span.source in self.clients
            ):
                traces[span.trace].append(span)
        return traces

    def flow_samples(self) -> dict[str, _FlowSamples]:
        samples: dict[str, _FlowSamples] = defaultdict(_FlowSamples)
        for calls in self._requests().values():
            flow = calls[0].flow
            assert flow is not None
            plan = self.plans[flow]
            start = min(span.start_ms for span in calls)
            if start < self.warmup_ms:
                continue
            timeout = self.timeouts.get(calls[0].source, math.inf)
            # As the run judged it: the time an object took to move is not a wait.
            failed = any(
                span.status != "ok"
                or span.end_ms - span.start_ms - span.attrs.get("transfer_ms", 0.0) > timeout
                for span in calls
            )
            made = {span.step for span in calls}
            mandatory = {i for i in plan.top if _mandatory(plan.steps[i])}
            if not failed and not mandatory <= made:
                continue  # still running when the run ended
            stats = samples[flow]
            if failed:
                stats.failed += 1
            else:
                stats.ok += 1
                stats.latencies.append(max(span.end_ms for span in calls) - start)
        return samples

    def check_slos(self) -> list[tuple[str, str]]:
        """Judge the SLOs that apply to this scenario; say which did not, and say plainly
        when none did (a scenario no SLO applies to has met no objective)."""
        facts: list[tuple[str, str]] = []
        samples = self.flow_samples()
        evaluated: list[str] = []
        out_of_scope: list[tuple[str, tuple[str, ...]]] = []
        for index, flow in enumerate(self.model.flows):
            slo = flow.slo
            if slo is None:
                continue
            if slo.scenarios and self.scenario not in slo.scenarios:
                out_of_scope.append((flow.id, slo.scenarios))
                continue
            evaluated.append(flow.id)
            facts.extend(self._check_slo(index, flow.id, slo, samples.get(flow.id)))
        self.slo_scope = SloScope(tuple(evaluated), tuple(out_of_scope))
        judged = (
            ", ".join(self._slo_name(flow_id) for flow_id in evaluated)
            if evaluated
            else f"none: no SLO applies to scenario {self.scenario}"
        )
        facts.insert(0, ("slos evaluated", judged))
        if out_of_scope:
            facts.append(
                (
                    "slos out of scope",
                    ", ".join(
                        f"{flow} (only in {', '.join(scenarios)})"
                        for flow, scenarios in out_of_scope
                    ),
                )
            )
        return facts

    def _slo_name(self, flow_id: str) -> str:
        """A flow's name in the list of SLOs evaluated, with its end-to-end objective."""
        slo = self.model.flows[self.flow_index[flow_id]].slo
        if slo is None or slo.end_to_end is None:
            return flow_id
        return f"{flow_id} (and end to end until {_effect(slo.end_to_end)})"

    def _check_end_to_end(
        self, index: int, flow_id: str, objective: EndToEnd, measured: dict[str, Measure]
    ) -> str:
        """Judge the flow's requests from their start to their last asynchronous effect."""
        run_end = max((span.end_ms for span in self.spans.values()), default=0.0)
        requests = [
            (trace, min(span.start_ms for span in calls))
            for trace, calls in self._requests().items()
            if calls[0].flow == flow_id
        ]
        ends = effect_ends(self.spans, objective, self.model.original_of)
        stats = end_to_end_samples(
            requests, ends, objective, warmup_ms=self.warmup_ms, run_end_ms=run_end
        )
        effect = _effect(objective)
        name = f"p{objective.percentile:g}"
        measured["e2e_requests"] = stats.total
        measured["e2e_reached"] = len(stats.latencies)
        measured["e2e_never_reached"] = stats.never
        measured["e2e_objective_ms"] = _plain(objective.threshold_ms)
        objective_text = f"objective {objective.threshold_ms:,.0f} ms"
        if stats.total == 0:
            judged_ms = run_end - max(self.warmup_ms, 0.0)
            self.sink.add(
                "slo-judged",
                ("flows", index, "slo", "end_to_end", "threshold_ms"),
                f"flow '{flow_id}' in {self.scenario}: no request could be judged end to end "
                f"until {effect}: a request counts when it starts after warm-up and at least "
                f"the objective ({objective.threshold_ms:,.0f} ms) before the run ends, and "
                f"its last call ended {judged_ms / 1000:,.1f} s after warm-up (a longer "
                "scenario judges it)" + ("" if requests else " (and no request of the flow)"),
                values={"e2e_requests": 0, "objective_ms": _plain(objective.threshold_ms)},
            )
            return f"end to end until {effect}: no data (no request to judge) ({objective_text})"
        value = percentile(stats.ranked(), objective.percentile)
        assert value is not None
        counts = f"{len(stats.latencies):,} reached, {stats.never:,} never reached"
        if math.isinf(value):
            shown = "never reached"
        else:
            shown = f"{value:,.0f} ms"
            measured[f"e2e_{name}_ms"] = round(value, 3)
        if value > objective.threshold_ms:
            self.sink.add(
                "slo",
                ("flows", index, "slo", "end_to_end", "threshold_ms"),
                f"flow '{flow_id}' in {self.scenario}: {name} end-to-end latency until "
                f"{effect} is {shown if math.isinf(value) else f'{value:,.1f} ms'}, over the "
                f"objective {objective.threshold_ms:,.0f} ms ({counts} of "
                f"{stats.total:,} requests after warm-up)",
                values={
                    "e2e_reached": len(stats.latencies),
                    "e2e_never_reached": stats.never,
                    "objective_ms": _plain(objective.threshold_ms),
                },
            )
        return f"end to end until {effect} {name} {shown} ({objective_text}; {counts})"

    def _check_slo(
        self, index: int, flow_id: str, slo: Slo, stats: _FlowSamples | None
    ) -> list[tuple[str, str]]:
        stats = stats or _FlowSamples()
        total = stats.ok + stats.failed
        measured: dict[str, Measure] = {"executions": total}
        self.sink.measure(f"slo {flow_id}", measured)
        end_to_end = (
            self._check_end_to_end(index, flow_id, slo.end_to_end, measured)
            if slo.end_to_end is not None
            else None
        )
        if total == 0:
            text = "no execution after warm-up"
            self.sink.add(
                "slo-judged",
                ("flows", index, "slo"),
                f"flow '{flow_id}' in {self.scenario}: no execution after warm-up, so its SLO "
                "judged nothing (is the flow in the scenario's mix, or triggered by one?)",
                values={"executions": 0},
            )
            return [(f"slo {flow_id}", text if end_to_end is None else f"{text}; {end_to_end}")]
        parts = []
        if slo.latency is not None:
            latency = slo.latency
            value = percentile(stats.latencies, latency.percentile)
            if value is not None:  # no successful execution: no latency to state
                measured[f"p{latency.percentile:g}_ms"] = round(value, 3)
            measured["objective_ms"] = _plain(latency.threshold_ms)
            shown = f"no data (all {total} failed)" if value is None else f"{value:,.0f} ms"
            parts.append(
                f"p{latency.percentile:g} {shown} (objective {latency.threshold_ms:,.0f} ms)"
            )
            if value is None and slo.availability_percent is None:
                self.sink.add(
                    "slo",
                    ("flows", index, "slo", "latency", "threshold_ms"),
                    f"flow '{flow_id}' in {self.scenario}: all {total} executions after "
                    f"warm-up failed: no p{latency.percentile:g} latency meets the objective "
                    f"{latency.threshold_ms:,.0f} ms",
                    values={"objective_ms": _plain(latency.threshold_ms), "executions": total},
                )
            if value is not None and value > latency.threshold_ms:
                self.sink.add(
                    "slo",
                    ("flows", index, "slo", "latency", "threshold_ms"),
                    f"flow '{flow_id}' in {self.scenario}: p{latency.percentile:g} latency "
                    f"{value:,.1f} ms exceeds the objective {latency.threshold_ms:,.0f} ms "
                    f"({stats.ok} successful executions after warm-up)",
                    values={
                        f"p{latency.percentile:g}_ms": round(value, 3),
                        "objective_ms": _plain(latency.threshold_ms),
                        "executions_ok": stats.ok,
                    },
                )
        if slo.availability_percent is not None:
            availability = 100.0 * stats.ok / total
            measured["availability_percent"] = round(availability, 6)
            measured["objective_percent"] = _plain(slo.availability_percent)
            parts.append(
                f"availability {availability:.3f}% (objective {slo.availability_percent:g}%)"
            )
            if availability < slo.availability_percent:
                self.sink.add(
                    "slo",
                    ("flows", index, "slo", "availability_percent"),
                    f"flow '{flow_id}' in {self.scenario}: availability "
                    f"{availability:.3f}% is below the objective "
                    f"{slo.availability_percent:g}% ({stats.failed} of {total} executions "
                    "failed after warm-up)",
                    values={
                        "availability_percent": round(availability, 6),
                        "objective_percent": _plain(slo.availability_percent),
                        "executions_failed": stats.failed,
                        "executions": total,
                    },
                )
        text = ", ".join(parts) + f", n={total}"
        return [(f"slo {flow_id}", text if end_to_end is None else f"{text}; {end_to_end}")]

    # -- findings

    def report(self) -> list[tuple[str, str]]:
        self.check_edges()
        self.check_denials()
        self.check_flows()
        facts = self.check_slos()
        for (source, node, op, problem), found in sorted(self._edge_problems.items()):
            path = ("nodes", self.node_index[source]) if source in self.node_index else ()
            self.sink.add(
                "span-edge",
                path,
                f"{found.count} call{'s' if found.count != 1 else ''} {source} -> "
                f"{node}: '{op}' in {self.scenario}: {problem} (first: "
                f"{found.example})",
                node=source,
                values={"calls": found.count},
            )
        for (flow_id, what), found in sorted(self._sequence_problems.items()):
            self.sink.add(
                "flow-sequence",
                found.path,
                f"flow '{flow_id}' in {self.scenario}: {what} ({found.count} "
                f"execution{'s' if found.count != 1 else ''}, e.g. "
                f"{found.example})",
                details=found.details,
                values={"executions": found.count},
            )
        for (source, node, op), found in sorted(self.denials.items()):
            path = ("nodes", self.node_index[source]) if source in self.node_index else ()
            signer = self.model.presigner(source, node)
            # A presigned URL is refused for its signer's role: name it, the fix is there.
            via = "" if signer is None else f" (presigned by '{signer.id}', role '{signer.role}')"
            self.sink.add(
                "no-access-denied",
                path,
                f"IAM denied {source} -> {node}{via}: '{op}' {found.count} time"
                f"{'s' if found.count != 1 else ''} in {self.scenario} (first: "
                f"{found.example})",
                node=source,
                values={"denials": found.count},
            )
        facts.append(("spans", str(len(self.spans))))
        return facts


def _plain(value: float) -> int | float:
    """``800.0`` as ``800``: objectives read as the model wrote them."""
    return int(value) if float(value).is_integer() else value


def _effect(objective: EndToEnd) -> str:
    """The effect an end-to-end objective waits for: ``node`` or ``node: op``."""
    return objective.until if objective.op is None else f"{objective.until}: {objective.op}"


def _mandatory(step: StepPlan) -> bool:
    return step.when is None and step.probability is None
