"""The reference pages generated from the code: one per kind, the check rules, the run
artefacts. They are the same for every model (only "in this model" lines differ), so a
site documents every kind and rule even when its model uses none of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import yaml
from markupsafe import Markup

from archgen.model.kind import KindSpec
from archgen.model.registry import kinds
from archgen.model.schema import Model
from archgen.site import kinds as kind_docs
from archgen.site.plan import Paths, node_titles
from archgen.site.reference import anchor, definitions, type_text
from archgen.site.templating import inline, relative, render, text, url


class _Links:
    """Markdown links and images from one generated page."""

    def __init__(self, page: str) -> None:
        self.page = page

    def to(self, target: str, label: str, fragment: str = "") -> Markup:
        href = url(relative(self.page, target)) + (Markup("#") + fragment if fragment else "")
        return Markup("[{}]({})").format(text(label), href)

    def image(self, target: str, alt: str) -> Markup:
        return Markup('![{}]({}){{ width="32" }}').format(
            text(alt), url(relative(self.page, target))
        )


def kind_pages(
    model: Model, paths: Paths, behavior_docs: Mapping[str, str], icons: Mapping[str, str]
) -> dict[str, str]:
    """Docs path → Markdown of the kinds' index and of one page per registered kind."""
    pages = {
        paths.kind(name): _kind(model, paths, spec, behavior_docs, icons)
        for name, spec in kinds().items()
    }
    links = _Links(paths.kinds)
    rows = [
        {
            "icon": links.image(icons[name], spec.title) if name in icons else None,
            "link": links.to(paths.kind(name), name),
            "title": spec.title,
            "category": spec.category,
            "count": sum(node.kind == name for node in model.nodes),
            "summary": spec.summary,
        }
        for name, spec in kinds().items()
    ]
    pages[paths.kinds] = render("kinds.md.j2", kinds=rows)
    return pages


def _kind(
    model: Model,
    paths: Paths,
    spec: KindSpec,
    behavior_docs: Mapping[str, str],
    icons: Mapping[str, str],
) -> str:
    page = paths.kind(spec.name)
    links = _Links(page)

    def definition(name: str) -> Markup:
        return links.to(paths.reference, name, anchor(name))

    doc = kind_docs.split_behavior_doc(behavior_docs.get(spec.name, ""))
    titles = node_titles(model)
    return render(
        "kind.md.j2",
        spec=spec,
        icon=links.image(icons[spec.name], spec.title) if spec.name in icons else None,
        used_by=[
            links.to(paths.node(node.id), titles[node.id])
            for node in model.nodes
            if node.kind == spec.name
        ],
        arn=kind_docs.arn_template(spec),
        traits=[
            {"name": trait.name, "meaning": inline(trait.meaning)}
            for trait in kind_docs.traits(spec)
        ],
        parameters=[
            {
                "name": row.name,
                "type": type_text(row.schema, definition) if row.schema else "",
                "unit": row.unit,
                "default": row.default,
                "description": inline(row.description),
            }
            for row in kind_docs.param_rows(spec.params)
        ],
        rules=kind_docs.paragraphs(doc.rules),
        left_out=inline(doc.left_out) if doc.left_out else None,
        metrics=[
            {
                "name": inline(f"``{metric.name}``"),
                "unit": metric.unit.value,
                "statistic": metric.statistic,
                "counts": inline(metric.counts),
            }
            for metric in spec.metrics.metrics
        ],
        namespace=inline(f"``{spec.metrics.namespace}``"),
        dimensions=inline(", ".join(spec.metrics.dimensions)),
        cost=cost_text(spec),
    )


def cost_text(spec: KindSpec) -> str:
    """How a kind is priced, in a sentence: its cost rule's docstring, or why it is not."""
    from archgen.model.cost import Unpriced

    rule = spec.cost
    if isinstance(rule, Unpriced):
        return rule.text[0].upper() + rule.text[1:] + "."
    if rule is not None and rule.__doc__:
        return " ".join(rule.__doc__.split())
    return "Its kind declares no cost rule: its nodes are not priced."


# --------------------------------------------------------------------------- check rules


_NOT_SILENCED = "the finding is not about one node, so no node's lint_ignore reaches it."


