"""The model's ``invariants``, judged on one run folder.

- ``no-lost-messages``: every message sent to a target queue is processed, in the
  dead-letter queue or still in the queue (in flight); none is lost. Where a message is at
  the end of the run is the queues' state, which only the runtime's books
  (``summary.json`` → ``pipeline``) know; the books are cross-checked against the spans
  (messages sent = successful sends, processed = successful consumer invocations), so
  books that miscount cannot hide a loss.
  An event router's books (an event bus: each event's delivery to each target it
  matched) are cross-checked the same way: deliveries = its successful calls to its
  targets, dead-lettered = its successful ``Redrive`` calls.
- ``exactly-once``: no message consumed by a target consumer has the same effect twice. An
  effect is a successful call of the consumer that changes something (a write, a send, a
  publish, an invocation: :func:`~archgen.runtime.aws.operations.changes_state`), other than
  on its own queue; a read (``GetSecretValue``, ``GetItem``, ``SELECT …``) or a KMS
  operation (``Decrypt``, ``GenerateDataKey``) repeated on redelivery is harmless, so it
  is none. From the spans: each consumer invocation carries the message id.
- ``ordered-per-group``: within each message group (the group a send's span notes: the
  sending step's ``key``, a FIFO queue's default), no message of a target queue is
  processed (its consumer's invocation for it succeeds) before every message of its group
  sent earlier was processed or moved to the dead-letter queue (its ``Redrive`` span). A
  message overtaken by a later one, or never processed while a later one was, counts as an
  out-of-sequence delivery of the later one. Messages sent without a group are not judged.
- ``encrypted-at-rest``: no plaintext sensitive value in the target stores, as the run's
  scan of the stored bytes found them (``data-at-rest.json``): a record labelled encrypted
  whose bytes still hold the value counts as plaintext. A target queue or topic keeps no
  records to scan: the messages sent to it (its spans) are judged instead, each sensitive
  one (its edge's ``data`` is ``pii`` or ``card``, as the ``kms-at-rest`` lint counts them)
  held unencrypted unless the queue or topic has a ``kms_key`` (SSE-KMS) or the sender's
  edge an ``encrypted_with``. SQS-managed keys (SSE-SQS), like the stores' AWS-owned keys,
  are not modelled and would not count.

Targets include their replicas (a replica stands in for its original in another region);
an invariant without targets covers every queue, consumer or store of the run.
(``no_access_denied`` is the ``no-access-denied`` rule of :mod:`.conformance`, checked in
every run.)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from archgen.model import LoadedModel
from archgen.model.base import Classification
from archgen.model.kind import Capability, EncryptableAtRest
from archgen.model.registry import has
from archgen.model.schema import Invariant, InvariantRule
from archgen.runtime.artefacts import Measure, NodeSummary
from archgen.runtime.aws.operations import changes_state
from archgen.runtime.aws.sqs_queue import send_order
from archgen.runtime.check.lint import SENSITIVE
from archgen.runtime.check.report import FindingSink, plural
from archgen.runtime.check.spans import RunFolder, Span

NOT_SENDS = (
    "ReceiveMessage",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "PurgeQueue",
    "GetQueueAttributes",
    "Redrive",
)
"""Queue operations that place no message (the runtime's SQS treats every other op on a
queue, e.g. ``SendMessage`` or an SNS ``Deliver``, as a send)."""


class InvariantCheck:
    """Judges the model's invariants on one run; :meth:`report` adds the findings."""

    def __init__(
        self,
        loaded: LoadedModel,
        sink: FindingSink,
        run: RunFolder,
        spans: Mapping[str, Span],
        *,
        scenario: str,
    ) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.sink = sink
        self.run = run
        self.spans = spans
        self.scenario = scenario
        self.queue_of = {
            node.id: queue for node in self.model.nodes if (queue := node.params.consumed_queue())
        }

    def report(self) -> list[tuple[str, str]]:
        facts: list[tuple[str, str]] = []
        for index, invariant in enumerate(self.model.invariants):
            if invariant.rule is InvariantRule.no_lost_messages:
                facts += self.no_lost_messages(index, invariant)
            elif invariant.rule is InvariantRule.exactly_once:
                facts += self.exactly_once(index, invariant)
            elif invariant.rule is InvariantRule.encrypted_at_rest:
                facts += self.encrypted_at_rest(index, invariant)
            elif invariant.rule is InvariantRule.ordered_per_group:
                facts += self.ordered_per_group(index, invariant)
        return facts

    # -- helpers

    def targets(self, invariant: Invariant, everything: list[str]) -> list[str]:
        """The invariant's targets and their replicas, in model order; all of
        ``everything`` when it names none."""
        if not invariant.targets:
            return everything
        named = set(invariant.targets)
        for target in invariant.targets:
            named.update(self.model.replicas_of(target))
        return [node.id for node in self.model.nodes if node.id in named]

    def path(self, index: int, invariant: Invariant, node: str) -> tuple[str | int, ...]:
        """The target (or the original it is a replica of) in the invariant's YAML."""
        original = self.model.original_of(node)
        for position, target in enumerate(invariant.targets):
            if target in (node, original):
                return ("invariants", index, "targets", position)
        return ("invariants", index)

    def fail(
        self,
        rule: str,
        index: int,
        invariant: Invariant,
        node: str,
        text: str,
        values: Mapping[str, Measure] | None = None,
    ) -> None:
        """Report ``text``; ``values`` are the numbers it quotes, for ``--format json``."""
        self.sink.add(
            rule,
            self.path(index, invariant, node),
            f"invariant '{invariant.id}' in {self.scenario}: {text}",
            values=values,
        )

    def _work(self, span: Span) -> bool:
        """A consumer's invocation for one queued message."""
        return (
            span.step is None
            and "message_id" in span.attrs
            and self.queue_of.get(span.node) == span.source
        )

    # -- no lost messages

    def no_lost_messages(self, index: int, invariant: Invariant) -> list[tuple[str, str]]:
        rule = "no-lost-messages"
        summary = self.run.summary
        books = None if summary is None else summary.pipeline.queues
        everything = sorted(books) if books is not None else []
        queues = self.targets(invariant, everything)
        if books is None:
            self.fail(
                rule,
                index,
                invariant,
                queues[0] if queues else "",
                "cannot be judged: summary.json has no pipeline books (re-run with this "
                "version of archgen)",
            )
            return []
        sent_ids: dict[str, set[str]] = defaultdict(set)
        processed_ids: dict[str, set[str]] = defaultdict(set)
        for span in self.spans.values():
            if span.status != "ok":
                continue
            message = span.attrs.get("message_id")
            if message is None:
                continue
            if self._work(span):
                processed_ids[span.source].add(message)
            elif not span.op.startswith(NOT_SENDS):
                sent_ids[span.node].add(message)
        facts = []
        for queue in queues:
            entry = books.get(queue)
            if entry is None:
                self.fail(
                    rule, index, invariant, queue, f"summary.json keeps no books for '{queue}'"
                )
                continue
            sent, processed, in_dlq, in_queue, lost = (
                entry.sent,
                entry.processed,
                entry.in_dlq,
                entry.in_queue,
                entry.lost,
            )
            balance = (
                f"sent {sent} = processed {processed} + in the dead-letter queue {in_dlq} "
                f"+ still in the queue {in_queue} + lost {lost}"
            )
            facts.append((f"messages {queue}", balance))
            counts = {
                "sent": sent,
                "processed": processed,
                "in_dlq": in_dlq,
                "in_queue": in_queue,
                "lost": lost,
            }
            self.sink.measure(f"messages {queue}", counts)
            seen_sent = sent_ids.get(queue, set())
            seen_processed = processed_ids.get(queue, set()) & seen_sent
            if lost:
                self.fail(
                    rule,
                    index,
                    invariant,
                    queue,
                    f"{lost} of {plural(sent, 'message')} sent to '{queue}' "
                    f"{'were' if lost != 1 else 'was'} lost: neither processed, nor in the "
                    f"dead-letter queue, nor still in the queue ({balance})",
                    counts,
                )
            elif sent != processed + in_dlq + in_queue + lost:
                self.fail(
                    rule, index, invariant, queue, f"the books do not add up: {balance}", counts
                )
            node = self.model.nodes_by_id.get(queue)
            if node is not None and has(node.kind, Capability.async_fanout):
                self._routed_spans(index, invariant, queue, processed, in_dlq)
            elif (sent, processed) != (len(seen_sent), len(seen_processed)):
                self.fail(
                    rule,
                    index,
                    invariant,
                    queue,
                    f"the run's books for '{queue}' disagree with its spans: books sent "
                    f"{sent}, processed {processed}; spans show {len(seen_sent)} messages "
                    f"sent and {len(seen_processed)} of them consumed successfully",
                    {
                        "sent": sent,
                        "processed": processed,
                        "spans_sent": len(seen_sent),
                        "spans_processed": len(seen_processed),
                    },
                )
        return facts

    def _routed_spans(
        self, index: int, invariant: Invariant, router: str, delivered: int, in_dlq: int
    ) -> None:
        """An event router's books against its spans: each delivery that succeeded is one
        successful call from it, each dead-lettered event one successful ``Redrive``."""
        calls = redrives = 0
        for span in self.spans.values():
            if span.source != router or span.status != "ok" or span.node == router:
                continue
            if span.op == "Redrive":
                redrives += 1
            else:
                calls += 1
        if (delivered, in_dlq) == (calls, redrives):
            return
        self.fail(
            "no-lost-messages",
            index,
            invariant,
            router,
            f"the run's books for '{router}' disagree with its spans: books delivered "
            f"{delivered}, dead-lettered {in_dlq}; spans show {calls} successful deliveries "
            f"and {redrives} moves to a dead-letter queue",
            {
                "processed": delivered,
                "in_dlq": in_dlq,
                "spans_delivered": calls,
                "spans_redriven": redrives,
            },
        )

    # -- exactly once

    def exactly_once(self, index: int, invariant: Invariant) -> list[tuple[str, str]]:
        consumers = self.targets(invariant, sorted(self.queue_of))
        wanted = set(consumers)
        works: dict[str, tuple[str, str]] = {}
        for span in self.spans.values():
            if span.node in wanted and self._work(span):
                works[span.span] = (span.node, str(span.attrs["message_id"]))
        effects: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
        for span in self.spans.values():
            work = works.get(span.parent) if span.parent is not None else None
            if (
                work is None
                or span.status != "ok"
                or span.node == self.queue_of[work[0]]
                or not changes_state(span.op)
            ):
                continue
            effects[(*work, span.node, span.op)].append(span.trace)
        twice: dict[str, list[tuple[str, str, str, list[str]]]] = defaultdict(list)
        for (consumer, message, node, op), traces in effects.items():
            if len(traces) > 1:
                twice[consumer].append((message, node, op, traces))
        nodes = {} if self.run.summary is None else self.run.summary.nodes
        facts = []
        for consumer in consumers:
            messages = {m for c, m in works.values() if c == consumer}
            repeated = sorted(twice.get(consumer, ()))
            applied_twice = _applied_twice(nodes.get(consumer))
            repeated_messages = len({m for m, *_ in repeated})
            self.sink.measure(
                f"effects {consumer}",
                {"messages": len(messages), "messages_with_repeated_effect": repeated_messages},
            )
            facts.append(
                (
                    f"effects {consumer}",
                    f"{plural(len(messages), 'message')}, "
                    f"{len({m for m, *_ in repeated})} with an effect more than once",
                )
            )
            if repeated:
                message, node, op, traces = repeated[0]
                self.fail(
                    "exactly-once",
                    index,
                    invariant,
                    consumer,
                    f"{plural(len({m for m, *_ in repeated}), 'message')} consumed by "
                    f"'{consumer}' had an effect more than once, e.g. '{message}': "
                    f"{consumer} -> {node}: {op} {len(traces)} times (traces "
                    f"{', '.join(sorted(set(traces)))})",
                    {"messages_with_repeated_effect": repeated_messages, "calls": len(traces)},
                )
            elif applied_twice:
                self.fail(
                    "exactly-once",
                    index,
                    invariant,
                    consumer,
                    f"the runtime counted {plural(applied_twice, 'message')} that "
                    f"'{consumer}' processed to success more than once",
                    {"applied_twice": applied_twice},
                )
        return facts

    # -- sequence within message groups

    def ordered_per_group(self, index: int, invariant: Invariant) -> list[tuple[str, str]]:
        rule = "ordered-per-group"
        queues = self.targets(invariant, sorted(set(self.queue_of.values())))
        wanted = set(queues)
        groups: dict[str, dict[str, str]] = defaultdict(dict)  # queue -> message -> group
        ungrouped: dict[str, int] = defaultdict(int)
        done: dict[tuple[str, str], float] = {}  # (queue, message) -> processed or moved
        for span in self.spans.values():
            message = span.attrs.get("message_id")
            if message is None or span.status != "ok":
                continue
            if span.node in wanted and not span.op.startswith(NOT_SENDS):
                if span.attrs.get("duplicate"):
                    continue
                group = span.attrs.get("group")
                if group is None:
                    ungrouped[span.node] += 1
                else:
                    groups[span.node][str(message)] = str(group)
                continue
            if self._work(span):
                key = (span.source, str(message))
                done[key] = min(done.get(key, span.end_ms), span.end_ms)
            elif span.op == "Redrive" and span.source in wanted:
                key = (span.source, str(message))
                done[key] = min(done.get(key, span.start_ms), span.start_ms)
        facts = []
        for queue in queues:
            by_group: dict[str, list[str]] = defaultdict(list)
            for message, group in groups[queue].items():
                by_group[group].append(message)
            late: list[tuple[str, str, str]] = []  # (message, group, the one it overtook)
            for group, messages in sorted(by_group.items()):
                messages.sort(key=send_order)
                latest, latest_id = -1.0, ""
                for message in messages:
                    at = done.get((queue, message))
                    if at is not None and latest > at:
                        late.append((message, group, latest_id))
                    if at is None or at > latest:
                        latest, latest_id = math.inf if at is None else at, message
            sent = len(groups[queue])
            counts = {
                "messages": sent,
                "groups": len(by_group),
                "out_of_order": len(late),
                "groups_out_of_order": len({group for _, group, _ in late}),
            }
            self.sink.measure(f"sequence {queue}", counts)
            facts.append(
                (
                    f"sequence {queue}",
                    f"{plural(sent, 'message')} in {plural(len(by_group), 'group')}, "
                    f"{len(late)} processed out of sequence",
                )
            )
            if not sent:
                if ungrouped[queue]:
                    self.fail(
                        rule,
                        index,
                        invariant,
                        queue,
                        f"cannot be judged: none of the {plural(ungrouped[queue], 'message')} "
                        f"sent to '{queue}' has a message group (declare a `key` on the step "
                        "that sends them)",
                        {"ungrouped": ungrouped[queue]},
                    )
                continue
            if late:
                message, group, overtaken = min(late, key=lambda entry: send_order(entry[0]))
                when = done.get((queue, overtaken))
                how = "was never processed" if when is None else "was processed later"
                self.fail(
                    rule,
                    index,
                    invariant,
                    queue,
                    f"{len(late)} of {plural(sent, 'message')} sent to '{queue}' "
                    f"{'were' if len(late) != 1 else 'was'} processed out of sequence within "
                    f"their group ({counts['groups_out_of_order']} of "
                    f"{plural(len(by_group), 'group')}), e.g. '{message}' of group "
                    f"'{group}' before '{overtaken}', sent earlier, which {how}",
                    counts,
                )
        return facts

    # -- encryption at rest

    def encrypted_at_rest(self, index: int, invariant: Invariant) -> list[tuple[str, str]]:
        rule = "encrypted-at-rest"
        scan = self.run.data_at_rest()
        stores: dict[str, Any] = scan["stores"] if scan is not None else {}
        holders = {node.id for node in self.model.nodes if _holds_messages(node.kind)}
        targets = self.targets(invariant, sorted(set(stores) | holders))
        if scan is None:
            self.fail(
                rule,
                index,
                invariant,
                targets[0] if targets else "",
                "cannot be judged: the run folder has no data-at-rest.json (re-run with this "
                "version of archgen)",
            )
            return []
        facts = []
        for store in targets:
            if store in holders:
                facts.append(self._messages_at_rest(index, invariant, store))
                continue
            entry = stores.get(store)
            if not isinstance(entry, dict):
                facts.append((f"at rest {store}", "no records"))
                continue
            records = int(entry["records"])
            numbers = int(entry["plaintext_sensitive_values"])
            found = _what_was_found(entry.get("plaintext_by_class"))
            how = (
                f"{entry.get('client-kms', 0)} KMS envelope (client-side), "
                f"{entry.get('sse-kms', 0)} SSE-KMS, {entry.get('none', 0)} unencrypted"
            )
            self.sink.measure(
                f"at rest {store}",
                {"records": records, "plaintext_sensitive_values": numbers},
            )
            facts.append(
                (
                    f"at rest {store}",
                    f"{plural(records, 'record')}: {how}; "
                    f"{plural(numbers, 'plaintext sensitive value')}",
                )
            )
            if numbers:
                self.fail(
                    rule,
                    index,
                    invariant,
                    store,
                    f"'{store}' holds {plural(numbers, 'plaintext sensitive value')}{found} "
                    "at rest, in "
                    f"{entry['plaintext_sensitive_records']} of {plural(records, 'record')} "
                    f"(first: record {entry['first_plaintext_sensitive_record']}; records stored "
                    f"as {how})",
                    {
                        "plaintext_sensitive_values": numbers,
                        "plaintext_sensitive_records": int(entry["plaintext_sensitive_records"]),
                        "records": records,
                    },
                )
        return facts

    def _messages_at_rest(self, index: int, invariant: Invariant, holder: str) -> tuple[str, str]:
        """A queue or topic keeps no records the run scans: judge the messages sent to it
        (from the spans) by what their edges say they carry (``data``) against how they lay
        at rest: under its ``kms_key`` (SSE-KMS), or encrypted by their sender (the edge's
        ``encrypted_with``), or in the clear. A message moved to a dead-letter queue or
        delivered on by a topic carries what it carried when it was first sent."""
        node = self.model.nodes_by_id[holder]
        key = node.params.kms_key if isinstance(node.params, EncryptableAtRest) else None
        total = 0
        counts = {"sse-kms": 0, "client-kms": 0, "none": 0}
        classes: set[Classification] = set()
        exposed: list[Span] = []
        for span in self._ok_calls_to.get(holder, ()):
            if span.attrs.get("duplicate"):
                continue
            if span.op.startswith(NOT_SENDS) and span.op != "Redrive":
                continue
            total += 1
            data, sealed = self._carried(span)
            if data not in SENSITIVE:
                continue
            classes.add(data)
            how = "client-kms" if sealed else "sse-kms" if key is not None else "none"
            counts[how] += 1
            if how == "none":
                exposed.append(span)
        sensitive = sum(counts.values())
        values = {
            "messages": total,
            "sensitive_messages": sensitive,
            "sensitive_unencrypted": counts["none"],
        }
        self.sink.measure(f"at rest {holder}", values)
        if not sensitive:
            return (
                f"at rest {holder}",
                f"{plural(total, 'message')} sent, none with sensitive data",
            )
        how = (
            f"{counts['client-kms']} KMS envelope (client-side), {counts['sse-kms']} SSE-KMS, "
            f"{counts['none']} unencrypted"
        )
        if exposed:
            first = min(exposed, key=lambda span: (span.start_ms, span.span))
            message = first.attrs.get("message_id")
            what = f"message '{message}'" if message is not None else f"the {first.op}"
            self.fail(
                "encrypted-at-rest",
                index,
                invariant,
                holder,
                f"'{holder}' held {counts['none']} of {plural(sensitive, 'message')} with "
                f"{' or '.join(sorted(classes))} data unencrypted at rest (no kms_key on it, "
                f"no encrypted_with on the sender's edge), e.g. {what} from '{first.source}' "
                f"(trace {first.trace}); sensitive messages stored as {how}",
                values,
            )
        return (
            f"at rest {holder}",
            f"{plural(total, 'message')} sent, {sensitive} with sensitive data: {how}",
        )

    def _carried(self, span: Span) -> tuple[Classification, bool]:
        """What a message sent by ``span`` carries (its edge's ``data``) and whether its
        sender encrypted it (the edge's ``encrypted_with``). A message a queue moves to its
        dead-letter queue (``Redrive``), or a topic or bus delivers on, keeps what it carried
        when it was sent to the queue, topic or bus, at the most sensitive of the two."""
        edge = self.model.declared_edge(span.source, span.node)
        data = Classification.internal if edge is None else edge.data
        sealed = edge is not None and edge.encrypted_with is not None
        origin = None
        if span.op == "Redrive":
            origin = self._sends.get((span.source, str(span.attrs.get("message_id"))))
        elif span.parent is not None and self._routes(span.source):
            parent = self.spans.get(span.parent)
            if parent is not None and parent.node == span.source:
                origin = parent
        if origin is not None and origin is not span:
            before, was_sealed = self._carried(origin)
            if _RANK.index(before) > _RANK.index(data):
                data = before
            sealed = sealed or was_sealed
        return data, sealed

    def _routes(self, node_id: str) -> bool:
        """A queue, topic or event bus: what it passes on is what was sent to it."""
        node = self.model.nodes_by_id.get(node_id)
        return node is not None and any(
            has(node.kind, capability)
            for capability in (Capability.queue, Capability.async_fanout, Capability.event_router)
        )

    @cached_property
    def _ok_calls_to(self) -> dict[str, list[Span]]:
        """The run's successful calls, by the node they were made to."""
        found: dict[str, list[Span]] = defaultdict(list)
        for span in self.spans.values():
            if span.status == "ok":
                found[span.node].append(span)
        return found

    @cached_property
    def _sends(self) -> dict[tuple[str, str], Span]:
        """Each queued message's first successful send, by (queue, message id)."""
        found: dict[tuple[str, str], Span] = {}
        for span in self.spans.values():
            message = span.attrs.get("message_id")
            if (
                message is None
                or span.status != "ok"
                or span.op.startswith(NOT_SENDS)
                or self._work(span)
            ):
                continue
            found.setdefault((span.node, str(message)), span)
        return found


