"""``encrypted_at_rest`` on queues and topics (issue D5): they keep no records the run
scans, so the messages sent to them are judged, by what their edges say they carry against
the queue's or topic's key; a topic delivers on what it was given, pii included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archgen.model import load_model_text
from archgen.runtime.check.api import check_run
from archgen.runtime.check.report import Scope
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import line_of, mutate

CLINIC = """\
archgen: 1
system: {id: clinic, name: Clinic referrals}
groups:
  - {id: euw1, kind: region, code: eu-west-1}
nodes:
  - {id: patients, kind: client}
  - {id: intake, kind: external}
  - {id: referrals, kind: sqs, group: euw1, params: {kms_key: records-key}}
  - {id: records-key, kind: kms, group: euw1}
  - id: updates
    kind: sns
    group: euw1
    params:
      subscriptions: [{endpoint: archive, protocol: sqs}]
  - {id: archive, kind: sqs, group: euw1}
edges:
  - {from: patients, to: intake, operations: [POST /referrals], data: pii}
  - {from: intake, to: referrals, operations: [SendMessage], mode: async, data: pii}
  - {from: intake, to: updates, operations: [Publish], mode: async, data: pii}
  - {from: updates, to: archive, operations: [SendMessage], mode: async}
flows:
  - id: refer
    title: Refer a patient
    steps:
      - {from: patients, to: intake, op: POST /referrals}
      - {from: intake, to: referrals, op: SendMessage}
      - {from: intake, to: updates, op: Publish}
journeys:
  - {id: visit, title: Visit, client: patients, flows: [{flow: refer}]}
scenarios:
  - id: day
    title: A day
    duration_s: 30
    traffic: {sessions_per_s: 1, mix: {visit: 1}}
invariants:
  - {id: no-plaintext, rule: encrypted_at_rest, targets: [referrals, updates, archive]}
"""


def _check(text: str, folder: Path) -> tuple[Scope, list[dict[str, Any]]]:
    loaded = load_model_text(text, "clinic.yaml")
    run_scenario(loaded.model, "day", out=folder)
    lines = (folder / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    return check_run(loaded, RunFolder.open(folder)), [json.loads(line) for line in lines]


def _sent(spans: list[dict[str, Any]], node: str) -> list[dict[str, Any]]:
    found = [s for s in spans if s["node"] == node and s["status"] == "ok"]
    return sorted(found, key=lambda s: (s["start_ms"], s["span"]))


def test_pii_in_a_topic_without_a_key_fails_and_so_does_its_subscribed_queue(
    tmp_path: Path,
) -> None:
    scope, spans = _check(CLINIC, tmp_path)
    published, archived = _sent(spans, "updates"), _sent(spans, "archive")
    n = len(published)
    assert n > 10
    assert len(archived) == n
    how = f"0 KMS envelope (client-side), 0 SSE-KMS, {n} unencrypted"
    first = archived[0]["attrs"]["message_id"]
    assert [f"[{f.rule}] {f.message}" for f in scope.findings] == [
        f"[encrypted-at-rest] invariant 'no-plaintext' in day: 'updates' held {n} of {n} "
        "messages with pii data unencrypted at rest (no kms_key on it, no encrypted_with on "
        f"the sender's edge), e.g. the Publish from 'intake' (trace {published[0]['trace']}); "
        f"sensitive messages stored as {how}",
        # The subscription's edge says nothing about the data: the message keeps the pii
        # it was published with.
        f"[encrypted-at-rest] invariant 'no-plaintext' in day: 'archive' held {n} of {n} "
        "messages with pii data unencrypted at rest (no kms_key on it, no encrypted_with on "
        f"the sender's edge), e.g. message '{first}' from 'updates' (trace "
        f"{archived[0]['trace']}); sensitive messages stored as {how}",
    ]
    line = line_of(CLINIC, "rule: encrypted_at_rest")
    assert [(f.line, f.path) for f in scope.findings] == [
        (line, "invariants[0].targets[1]"),
        (line, "invariants[0].targets[2]"),
    ]
    assert dict(scope.findings[0].values) == {
        "messages": n,
        "sensitive_messages": n,
        "sensitive_unencrypted": n,
    }
    facts = dict(scope.facts)
    sent = len(_sent(spans, "referrals"))
    assert facts["at rest referrals"] == (
        f"{sent} messages sent, {sent} with sensitive data: 0 KMS envelope (client-side), "
        f"{sent} SSE-KMS, 0 unencrypted"
    )
    assert facts["at rest updates"] == f"{n} messages sent, {n} with sensitive data: {how}"


def test_keys_on_the_topic_and_queue_keep_the_invariant(tmp_path: Path) -> None:
    text = mutate(
        CLINIC,
        "      subscriptions: [{endpoint: archive, protocol: sqs}]\n",
        "      kms_key: records-key\n      subscriptions: [{endpoint: archive, protocol: sqs}]\n",
    )
    text = mutate(
        text,
        "{id: archive, kind: sqs, group: euw1}",
        "{id: archive, kind: sqs, group: euw1, params: {kms_key: records-key}}",
    )
    scope, spans = _check(text, tmp_path)
    assert scope.findings == ()
    n = len(_sent(spans, "archive"))
    assert n > 10
    assert dict(scope.facts)["at rest archive"] == (
        f"{n} messages sent, {n} with sensitive data: 0 KMS envelope (client-side), "
        f"{n} SSE-KMS, 0 unencrypted"
    )


def test_a_queue_that_held_nothing_sensitive_says_so(tmp_path: Path) -> None:
    """Without pii on the edges, an unencrypted topic and queue hold nothing to protect."""
    text = mutate(
        CLINIC,
        "  - {from: intake, to: updates, operations: [Publish], mode: async, data: pii}\n",
        "  - {from: intake, to: updates, operations: [Publish], mode: async}\n",
    )
    scope, spans = _check(text, tmp_path)
    assert scope.findings == ()
    n = len(_sent(spans, "archive"))
    facts = dict(scope.facts)
    assert facts["at rest updates"] == f"{n} messages sent, none with sensitive data"
    assert facts["at rest archive"] == f"{n} messages sent, none with sensitive data"
    assert dict(scope.measures)["at rest archive"] == (
        ("messages", n),
        ("sensitive_messages", 0),
        ("sensitive_unencrypted", 0),
    )