@dataclass(frozen=True)
class _RuleExample:
    model: str
    findings: str
    silence: str | None
    silence_yaml: str
    scenario: str | None


@cache
def rule_examples() -> dict[str, _RuleExample]:
    """Each rule's example model, what ``archgen check`` says of it (its lint, and for a
    run rule the check of its scenario's run), and how to switch a static finding off
    (the rule-examples test holds these to what the linter and the run do)."""
    from archgen.model import load_model_text
    from archgen.runtime.check import lint
    from archgen.runtime.check.examples import EXAMPLES, RUN_EXAMPLES
    from archgen.runtime.session import check

    result = {}
    for rule, example in {**EXAMPLES, **RUN_EXAMPLES}.items():
        loaded = load_model_text(example.model, "model.yaml")
        if example.scenario is None:
            findings = lint(loaded).findings
        else:
            findings = check(loaded, scenarios=[example.scenario], jobs=1).findings
        said = "\n".join(str(f) for f in findings if f.rule == rule)
        silence_yaml = ""
        if example.silence is not None:
            reason = "why the rule does not apply here"
            snippet = [{"id": example.silence, "lint_ignore": {rule: reason}}]
            silence_yaml = "nodes:\n" + _indent(yaml.safe_dump(snippet, sort_keys=False), "  ")
        result[rule] = _RuleExample(
            example.model, said + "\n", example.silence, silence_yaml, example.scenario
        )
    return result


def _indent(block: str, prefix: str) -> str:
    return "".join(prefix + line for line in block.splitlines(keepends=True))


def rules_page() -> str:
    from archgen.runtime.check.rules import ALL_RULES

    examples = rule_examples()
    rules = []
    for rule in ALL_RULES.values():
        example = examples.get(rule.id)
        rules.append(
            {
                "id": rule.id,
                "anchor": anchor(rule.id, "rule-"),
                "severity": rule.severity.value,
                "title": rule.title,
                "description": rule.description,
                "dynamic": rule.dynamic,
                "against": rule.against,
                "example": example.model if example else None,
                "findings": example.findings if example else "",
                "silence": example.silence if example else None,
                "silence_yaml": example.silence_yaml if example else "",
                "scenario": example.scenario if example else None,
                "why_not": _NOT_SILENCED,
            }
        )
    return render("rules.md.j2", rules=rules)


# --------------------------------------------------------------------------- artefacts


_ARTEFACT_FILES = {
    "summary": (
        "Run summary",
        "summary.json",
        "The users' view of a run, then each node's.",
    ),
    "span": ("Spans", "spans.jsonl", "One line per finished call, as calls end."),
    "metric": ("Metrics", "metrics.jsonl", "One line per node and closed metric period."),
    "finding": (
        "Check findings",
        "archgen check --format json",
        "Each entry of the findings list that check --format json prints.",
    ),
    "sweep": (
        "Sweep",
        "sweep.json",
        "What archgen sweep reduces its runs to: per-configuration means and 95 % intervals.",
    ),
}


def artefact_schemas() -> dict[str, str]:
    """Artefact name → its published JSON Schema, as ``archgen schema --artefact`` prints it."""
    from archgen.runtime.artefacts import ARTEFACTS, artefact_schema

    return {
        name: json.dumps(artefact_schema(name), indent=2, sort_keys=True) + "\n"
        for name in ARTEFACTS
    }


def artefacts_page(paths: Paths) -> str:
    from archgen.runtime.artefacts import ARTEFACTS, SCHEMA_VERSION

    links = _Links(paths.artefacts)
    artefacts = []
    for name in ARTEFACTS:
        title, file, intro = _ARTEFACT_FILES.get(name, (name, name, ""))
        schema = json.loads(artefact_schemas()[name])
        artefacts.append(
            {
                "name": name,
                "title": title,
                "file": file,
                "anchor": anchor(name, "artefact-"),
                "intro": intro,
                "download": links.to(paths.schema(name), f"{name}.json"),
                "definitions": definitions(schema, prefix=f"{name}-"),
            }
        )
    return render("artefacts.md.j2", artefacts=artefacts, version=SCHEMA_VERSION)