_RANK = (
    Classification.public,
    Classification.internal,
    Classification.pii,
    Classification.card,
)
"""Data classifications from the least to the most sensitive."""


def _holds_messages(kind: str) -> bool:
    """A queue or a topic: it keeps messages at rest until they are delivered."""
    return bool(
        has(kind, Capability.data_store)
        and (has(kind, Capability.queue) or has(kind, Capability.async_fanout))
    )


def _applied_twice(node: NodeSummary | None) -> int:
    """What the consumer's own books (its summary's ``consumer`` entry) count."""
    books = None if node is None else (node.model_extra or {}).get("consumer")
    count = books.get("applied_twice", 0) if isinstance(books, dict) else 0
    return count if isinstance(count, int) else 0


_FOUND_AS = {
    "card": ("primary account number", "primary account numbers"),
    "pii": ("email address", "email addresses"),
}


def _what_was_found(by_class: object) -> str:
    """ " (2 primary account numbers, 2 email addresses)": what the scan found, by class;
    empty for a run folder written before the scan told them apart."""
    if not isinstance(by_class, dict):
        return ""
    parts = []
    for name, count in sorted(by_class.items()):
        if int(count):
            one, many = _FOUND_AS.get(name, (name, name))
            parts.append(f"{count} {one if int(count) == 1 else many}")
    return f" ({', '.join(parts)})" if parts else ""
