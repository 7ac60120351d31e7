"""FIFO message groups, as the model declares them: a courier's position reports are
applied in the sequence sent when the queue is FIFO and grouped by courier (the send step's
``key``), and the ``ordered_per_group`` invariant catches a standard queue reordering them
(concurrent pollers, batches coming back after a crash)."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from archgen.model import load_model_text
from archgen.runtime.check.api import check_run
from archgen.runtime.check.report import Scope
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import line_of

COURIERS = Path(__file__).parent / "models" / "couriers.yaml"
FIFO = COURIERS.read_text(encoding="utf-8")
STANDARD = (
    FIFO.replace("positions.fifo", "positions")
    .replace("positions-dlq.fifo", "positions-dlq")
    .replace("fifo: true", "fifo: false")
)


def run_and_check(text: str, folder: Path) -> tuple[Scope, list[dict[str, Any]], dict[str, Any]]:
    loaded = load_model_text(text, "couriers.yaml")
    run_scenario(loaded.model, "lunch", out=folder)
    scope = check_run(loaded, RunFolder.open(folder))
    lines = (folder / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return scope, [json.loads(line) for line in lines], summary


def overlapping_batches(spans: list[dict[str, Any]], queue: str) -> int:
    """Pairs of one group's batches that ran at the same time (FIFO: one batch in flight
    per group)."""
    group_of = {
        s["attrs"]["message_id"]: s["attrs"]["group"]
        for s in spans
        if s["node"] == queue and s["op"] == "SendMessage" and s["status"] == "ok"
    }
    batches = {s["span"]: s for s in spans if s["node"] == "tracker" and s["op"] == "Invoke"}
    per_group: dict[str, set[str]] = defaultdict(set)
    for s in spans:
        if s["node"] == "tracker" and "batch" in s["attrs"] and "message_id" in s["attrs"]:
            per_group[group_of[s["attrs"]["message_id"]]].add(s["attrs"]["batch"])
    overlaps = 0
    for ids in per_group.values():
        runs = sorted((batches[i]["start_ms"], batches[i]["end_ms"]) for i in ids)
        overlaps += sum(1 for a, b in itertools.pairwise(runs) if b[0] < a[1])
    return overlaps


@pytest.fixture(scope="module")
def fifo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scope, list[dict[str, Any]], Any]:
    return run_and_check(FIFO, tmp_path_factory.mktemp("fifo"))


@pytest.fixture(scope="module")
def standard(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Scope, list[dict[str, Any]], Any]:
    return run_and_check(STANDARD, tmp_path_factory.mktemp("standard"))


def test_a_fifo_queue_keeps_each_couriers_order(fifo: Any) -> None:
    scope, spans, summary = fifo
    assert [f"[{f.rule}] {f.message}" for f in scope.findings] == []
    books = summary["pipeline"]["queues"]["positions.fifo"]
    sent = books["sent"]
    assert sent > 1000
    assert books["in_dlq"] > 0  # crashes exhausted some messages: the group moved on
    facts = dict(scope.facts)
    assert facts["sequence positions.fifo"] == (
        f"{sent} messages in 12 groups, 0 processed out of sequence"
    )
    assert dict(dict(scope.measures)["sequence positions.fifo"]) == {
        "messages": sent,
        "groups": 12,
        "out_of_order": 0,
        "groups_out_of_order": 0,
    }
    assert summary["nodes"]["positions.fifo"]["queue"]["groups"] == 12
    assert overlapping_batches(spans, "positions.fifo") == 0


def test_a_standard_queue_breaks_the_order_and_the_invariant_says_where(standard: Any) -> None:
    scope, spans, summary = standard
    (finding,) = scope.findings
    measures = dict(dict(scope.measures)["sequence positions"])
    late = measures["out_of_order"]
    sent = summary["pipeline"]["queues"]["positions"]["sent"]
    assert sent > 1000
    assert late > 100
    assert measures["groups_out_of_order"] == 12
    assert finding.rule == "ordered-per-group"
    head, example = finding.message.split(", e.g. ")
    assert head == (
        f"invariant 'in-sequence' in lunch: {late} of {sent} messages sent to 'positions' were "
        "processed out of sequence within their group (12 of 12 groups)"
    )
    # The example names a real message and the earlier one of its group it overtook.
    later, group, earlier = example.split("'")[1:6:2]
    sends = {
        s["attrs"]["message_id"]: s
        for s in spans
        if s["node"] == "positions" and s["op"] == "SendMessage"
    }
    assert sends[later]["attrs"]["group"] == sends[earlier]["attrs"]["group"] == group
    assert sends[earlier]["start_ms"] <= sends[later]["start_ms"]
    assert (finding.line, finding.path) == (
        line_of(STANDARD, "rule: ordered_per_group"),
        "invariants[0].targets[0]",
    )
    assert overlapping_batches(spans, "positions") > 0


def test_without_a_key_a_standard_queue_cannot_be_judged(tmp_path: Path) -> None:
    text = STANDARD.replace("op: SendMessage, key: courier}", "op: SendMessage}")
    scope, _, summary = run_and_check(text, tmp_path)
    sent = summary["pipeline"]["queues"]["positions"]["sent"]
    assert [f"[{f.rule}] {f.message}" for f in scope.findings] == [
        f"[ordered-per-group] invariant 'in-sequence' in lunch: cannot be judged: none of the "
        f"{sent} messages sent to 'positions' has a message group (declare a `key` on the "
        "step that sends them)"
    ]


def test_a_queue_behind_a_fifo_topic_groups_by_the_publish_key() -> None:
    """SNS FIFO passes the publish's message group on: the delivery step names no key."""
    text = (
        FIFO.replace(
            "  - {from: ingest, to: positions.fifo, operations: [SendMessage], protocol: aws-api, "
            "mode: async}\n",
            "  - {from: ingest, to: moves.fifo, operations: [Publish], protocol: aws-api}\n"
            "  - {from: moves.fifo, to: positions.fifo, operations: [Deliver], protocol: aws-api, "
            "mode: async}\n",
        )
        .replace(
            "      - {from: ingest, to: positions.fifo, op: SendMessage, key: courier}\n",
            "      - {from: ingest, to: moves.fifo, op: Publish, key: courier}\n"
            "      - {from: moves.fifo, to: positions.fifo, op: Deliver}\n",
        )
        .replace(
            "  - {id: positions-dlq.fifo,",
            "  - id: moves.fifo\n    kind: sns\n    group: r1\n    params:\n      fifo: true\n"
            "      subscriptions: [{endpoint: positions.fifo, protocol: sqs}]\n"
            "  - {id: positions-dlq.fifo,",
        )
    )
    assert text.count("moves.fifo") == 5
    result = run_scenario(load_model_text(text, "couriers.yaml").model, "lunch", keep_spans=True)
    groups = {
        s["attrs"]["group"]
        for s in result.spans
        if s["node"] == "positions.fifo" and s["op"] == "Deliver" and s["status"] == "ok"
    }
    assert groups == {f"courier-{i}" for i in range(12)}
