"""The model's invariants on real runs of the ticket shop: each planted defect (in the
runtime, through its behavior registry or its cipher, or in the model) is caught with a
precise message, and the faithful runtime keeps every invariant under the same faults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archgen.model import LoadedModel, load_model_text
from archgen.runtime.aws import kms_envelope
from archgen.runtime.behavior import Behavior, Call
from archgen.runtime.behaviors import load_registry
from archgen.runtime.behaviors.lambda_ import Lambda, _Batch
from archgen.runtime.behaviors.sqs import DeleteRequest, Delivery
from archgen.runtime.check.api import check_run
from archgen.runtime.check.report import Scope
from archgen.runtime.check.spans import RunFolder
from archgen.runtime.session import run_scenario
from tests.check.helpers import line_of, mutate

CRASHES = "    faults: [{type: consumer_crash, target: worker, start_s: 20, end_s: 100, rate: 0.5}]"


def crashing(text: str) -> str:
    """The worker crashes mid-batch half of the time for 80 s; one poller with a batching
    window gives it batches of several messages, so a crash can follow messages already
    processed (they come back, and must not take effect again)."""
    text = mutate(
        text,
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n",
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n" + CRASHES + "\n",
    )
    return mutate(
        text,
        "event_source: {queue: orders}",
        "reserved_concurrency: 1\n"
        "      event_source: {queue: orders, batch_size: 10, max_batching_window_s: 10}",
    )


def with_effect(text: str) -> str:
    """The worker reads the ticket, then marks it sold: the write is an effect that must
    happen once per order; the read may repeat."""
    text = mutate(
        text,
        "      - {from: worker, to: orders, op: ReceiveMessage}\n",
        "      - {from: worker, to: orders, op: ReceiveMessage}\n"
        "      - {from: worker, to: tickets, op: GetItem}\n"
        "      - {from: worker, to: tickets, op: UpdateItem}\n",
    )
    text = mutate(
        text,
        "  - {from: worker, to: orders, operations: [ReceiveMessage, DeleteMessage], "
        "protocol: aws-api, data: pii}\n",
        "  - {from: worker, to: orders, operations: [ReceiveMessage, DeleteMessage], "
        "protocol: aws-api, data: pii}\n"
        "  - {from: worker, to: tickets, operations: [GetItem, UpdateItem], protocol: aws-api, "
        "data: pii}\n",
    )
    return mutate(
        text,
        '              Resource: "arn:aws:sqs:eu-west-1:123456789012:orders"\n  - id: watch',
        '              Resource: "arn:aws:sqs:eu-west-1:123456789012:orders"\n'
        "            - Effect: Allow\n"
        "              Action: [dynamodb:GetItem, dynamodb:UpdateItem]\n"
        '              Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/tickets"\n'
        "  - id: watch",
    )


CARD_EDGE = "  - {from: app, to: tickets, operations: [GetItem, PutItem], protocol: aws-api, data: "


def card_data(text: str, *, encrypted: bool) -> str:
    """Purchases store card data in the tickets table, through a KMS envelope or not."""
    return mutate(
        text,
        CARD_EDGE + "pii}",
        CARD_EDGE + ("card, encrypted_with: data-key}" if encrypted else "card}"),
    )


def run_and_check(
    text: str, folder: Path, registry: dict[str, type[Behavior]] | None = None
) -> tuple[LoadedModel, Scope, dict[str, Any]]:
    loaded = load_model_text(text, "tickets.yaml")
    run_scenario(loaded.model, "quiet", out=folder, registry=registry)
    scope = check_run(loaded, RunFolder.open(folder))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return loaded, scope, summary


def failing(scope: Scope) -> list[str]:
    return [f"[{f.rule}] {f.message}" for f in scope.findings]


def test_the_faithful_runtime_keeps_every_invariant_through_crashes(
    tickets_text: str, tmp_path: Path
) -> None:
    text = card_data(with_effect(crashing(tickets_text)), encrypted=True)
    _, scope, summary = run_and_check(text, tmp_path)
    assert failing(scope) == []
    consumer = summary["nodes"]["worker"]["consumer"]
    assert consumer["crashes"] > 0
    assert consumer["duplicates_suppressed"] > 0  # redeliveries happened, and were absorbed
    books = summary["pipeline"]["queues"]["orders"]
    facts = dict(scope.facts)
    assert facts["messages orders"] == (
        f"sent {books['sent']} = processed {books['processed']} + in the dead-letter "
        f"queue {books['in_dlq']} + still in the queue {books['in_queue']} + lost 0"
    )
    assert books["in_dlq"] + books["in_queue"] > 0
    fulfilled = books["processed"]
    assert facts["effects worker"] == f"{fulfilled} messages, 0 with an effect more than once"
    assert facts["at rest tickets"].endswith("; 0 plaintext sensitive values")


class EagerDeleter(Lambda):
    """Defect: acknowledges (deletes) a batch as soon as it arrives, before processing it;
    a crash then loses the rest of the batch."""

    def _invoke(self, poll: Call, deliveries: list[Delivery]) -> None:
        assert self.source is not None
        handles = [delivery.message.receipt_handle for delivery in deliveries]
        self.ctx.call(
            None,
            self.source.queue,
            "DeleteMessage",
            lambda _: None,
            trace=poll.trace,
            payload=DeleteRequest(handles),
        )
        super()._invoke(poll, deliveries)


def test_consumer_deleting_before_processing_loses_orders(
    tickets_text: str, tmp_path: Path
) -> None:
    text = crashing(tickets_text)
    registry = {**load_registry(), "lambda": EagerDeleter}
    _, scope, summary = run_and_check(text, tmp_path, registry)
    books = summary["pipeline"]["queues"]["orders"]
    lost, sent = books["lost"], books["sent"]
    assert lost > 0
    assert failing(scope) == [
        f"[no-lost-messages] invariant 'no-lost-orders' in quiet: {lost} of {sent} "
        f"messages sent to 'orders' were lost: neither processed, nor in the dead-letter "
        f"queue, nor still in the queue (sent {sent} = processed {books['processed']} + "
        f"in the dead-letter queue {books['in_dlq']} + still in the queue "
        f"{books['in_queue']} + lost {lost})"
    ]
    (finding,) = scope.findings
    assert (finding.line, finding.path) == (
        line_of(text, "rule: no_lost_messages"),
        "invariants[0].targets[0]",
    )
    counts = {k: books[k] for k in ("sent", "processed", "in_dlq", "in_queue", "lost")}
    assert dict(finding.values) == counts
    assert dict(dict(scope.measures)["messages orders"]) == counts


class Forgetful(Lambda):
    """Defect: the idempotency check never finds a record, so a redelivered message that
    was already processed runs again."""

    def _next_message(self, batch: _Batch) -> None:
        pending = {d.message.message_id for d in batch.deliveries[batch.index :]}
        hidden = pending & self.processed
        self.processed -= hidden
        try:
            super()._next_message(batch)
        finally:
            self.processed |= hidden


def test_consumer_without_idempotency_has_effects_twice(tickets_text: str, tmp_path: Path) -> None:
    text = with_effect(crashing(tickets_text))
    registry = {**load_registry(), "lambda": Forgetful}
    _, scope, summary = run_and_check(text, tmp_path, registry)
    twice = summary["nodes"]["worker"]["consumer"]["applied_twice"]
    assert twice > 0
    (message,) = failing(scope)
    prefix, example = message.split(", e.g. ")
    assert prefix == (
        f"[exactly-once] invariant 'orders-once' in quiet: {twice} message"
        f"{'s' if twice != 1 else ''} consumed by 'worker' had an effect more than once"
    )
    lines = (tmp_path / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    spans = [json.loads(line) for line in lines]
    message_id = example.split("'")[1]
    works = {
        s["span"]
        for s in spans
        if s["op"] == "Invoke" and s["attrs"].get("message_id") == message_id
    }
    updates = [s for s in spans if s["parent"] in works and s["op"] == "UpdateItem"]
    assert len(updates) >= 2
    traces = ", ".join(sorted({s["trace"] for s in updates}))
    assert example == (
        f"'{message_id}': worker -> tickets: UpdateItem {len(updates)} times (traces {traces})"
    )


def reads_before_a_failing_write(text: str) -> str:
    """Between its read and its write the worker posts to a partner's ledger, which is
    out for 40 s: the message fails after its read, comes back after the visibility
    timeout, and reads again before its writes succeed, once."""
    text = mutate(
        text,
        "      - {from: worker, to: tickets, op: GetItem}\n",
        "      - {from: worker, to: tickets, op: GetItem}\n"
        "      - {from: worker, to: ledger, op: POST /entries}\n",
    )
    text = mutate(
        text,
        "  - {id: data-key, kind: kms, group: eu-west-1}\n",
        "  - {id: data-key, kind: kms, group: eu-west-1}\n  - {id: ledger, kind: external}\n",
    )
    text = mutate(
        text,
        "  - {from: orders, to: orders-dlq,",
        "  - {from: worker, to: ledger, operations: [POST /entries], data: pii}\n"
        "  - {from: orders, to: orders-dlq,",
    )
    return mutate(
        text,
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n",
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n"
        "    faults: [{type: node_outage, target: ledger, start_s: 20, end_s: 60}]\n",
    )


def test_a_read_repeated_on_redelivery_is_no_second_effect(
    tickets_text: str, tmp_path: Path
) -> None:
    """Issue D3: a message whose write failed after a successful read is read again when
    it comes back; the read changes nothing, so the idempotent consumer keeps the
    invariant (it was reported as an effect twice)."""
    text = reads_before_a_failing_write(with_effect(tickets_text))
    _, scope, summary = run_and_check(text, tmp_path)
    lines = (tmp_path / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    spans = [json.loads(line) for line in lines]
    works = {
        s["span"]: s["attrs"]["message_id"]
        for s in spans
        if s["node"] == "worker" and s["op"] == "Invoke" and "message_id" in s["attrs"]
    }
    reads: dict[str, int] = {}
    writes: dict[str, int] = {}
    for s in spans:
        message = works.get(s["parent"])
        if message is None or s["status"] != "ok":
            continue
        if s["op"] == "GetItem":
            reads[message] = reads.get(message, 0) + 1
        elif s["op"] == "UpdateItem":
            writes[message] = writes.get(message, 0) + 1
    reread = sorted(m for m, count in reads.items() if count > 1)
    assert reread  # the case in point happened: reads repeated on redelivery
    assert set(writes.values()) == {1}
    assert failing(scope) == []
    processed = summary["pipeline"]["queues"]["orders"]["processed"]
    assert processed == len(writes)
    assert dict(scope.facts)["effects worker"] == (
        f"{processed} messages, 0 with an effect more than once"
    )


def test_card_data_stored_without_envelope_encryption(tickets_text: str, tmp_path: Path) -> None:
    """The table's KMS key is dropped and the lint silenced with a false reason: the lint
    passes, the run's scan of the stored bytes does not."""
    text = card_data(tickets_text, encrypted=False)
    text = mutate(
        text,
        "{id: tickets, kind: dynamodb, group: eu-west-1, params: {kms_key: data-key}}",
        "{id: tickets, kind: dynamodb, group: eu-west-1,\n"
        "     lint_ignore: {kms-at-rest: card numbers are tokenised upstream}}",
    )
    loaded, scope, _ = run_and_check(text, tmp_path)
    from archgen.runtime.check import lint

    assert [f.rule for f in lint(loaded).findings if f.failing] == []
    records = json.loads((tmp_path / "data-at-rest.json").read_text(encoding="utf-8"))
    stored = records["stores"]["tickets"]
    purchases = stored["plaintext_sensitive_records"]
    assert 0 < purchases == stored["records"] == stored["none"]
    # Each record holds a card number and its holder's email address.
    assert stored["plaintext_by_class"] == {"card": purchases, "pii": purchases}
    assert failing(scope) == [
        f"[encrypted-at-rest] invariant 'no-plaintext-cards' in quiet: 'tickets' holds "
        f"{2 * purchases} plaintext sensitive values ({purchases} primary account numbers, "
        f"{purchases} email addresses) at rest, in {purchases} of {stored['records']} "
        f"records (first: record {stored['first_plaintext_sensitive_record']}; records stored as "
        f"0 KMS envelope (client-side), 0 SSE-KMS, {stored['records']} unencrypted)"
    ]
    assert scope.findings[0].line == line_of(text, "rule: encrypted_at_rest")
    # The numbers the message quotes, for check --format json (issue 11.4).
    assert dict(scope.findings[0].values) == {
        "plaintext_sensitive_values": 2 * purchases,
        "plaintext_sensitive_records": purchases,
        "records": stored["records"],
    }
    assert dict(scope.measures)["at rest tickets"] == (
        ("records", stored["records"]),
        ("plaintext_sensitive_values", 2 * purchases),
    )


