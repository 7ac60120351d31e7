"""Hover cards of nodes that work on other nodes' calls: a WAF screens the requests to the
nodes it protects, a VPC endpoint or NAT gateway carries calls out of a private subnet, a
KMS key encrypts stores at rest. None of them receives a call of its own, so "no call"
would say they did nothing (trial 28, item 16); their cards say what the run counted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archgen.model import load_model
from archgen.model.schema import Model
from archgen.site.results import NodeLoad, ScenarioResult, simulate
from archgen.site.viewer import cards

TELEMETRY = Path(__file__).parent / "models" / "telemetry.yaml"


def result(scenario: str, *loads: NodeLoad) -> ScenarioResult:
    return ScenarioResult(
        scenario=scenario,
        summary=(),
        charts=(),
        flows=(),
        conformance=(),
        conformance_verdict="",
        facts=(),
        nodes=loads,
    )


def card_load(model: Model, load: NodeLoad) -> tuple[str, ...]:
    scenario = model.scenarios[0]
    return cards(model, {scenario.id: result(scenario.id, load)})[("node", load.node)].load


def test_reference_waf_says_what_it_inspected_and_blocked() -> None:
    model = load_model(None).model
    waf = next(node for node in model.nodes if node.kind == "waf")
    load = NodeLoad(waf.id, 0, 0, 0.0, inspected_per_s=560.693, blocked_per_s=12.5)
    assert card_load(model, load) == (
        f"{model.scenarios[0].title}: inspected 560.7 requests/s, blocked 12.5/s",
    )


def test_reference_key_used_only_at_rest_says_why_it_has_no_call() -> None:
    """The reference model's data key is named as ``kms_key`` by 9 stores."""
    model = load_model(None).model
    load = NodeLoad("data-key", 0, 0, 0.0)
    assert card_load(model, load) == (
        f"{model.scenarios[0].title}: encrypts at rest for 9 nodes; no call in a run "
        "(encryption at rest, SSE-KMS included, is not simulated as calls to the key)",
    )


def test_endpoint_and_nat_say_what_they_carried() -> None:
    model = load_model(TELEMETRY).model
    assert card_load(model, NodeLoad("archive-endpoint", 0, 0, 0.0, carried_per_s=1.235)) == (
        "A calm hour: carried 1.2 calls/s",
    )
    assert card_load(
        model, NodeLoad("egress", 0, 0, 0.0, carried_per_s=0.0, dropped_per_s=1.5)
    ) == ("A calm hour: carried no call, dropped 1.5/s",)


def test_nodes_that_did_nothing_still_say_so() -> None:
    model = load_model(TELEMETRY).model
    assert card_load(model, NodeLoad("shield", 0, 0, 0.0, inspected_per_s=0.0)) == (
        "A calm hour: inspected no request",
    )
    assert card_load(model, NodeLoad("shield", 0, 0, 0.0, inspected_per_s=2.5)) == (
        "A calm hour: inspected 2.5 requests/s",
    )
    assert card_load(model, NodeLoad("waf", 0, 0, 0.0, inspected_per_s=2.5, blocked_per_s=0.0)) == (
        "A calm hour: inspected 2.5 requests/s, blocked none",
    )
    assert card_load(model, NodeLoad("stations", 0, 0, 0.0)) == ("A calm hour: no call",)


@pytest.fixture(scope="module")
def private_telemetry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The telemetry model with its ingest fleet in a private subnet writing a raw copy of
    each reading to the archive bucket (through the S3 endpoint; its queue calls through
    the NAT gateway) and a WAF rate rule low enough for the calm hour's attack to trip."""
    text = TELEMETRY.read_text(encoding="utf-8")
    for old, new in (
        (
            "  - {id: public-euw1, kind: subnet, parent: vpc-euw1, public: true}\n",
            "  - {id: public-euw1, kind: subnet, parent: vpc-euw1, public: true}\n"
            "  - {id: private-euw1, kind: subnet, parent: vpc-euw1}\n",
        ),
        ("    kind: ec2\n    group: vpc-euw1\n", "    kind: ec2\n    group: private-euw1\n"),
        (
            "Action: [sqs:SendMessage], Resource",
            "Action: [sqs:SendMessage, s3:PutObject], Resource",
        ),
        ('NotAction: ["sqs:*"]', 'NotAction: ["sqs:*", "s3:*"]'),
        (
            "params: {protects: [ingest-alb]}}",
            "params: {protects: [ingest-alb], rate_rule: {limit: 10, window_s: 60}}}",
        ),
        (
            "  - {from: cdn, to: archive,",
            "  - {from: ingest, to: archive, operations: [PutObject], protocol: aws-api}\n"
            "  - {from: cdn, to: archive,",
        ),
        (
            "      - {from: ingest, to: readings-queue, op: SendMessage}\n",
            "      - {from: ingest, to: archive, op: PutObject}\n"
            "      - {from: ingest, to: readings-queue, op: SendMessage}\n",
        ),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path_factory.mktemp("private-telemetry") / "telemetry.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_run_of_a_second_model_fills_the_cards(private_telemetry: Path) -> None:
    """The calm hour (60 s at scale 1): the WAF inspects the 426 requests to the load
    balancer and blocks 23 of the attack's; the endpoint carries the 403 copies to S3 and
    the NAT gateway the 403 messages to SQS; the table's key only encrypts at rest."""
    loaded = load_model(private_telemetry)
    reduced = simulate(loaded, "calm")
    by_node = {load.node: load for load in reduced.nodes}
    assert (by_node["waf"].inspected_per_s, by_node["waf"].blocked_per_s) == (7.1, 0.383)
    assert (by_node["archive-endpoint"].carried_per_s, by_node["egress"].carried_per_s) == (
        6.717,
        6.717,
    )
    assert by_node["ingest-alb"].inspected_per_s is None
    shown = cards(loaded.model, {"calm": reduced})
    assert shown[("node", "waf")].load == ("A calm hour: inspected 7.1 requests/s, blocked 0.4/s",)
    assert shown[("node", "archive-endpoint")].load == ("A calm hour: carried 6.7 calls/s",)
    assert shown[("node", "egress")].load == ("A calm hour: carried 6.7 calls/s",)
    assert shown[("node", "readings-key")].load == (
        "A calm hour: encrypts at rest for 1 node; no call in a run "
        "(encryption at rest, SSE-KMS included, is not simulated as calls to the key)",
    )
    assert shown[("node", "ingest-alb")].load == ("A calm hour: 7.1 calls/s, 5.4 % failed",)
