"""Every generated page as Markdown, from the model, its diagrams and its simulated runs.

:func:`generate_pages` is pure: the same inputs give the same Markdown. Diagrams and run
results are computed elsewhere (cached) and passed in, so this module never renders or
simulates anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from markupsafe import Markup

from archgen.model import LoadedModel
from archgen.model.cost import lacks_prices
from archgen.model.flows import compile_flow, slo_scope
from archgen.model.kind import Capability, Zonal
from archgen.model.kinds import KINDS
from archgen.model.registry import has
from archgen.model.schema import AnyNode, Edge, Flow, Group, Model, Scenario, Slo
from archgen.renderers.views import ComputedView
from archgen.runtime.artefacts import SweepResult
from archgen.site import facts
from archgen.site.diagrams import group_view_id, node_view_id
from archgen.site.kinds import paragraphs as _paragraphs
from archgen.site.kinds import split_behavior_doc
from archgen.site.plan import Paths, group_titles, node_titles, story_order
from archgen.site.reference import definitions
from archgen.site.reference_pages import artefacts_page, cost_text, kind_pages, rules_page
from archgen.site.results import FlowLatency, NodeCostRow, ScenarioResult
from archgen.site.sweep import sweep_chart_names, sweep_page, sweep_title
from archgen.site.templating import inline as _inline
from archgen.site.templating import number, relative, render, text, url, usd


@dataclass(frozen=True)
class PageInputs:
    """What the pages are made from besides the model."""

    views: Mapping[str, ComputedView] = field(default_factory=dict)
    """View id → computed view (the renderers' input; flow views carry numbered steps)."""
    diagrams: Mapping[str, str] = field(default_factory=dict)
    """View id → path (relative to docs/) of its SVG."""
    sequences: Mapping[str, str] = field(default_factory=dict)
    """Flow id → Mermaid sequence diagram."""
    results: Mapping[str, ScenarioResult] = field(default_factory=dict)
    behavior_docs: Mapping[str, str] = field(default_factory=dict)
    """Kind → docstring of the behavior that simulates it."""
    missing_results: str = ""
    """Why there are no simulation results, shown where they would be."""
    kind_icons: Mapping[str, str] = field(default_factory=dict)
    """Kind → path (relative to docs/) of its icon."""
    sweeps: Mapping[str, SweepResult] = field(default_factory=dict)
    """Page id → a sweep result the site was given (``archgen site build --sweep``)."""


class _Page:
    """Link and image helpers relative to one page."""

    def __init__(self, path: str, paths: Paths, model: Model, inputs: PageInputs) -> None:
        self.path = path
        self.paths = paths
        self.model = model
        self.inputs = inputs

    def link(self, target: str, label: str) -> Markup:
        return Markup("[{}]({})").format(text(label), url(relative(self.path, target)))

    @cached_property
    def node_titles(self) -> dict[str, str]:
        return node_titles(self.model)

    @cached_property
    def group_titles(self) -> dict[str, str]:
        return group_titles(self.model)

    def node(self, node_id: str) -> Markup:
        if node_id not in self.model.nodes_by_id:
            return text(node_id)
        return self.link(self.paths.node(node_id), self.node_titles[node_id])

    def group(self, group_id: str | None) -> Markup | None:
        if group_id is None or group_id not in self.model.groups_by_id:
            return None
        return self.link(self.paths.group(group_id), self.group_titles[group_id])

    def flow(self, flow: Flow) -> Markup:
        return self.link(self.paths.flow(flow.id), flow.title)

    def image(self, target: str, alt: str) -> Markup:
        return Markup("![{}]({})").format(text(alt), url(relative(self.path, target)))

    def diagram(self, view_id: str, alt: str) -> Markup | None:
        target = self.inputs.diagrams.get(view_id)
        return None if target is None else self.image(target, alt)


def generate_pages(loaded: LoadedModel, paths: Paths, inputs: PageInputs) -> dict[str, str]:
    """Docs-relative path → Markdown, for every generated page."""
    model = loaded.model
    pages = {paths.home: _home(model, paths, inputs)}
    for group in model.groups:
        pages[paths.group(group.id)] = _group(model, paths, inputs, group)
    for node in model.nodes:
        pages[paths.node(node.id)] = _node(model, paths, inputs, node)
    for flow in model.flows:
        pages[paths.flow(flow.id)] = _flow(model, paths, inputs, flow)
    for scenario in model.scenarios:
        pages[paths.scenario(scenario.id)] = _scenario(
            model, paths, inputs, scenario, loaded.source
        )
    for sweep_id, result in inputs.sweeps.items():
        pages[paths.sweep(sweep_id)] = _sweep(model, paths, inputs, sweep_id, result)
    pages[paths.reference] = _reference(paths)
    pages.update(kind_pages(model, paths, inputs.behavior_docs, inputs.kind_icons))
    pages[paths.rules] = rules_page()
    pages[paths.artefacts] = artefacts_page(paths)
    return pages


# --------------------------------------------------------------------------- home


def _home(model: Model, paths: Paths, inputs: PageInputs) -> str:
    page = _Page(paths.home, paths, model, inputs)
    chapters = []
    numbered: dict[int, list[Flow]] = {}
    for flow in story_order(model):
        if flow.story_step is not None:
            numbered.setdefault(flow.story_step, []).append(flow)
    for step, flows in numbered.items():
        chapters.append(
            {
                "heading": f"Step {step}: " + "; ".join(flow.title for flow in flows),
                "lines": [_story_line(page, f, titled=len(flows) == 1) for f in flows],
                "diagram": page.diagram(f"step-{step}", f"Step {step}"),
            }
        )
    others = [flow for flow in story_order(model) if flow.story_step is None]
    if others:
        chapters.append(
            {
                "heading": "Other flows",
                "lines": [_story_line(page, f, titled=False) for f in others],
                "diagram": None,
            }
        )
    views = [
        {"title": title, "description": description, "diagram": page.diagram(view_id, title)}
        for view_id, title, description in _extra_views(model)
        if view_id in inputs.diagrams
    ]
    return render(
        "home.md.j2",
        system=model.system,
        overview=page.diagram("overview", "Overview of " + model.system.name),
        counts={
            "groups": len(model.groups),
            "nodes": len(model.nodes),
            "edges": len(model.edges),
            "flows": len(model.flows),
            "journeys": len(model.journeys),
            "scenarios": len(model.scenarios),
        },
        story=chapters,
        views=views,
        scenarios=[
            {
                "link": page.link(paths.scenario(s.id), s.title),
                "duration": f"{number(s.duration_s)} s",
                "description": s.description or _exercises(model, s),
            }
            for s in model.scenarios
        ],
    )


def _story_line(page: _Page, flow: Flow, *, titled: bool) -> Markup:
    """A flow's line in the story: its linked title and description; under a heading that
    already says its title (``titled``), its description and a link, not the title twice."""
    if not titled:
        link = page.flow(flow)
        return Markup("{}: {}").format(link, text(flow.description)) if flow.description else link
    if flow.description:
        opened = page.link(page.paths.flow(flow.id), "open the flow")
        return Markup("{} ({})").format(text(flow.description), opened)
    return Markup("{}.").format(page.link(page.paths.flow(flow.id), "Open the flow"))


def _exercises(model: Model, scenario: Scenario) -> str:
    """What a scenario without a description exercises, from what it declares: its load and
    shape, its faults, its attack."""
    traffic = scenario.traffic
    parts = [
        f"{number(traffic.sessions_per_s, 2)} sessions/s"
        + ("" if traffic.shape.type == "constant" else f", {traffic.shape.type} shape")
    ]
    for fault in scenario.faults:
        until = f" to {number(fault.end_s)} s" if fault.end_s is not None else ""
        parts.append(
            f"{fault.type.value.replace('_', ' ')} of {fault.target} from "
            f"{number(fault.start_s)} s{until}"
        )
    if traffic.attack is not None:
        attack = traffic.attack
        parts.append(f"an attack of {number(attack.requests_per_s)} requests/s on {attack.target}")
    if len(parts) == 1:
        parts.append("no fault")
    return "; ".join(parts)


def _extra_views(model: Model) -> list[tuple[str, str, str]]:
    """Region, security and declared views shown on the home page, in a stable order."""
    views = [
        (f"region-{g.id}", f"Region {g.title}", f"What runs in {g.title}.")
        for g in sorted(model.groups, key=lambda g: g.id)
        if g.kind.value == "region"
    ]
    views.append(("security", "Security", "IAM roles, KMS keys, Shield and WAF."))
    views += [
        (f"view-{v.id}", v.title, v.description) for v in sorted(model.views, key=lambda v: v.id)
    ]
    return views


# --------------------------------------------------------------------------- groups & nodes


def _group(model: Model, paths: Paths, inputs: PageInputs, group: Group) -> str:
    page = _Page(paths.group(group.id), paths, model, inputs)
    members = facts.group_members(model, group.id)
    return render(
        "group.md.j2",
        title=page.group_titles[group.id],
        group=group,
        kind=facts.GROUP_KINDS.get(group.kind.value, group.kind.value),
        parent=page.group(group.parent),
        diagram=page.diagram(group_view_id(group.id), group.title),
        children=[page.group(g.id) for g in model.groups if g.parent == group.id],
        nodes=[
            {
                "link": page.node(node.id),
                "kind": KINDS[node.kind].title,
                "group": _placed(page, node),
            }
            for node in members
        ],
    )


def _placed(page: _Page, node: AnyNode) -> Markup:
    """The node's group, and the zones it spreads over when it names them (an ECS service's
    tasks run in its ``zones``, listed on those zones' pages too)."""
    group = page.group(node.group)
    zones = node.params.zones if isinstance(node.params, Zonal) else ()
    if not zones:
        return group or Markup("")
    spread = Markup(", ").join(page.group(zone) or text(zone) for zone in zones)
    return spread if group is None else Markup("{}, zones {}").format(group, spread)


def _edge_row(page: _Page, edge: Edge, other: str) -> dict[str, object]:
    return {
        "other": page.node(other),
        "operations": Markup(", ").join(
            Markup("<code>{}</code>").format(text(op)) for op in edge.operations
        ),
        "protocol": edge.protocol.value
        + (f", presigned by {edge.presigned_by}" if edge.presigned_by else ""),
        "mode": edge.mode.value,
        "data": edge.data.value
        + (f", encrypted with {edge.encrypted_with}" if edge.encrypted_with else ""),
        "tls": "yes" if edge.uses_tls else "no",
    }


def _node(model: Model, paths: Paths, inputs: PageInputs, node: AnyNode) -> str:
    page = _Page(paths.node(node.id), paths, model, inputs)
    region = model.region_of(node.group)
    info = KINDS[node.kind]
    behavior = split_behavior_doc(inputs.behavior_docs.get(node.kind, ""))
    return render(
        "node.md.j2",
        title=page.node_titles[node.id],
        node=node,
        kind=info,
        kind_link=page.link(paths.kind(node.kind), info.title),
        conditions=info.conditions,
        group=page.group(node.group),
        region=page.group(region.id) if region else None,
        replica_of=page.node(node.replica_of) if node.replica_of else None,
        role=page.node(node.role) if node.role else None,
        diagram=page.diagram(node_view_id(node.id), node.title),
        behavior_doc=_paragraphs(behavior.rules),
        left_out=_inline(behavior.left_out) if behavior.left_out else None,
        parameters=facts.parameters(node),
        inbound=[_edge_row(page, e, e.source) for e in facts.inbound(model, node.id)],
        outbound=[_edge_row(page, e, e.target) for e in facts.outbound(model, node.id)],
        policies=facts.policies(model, node),
        access=None
        if (access := facts.access_to(model, node)) is None
        else [
            {
                "role": page.node(a.role),
                "policy": a.policy,
                "sid": a.sid,
                "effect": a.effect,
                "actions": Markup(", ").join(
                    Markup("<code>{}</code>").format(text(action)) for action in a.actions
                ),
                "condition": "yes" if a.condition else "",
            }
            for a in access
        ],
        is_key=has(node.kind, Capability.key),
        encrypts=[
            Markup("{}: what {} writes to it").format(page.node(target), page.node(writer))
            if writer is not None
            else Markup("{}: its data at rest").format(page.node(target))
            for target, writer in facts.encrypts(model, node.id)
        ],
        users=[page.node(user.id) for user in facts.role_users(model, node.id)],
        flows=[page.flow(flow) for flow in facts.flows_using(model, node.id)],
        costs=[
            {
                "scenario": page.link(paths.scenario(scenario_id), scenario_id),
                "window": usd(row.window_usd),
                "window_s": number(result.cost.window_s) if result.cost else "",
                "monthly": usd(row.monthly_usd),
                "charged": row.items,
                "not_priced": row.not_priced,
            }
            for scenario_id, result in sorted(inputs.results.items())
            for row in result.node_costs
            if row.node == node.id
        ],
        cost_rule=_cost_rule(node.kind),
    )


def _cost_row(page: _Page, row: NodeCostRow) -> dict[str, str | Markup]:
    """A node's row of a scenario's cost table: a node none of whose costs is priced shows
    dashes, not $0.00 (it is not free), and every row says what it leaves out."""
    unpriced = bool(row.not_priced) and not row.items and row.window_usd == 0
    left_out = f"not priced: {row.not_priced}" if row.not_priced else ""
    return {
        "node": page.node(row.node),
        "kind": row.kind,
        "region": row.region,
        "window": "—" if unpriced else usd(row.window_usd),
        "monthly": "—" if unpriced else usd(row.monthly_usd),
        "charged": "; ".join(part for part in (row.items, left_out) if part),
    }


def _cost_rule(kind: str) -> str:
    """How the kind is priced, in a sentence (its cost rule's docstring, or why not)."""
    from archgen.model.registry import spec

    return cost_text(spec(kind))


# --------------------------------------------------------------------------- flows


def _flow(model: Model, paths: Paths, inputs: PageInputs, flow: Flow) -> str:
    page = _Page(paths.flow(flow.id), paths, model, inputs)
    view = inputs.views.get(f"flow-{flow.id}")
    steps = [
        {
            "number": step.number,
            "source": page.node(step.source),
            "target": page.node(step.target),
            "op": step.op,
            "condition": step.condition,
            "is_async": step.is_async,
            "parent": step.parent,
        }
        for step in (view.steps if view is not None else ())
    ]
    traced = _traced_context(page, view, flow)
    latency = [
        _latency_context(page, scenario_id, measured)
        for scenario_id, result in sorted(inputs.results.items())
        for measured in result.flows
        if measured.flow == flow.id
    ]
    return render(
        "flow.md.j2",
        flow=flow,
        diagram=page.diagram(f"flow-{flow.id}", flow.title),
        steps=steps,
        notes=[(i, step.note) for i, step in enumerate(flow.steps, start=1) if step.note],
        sequence=inputs.sequences.get(flow.id, ""),
        traced=traced,
        traced_missing=inputs.missing_results
        or "No scenario of the model completed this flow without an error, so there is no "
        "traced request to show.",
        latency=latency,
        latency_missing=inputs.missing_results
        or "No scenario of the model runs this flow, so there is no measured latency.",
    )


def _traced_context(page: _Page, view: ComputedView | None, flow: Flow) -> dict[str, object] | None:
    from archgen.site.traced import pick, sequence

    found = pick(page.model, page.inputs.results, flow.id)
    if found is None:
        return None
    scenario_id, request = found
    labels = {node.id: node.label for node in view.nodes} if view is not None else {}
    return {
        "scenario": page.link(
            page.paths.scenario(scenario_id), page.model.scenarios_by_id[scenario_id].title
        ),
        "trace": request.trace,
        "fidelity": page.inputs.results[scenario_id].fidelity,
        "duration": request.duration_ms,
        "candidates": request.candidates,
        "sequence": sequence(page.model, request, labels),
    }


def _latency_context(page: _Page, scenario_id: str, measured: FlowLatency) -> dict[str, object]:
    scenario = page.model.scenarios_by_id[scenario_id]
    chart = page.paths.chart(f"{scenario_id}--flow-{measured.flow}")
    return {
        "scenario": page.link(page.paths.scenario(scenario_id), scenario.title),
        "count": measured.count,
        "errors": measured.errors,
        "p50": measured.p50_ms,
        "p95": measured.p95_ms,
        "p99": measured.p99_ms,
        "chart": page.image(chart, f"Latency distribution of {measured.flow}"),
        "triggered": not compile_flow(page.model, page.model.flow(measured.flow)).top,
    }


# --------------------------------------------------------------------------- scenarios


def _scenario(
    model: Model, paths: Paths, inputs: PageInputs, scenario: Scenario, source: str
) -> str:
    """The scenario's page; its findings are placed in ``source``, the model file as the user
    named it (as the CLI prints it, never the build machine's absolute path)."""
    page = _Page(paths.scenario(scenario.id), paths, model, inputs)
    traffic = scenario.traffic
    total = sum(traffic.mix.values())
    journeys = {journey.id: journey for journey in model.journeys}
    mix = [
        {
            "title": journeys[journey_id].title if journey_id in journeys else journey_id,
            "share": number(100 * weight / total),
        }
        for journey_id, weight in sorted(traffic.mix.items())
    ]
    shape = traffic.shape.model_dump(mode="json")  # fields in time order: rise, hold, fall
    shape_text = shape.pop("type") + "".join(
        f", {key.removesuffix('_s').replace('_', ' ')} {number(value, 2)}"
        + (" s" if key.endswith("_s") else "")
        for key, value in shape.items()
    )
    attack = None
    if traffic.attack is not None:
        a = traffic.attack
        until = f"{number(a.end_s)} s" if a.end_s is not None else "the end"
        attack = Markup("{} requests/s of <code>{}</code> from {} sources at {}, {} s → {}").format(
            number(a.requests_per_s),
            text(a.operation),
            a.sources,
            page.node(a.target),
            number(a.start_s),
            until,
        )
    faults = [
        {
            "type": fault.type.value.replace("_", " "),
            "target": page.node(fault.target)
            if fault.target in model.nodes_by_id
            else page.group(fault.target) or text(fault.target),
            "start": f"{number(fault.start_s)} s",
            "end": f"{number(fault.end_s)} s" if fault.end_s is not None else "the end",
            "details": "; ".join(
                part
                for part in (
                    f"+{number(fault.added_latency_ms)} ms" if fault.added_latency_ms else "",
                    f"rate {fault.rate:g}" if fault.rate != 1 else "",
                    fault.description,
                )
                if part
            ),
        }
        for fault in scenario.faults
    ]
    result = inputs.results.get(scenario.id)
    result_context = None
    if result is not None:
        result_context = {
            "passed": result.passed,
            "summary": result.summary,
            "charts": [
                page.image(paths.chart(f"{scenario.id}--{c.name}"), c.title) for c in result.charts
            ],
            "conformance": [
                {"rule": f.rule, "where": f"{source}:{f.where}", "message": f.message}
                for f in result.conformance
            ],
            "conformance_verdict": result.conformance_verdict,
            "fidelity": result.fidelity,
            "facts": result.facts,
            "cost": result.cost,
            "node_costs": [_cost_row(page, row) for row in result.node_costs],
            "unpriced_nodes": sum(
                1 for row in result.node_costs if lacks_prices(row.not_priced.split("; "))
            ),
        }
    return render(
        "scenario.md.j2",
        scenario=scenario,
        shape=shape_text,
        mix=mix,
        attack=attack,
        faults=faults,
        result=result_context,
        slos=_slo_rows(page, scenario, result),
        out_of_scope=[
            {
                "flow": page.flow(flow),
                "objective": _objective(flow.slo),
                "scenarios": [
                    page.link(paths.scenario(sid), model.scenarios_by_id[sid].title)
                    if sid in model.scenarios_by_id
                    else text(sid)
                    for sid in flow.slo.scenarios
                ],
            }
            for flow in slo_scope(model, scenario.id).out_of_scope
            if flow.slo is not None
        ],
        missing=inputs.missing_results or "This scenario has not been simulated.",
    )


def _sweep(
    model: Model, paths: Paths, inputs: PageInputs, sweep_id: str, result: SweepResult
) -> str:
    page = _Page(paths.sweep(sweep_id), paths, model, inputs)
    scenario = model.scenarios_by_id.get(result.scenario)
    link = (
        text(result.scenario)
        if scenario is None
        else page.link(paths.scenario(scenario.id), scenario.title)
    )
    charts = [
        page.image(paths.chart(f"sweep-{sweep_id}--{name}"), title)
        for name, title in sweep_chart_names(result)
    ]
    return sweep_page(result, sweep_title(result), link, page.node, charts)


def _objective(slo: Slo | None) -> str:
    """An SLO in a few words: ``p99 ≤ 300 ms, availability ≥ 99.9 %``."""
    if slo is None:
        return ""
    parts = []
    if slo.latency is not None:
        parts.append(
            f"p{number(slo.latency.percentile, 2)} ≤ {number(slo.latency.threshold_ms)} ms"
        )
    if slo.availability_percent is not None:
        parts.append(f"availability ≥ {number(slo.availability_percent, 3)} %")
    if slo.end_to_end is not None:
        e2e = slo.end_to_end
        effect = e2e.until if e2e.op is None else f"{e2e.until}: {e2e.op}"
        parts.append(
            f"end to end until {effect}: p{number(e2e.percentile, 2)} ≤ "
            f"{number(e2e.threshold_ms)} ms"
        )
    return ", ".join(parts)


def _slo_rows(
    page: _Page, scenario: Scenario, result: ScenarioResult | None
) -> list[dict[str, object]]:
    """The SLOs that judge this scenario, with the check's outcome when it ran."""
    outcomes = {slo.flow: slo for slo in result.slos} if result is not None else {}
    rows: list[dict[str, object]] = []
    for flow in slo_scope(page.model, scenario.id).in_scope:
        outcome = outcomes.get(flow.id)
        rows.append(
            {
                "flow": page.flow(flow),
                "objective": _objective(flow.slo),
                "measured": outcome.measured if outcome else "—",
                "result": outcome.result if outcome else "not simulated",
            }
        )
    return rows


# --------------------------------------------------------------------------- reference


def _reference(paths: Paths) -> str:
    kinds = [
        {
            "name": Markup("[<code>{}</code>]({})").format(
                text(name), url(relative(paths.reference, paths.kind(name)))
            ),
            "title": info.title,
            "category": info.category,
            "iam_service": info.iam_service,
            "conditions": info.conditions,
            "summary": info.summary,
        }
        for name, info in KINDS.items()
    ]
    return render("reference.md.j2", kinds=kinds, definitions=definitions())