def test_personal_data_stored_in_the_clear(tickets_text: str, tmp_path: Path) -> None:
    """A table of personal data (the edge's ``data: pii``) without its KMS key: the scan
    finds the email addresses in the stored bytes, as it finds card numbers."""
    text = mutate(
        tickets_text,
        "{id: tickets, kind: dynamodb, group: eu-west-1, params: {kms_key: data-key}}",
        "{id: tickets, kind: dynamodb, group: eu-west-1,\n"
        '     lint_ignore: {kms-at-rest: "names only"}}',
    )
    _, scope, _ = run_and_check(text, tmp_path)
    stored = json.loads((tmp_path / "data-at-rest.json").read_text(encoding="utf-8"))
    stored = stored["stores"]["tickets"]
    written = stored["plaintext_sensitive_records"]
    assert 0 < written == stored["records"] == stored["none"]
    assert stored["plaintext_by_class"] == {"card": 0, "pii": written}
    assert failing(scope) == [
        f"[encrypted-at-rest] invariant 'no-plaintext-cards' in quiet: 'tickets' holds "
        f"{written} plaintext sensitive values ({written} email addresses) at rest, in "
        f"{written} of {written} records (first: record "
        f"{stored['first_plaintext_sensitive_record']}; records stored as 0 KMS envelope "
        f"(client-side), 0 SSE-KMS, {written} unencrypted)"
    ]


