"""The check rules page cannot lie: each static rule's example model (printed on the page)
breaks that rule and no other, and the ``lint_ignore`` the page shows switches it off; each
run rule's example, run and checked, breaks that rule and no other."""

from __future__ import annotations

import pytest
import yaml

from archgen.model import load_model_text
from archgen.runtime.check import STATIC_RULES, Finding, lint
from archgen.runtime.check.examples import EXAMPLES, RUN_EXAMPLES
from archgen.runtime.check.rules import ALL_RULES
from archgen.runtime.session import check

REASON = "why the rule does not apply here"


def _findings(text: str, rule: str) -> tuple[Finding, ...]:
    return lint(load_model_text(text, f"{rule}.yaml")).findings


def _with_ignore(text: str, node_id: str, rule: str) -> str:
    data = yaml.safe_load(text)
    node = next(node for node in data["nodes"] if node["id"] == node_id)
    node.setdefault("lint_ignore", {})[rule] = REASON
    return yaml.safe_dump(data, sort_keys=False)


def test_every_static_rule_has_an_example() -> None:
    assert list(EXAMPLES) == list(STATIC_RULES)


@pytest.mark.parametrize("rule", list(EXAMPLES))
def test_the_example_breaks_its_rule_and_no_other(rule: str) -> None:
    findings = _findings(EXAMPLES[rule].model, rule)
    assert findings
    assert [f.rule for f in findings] == [rule] * len(findings)
    assert all(f.suppressed is None for f in findings)
    assert [f.severity for f in findings] == [STATIC_RULES[rule].severity] * len(findings)


@pytest.mark.parametrize("rule", [rule for rule, ex in EXAMPLES.items() if ex.silence])
def test_lint_ignore_on_the_named_node_switches_the_example_off(rule: str) -> None:
    silence = EXAMPLES[rule].silence
    assert silence is not None
    findings = _findings(_with_ignore(EXAMPLES[rule].model, silence, rule), rule)
    assert findings
    assert {(f.rule, f.suppressed) for f in findings} == {(rule, REASON)}
    assert not any(f.failing for f in findings)


@pytest.mark.parametrize("rule", [rule for rule, ex in EXAMPLES.items() if not ex.silence])
def test_a_rule_said_not_to_be_silenced_is_not(rule: str) -> None:
    """Whatever node says it, the finding still counts (it is not about a node)."""
    model = EXAMPLES[rule].model
    for node in yaml.safe_load(model)["nodes"]:
        findings = _findings(_with_ignore(model, node["id"], rule), rule)
        assert any(f.rule == rule and f.failing for f in findings), node["id"]


@pytest.mark.parametrize("rule", list(RUN_EXAMPLES))
def test_the_run_example_breaks_its_rule_and_no_other(rule: str) -> None:
    example = RUN_EXAMPLES[rule]
    assert ALL_RULES[rule].dynamic
    assert example.scenario is not None
    assert example.silence is None  # run rules cannot be switched off
    loaded = load_model_text(example.model, f"{rule}.yaml")
    report = check(loaded, scenarios=[example.scenario], jobs=1)
    counted = [f for f in report.findings if f.suppressed is None]
    assert counted
    assert [f.rule for f in counted] == [rule] * len(counted)
    assert [f.scope for f in counted] != ["lint"] * len(counted)