def test_a_cipher_that_does_not_encrypt(
    tickets_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect in the runtime: records are labelled encrypted but stored in the clear; the
    check scans bytes, not labels."""

    def null_cipher(
        data_key: kms_envelope.DataKey, plaintext: bytes, aad: bytes = b""
    ) -> kms_envelope.Envelope:
        return kms_envelope.Envelope(
            data_key.key_id, data_key.ciphertext_blob, bytes(12), plaintext
        )

    monkeypatch.setattr(kms_envelope, "seal", null_cipher)
    _, scope, _ = run_and_check(card_data(tickets_text, encrypted=True), tmp_path)
    (message,) = failing(scope)
    assert message.startswith(
        "[encrypted-at-rest] invariant 'no-plaintext-cards' in quiet: 'tickets' holds "
    )
    assert message.endswith(" 0 unencrypted)")
    assert "records stored as 0 KMS envelope (client-side), " in message


def test_the_data_at_rest_scan_is_deterministic(tickets_text: str, tmp_path: Path) -> None:
    model = load_model_text(card_data(tickets_text, encrypted=True), "tickets.yaml").model
    texts = []
    for name in ("a", "b"):
        run_scenario(model, "quiet", out=tmp_path / name)
        texts.append((tmp_path / name / "data-at-rest.json").read_text(encoding="utf-8"))
    assert texts[0] == texts[1]
    stores = json.loads(texts[0])["stores"]
    assert list(stores) == ["tickets"]
    assert stores["tickets"]["plaintext_sensitive_values"] == 0
    assert stores["tickets"]["first_plaintext_sensitive_record"] is None


def test_a_dead_letter_queue_holds_what_its_messages_carried(
    tickets_text: str, tmp_path: Path
) -> None:
    """Issue D5: a message moved to the dead-letter queue keeps the pii it was sent with,
    whatever the redrive edge says; a dead-letter queue without a key holds it in the
    clear. The worker crashes on every batch, so messages end there."""
    text = mutate(
        tickets_text,
        "  - {id: orders-dlq, kind: sqs, group: eu-west-1, params: {kms_key: data-key}}",
        "  - {id: orders-dlq, kind: sqs, group: eu-west-1}",
    )
    text = mutate(
        text,
        "operations: [Redrive], protocol: aws-api, mode: async, data: pii}",
        "operations: [Redrive], protocol: aws-api, mode: async}",
    )
    text = mutate(
        text,
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n",
        "    traffic: {sessions_per_s: 2, mix: {visit: 1}}\n"
        "    faults: [{type: consumer_crash, target: worker, rate: 1}]\n",
    )
    text = mutate(
        text,
        "rule: encrypted_at_rest, targets: [tickets]}",
        "rule: encrypted_at_rest, targets: [tickets, orders, orders-dlq]}",
    )
    _, scope, summary = run_and_check(text, tmp_path)
    moved = summary["pipeline"]["queues"]["orders"]["in_dlq"]
    sent = summary["pipeline"]["queues"]["orders"]["sent"]
    assert 0 < moved < sent
    lines = (tmp_path / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    redrives = [
        s
        for s in map(json.loads, lines)
        if s["op"] == "Redrive" and s["node"] == "orders-dlq" and s["status"] == "ok"
    ]
    first = min(redrives, key=lambda s: (s["start_ms"], s["span"]))
    encrypted = [f"[{f.rule}] {f.message}" for f in scope.findings if f.rule == "encrypted-at-rest"]
    assert encrypted == [
        f"[encrypted-at-rest] invariant 'no-plaintext-cards' in quiet: 'orders-dlq' held "
        f"{moved} of {moved} messages with pii data unencrypted at rest (no kms_key on it, no "
        f"encrypted_with on the sender's edge), e.g. message '{first['attrs']['message_id']}' "
        f"from 'orders' (trace {first['trace']}); sensitive messages stored as 0 KMS envelope "
        f"(client-side), 0 SSE-KMS, {moved} unencrypted"
    ]
    assert dict(scope.facts)["at rest orders"] == (
        f"{sent} messages sent, {sent} with sensitive data: 0 KMS envelope (client-side), "
        f"{sent} SSE-KMS, 0 unencrypted"
    )
